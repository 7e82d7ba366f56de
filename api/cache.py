"""A Redis cache of hot reads, keyed by the indexed block: a new commit is a new key space.

Entries are finished response bodies; they expire after `cache_seconds`, and an entry is never
served for a block other than the one it was computed at (its number and its hash: a reorg back
to the same height is a new block), so invalidation is by construction.
A Redis that is down makes every read a miss, never an error.

In front of Redis, each process keeps the bodies of the current block in memory (a bounded
number, the least recently used dropped first; all of them when the block changes), and
concurrent misses of one key wait for a single computation. A hit then costs no round trip: under
load, the Redis `GET` was most of a cached read's time.

A miss still asks Redis (another process may have computed the body) and stores what it computed.
Those round trips are batched: the reads and writes of one turn of the event loop go out as one
pipeline (an `MGET` and the `SET`s), sent by one task, and a request does not wait for its body to
be stored. At 64 concurrent misses the separate `GET` and `SET` of each request were about a fifth
of the API process's time, most of it in the two socket writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from api import metrics

log = logging.getLogger(__name__)


class ReadCache:
    """Caches response bodies per indexed block.

    Args:
        redis: The Redis client, or None for no cache.
        prefix: Of every key (namespace and chain).
        seconds: Time to live of an entry.
        local_entries: Most bodies kept in this process's memory (0 for none).
        local_bytes: Largest body kept in memory; larger ones are left to Redis.
    """

    def __init__(self, redis: aioredis.Redis | None, prefix: str, *, seconds: int,
                 local_entries: int = 2048, local_bytes: int = 256 * 1024) -> None:  # fmt: skip
        self.redis = redis
        self.prefix = f"{prefix}:cache:"
        self.seconds = seconds
        self.local_entries = local_entries
        self.local_bytes = local_bytes
        self._block = ""
        self._local: OrderedDict[str, tuple[bytes, Any]] = OrderedDict()
        self._pending: dict[str, asyncio.Future[bytes]] = {}
        self._reads: dict[str, asyncio.Future[bytes | None]] = {}
        self._writes: dict[str, bytes] = {}
        self._sender: asyncio.Task[None] | None = None

    def holds(self, key: str) -> bool:
        """Whether this process keeps a body for `key` (at the last block it cached)."""
        return key in self._local

    def peek(self, block: str, key: str) -> tuple[bytes, Any] | None:
        """The body for `key` at `block` (the indexed block's `number:hash`) and its tag, when
        this process holds it in memory."""
        if block != self._block:
            return None
        entry = self._local.get(key)
        if entry is not None:
            self._local.move_to_end(key)
            metrics.CACHE.labels("hit").inc()
        return entry

    async def get_or_make(self, block: str, key: str, make: Callable[[], Awaitable[bytes]], *,
                          tag: Any = None) -> bytes:  # fmt: skip
        """The cached body for `key` at `block`, or `make()`'s, stored for the next reader.

        `block` is the indexed block's `number:hash`, empty before the first commit (nothing is
        cached then). `tag` is kept with the body in memory and returned by `peek` (the route that
        made it).
        """
        if self.redis is None or not block:
            return await make()
        if block != self._block:
            self._block = block
            self._local.clear()
        entry = self.peek(block, key)
        if entry is not None:
            return entry[0]
        name = f"{self.prefix}{block}:{key}"
        pending = self._pending.get(name)
        if pending is not None:
            await asyncio.wait([pending])
            if not pending.cancelled():
                return pending.result()  # or its error: the same answer as the first reader's
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[name] = future
        try:
            body = await self._from_redis(name, make)
        except Exception as error:
            future.set_exception(error)
            future.exception()  # marks it retrieved: nobody else may be waiting
            raise
        except BaseException:
            future.cancel()  # this reader was cancelled: the waiting ones compute it themselves
            raise
        else:
            future.set_result(body)
        finally:
            if self._pending.get(name) is future:
                del self._pending[name]
        if block == self._block and len(body) <= self.local_bytes and self.local_entries > 0:
            self._local[key] = (body, tag)
            if len(self._local) > self.local_entries:
                self._local.popitem(last=False)
        return body

    async def flush(self) -> None:
        """Waits until the reads and writes asked for so far have been sent (and answered)."""
        while self._sender is not None:
            await asyncio.shield(self._sender)

    async def aclose(self) -> None:
        """Sends what is queued, before Redis closes."""
        with contextlib.suppress(asyncio.CancelledError):
            await self.flush()

    async def _from_redis(self, name: str, make: Callable[[], Awaitable[bytes]]) -> bytes:
        future: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        self._reads[name] = future
        self._send_soon()
        cached = await future
        if cached is not None:
            metrics.CACHE.labels("hit").inc()
            return cached
        metrics.CACHE.labels("miss").inc()
        body = await make()
        self._writes[name] = body
        self._send_soon()
        return body

    def _send_soon(self) -> None:
        if self._sender is None:
            self._sender = asyncio.create_task(self._send(), name="read-cache-redis")

    async def _send(self) -> None:
        """Sends the queued reads and writes, one pipeline per turn of the loop, until none is
        left; a Redis error costs a warning, and its reads are misses."""
        assert self.redis is not None
        reads: dict[str, asyncio.Future[bytes | None]] = {}
        try:
            await asyncio.sleep(0)  # the requests of this turn of the loop join the batch
            while self._reads or self._writes:
                reads, self._reads = self._reads, {}
                writes, self._writes = self._writes, {}
                found: list[Any] = [None] * len(reads)
                try:
                    async with self.redis.pipeline(transaction=False) as pipe:
                        for name, body in writes.items():
                            pipe.set(name, body, ex=self.seconds)
                        if reads:
                            pipe.mget(list(reads))
                        answers = await pipe.execute()
                    if reads:
                        found = answers[-1]
                except RedisError as error:
                    log.warning("cache round trip failed", extra={"error": str(error)})
                for future, value in zip(reads.values(), found, strict=True):
                    if not future.done():
                        future.set_result(value if value is None or isinstance(value, bytes)
                                          else str(value).encode())  # fmt: skip
                reads = {}
        finally:
            self._sender = None
            for future in [*reads.values(), *self._reads.values()]:
                if not future.done():
                    future.set_result(None)  # cancelled while sending: a miss
            self._reads = {}
