"""What the API knows of the index's progress, refreshed in the background.

`IndexedHead` polls the checkpoint (one indexed primary-key read) a few times a second for what
may lag (readiness, metrics). A cached read keys its answer on `fresh()` instead: the checkpoint
read by a query that started after the request arrived, shared by every request that arrived
meanwhile (one query in flight, one queued). So the first read after a commit never gets the
previous block's cached answer, and under load the cost is one primary-key read per round trip,
not per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from api.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Head:
    """The index's checkpoint and the node's head when it was written."""

    block_number: int
    block_hash: str
    chain_head: int


class IndexedHead:
    """The latest checkpoint of one chain.

    Args:
        db: The index.
        chain_id: The chain.
        interval: Seconds between reads.
    """

    def __init__(self, db: Database, chain_id: int, *, interval: float) -> None:
        self.db = db
        self.chain_id = chain_id
        self.interval = interval
        self.current: Head | None = None
        # The indexed block as `number:hash` (empty before the first commit): what cached reads
        # are keyed by, so that a reorg back to the same height is a new key space.
        self.version = ""
        self.changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._queued: asyncio.Future[str] | None = None  # the next read, not started yet
        self._reader: asyncio.Task[None] | None = None

    async def refresh(self) -> Head | None:
        """Reads the checkpoint now."""
        row = await self.db.fetch_one(
            "SELECT block_number, block_hash, chain_head FROM checkpoints WHERE chain_id = %s",
            (self.chain_id,),
        )
        head = None if row is None else Head(
            row["block_number"], row["block_hash"], row["chain_head"] or row["block_number"]
        )  # fmt: skip
        if head != self.current:
            self.current = head
            self.version = "" if head is None else f"{head.block_number}:{head.block_hash}"
            self.changed.set()
            self.changed = asyncio.Event()
        return head

    async def fresh(self) -> str:
        """The indexed block's version (`number:hash`) as read by a query started after this call.

        A database that does not answer leaves the last version known (the reads fail then
        anyway, or a commit cannot have happened).
        """
        if self._queued is None:
            self._queued = asyncio.get_running_loop().create_future()
            if self._reader is None:
                self._reader = asyncio.create_task(self._read_queued(), name="indexed-head-fresh")
        return await asyncio.shield(self._queued)

    async def _read_queued(self) -> None:
        try:
            while self._queued is not None:
                future, self._queued = self._queued, None
                try:
                    await self.refresh()
                except Exception as error:
                    log.warning("could not read the checkpoint", extra={"error": str(error)})
                if not future.done():
                    future.set_result(self.version)
        finally:
            self._reader = None
            if self._queued is not None and not self._queued.done():
                self._queued.set_result(self.version)
                self._queued = None

    async def start(self) -> None:
        await self.refresh()
        self._task = asyncio.create_task(self._poll(), name="indexed-head")

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.refresh()
            except Exception as error:  # the database may be restarting: keep the last head
                log.warning("could not read the checkpoint", extra={"error": str(error)})

    @property
    def block(self) -> int:
        """The indexed block number (-1 before the first commit)."""
        return -1 if self.current is None else self.current.block_number
