"""Chain status: head, indexed block, lag, reorgs."""

from __future__ import annotations

from api.chain import Head
from api.db import Database
from api.models.status import ChainStatus, LastReorg


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
