"""The signed-in account and its private preferences (only ever its own)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from api.deps import SignedIn, State
from api.models.auth import Me, Preferences, PreferencesIn, StatementGrant
from api.problems import Problem
from api.queries.preferences import (
    missing_assets,
    preferences_of,
    save_preferences,
    statement_grants_to,
)
from api.routes.auth import UNAUTHORIZED

router = APIRouter(prefix="/me", tags=["me"], responses=UNAUTHORIZED)


@router.get("", summary="The signed-in address, its chain and when the token expires")
async def me(claims: SignedIn) -> Me:
    return Me(address=claims.address, chain_id=claims.chain_id,
              expires_at=datetime.fromtimestamp(claims.expires_at, UTC))  # fmt: skip


@router.get("/preferences", summary="The signed-in account's preferences")
async def get_preferences(state: State, claims: SignedIn) -> Preferences:
    return await preferences_of(state.primary, address=claims.address)


@router.put("/preferences", summary="Replace the signed-in account's preferences")
async def put_preferences(state: State, claims: SignedIn, body: PreferencesIn) -> Preferences:
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
