"""Chain status: head, indexed block, lag, reorgs."""

from __future__ import annotations

from api.db import Database
from api.models.status import ChainStatus, Head, LastReorg


async def indexed_chains(db: Database) -> list[int]:
    """The chains the index holds a checkpoint of."""
    return [int(row["chain_id"]) for row in await db.fetch("SELECT chain_id FROM checkpoints")]


async def checkpoint(db: Database, *, chain_id: int) -> Head | None:
    """The chain's checkpoint (one primary-key read), or None before the first commit."""
    row = await db.fetch_one(
        "SELECT block_number, block_hash, chain_head FROM checkpoints WHERE chain_id = %s",
        (chain_id,),
    )
    if row is None:
        return None
    return Head(row["block_number"], row["block_hash"], row["chain_head"] or row["block_number"])


async def chain_status(db: Database, *, chain_id: int, head: Head | None) -> ChainStatus:
    """Where the index stands against the node (as of its last commit)."""
    reorg = await db.fetch_one(
        "SELECT detected_at, ancestor_block, depth, removed_events,"
        " (SELECT count(*) FROM reorgs WHERE chain_id = %(chain)s) AS count"
        " FROM reorgs WHERE chain_id = %(chain)s ORDER BY id DESC LIMIT 1",
        {"chain": chain_id},
    )
    return ChainStatus(
        chain_id=chain_id,
        chain_head=head.chain_head if head else -1,
        indexed_block=head.block_number if head else -1,
        indexed_hash=head.block_hash if head else None,
        lag_blocks=max(0, head.chain_head - head.block_number) if head else 0,
        last_reorg=None
        if reorg is None
        else LastReorg(
            detected_at=reorg["detected_at"].isoformat(),
            ancestor_block=reorg["ancestor_block"],
            depth=reorg["depth"],
            removed_events=reorg["removed_events"],
        ),
        reorg_count=0 if reorg is None else int(reorg["count"]),
    )
