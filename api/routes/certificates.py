"""Energy certificates: an account's, an asset's issuance and retirements, and the public proof of a
retirement. Public on-chain data: no sign-in needed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from api.deps import PageParams, State
from api.exceptions import NotFound
from api.models.certificates import AccountCertificates, Issuance, Retirement
from api.pagination import Page
from api.queries import certificates as queries
from api.responses import cached
from api.routes.assets import AssetId, known
from api.routes.events import MAX_UINT256, cursor_problems
from api.types import AddressIn

router = APIRouter(tags=["certificates"])

AccountAddress = Annotated[
    AddressIn, Path(description="The account: all one case, or with a valid EIP-55 checksum.")
]
RetirementId = Annotated[
    int, Path(ge=1, le=MAX_UINT256, description="The retirement's id (from 1).", examples=[1])
]


@router.get(
    "/accounts/{address}/certificates",
    response_model=AccountCertificates,
    summary="An account's energy certificates: held per vintage, claimable per report, retired",
)
async def account_certificates(state: State, request: Request, address: AccountAddress) -> Response:
    """Empty (not 404) for an unknown address."""

    async def make() -> AccountCertificates:
        return await queries.account_certificates(
            state.db, chain_id=state.chain_id, account=address
        )

    return await cached(state, request, make)


@router.get(
    "/assets/{asset_id}/certificates/issuances",
    summary="The asset's certified production reports",
    description="Each accepted report's certificates (its vintage, energy and the share supply"
    " they are split over) and how much of it was claimed, newest first.",
)
async def list_issuances(state: State, paging: PageParams, asset_id: AssetId) -> Page[Issuance]:
    with cursor_problems():
        page = await queries.issuances(state.db, chain_id=state.chain_id, asset_id=asset_id,
                                       cursor=paging.cursor, limit=paging.limit)  # fmt: skip
    return await known(state, asset_id, page)


@router.get(
    "/assets/{asset_id}/certificates/retirements",
    summary="The asset's retired certificates",
    description="Each retirement of the asset's certificates, newest first.",
)
async def list_retirements(state: State, paging: PageParams, asset_id: AssetId) -> Page[Retirement]:
    with cursor_problems():
        page = await queries.asset_retirements(state.db, chain_id=state.chain_id,
                                               asset_id=asset_id, cursor=paging.cursor,
                                               limit=paging.limit)  # fmt: skip
    return await known(state, asset_id, page)


@router.get(
    "/certificates/retirements/{retirement_id}",
    summary="The public proof of a retirement",
    description="Who retired how much energy of which asset and vintage, for which beneficiary,"
    " purpose and place of consumption, in which transaction.",
)
async def retirement_proof(state: State, retirement_id: RetirementId) -> Retirement:
    proof = await queries.retirement(state.db, chain_id=state.chain_id, retirement_id=retirement_id)
    if proof is None:
        raise NotFound(f"no retirement {retirement_id} is indexed")
    return proof
