"""Models of the chain status."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

from api.types import Hash


@dataclass(frozen=True)
class Head:
    """The index's checkpoint and the node's head when it was written."""

    block_number: int
    block_hash: str
    chain_head: int


class LastReorg(BaseModel):
    """The most recent reorg the indexer undid."""

    detected_at: str = Field(description="When it was detected (ISO 8601, UTC).")
    ancestor_block: int
    depth: int
    removed_events: int


class ChainStatus(BaseModel):
    """How far the index has come."""

    chain_id: int
    chain_head: int = Field(description="The node's head when the index was last written.")
    indexed_block: int = Field(description="The last block committed to the index (-1: none).")
    indexed_hash: Hash | None
    lag_blocks: int
    last_reorg: LastReorg | None
    reorg_count: int
