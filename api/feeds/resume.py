"""What a resuming client missed, read from PostgreSQL, and what a reorg took back from it.

A client that reconnects names the position of the last message it got (block number, block hash,
log index). Inside one REPEATABLE READ snapshot of the index, `Snapshot` tells whether that block
is still on the indexed chain and reads the events after the position up to the snapshot's
checkpoint (`raw_logs` ordered by block number and log index). When the block is no longer on the
chain, the events the client saw above the common ancestor were deleted with the reorg;
`removed_since` reconstructs them from the `removed` commits the hub received over Redis, so the
client gets `removed` messages for them before the new branch. When the hub cannot know them (it
started after the reorg, the reorg was published as a range only), the client is told to resync.
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
EVENT_FIELDS = ("block_number", "block_hash", "log_index", "tx_hash", "address", "event", "args")


@dataclass(frozen=True)
class Point:
    """A block of the indexed chain."""

    block_number: int
    block_hash: str

    def as_json(self) -> dict[str, Any]:
        return {"block_number": self.block_number, "block_hash": self.block_hash}


@dataclass(frozen=True)
class Removal:
    """A `removed` commit as the hub received it: the ancestor the index went back to and the
    events it removed (ascending), or None when they were not published (over the limit)."""

    seq: int
    ancestor: int
    events: Sequence[dict[str, Any]] | None


class TooFarBehind(Exception):
    """More events to replay than the limit allows."""


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
            (topic, event) pairs in chain order.

        Raises:
            TooFarBehind: More than `limit` events would be returned, or more than a hundred
                times as many read.
        """
        found: list[tuple[str, dict[str, Any]]] = []
        cursor = after
        scanned = 0
        while True:
            rows = await self._rows(
                "SELECT block_number, block_hash, log_index, tx_hash, address, event,"
                " args::text AS args FROM raw_logs"
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


def removed_since(number: int, block_hash: str, log_index: int | None,
                  removals: Sequence[Removal]) -> tuple[list[dict[str, Any]], int] | None:  # fmt: skip
    """The events a client at a reorged position saw that the index removed since, and the block
    its view and the indexed chain share.

    The client's block is found among the events of a `removed` commit; the events of that commit
    up to the client's position were on its branch. A later, deeper reorg also removed the events
    between its ancestor and the common block found so far (the client had those too).

    Args:
        number: The client's block number.
        block_hash: The client's block hash (not on the indexed chain any more).
        log_index: The client's log index (None: the whole block).
        removals: The removed commits received, oldest first.

    Returns:
        (removed events newest first, common block number), or None when they cannot be known.
    """
    position = (number, MAX_LOG_INDEX if log_index is None else log_index)
    start = next(
        (k for k, r in enumerate(removals)
         if r.events is not None and any(e["block_hash"] == block_hash for e in r.events)),
        None,
    )  # fmt: skip
    if start is None:
        return None
    first = removals[start]
    assert first.events is not None
    removed = [e for e in first.events if (e["block_number"], e["log_index"]) <= position]
    common = first.ancestor
    for later in removals[start + 1 :]:
        if later.ancestor >= common:
            continue
        if later.events is None:
            return None
        removed += [e for e in later.events if e["block_number"] <= common]
        common = later.ancestor
    removed.sort(key=lambda e: (e["block_number"], e["log_index"]), reverse=True)
    return removed, common
