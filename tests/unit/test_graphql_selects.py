"""`selects` tells a resolver whether its subfield was asked for, however the query asks."""

from __future__ import annotations

import asyncio

import pytest
import strawberry

from api.graphql.context import selects

ASKED: list[bool] = []


@strawberry.type
class Offer:
    id: int


@strawberry.type
class Book:
    holdings: list[int]
    listings: list[Offer]


@strawberry.type
class Query:
    @strawberry.field
    def book(self, info: strawberry.Info) -> Book:
        ASKED.append(selects(info, "listings"))
        return Book(holdings=[1], listings=[Offer(id=7)])


SCHEMA = strawberry.Schema(Query)


@pytest.mark.parametrize(
    ("query", "asked"),
    [
        ("{ book { holdings } }", [False]),
        ("{ book { holdings listings { id } } }", [True]),
        ("{ book { ...Offers } } fragment Offers on Book { listings { id } }", [True]),
        ("{ book { ... on Book { listings { id } } } }", [True]),
        ("{ book { ... on Book { holdings } } }", [False]),
        ("{ book { holdings listings @skip(if: true) { id } } }", [True]),
        ("{ a: book { holdings } b: book { listings { id } } }", [False, True]),
    ],
    ids=[
        "not asked",
        "directly",
        "in a fragment",
        "in an inline fragment",
        "a fragment without it",
        "skipped still counts",
        "under another alias",
    ],
)
def test_a_subfield_counts_as_asked_for_however_the_query_names_it(
    query: str, asked: list[bool]
) -> None:
    ASKED.clear()
    result = asyncio.run(SCHEMA.execute(query))
    assert result.errors is None
    assert asked == ASKED  # one answer per resolved field, in the query's order
