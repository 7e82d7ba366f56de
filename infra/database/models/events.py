"""The columns every append-only table starts with: one row per log, keyed by its position."""

from __future__ import annotations

from sqlmodel import SQLModel

from infra.database.models.columns import bigint, integer, string


class EventRow(SQLModel):
    """Append-only: a reorg deletes the rows above the common ancestor."""

    chain_id: int = bigint(key=True)
    block_number: int = bigint(key=True)
    log_index: int = integer(key=True)
    tx_hash: str = string()
    block_timestamp: int = bigint()
