"""The raw event feed: every indexed log with its position and decoded arguments."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import PageParams, State
from api.models.events import LogEvent
from api.models.filters import Blocks
from api.pagination import InvalidCursor, Page
from api.problems import Problem
from api.queries import events as queries
from api.queries.events import Order
from api.types import MAX_UINT256, AddressIn, Hash

router = APIRouter(prefix="/events", tags=["events"])

EventName = Annotated[str, Query(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]


@contextmanager
def cursor_problems() -> Iterator[None]:
    """Turns a cursor this API did not make into a 400 problem."""
    try:
        yield
    except InvalidCursor as error:
        raise Problem(400, f"invalid cursor: {error}", "invalid-cursor") from error


def ordered(default: Order) -> str:
    """The description of a list's `order` parameter."""
    return f"`asc`: oldest first; `desc`: newest first (by position). Default `{default}`."


@router.get(
    "",
    summary="The raw event feed",
    description="Every log the indexer follows (platform contracts and each asset's share token,"
    " governor and timelock), decoded, with its position: block number and hash, log index,"
    " transaction. Ordered by position (`block_number`, `log_index`), oldest first unless"
    " `order=desc`. Filters combine with AND; several `event` values match any of them."
    " `asset_id` matches the asset's own contracts and platform events whose `assetId` argument"
    " is the asset. Without block bounds, `tx_hash` scans the whole feed: give `from_block` /"
    " `to_block` when you know them.",
)
async def list_events(
    state: State,
    paging: PageParams,
    blocks: Annotated[Blocks, Query()],
    event: Annotated[
        list[EventName] | None, Query(max_length=20, description="Event names, e.g. `Transfer`.")
    ] = None,
    address: Annotated[AddressIn | None, Query(description="The emitting contract.")] = None,
    asset_id: Annotated[int | None, Query(ge=0, le=MAX_UINT256)] = None,
    tx_hash: Annotated[Hash | None, Query(description="Lowercase hex.")] = None,
    order: Annotated[Order, Query(description=ordered("asc"))] = "asc",
) -> Page[LogEvent]:
    with cursor_problems():
        return await queries.events(
            state.db, chain_id=state.chain_id, names=event or (), address=address,
            asset_id=asset_id, tx_hash=tx_hash, from_block=blocks.from_block,
            to_block=blocks.to_block,
            order=order, cursor=paging.cursor, limit=paging.limit,
        )  # fmt: skip
