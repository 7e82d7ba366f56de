"""Limits on what one GraphQL document may ask: its depth and its cost, from the API settings.

The cost of a document estimates the rows it can make the API read: every object or list field
costs 1 plus the cost of its selections, multiplied by the page size for a paginated field (one
with a `limit` argument: the literal given, the maximum page size when it is a variable, the
default page size when it is left out). Scalars are free, introspection (`__schema`, `__type`)
too. Aliases count separately, and fragments as often as they are spread.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
)
from strawberry.extensions import SchemaExtension
from strawberry.extensions.query_depth_limiter import create_validator

from api.graphql.context import Context

MAX_ALIASES = 50
MAX_TOKENS = 5_000


class Coster:
    """Costs the selection sets of one document (see the module's docstring).

    Each fragment is costed once (`known`), so a document spreading fragments in fragments is
    costed in linear time; a fragment spread inside itself costs nothing more (another rule
    refuses the cycle).

    Args:
        context: The validation context of the document.
        page_size: The default page size.
        max_page_size: The largest page size.
    """

    def __init__(self, context: ValidationContext, *, page_size: int, max_page_size: int) -> None:
        self.context = context
        self.page_size = page_size
        self.max_page_size = max_page_size
        self.known: dict[str, int] = {}

    def cost(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLObjectType,
        seen: frozenset[str] = frozenset(),
    ) -> int:
        """The cost of a selection set on `parent`, inside the fragments `seen`."""
        total = 0
        for node in selection_set.selections if selection_set else ():
            if isinstance(node, FieldNode):
                total += self._field(node, parent, seen)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                named = self.context.schema.get_type(condition.name.value) if condition else parent
                if isinstance(named, GraphQLObjectType):
                    total += self.cost(node.selection_set, named, seen)
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
                total += self._fragment(node.name.value, seen)
        return total

    def _field(self, node: FieldNode, parent: GraphQLObjectType, seen: frozenset[str]) -> int:
        name = node.name.value
        if name.startswith("__") or name not in parent.fields:
            return 0  # introspection is free; unknown fields are another rule's error
        definition = parent.fields[name]
        named = get_named_type(definition.type)
        if not isinstance(named, GraphQLObjectType):
            return 0
        size = 1
        if "limit" in definition.args:
            given = next((a.value for a in node.arguments or () if a.name.value == "limit"), None)
            if given is None:
                size = self.page_size
            elif isinstance(given, IntValueNode):
                size = max(1, int(given.value))
            else:
                size = self.max_page_size
        return 1 + size * self.cost(node.selection_set, named, seen)

    def _fragment(self, name: str, seen: frozenset[str]) -> int:
        if name not in self.known:
            fragment = self.context.get_fragment(name)
            named = fragment and self.context.schema.get_type(fragment.type_condition.name.value)
            self.known[name] = (
                self.cost(fragment.selection_set, named, seen | {name})
                if fragment is not None and isinstance(named, GraphQLObjectType)
                else 0
            )
        return self.known[name]


@cache
def cost_rule(max_cost: int, page_size: int, max_page_size: int) -> type[ValidationRule]:
    """A validation rule refusing operations that cost more than `max_cost`."""

    class CostLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: object) -> None:
            root = {
                OperationType.QUERY: self.context.schema.query_type,
                OperationType.MUTATION: self.context.schema.mutation_type,
                OperationType.SUBSCRIPTION: self.context.schema.subscription_type,
            }[node.operation]
            if root is None:
                return
            coster = Coster(self.context, page_size=page_size, max_page_size=max_page_size)
            cost = coster.cost(node.selection_set, root)
            if cost > max_cost:
                name = node.name.value if node.name else "anonymous"
                self.report_error(
                    GraphQLError(
                        f"'{name}' costs {cost}, more than the limit of {max_cost}: ask for"
                        " smaller pages (limit) or fewer nested lists",
                        [node],
                        extensions={"code": "too-complex", "cost": cost, "limit": max_cost},
                    )
                )

    return CostLimit


@cache
def depth_rule(max_depth: int) -> type[ValidationRule]:
    """Strawberry's depth limiter (introspection fields do not count) for `max_depth`."""
    return create_validator(max_depth, None, None)


class Limits(SchemaExtension):
    """Adds the depth and cost rules with the limits of the request's settings."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context):
            settings = context.state.settings
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                depth_rule(settings.graphql_max_depth),
                cost_rule(
                    settings.graphql_max_complexity, settings.page_size, settings.max_page_size
                ),
            )
        yield
