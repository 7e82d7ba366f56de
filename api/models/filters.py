"""Filters that REST and GraphQL both take, validated once here.

REST declares them as query-parameter models (`Annotated[Place, Query()]`); GraphQL builds them
from its arguments (`api.graphql.context.validated`). A field that is malformed is a validation
error (422 `invalid-request`, GraphQL code `invalid-request`); fields that contradict each other
raise `InvalidQuery` (400 `invalid-range`).
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, Field, model_validator

from api.exceptions import InvalidQuery


class Place(BaseModel):
    """Where assets are: a country code and text of the location."""

    country: str | None = Field(
        default=None, pattern="^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2, any case."
    )
    location: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=r"^[^\x00-\x1f]+$",
        description="Text the location contains, any case.",
    )


class Period(BaseModel):
    """A time window [start, end) in unix seconds, either side open."""

    start: int | None = Field(default=None, ge=0, description="Unix seconds, inclusive.")
    end: int | None = Field(default=None, ge=0, description="Unix seconds, exclusive.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise InvalidQuery("start must be before end", "invalid-range")
        return self


class Blocks(BaseModel):
    """A block range [from_block, to_block], either side open."""

    from_block: int | None = Field(default=None, ge=0, description="First block (inclusive).")
    to_block: int | None = Field(default=None, ge=0, description="Last block (inclusive).")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        first, last = self.from_block, self.to_block
        if first is not None and last is not None and first > last:
            raise InvalidQuery("from_block is after to_block", "invalid-range")
        return self
