"""Rate limits in Redis: requests per minute per client IP, and per signed-in address.

A fixed one-minute window per key (`INCR` + `EXPIRE` in one round trip). Over the limit, the answer
is 429 with `Retry-After`. Shared by every API process through Redis; with no Redis, no limit.
"""

from __future__ import annotations

import logging
import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from api import metrics
from api.auth import tokens
from api.settings import ApiSettings

log = logging.getLogger(__name__)


class RateLimiter:
    """Counts requests per key and minute.

    Args:
        redis: The shared Redis, or None to allow everything.
        prefix: Of every key (namespace and chain).
    """

    def __init__(self, redis: aioredis.Redis | None, prefix: str) -> None:
        self.redis = redis
        self.prefix = f"{prefix}:rate:"

    async def over(self, scope: str, key: str, limit: int) -> int | None:
        """Counts one request; the seconds to wait when it is over `limit`, else None."""
        if self.redis is None:
            return None
        now = int(time.time())
        window = now // 60
        name = f"{self.prefix}{scope}:{key}:{window}"
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.incr(name)
                pipe.expire(name, 61)
                count, _ = await pipe.execute()
        except RedisError as error:
            log.warning("rate limit check failed", extra={"error": str(error)})
            return None
        if int(count) <= limit:
            return None
        metrics.RATE_LIMITED.labels(scope).inc()
        return 60 - now % 60


def bearer_subject(settings: ApiSettings, key: bytes, authorization: str | None) -> str | None:
    """The address of a valid bearer token (its bucket); None for anonymous or invalid tokens."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    try:
        return tokens.decode(settings, key, authorization[7:]).address
    except tokens.InvalidToken:
        return None
