"""Assets: the catalogue, one asset's record and figures, and its holders, production, revenue
and proposals."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Path, Query, Request, Response

from api.deps import PageParams, State
from api.models.assets import (
    FUNDING_RULES,
    AssetDetail,
    AssetSummary,
    FundingState,
    Holder,
    Kind,
    ProductionBucket,
    ProductionReport,
    RevenueClaim,
    RevenueDeposit,
    Status,
)
from api.models.filters import Period, Place
from api.models.governance import STATE_RULES, Proposal, ProposalState
from api.pagination import Page
from api.problems import Problem
from api.queries import assets as queries
from api.queries import events as histories
from api.queries.events import Bucket, Order
from api.queries.governance import proposals
from api.responses import cached
from api.routes.events import cursor_problems, ordered
from api.types import MAX_UINT256, AddressIn

router = APIRouter(prefix="/assets", tags=["assets"])

AssetId = Annotated[int, Path(ge=0, le=MAX_UINT256, description="The asset's id.", examples=[1])]
T = TypeVar("T")

SORT_HELP = """`registered` (registration block), `name`, `capacity` (watts), `funding` (share of
the supply sold, in basis points), `energy` (watt-hours reported), `revenue` (distributed to
holders); `-` first for descending. Ties are broken by asset id, in the same direction."""


def not_found(asset_id: int) -> Problem:
    return Problem(404, f"no asset {asset_id} is registered", "not-found")


async def known(state: State, asset_id: int, page: Page[T]) -> Page[T]:
    """The page, or a 404 when it is empty because the asset does not exist."""
    if not page.data and not await queries.asset_exists(
        state.db, chain_id=state.chain_id, asset_id=asset_id
    ):
        raise not_found(asset_id)
    return page


@router.get(
    "",
    summary="List assets",
    description="Registered assets, filtered and sorted, a page at a time. Time-dependent"
    " answers (the funding state) are as of the last indexed block's time.\n\n" + FUNDING_RULES,
    response_model=Page[AssetSummary],
)
async def list_assets(
    state: State,
    request: Request,
    paging: PageParams,
    place: Annotated[Place, Query()],
    kind: Kind | None = None,
    status: Status | None = None,
    operator: Annotated[AddressIn | None, Query(description="The operator's address.")] = None,
    funding: Annotated[FundingState | None, Query(description="The sale's state.")] = None,
    sort: Annotated[queries.AssetSort, Query(description=SORT_HELP)] = "registered",
) -> Response:
    async def make() -> Page[AssetSummary]:
        with cursor_problems():
            return await queries.list_assets(
                state.db, chain_id=state.chain_id,
                tokens=queries.token_book(state.settings.deployments_dir, state.chain_id),
                kind=kind, status=status, country=place.country, location=place.location,
                operator=operator,
                funding=funding, sort=sort, cursor=paging.cursor, limit=paging.limit,
            )  # fmt: skip

    return await cached(state, request, make)


@router.get(
    "/{asset_id}",
    summary="One asset with its figures",
    description="Every indexed field of the asset, its funding progress, production and revenue"
    " totals, holder count, revenue per share (exact, from the share token's accumulator) and its"
    " annualised yield over the trailing year. As of the last indexed block.",
    response_model=AssetDetail,
)
async def get_asset(state: State, request: Request, asset_id: AssetId) -> Response:
    async def make() -> AssetDetail:
        asset = await queries.get_asset(
            state.db, chain_id=state.chain_id, asset_id=asset_id,
            tokens=queries.token_book(state.settings.deployments_dir, state.chain_id),
        )  # fmt: skip
        if asset is None:
            raise not_found(asset_id)
        return asset

    return await cached(state, request, make)


@router.get(
    "/{asset_id}/holders",
    summary="The asset's holders",
    description="Accounts holding shares, largest balance first (ties by address), with their"
    " voting power and revenue claimed and claimable.",
)
async def list_holders(state: State, paging: PageParams, asset_id: AssetId) -> Page[Holder]:
    with cursor_problems():
        page = await queries.holders(state.db, chain_id=state.chain_id, asset_id=asset_id,
                                     cursor=paging.cursor, limit=paging.limit)  # fmt: skip
    return await known(state, asset_id, page)


@router.get(
    "/{asset_id}/production",
    summary="The asset's production",
    description="Without `bucket`: every production report, by position. With `bucket=day` or"
    " `month`: energy summed per UTC day or month, a report counting wholly in the bucket its"
    " period starts in. `start` / `end` keep the reports whose period starts in [start, end).",
    response_model=Page[ProductionReport] | Page[ProductionBucket],
)
async def list_production(
    state: State,
    paging: PageParams,
    asset_id: AssetId,
    period: Annotated[Period, Query()],
    bucket: Annotated[Bucket | None, Query(description="Sum per `day` or `month`.")] = None,
    order: Annotated[Order, Query(description=ordered("asc"))] = "asc",
) -> Page[ProductionReport] | Page[ProductionBucket]:
    start, end = period.start, period.end
    with cursor_problems():
        if bucket is None:
            reports = await histories.production_reports(
                state.db, chain_id=state.chain_id, asset_id=asset_id, start=start, end=end,
                order=order, cursor=paging.cursor, limit=paging.limit,
            )  # fmt: skip
            return await known(state, asset_id, reports)
        buckets = await histories.production_buckets(
            state.db, chain_id=state.chain_id, asset_id=asset_id, bucket=bucket, start=start,
            end=end, order=order, cursor=paging.cursor, limit=paging.limit,
        )  # fmt: skip
    return await known(state, asset_id, buckets)


@router.get(
    "/{asset_id}/revenue/deposits",
    summary="Revenue deposited for the asset",
    description="Each deposit with its fee, reserve and distributed parts and the accumulator"
    " after it, by position (newest first unless `order=asc`).",
)
async def list_deposits(
    state: State,
    paging: PageParams,
    asset_id: AssetId,
    order: Annotated[Order, Query(description=ordered("desc"))] = "desc",
) -> Page[RevenueDeposit]:
    with cursor_problems():
        page = await histories.revenue_deposits(
            state.db, chain_id=state.chain_id, asset_id=asset_id, order=order,
            cursor=paging.cursor, limit=paging.limit,
        )  # fmt: skip
    return await known(state, asset_id, page)


@router.get(
    "/{asset_id}/revenue/claims",
    summary="Revenue claimed by the asset's holders",
    description="Each claim, by position (newest first unless `order=asc`), of one account if"
    " given.",
)
async def list_claims(
    state: State,
    paging: PageParams,
    asset_id: AssetId,
    account: Annotated[AddressIn | None, Query(description="Only this account's.")] = None,
    order: Annotated[Order, Query(description=ordered("desc"))] = "desc",
) -> Page[RevenueClaim]:
    with cursor_problems():
        page = await histories.revenue_claims(
            state.db, chain_id=state.chain_id, asset_id=asset_id, account=account, order=order,
            cursor=paging.cursor, limit=paging.limit,
        )  # fmt: skip
    return await known(state, asset_id, page)


@router.get(
    "/{asset_id}/proposals",
    summary="The asset's proposals",
    description="Proposals of the asset's governor, newest first, with their state and tallies."
    "\n\n" + STATE_RULES,
)
async def list_asset_proposals(
    state: State,
    paging: PageParams,
    asset_id: AssetId,
    proposal_state: Annotated[
        ProposalState | None, Query(alias="state", description="Only proposals in this state.")
    ] = None,
) -> Page[Proposal]:
    with cursor_problems():
        page = await proposals(
            state.db, chain_id=state.chain_id, asset_id=asset_id, state=proposal_state,
            cursor=paging.cursor, limit=paging.limit,
        )  # fmt: skip
    return await known(state, asset_id, page)
