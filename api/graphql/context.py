"""What GraphQL resolvers share: the app's state in the context, page sizes, and user errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import strawberry
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    SelectionSetNode,
)
from pydantic import BaseModel, ValidationError
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from api.deps import State
from api.exceptions import ApiError
from api.models.assets import AssetDetail
from api.pagination import InvalidCursor
from api.queries.assets import get_assets, token_book
from api.state import AppState


class Context(BaseContext):
    """The GraphQL context: the app's state, and the request's dataloaders: the assets every
    resolver of one request asks for, fetched together."""

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state
        self.assets: DataLoader[int, AssetDetail | None] = DataLoader(load_fn=self._load_assets)

    async def _load_assets(self, asset_ids: list[int]) -> list[AssetDetail | None]:
        state = self.state
        found = await get_assets(
            state.db, chain_id=state.chain_id, asset_ids=asset_ids,
            tokens=token_book(state.settings.deployments_dir, state.chain_id),
        )  # fmt: skip
        return [found.get(asset_id) for asset_id in asset_ids]


async def get_context(state: State) -> Context:
    """The context of one GraphQL request (a FastAPI dependency: the app's typed state)."""
    return Context(state)


Info = strawberry.Info[Context, None]
M = TypeVar("M", bound=BaseModel)


def state_of(info: Info) -> AppState:
    """The app state of a resolver's request."""
    return info.context.state


def subfields(info: Info) -> frozenset[str]:
    """The names of the subfields that the field being resolved asks for, directly or in
    fragments (a subfield under `@skip` or `@include` counts as asked for).

    Read from graphql-core's syntax tree: strawberry's `info.selected_fields` converts the whole
    selection, arguments and directives included, and cost about 5% of a portfolio query's time.
    """
    raw = info._raw_info  # strawberry's own `selected_fields` reads the same nodes
    names: set[str] = set()

    def collect(selection_set: SelectionSetNode | None) -> None:
        for node in selection_set.selections if selection_set is not None else ():
            if isinstance(node, FieldNode):
                names.add(node.name.value)
            elif isinstance(node, FragmentSpreadNode):  # validation refused cycles
                collect(raw.fragments[node.name.value].selection_set)
            elif isinstance(node, InlineFragmentNode):
                collect(node.selection_set)

    for field in raw.field_nodes:
        collect(field.selection_set)
    return frozenset(names)


def selects(info: Info, name: str) -> bool:
    """Whether the field being resolved asks for its subfield `name` (see `subfields`)."""
    return name in subfields(info)


def page_size(info: Info, limit: int | None) -> int:
    """The page size asked for, or the default; refuses sizes the REST API refuses too."""
    settings = state_of(info).settings
    if limit is None:
        return settings.page_size
    if not 1 <= limit <= settings.max_page_size:
        raise GraphQLError(
            f"limit is between 1 and {settings.max_page_size}",
            extensions={"code": "invalid-request"},
        )
    return limit


@contextmanager
def user_errors() -> Iterator[None]:
    """Turns the read model's refusals (bad cursor, domain errors) into GraphQL errors."""
    try:
        yield
    except InvalidCursor as error:
        raise GraphQLError(
            f"invalid cursor: {error}", extensions={"code": "invalid-cursor"}
        ) from error
    except ApiError as error:
        raise GraphQLError(
            error.detail, extensions={"code": error.reason, "status": error.status}
        ) from error


def validated(model: type[M], **values: Any) -> M:
    """The request model of `values` (shared with REST); a malformed value becomes a GraphQL error
    with code `invalid-request` (contradicting ones raise the model's domain error)."""
    try:
        return model(**values)
    except ValidationError as error:
        reasons = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise GraphQLError(reasons, extensions={"code": "invalid-request"}) from error


def arguments(**values: Any) -> dict[str, Any]:
    """Keyword arguments without the ones left out (None), for query functions' defaults."""
    return {name: value for name, value in values.items() if value is not None}
