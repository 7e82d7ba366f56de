"""Governance: proposals of every asset's governor, their state and tallies, and votes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import PageParams, State
from api.models.governance import STATE_RULES, Proposal, ProposalState, Support, Vote
from api.pagination import Page
from api.problems import Problem
from api.queries import governance as queries
from api.queries.events import Order
from api.routes.events import cursor_problems, ordered
from api.types import MAX_UINT256, AddressIn, Uint256In

router = APIRouter(prefix="/governance", tags=["governance"])

AssetId = Annotated[int, Path(ge=0, le=MAX_UINT256, description="The asset's id.", examples=[1])]
ProposalId = Annotated[
    Uint256In, Path(description="The proposal's id (a uint256, decimal).", examples=["3232980"])
]


def not_found(asset_id: int, proposal_id: int) -> Problem:
    return Problem(404, f"asset {asset_id} has no proposal {proposal_id}", "not-found")


@router.get(
    "/proposals",
    summary="Proposals",
    description="Proposals of every asset's governor, newest first, with their state, tallies and"
    " quorum.\n\n" + STATE_RULES,
)
async def list_proposals(
    state: State,
    paging: PageParams,
    asset_id: Annotated[int | None, Query(ge=0, le=MAX_UINT256)] = None,
    proposal_state: Annotated[
        ProposalState | None, Query(alias="state", description="Only proposals in this state.")
    ] = None,
    proposer: Annotated[AddressIn | None, Query(description="Only this proposer's.")] = None,
) -> Page[Proposal]:
    with cursor_problems():
        return await queries.proposals(
            state.db, chain_id=state.chain_id, asset_id=asset_id, state=proposal_state,
            proposer=proposer, cursor=paging.cursor, limit=paging.limit,
        )  # fmt: skip


@router.get(
    "/proposals/{asset_id}/{proposal_id}",
    summary="One proposal",
    description="A proposal of the asset's governor with its state, tallies and quorum.\n\n"
    + STATE_RULES,
)
async def get_proposal(state: State, asset_id: AssetId, proposal_id: ProposalId) -> Proposal:
    found = await queries.proposal(
        state.db, chain_id=state.chain_id, asset_id=asset_id, proposal_id=proposal_id
    )
    if found is None:
        raise not_found(asset_id, proposal_id)
    return found


@router.get(
    "/proposals/{asset_id}/{proposal_id}/votes",
    summary="Votes on a proposal",
    description="Votes cast, by position (oldest first unless `order=desc`), of one side if"
    " `support` is given.",
)
async def list_votes(
    state: State,
    paging: PageParams,
    asset_id: AssetId,
    proposal_id: ProposalId,
    support: Support | None = None,
    order: Annotated[Order, Query(description=ordered("asc"))] = "asc",
) -> Page[Vote]:
    with cursor_problems():
        page = await queries.votes(
            state.db, chain_id=state.chain_id, asset_id=asset_id, proposal_id=proposal_id,
            support=support, order=order, cursor=paging.cursor, limit=paging.limit,
        )  # fmt: skip
    if not page.data and (
        await queries.proposal(
            state.db, chain_id=state.chain_id, asset_id=asset_id, proposal_id=proposal_id
        )
        is None
    ):
        raise not_found(asset_id, proposal_id)
    return page
