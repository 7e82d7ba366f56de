"""The secondary market: listings, fills and prices."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import PageParams, State
from api.models.market import LISTING_STATUS_RULES, AssetPrice, Fill, Listing, ListingStatus
from api.pagination import Page
from api.queries import market as queries
from api.queries.events import Order
from api.routes.events import cursor_problems, ordered
from api.types import MAX_UINT256, AddressIn

router = APIRouter(prefix="/market", tags=["market"])

AssetFilter = Annotated[
    int | None, Query(ge=0, le=MAX_UINT256, description="Only this asset's.", examples=[1])
]


@router.get(
    "/listings",
    summary="Market listings",
    description="Offers to sell shares; open ones unless `status` says otherwise (`all` for every"
    " status). Sorted `newest` first by default, or by `price` (`-price`: highest first), ties by"
    " listing id. Expiry is judged at the last indexed block's time.\n\n" + LISTING_STATUS_RULES,
)
async def list_listings(
    state: State,
    paging: PageParams,
    asset_id: AssetFilter = None,
    seller: Annotated[AddressIn | None, Query(description="Only this seller's.")] = None,
    status: ListingStatus | Literal["all"] = "open",
    sort: queries.ListingSort = "newest",
) -> Page[Listing]:
    with cursor_problems():
        return await queries.listings(
            state.db, chain_id=state.chain_id, asset_id=asset_id, seller=seller,
            status=None if status == "all" else status, sort=sort, cursor=paging.cursor,
            limit=paging.limit,
        )  # fmt: skip


@router.get(
    "/fills",
    summary="Market fills",
    description="Purchases from listings, by position (newest first unless `order=asc`).",
)
async def list_fills(
    state: State,
    paging: PageParams,
    asset_id: AssetFilter = None,
    buyer: Annotated[AddressIn | None, Query(description="Only this buyer's.")] = None,
    seller: Annotated[AddressIn | None, Query(description="Only this seller's.")] = None,
    listing_id: Annotated[int | None, Query(ge=1, le=MAX_UINT256)] = None,
    order: Annotated[Order, Query(description=ordered("desc"))] = "desc",
) -> Page[Fill]:
    with cursor_problems():
        return await queries.fills(
            state.db, chain_id=state.chain_id, asset_id=asset_id, buyer=buyer, seller=seller,
            listing_id=listing_id, order=order, cursor=paging.cursor, limit=paging.limit,
        )  # fmt: skip


@router.get(
    "/prices",
    summary="Last trade and best ask per asset",
    description="For each asset (by id): the price of its last market fill and the lowest price"
    " among its open listings, with the primary sale price for comparison.",
)
async def list_prices(
    state: State, paging: PageParams, asset_id: AssetFilter = None
) -> Page[AssetPrice]:
    with cursor_problems():
        return await queries.prices(
            state.db, chain_id=state.chain_id, asset_id=asset_id, cursor=paging.cursor,
            limit=paging.limit,
        )  # fmt: skip
