"""Cursor pagination: every list is ordered by a unique key, and the cursor is the last key seen.

A cursor is opaque to clients (base64url of the key's values); a page holds `data` and
`next_cursor` (null on the last page). Keyset pagination stays exact while the indexer writes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, Field

T = TypeVar("T")


class InvalidCursor(ValueError):
    """A cursor that this API did not make (or made for another list)."""


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    data: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page."
    )


def encode_cursor(kind: str, key: Sequence[Any]) -> str:
    """The cursor after a row whose sort key is `key`, for the list named `kind`."""
    raw = orjson.dumps(
        [kind, [str(v) if isinstance(v, int) and abs(v) > 2**53 else v for v in key]]
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(kind: str, cursor: str, arity: int) -> list[Any]:
    """The sort key in a cursor; raises InvalidCursor when it is not one of this list's."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, orjson.JSONDecodeError, ValueError) as error:
        raise InvalidCursor("the cursor is not one this API made") from error
    if (
        not isinstance(decoded, list)
        or len(decoded) != 2
        or decoded[0] != kind
        or not isinstance(decoded[1], list)
        or len(decoded[1]) != arity
    ):
        raise InvalidCursor(f"the cursor does not belong to this list ({kind})")
    return list(decoded[1])


def page_of(kind: str, rows: list[T], limit: int, key: Any) -> Page[T]:
    """A page from up to `limit + 1` rows; `key(row)` gives a row's sort key for the cursor."""
    more = len(rows) > limit
    data = rows[:limit]
    cursor = encode_cursor(kind, key(data[-1])) if more and data else None
    return Page[T](data=data, next_cursor=cursor)
