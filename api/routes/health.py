"""Liveness, readiness and the chain status."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import State
from api.models.status import ChainStatus
from api.problems import Problem
from api.queries.status import chain_status
from api.replica import replica_lag

router = APIRouter(tags=["status"])


@router.get("/healthz", summary="The process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database answers and the index is close to the chain head")
async def readyz(state: State) -> dict[str, object]:
    try:
        head = await state.head.refresh()
    except Exception as error:
        raise Problem(503, f"the database does not answer: {error}", "not-ready") from error
    if head is None:
        raise Problem(503, "the indexer has not committed a block yet", "not-ready")
    lag = head.chain_head - head.block_number
    most = state.settings.ready_max_lag_blocks
    if lag > most:
        raise Problem(503, f"the index is {lag} blocks behind the chain head", "not-ready")
    behind = await replica_lag(state.db, state.primary, chain_id=state.chain_id,
                               block_number=head.block_number)  # fmt: skip
    if behind is None:
        return {"status": "ready", "indexed_block": head.block_number, "lag_blocks": lag}
    if behind > most:
        raise Problem(503, f"the read replica is {behind} blocks behind the primary", "not-ready")
    return {"status": "ready", "indexed_block": head.block_number, "lag_blocks": lag,
            "replica_lag_blocks": behind}  # fmt: skip


@router.get("/status", summary="Chain head, indexed head, lag and the last reorg")
async def status(state: State) -> ChainStatus:
    return await chain_status(state.db, chain_id=state.chain_id, head=state.head.current)
