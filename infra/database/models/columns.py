"""Column declarations the models share: PostgreSQL types spelled once, and the position columns.

Each helper returns a SQLModel `Field` for one column; `key=True` puts it in the primary key,
`null=True` allows NULL, `default` is the server default as SQL text. Every `uint256` is
`numeric(78,0)`, never a float; addresses and hashes are lowercase hex `text`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    DateTime,
    Integer,
    Numeric,
    SmallInteger,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.types import TypeEngine
from sqlmodel import Field

# Table `info` flag: rows change in place and a `<table>_journal` trigger journals every change
# made while a block is reversible (the reorg rules of `database/schema.md` follow from it).
JOURNALED = "journaled"
JOURNALED_TABLE: dict[str, Any] = {"info": {JOURNALED: True}}


def _column(sa_type: TypeEngine[Any] | type[TypeEngine[Any]], key: bool, null: bool,
            default: str | None) -> Any:  # fmt: skip
    kwargs: dict[str, Any] = {}
    if default is not None:
        kwargs["server_default"] = text(default)
    if key:
        kwargs["autoincrement"] = False
    return Field(sa_type=sa_type, primary_key=key, nullable=null and not key,
                 sa_column_kwargs=kwargs)  # fmt: skip


def u256(*, key: bool = False, null: bool = False, default: str | None = None) -> Any:
    """A `uint256` as `numeric(78,0)`."""
    return _column(Numeric(78, 0), key, null, default)


def bigint(*, key: bool = False, null: bool = False, default: str | None = None) -> Any:
    return _column(BigInteger, key, null, default)


def integer(*, key: bool = False, null: bool = False, default: str | None = None) -> Any:
    return _column(Integer, key, null, default)


def smallint(*, null: bool = False) -> Any:
    return _column(SmallInteger, False, null, None)


def string(*, key: bool = False, null: bool = False, default: str | None = None) -> Any:
    """`text` (never varchar: PostgreSQL stores both alike, and text needs no length)."""
    return _column(Text, key, null, default)


def boolean(*, null: bool = False, default: str | None = None) -> Any:
    return _column(Boolean, False, null, default)


def jsonb(*, null: bool = False, default: str | None = None) -> Any:
    return _column(JSONB, False, null, default)


def text_array() -> Any:
    return _column(ARRAY(Text), False, False, None)


def char1() -> Any:
    return _column(CHAR(1), False, False, None)


def timestamptz(*, key: bool = False, null: bool = False, default: str | None = None) -> Any:
    return _column(DateTime(timezone=True), key, null, default)


def serial_id() -> Any:
    """A `bigserial` primary key."""
    return Field(sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": True})
