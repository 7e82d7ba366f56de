"""What the WebSocket feeds read from the index: the followed contracts (to route events to
topics) and, inside one REPEATABLE READ snapshot, the checkpoint, block hashes and the events after
a position (a resuming client's replay, a hub catching up on commits it missed).

Events come out as `raw_logs` rows, the same columns the indexer publishes on Redis
(`indexer.commit_message.PublishedEvent`); `api.models.events.event_json` turns either into the
one event shape of REST, GraphQL and the feeds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from psycopg import AsyncConnection

from api.db import Database

MAX_LOG_INDEX = 2**31 - 1  # `log_index` is an integer column: past every log of a block
BATCH = 5_000  # rows per read while replaying
EVENT_COLUMNS = (
    "block_number, block_hash, log_index, tx_hash, tx_index, block_timestamp, address, event,"
    " args::text AS args"
)

# Followed contracts: lowercase address -> (kind, asset id or None).
Contracts = dict[str, tuple[str, int | None]]


@dataclass(frozen=True)
class Point:
    """A block of the indexed chain."""

    block_number: int
    block_hash: str

    def as_json(self) -> dict[str, Any]:
        return {"block_number": self.block_number, "block_hash": self.block_hash}


class TooFarBehind(Exception):
    """More events to replay than the limit allows."""


async def contracts(db: Database, *, chain_id: int) -> Contracts:
    """Every followed contract of the chain, with its kind and asset."""
    rows = await db.fetch(
        "SELECT address, kind, asset_id FROM contracts WHERE chain_id = %s", (chain_id,)
    )
    return {r["address"]: (r["kind"], r["asset_id"]) for r in rows}


class Snapshot:
    """Reads of the index inside one REPEATABLE READ, read-only transaction.

    Args:
        connection: A pooled connection, inside the snapshot's transaction.
        chain_id: The chain served.
    """

    def __init__(self, connection: AsyncConnection[Any], chain_id: int) -> None:
        self.connection = connection
        self.chain_id = chain_id

    async def _rows(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        async with self.connection.cursor() as cursor:
            await cursor.execute(sql, params)
            return list(await cursor.fetchall())

    async def checkpoint(self) -> Point | None:
        """The last indexed block, or None before the first commit."""
        rows = await self._rows(
            "SELECT block_number, block_hash FROM checkpoints WHERE chain_id = %s",
            (self.chain_id,),
        )
        return None if not rows else Point(int(rows[0]["block_number"]), rows[0]["block_hash"])

    async def block_hash(self, number: int) -> str | None:
        """The hash of an indexed block, if the index kept it (reversible blocks, at least)."""
        rows = await self._rows(
            "SELECT hash FROM blocks WHERE chain_id = %s AND number = %s", (self.chain_id, number)
        )
        return None if not rows else str(rows[0]["hash"])

    async def on_chain(self, number: int, block_hash: str, checkpoint: Point | None) -> bool:
        """Whether a block (number and hash) is part of the indexed chain.

        A block the index kept no record of and in which it holds no log is final and eventless:
        its hash cannot be checked, and nothing the client could have got depends on it.
        """
        if checkpoint is None or number > checkpoint.block_number:
            return False
        if number == checkpoint.block_number:
            return block_hash == checkpoint.block_hash
        kept = await self.block_hash(number)
        if kept is not None:
            return kept == block_hash
        rows = await self._rows(
            "SELECT block_hash FROM raw_logs WHERE chain_id = %s AND block_number = %s LIMIT 1",
            (self.chain_id, number),
        )
        return not rows or rows[0]["block_hash"] == block_hash

    async def events(self, after: tuple[int, int], upto: int, *,
                     keep: Callable[[dict[str, Any]], str | None],
                     limit: int) -> list[tuple[str, dict[str, Any]]]:  # fmt: skip
        """The events after a position, up to block `upto`, that `keep` gives a topic to.

        Args:
            after: (block number, log index) already had; `MAX_LOG_INDEX` for a whole block.
            upto: The last block to read (the snapshot's checkpoint).
            keep: The topic an event is delivered under, or None to skip it.
            limit: Most events returned.

        Returns:
            (topic, `raw_logs` row) pairs in chain order.

        Raises:
            TooFarBehind: More than `limit` events would be returned, or more than a hundred
                times as many read.
        """
        found: list[tuple[str, dict[str, Any]]] = []
        cursor = after
        scanned = 0
        while True:
            rows = await self._rows(
                f"SELECT {EVENT_COLUMNS} FROM raw_logs"
                " WHERE chain_id = %s AND (block_number, log_index) > (%s, %s)"
                " AND block_number <= %s ORDER BY block_number, log_index LIMIT %s",
                (self.chain_id, cursor[0], cursor[1], upto, BATCH),
            )
            for row in rows:
                row["args"] = orjson.loads(row["args"])
                topic = keep(row)
                if topic is not None:
                    found.append((topic, row))
            scanned += len(rows)
            if len(found) > limit or scanned > 100 * limit:
                raise TooFarBehind(f"{len(found)} events found in {scanned} read")
            if len(rows) < BATCH:
                return found
            cursor = (int(rows[-1]["block_number"]), int(rows[-1]["log_index"]))


@asynccontextmanager
async def snapshot(db: Database, chain_id: int) -> AsyncIterator[Snapshot]:
    """One consistent, read-only view of the index (a pooled connection held meanwhile)."""
    async with db.pool.connection() as connection:
        await connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield Snapshot(connection, chain_id)
        finally:
            await connection.execute("ROLLBACK")
