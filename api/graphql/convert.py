"""GraphQL object types made from the REST models, so both APIs answer with the same figures.

`object_type(Model)` builds (once) a strawberry type with the pydantic model's fields and
descriptions: `Uint256` fields become the `UInt256` scalar, `Address` fields the `Address` scalar,
plain integers `Long`, free-form objects `JSON`, nested models their own types, and `Page[T]` a
`TPage` type with `data` and `nextCursor`. `to_graphql(model)` turns a model instance (what the
query functions return) into an instance of its type. Field names become camelCase.
"""

from __future__ import annotations

import types
from decimal import Decimal
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import strawberry
from pydantic import BaseModel, PlainSerializer
from strawberry.scalars import JSON
from strawberry.types.field import StrawberryField

from api.graphql.scalars import EthAddress, Long, UInt256
from api.pagination import Page
from api.types import checksum

_TYPES: dict[type[BaseModel], Any] = {}
_MODELS: dict[str, type[BaseModel]] = {}


def type_name(model: type[BaseModel]) -> str:
    """The GraphQL name of a model's type: its class name, or `<Item>Page` for `Page[Item]`."""
    metadata = getattr(model, "__pydantic_generic_metadata__", None) or {}
    if metadata.get("origin") is Page:
        (item,) = metadata["args"]
        return f"{type_name(item)}Page"
    return model.__name__


def _scalar_of(metadata: list[Any]) -> Any | None:
    for entry in metadata:
        if isinstance(entry, PlainSerializer):
            if entry.func is str:
                return UInt256
            if entry.func is checksum:
                return EthAddress
    return None


def field_type(annotation: Any, metadata: list[Any] | None = None) -> Any:
    """The strawberry annotation for a pydantic field's annotation (and its metadata)."""
    metadata = list(metadata or ())
    if get_origin(annotation) is Annotated:
        base, *extra = get_args(annotation)
        return field_type(base, [*metadata, *extra])
    scalar = _scalar_of(metadata)
    if scalar is not None:
        return scalar
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        if len(options) != 1:
            raise TypeError(f"cannot map the union {annotation} to GraphQL")
        inner = field_type(options[0])
        return inner | None if len(options) < len(get_args(annotation)) else inner
    if origin is list:
        (item,) = get_args(annotation)
        return list[field_type(item)]  # type: ignore[misc]
    if origin is Literal:
        return str
    if origin is dict or annotation is Any:
        return JSON
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return object_type(annotation)
    if annotation is bool or annotation is str or annotation is float:
        return annotation
    if annotation is int:
        return Long
    if annotation is Decimal:
        return str
    raise TypeError(f"cannot map {annotation!r} to GraphQL")


def object_type(model: type[BaseModel], relations: dict[str, StrawberryField] | None = None) -> Any:
    """The GraphQL type of a model, made on first use (with extra resolved fields, if given).

    Raises:
        TypeError: Two models would share a GraphQL name, or a relation comes too late.
    """
    if model in _TYPES:
        if relations:
            raise TypeError(f"{model.__name__}'s type was made before its relations were given")
        return _TYPES[model]
    name = type_name(model)
    if _MODELS.setdefault(name, model) is not model:
        raise TypeError(f"two models are named {name} in GraphQL")
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__annotations__": annotations}
    for field_name, info in model.model_fields.items():
        annotations[field_name] = field_type(info.annotation, list(info.metadata))
        namespace[field_name] = strawberry.field(description=info.description)
    for field_name in relations or {}:
        if field_name in annotations:
            raise TypeError(f"{name} already has a field {field_name}")
    namespace.update(relations or {})
    description = (model.__doc__ or "").strip() or None
    if description and description.startswith(("Usage docs", "A base class")):
        description = None  # pydantic's own docstrings on generic pages
    made = strawberry.type(type(name, (), namespace), name=name, description=description)
    _TYPES[model] = made
    return made


def to_graphql(model: BaseModel, as_model: type[BaseModel] | None = None) -> Any:
    """An instance of the model's GraphQL type with the model's values.

    Args:
        model: What a query function returned.
        as_model: The model class to answer as, when the instance's own class is not concrete
            (a `Page[T]` made inside a generic function).
    """
    target = as_model or type(model)
    made = object_type(target)
    return made(**{name: _value(getattr(model, name)) for name in target.model_fields})


def partial(target: type[BaseModel], values: dict[str, Any]) -> Any:
    """An instance of the model's GraphQL type with only `values` set (by Python field name).

    For a resolver that knows the query asks for nothing else: reading a field left unset raises
    AttributeError.
    """
    made = object_type(target)
    instance = made.__new__(made)
    for name, value in values.items():
        setattr(instance, name, _value(value))
    return instance


def _value(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return to_graphql(value)
    if isinstance(value, list):
        return [_value(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    return value
