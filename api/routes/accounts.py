"""An account's portfolio and history: public on-chain data, no sign-in needed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from api.deps import PageParams, State
from api.models.accounts import HistoryItem, HistoryKind, Portfolio
from api.pagination import InvalidCursor, Page
from api.problems import Problem
from api.queries.accounts import account_history, account_portfolio
from api.responses import cached
from api.types import AddressIn, Uint256In

router = APIRouter(prefix="/accounts", tags=["accounts"])

AccountAddress = Annotated[
    AddressIn, Path(description="The account: all one case, or with a valid EIP-55 checksum.")
]


@router.get(
    "/{address}",
    response_model=Portfolio,
    summary="Holdings, claimable revenue, attributable energy, votes and open listings",
)
async def portfolio(state: State, request: Request, address: AccountAddress) -> Response:
    """The account's portfolio at the indexed block; empty (not 404) for an unknown address."""
    block = state.head.block

    async def make() -> Portfolio:
        return await account_portfolio(
            state.db, chain_id=state.chain_id, address=address, indexed_block=block
        )

    return await cached(state, request, make)


@router.get(
    "/{address}/history",
    response_model=Page[HistoryItem],
    summary="Purchases, refunds, claims, transfers, fills, listings and votes, newest first",
)
async def history(
    state: State,
    request: Request,
    address: AccountAddress,
    paging: PageParams,
    kind: Annotated[
        list[HistoryKind] | None, Query(description="Only these kinds (repeat the parameter).")
    ] = None,
    asset_id: Annotated[Uint256In | None, Query(description="Only this asset's items.")] = None,
) -> Response:
    """One merged list ordered by (block number, log index), descending, cursor-paginated."""

    async def make() -> Page[HistoryItem]:
        try:
            return await account_history(
                state.db, chain_id=state.chain_id, address=address, kinds=kind or (),
                asset_id=asset_id, cursor=paging.cursor, limit=paging.limit,
            )  # fmt: skip
        except InvalidCursor as error:
            raise Problem(400, str(error), "invalid-cursor") from error

    return await cached(state, request, make)
