"""The operator's dashboard and the meter readings waiting to be relayed.

Signed-in only. Who is an operator comes from the index, never from a list in the API: the
operator of an asset (`assets.operator`, following governance changes), or an account holding the
registry's OPERATOR_ROLE (it may register assets, and sees an empty dashboard until it does).
Anyone else gets 403.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import PageParams, SignedIn, State
from api.models.operator import MeterReading, OperatorDashboard, OperatorStatus
from api.pagination import InvalidCursor, Page, decode_cursor, page_of
from api.problems import MEDIA_TYPE, Problem, ProblemDetail
from api.queries.operator import operated_assets, operator_status, pending_readings
from api.state import AppState
from api.types import parse_uint256

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ProblemDetail, "content": {MEDIA_TYPE: {}}, "description": "Not signed in"},
    403: {
        "model": ProblemDetail,
        "content": {MEDIA_TYPE: {}},
        "description": "Not an operator (of this asset)",
    },
}
router = APIRouter(prefix="/operator", tags=["operator"], responses=ERRORS)
CURSOR = "operator-readings"


async def _operator(state: AppState, address: str) -> OperatorStatus:
    status = await operator_status(state.db, chain_id=state.chain_id, address=address)
    if not (status.operates_assets or status.has_operator_role):
        raise Problem(403, "this account operates no asset and holds no operator role",
                      "forbidden")  # fmt: skip
    return status


@router.get("/assets", summary="Your assets: funding, revenue, production, pending readings")
async def assets(claims: SignedIn, state: State) -> OperatorDashboard:
    status = await _operator(state, claims.address)
    found = await operated_assets(state.db, chain_id=state.chain_id, operator=claims.address)
    return OperatorDashboard(operator=claims.address, has_operator_role=status.has_operator_role,
                             assets=found)  # fmt: skip


@router.get("/readings", summary="Signed meter readings of your assets not yet on chain")
async def readings(
    claims: SignedIn,
    state: State,
    paging: PageParams,
    asset_id: Annotated[str | None, Query(description="Only this asset's.")] = None,
) -> Page[MeterReading]:
    """Relay one with `POST /tx/readings/submit` ({from, meter, period_start})."""
    await _operator(state, claims.address)
    only: int | None = None
    if asset_id is not None:
        try:
            only = parse_uint256(asset_id)
        except ValueError as error:
            raise Problem(422, f"asset_id: {error}", "invalid-request") from error
        operated = await operated_assets(state.db, chain_id=state.chain_id,
                                         operator=claims.address)  # fmt: skip
        if all(a.asset_id != only for a in operated):
            raise Problem(403, f"you do not operate asset #{only}", "forbidden")
    after: tuple[int, str, int] | None = None
    if paging.cursor is not None:
        try:
            key = decode_cursor(CURSOR, paging.cursor, 3)
            after = (int(key[0]), str(key[1]), int(key[2]))
        except (InvalidCursor, ValueError) as error:
            raise Problem(400, str(error), "invalid-cursor") from error
    rows = await pending_readings(state.primary, chain_id=state.chain_id, operator=claims.address,
                                  asset_id=only, after=after, limit=paging.limit)  # fmt: skip
    return page_of(CURSOR, rows, paging.limit,
                   lambda r: (r.asset_id, r.meter, r.period_start))  # fmt: skip
