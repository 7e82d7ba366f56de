"""Page cursors: what the API makes it reads back; anything else is refused with InvalidCursor."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.pagination import InvalidCursor, decode_cursor, encode_cursor, page_of

keys = st.lists(
    st.one_of(st.integers(-(2**256), 2**256), st.text(max_size=30), st.booleans(), st.none()),
    min_size=1,
    max_size=4,
)


def as_read_back(value: Any) -> Any:
    """Integers beyond JSON's safe range travel as decimal strings."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        return str(value)
    return value


@given(st.text(min_size=1, max_size=20), keys)
def test_a_cursor_round_trips(kind: str, key: list[Any]) -> None:
    assert decode_cursor(kind, encode_cursor(kind, key), len(key)) == [as_read_back(v) for v in key]


@given(keys)
def test_a_cursor_of_another_list_is_refused(key: list[Any]) -> None:
    with pytest.raises(InvalidCursor, match="does not belong to this list"):
        decode_cursor("holders", encode_cursor("events", key), len(key))
    with pytest.raises(InvalidCursor):
        decode_cursor("events", encode_cursor("events", key), len(key) + 1)


@given(st.text(max_size=60))
def test_any_text_is_a_cursor_or_refused_with_a_reason(text: str) -> None:
    try:
        decode_cursor("events", text, 2)
    except InvalidCursor as error:
        assert str(error)


def test_a_page_has_a_cursor_only_when_more_rows_follow() -> None:
    rows = [{"n": n} for n in range(4)]
    more = page_of("numbers", rows, 3, key=lambda r: [r["n"]])
    assert [r["n"] for r in more.data] == [0, 1, 2]
    assert more.next_cursor is not None and decode_cursor("numbers", more.next_cursor, 1) == [2]
    assert page_of("numbers", rows, 4, key=lambda r: [r["n"]]).next_cursor is None
