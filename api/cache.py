"""A Redis cache of hot reads, keyed by the indexed block: a new commit is a new key space.

Entries are finished response bodies; they expire after `cache_seconds`, and an entry is never
served for a block other than the one it was computed at, so invalidation is by construction.
A Redis that is down makes every read a miss, never an error.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

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
    """

    def __init__(self, redis: aioredis.Redis | None, prefix: str, *, seconds: int) -> None:
        self.redis = redis
        self.prefix = f"{prefix}:cache:"
        self.seconds = seconds

    async def get_or_make(
        self, block: int, key: str, make: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        """The cached body for `key` at `block`, or `make()`'s, stored for the next reader."""
        if self.redis is None or block < 0:
            return await make()
        name = f"{self.prefix}{block}:{key}"
        try:
            cached = await self.redis.get(name)
        except RedisError as error:
            log.warning("cache read failed", extra={"error": str(error)})
            cached = None
        if cached is not None:
            metrics.CACHE.labels("hit").inc()
            return cached if isinstance(cached, bytes) else cached.encode()
        metrics.CACHE.labels("miss").inc()
        body = await make()
        try:
            await self.redis.set(name, body, ex=self.seconds)
        except RedisError as error:
            log.warning("cache write failed", extra={"error": str(error)})
        return body
