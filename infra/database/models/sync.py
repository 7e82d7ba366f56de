"""The indexer's own bookkeeping: checkpoint, blocks, raw logs, followed contracts, reorgs, journal.

`raw_logs` and `contracts` are what every other table is rebuilt from (`reindex` keeps them).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index
from sqlalchemy import text as sql
from sqlmodel import SQLModel

from infra.database.models.columns import (
    bigint,
    boolean,
    char1,
    integer,
    jsonb,
    serial_id,
    string,
    text_array,
    timestamptz,
    u256,
)


class Checkpoint(SQLModel, table=True):
    __tablename__ = "checkpoints"

    chain_id: int = bigint(key=True)
    block_number: int = bigint()
    block_hash: str = string()
    updated_at: datetime = timestamptz(default="now()")
    chain_head: int | None = bigint(null=True)


class Block(SQLModel, table=True):
    __tablename__ = "blocks"
    # The newest block before a moment (an account statement's year): 0009.
    __table_args__ = (Index("blocks_by_time", "chain_id", "timestamp", "number"),)

    chain_id: int = bigint(key=True)
    number: int = bigint(key=True)
    hash: str = string()
    parent_hash: str = string()
    timestamp: int = bigint()
    event_count: int = integer(default="0")
    reversible: bool = boolean()


class RawLog(SQLModel, table=True):
    __tablename__ = "raw_logs"
    __table_args__ = (
        Index("raw_logs_by_address", "chain_id", "address", "block_number", "log_index"),
        Index("raw_logs_by_event", "chain_id", "event", "block_number", "log_index"),
        Index(
            "raw_logs_by_asset_arg",
            "chain_id",
            sql("(args ->> 'assetId')"),
            "block_number",
            "log_index",
            postgresql_where=sql("args ? 'assetId'"),
        ),
        # The read models' lookups (0007): an account's transfers, a seller's listing events, a
        # transaction's logs, one contract's events of one name.
        *(
            Index(
                f"raw_logs_transfers_{side}",
                "chain_id",
                sql(f"(args ->> '{side}')"),
                "block_number",
                "log_index",
                postgresql_where=sql("event = 'Transfer'"),
            )
            for side in ("from", "to")
        ),
        Index(
            "raw_logs_by_seller",
            "chain_id",
            sql("(args ->> 'seller')"),
            "block_number",
            "log_index",
            postgresql_where=sql("event IN ('Listed', 'ListingCancelled')"),
        ),
        Index("raw_logs_by_tx", "chain_id", "tx_hash"),
        Index(
            "raw_logs_by_address_event", "chain_id", "address", "event", "block_number", "log_index"
        ),
    )

    chain_id: int = bigint(key=True)
    block_number: int = bigint(key=True)
    log_index: int = integer(key=True)
    block_hash: str = string()
    tx_hash: str = string()
    tx_index: int = integer()
    address: str = string()
    event: str = string()
    topics: list[str] = text_array()
    data: str = string()
    args: dict = jsonb()
    block_timestamp: int = bigint()


class FollowedContract(SQLModel, table=True):
    __tablename__ = "contracts"

    chain_id: int = bigint(key=True)
    address: str = string(key=True)
    kind: str = string()
    asset_id: Decimal | None = u256(null=True)
    block_number: int = bigint()


class Reorg(SQLModel, table=True):
    __tablename__ = "reorgs"

    id: int = serial_id()
    chain_id: int = bigint()
    detected_at: datetime = timestamptz(default="now()")
    ancestor_block: int = bigint()
    old_head_block: int = bigint()
    old_head_hash: str = string()
    depth: int = integer()
    removed_events: int = integer()


class UndoLog(SQLModel, table=True):
    __tablename__ = "undo_log"
    __table_args__ = (Index("undo_log_by_block", "block_number"),)

    id: int = serial_id()
    block_number: int = bigint()
    table_name: str = string()
    op: str = char1()
    old_row: dict | None = jsonb(null=True)
    new_row: dict | None = jsonb(null=True)
