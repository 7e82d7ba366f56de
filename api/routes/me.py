"""The signed-in account: its portfolio, history and private preferences (only ever its own).

The holder's own sign-in reaches all of it; an app the holder authorised (OAuth 2.0) reaches only
what its token's scopes name (`api.deps.require_scope`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import tokens
from api.deps import PageParams, SignedIn, State, require_scope
from api.models.accounts import HistoryItem, HistoryKind, Portfolio
from api.models.auth import Me, Preferences, PreferencesIn, StatementGrant
from api.pagination import InvalidCursor, Page
from api.problems import Problem
from api.queries.accounts import account_history, account_portfolio
from api.queries.preferences import (
    missing_assets,
    preferences_of,
    save_preferences,
    statement_grants_to,
)
from api.routes.auth import UNAUTHORIZED
from api.types import Uint256In

router = APIRouter(prefix="/me", tags=["me"], responses=UNAUTHORIZED)

Holder = Annotated[tokens.Claims, require_scope()]
PortfolioReader = Annotated[tokens.Claims, require_scope("read:portfolio")]
HistoryReader = Annotated[tokens.Claims, require_scope("read:history")]
PreferencesWriter = Annotated[tokens.Claims, require_scope("write:preferences")]


@router.get("", summary="The signed-in address, its chain and when the token expires")
async def me(claims: Holder) -> Me:
    """Any token the holder issued or authorised (an app learns whose data it reads)."""
    return Me(address=claims.address, chain_id=claims.chain_id,
              expires_at=datetime.fromtimestamp(claims.expires_at, UTC))  # fmt: skip


@router.get("/portfolio", summary="The signed-in account's portfolio (scope read:portfolio)")
async def my_portfolio(state: State, claims: PortfolioReader) -> Portfolio:
    """What `GET /accounts/{address}` answers, for the token's holder."""
    return await account_portfolio(state.db, chain_id=state.chain_id, address=claims.address,
                                   indexed_block=state.head.block)  # fmt: skip


@router.get("/history", summary="The signed-in account's history (scope read:history)")
async def my_history(
    state: State,
    claims: HistoryReader,
    paging: PageParams,
    kind: Annotated[
        list[HistoryKind] | None, Query(description="Only these kinds (repeat the parameter).")
    ] = None,
    asset_id: Annotated[Uint256In | None, Query(description="Only this asset's items.")] = None,
) -> Page[HistoryItem]:
    """What `GET /accounts/{address}/history` answers, for the token's holder."""
    try:
        return await account_history(
            state.db, chain_id=state.chain_id, address=claims.address, kinds=kind or (),
            asset_id=asset_id, cursor=paging.cursor, limit=paging.limit,
        )  # fmt: skip
    except InvalidCursor as error:
        raise Problem(400, str(error), "invalid-cursor") from error


@router.get("/preferences", summary="The signed-in account's preferences (scope read:portfolio)")
async def get_preferences(state: State, claims: PortfolioReader) -> Preferences:
    return await preferences_of(state.primary, address=claims.address)


@router.put("/preferences", summary="Replace the account's preferences (scope write:preferences)")
async def put_preferences(
    state: State, claims: PreferencesWriter, body: PreferencesIn
) -> Preferences:
    """Replaces them whole; every watched asset must exist on the served chain, and an account
    cannot name itself among its statement viewers (it reads its own statements anyway)."""
    if claims.address in body.statement_viewers:
        raise Problem(422, "statement_viewers: an account always reads its own statements; list"
                      " only other addresses", "invalid-request")  # fmt: skip
    missing = await missing_assets(state.db, chain_id=state.chain_id, asset_ids=body.watchlist)
    if missing:
        names = ", ".join(str(asset) for asset in missing)
        raise Problem(422, f"watchlist: no asset {names} on chain {state.chain_id}",
                      "invalid-request")  # fmt: skip
    return await save_preferences(state.primary, address=claims.address, preferences=body)


@router.get(
    "/statement-grants",
    summary="The accounts whose yearly statements the signed-in account may read",
)
async def statement_grants(state: State, claims: SignedIn) -> list[StatementGrant]:
    """Each account that names the signed-in address among its `statement_viewers`, by address
    (at most 1,000)."""
    return await statement_grants_to(state.primary, reader=claims.address)
