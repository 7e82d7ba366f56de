"""Rate limits in Redis: requests per minute per client IP, and per signed-in address; a
registered app sending its own token (OAuth client credentials) is counted against its own,
higher limit instead of its IP's.

A fixed one-minute window per key (`INCRBY` + `EXPIRE` in one round trip). Over the limit, the
answer is 429 with `Retry-After`. Shared by every API process through Redis; with no Redis, no limit.

Requests are counted in the process first: each is judged on the shared count as Redis last
answered plus this process's requests not yet reflected in it, and the process sends its new
requests to Redis in the background, one round trip per key at a time, those arriving meanwhile
together in the next one. A process alone (or one client at a time) is counted exactly; with
several, each sees the others' requests one round trip late. No request waits for Redis: a round
trip per request was most of a cached read's time at 64 connections, and its tail the p99.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from api import metrics
from api.auth import tokens
from api.db import Database
from api.oauth import store as oauth_store
from api.settings import ApiSettings

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Count:
    """One key's count in the current minute, as this process knows it."""

    shared: int = 0  # in Redis, as the last round trip answered
    sending: int = 0  # this process's requests in the round trip under way
    waiting: int = 0  # this process's requests not sent yet
    busy: bool = False  # a task is sending them


class RateLimiter:
    """Counts requests per key and minute.

    Args:
        redis: The shared Redis, or None to allow everything.
        prefix: Of every key (namespace and chain).
    """

    def __init__(self, redis: aioredis.Redis | None, prefix: str) -> None:
        self.redis = redis
        self.prefix = f"{prefix}:rate:"
        self._window = -1
        self._counts: dict[str, _Count] = {}
        self._sending: set[asyncio.Task[None]] = set()

    async def over(self, scope: str, key: str, limit: int) -> int | None:
        """Counts one request; the seconds to wait when it is over `limit`, else None."""
        if self.redis is None:
            return None
        now = int(time.time())
        window = now // 60
        if window != self._window:
            self._window, self._counts = window, {}
        name = f"{self.prefix}{scope}:{key}:{window}"
        count = self._counts.get(name)
        if count is None:
            count = self._counts[name] = _Count()
        count.waiting += 1
        seen = count.shared + count.sending + count.waiting
        if not count.busy:
            count.busy = True
            task = asyncio.create_task(self._send(name, count))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        if seen <= limit:
            return None
        metrics.RATE_LIMITED.labels(scope).inc()
        return 60 - now % 60

    async def aclose(self) -> None:
        """Stops sending (before Redis closes): the requests not sent yet are not counted."""
        for task in list(self._sending):
            task.cancel()
        await asyncio.gather(*self._sending, return_exceptions=True)

    async def _send(self, name: str, count: _Count) -> None:
        """Adds this process's new requests to the shared count until none is left to send."""
        assert self.redis is not None
        try:
            while count.waiting:
                count.sending, count.waiting = count.waiting, 0
                async with self.redis.pipeline(transaction=False) as pipe:
                    pipe.incrby(name, count.sending)
                    pipe.expire(name, 61)
                    total, _ = await pipe.execute()
                count.shared, count.sending = int(total), 0
        except RedisError as error:
            log.warning("rate limit count failed", extra={"error": str(error)})
        finally:
            count.sending, count.busy = 0, False


def bearer_subject(settings: ApiSettings, key: bytes, authorization: str | None) -> str | None:
    """The address of a valid bearer token (its bucket); None for anonymous or invalid tokens."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    try:
        return tokens.decode(settings, key, authorization[7:]).address
    except tokens.InvalidToken:
        return None


class ActiveClientTokens:
    """Whether an app's client-credentials token is still unrevoked, asked of PostgreSQL at most
    every `seconds` per token: a revoked client's token loses its own limit within that time.

    Args:
        seconds: How long an answer is kept in the process.
    """

    def __init__(self, seconds: float = 10.0) -> None:
        self.seconds = seconds
        self._known: dict[str, tuple[bool, float]] = {}

    async def active(self, db: Database, token_id: str) -> bool:
        now = time.monotonic()
        known = self._known.get(token_id)
        if known is not None and now - known[1] < self.seconds:
            return known[0]
        if len(self._known) > 10_000:
            self._known.clear()
        answer = await oauth_store.token_active(db, token_id=token_id)
        self._known[token_id] = (answer, now)
        return answer


def bearer_client(settings: ApiSettings, key: bytes,
                  authorization: str | None) -> tokens.ClientClaims | None:  # fmt: skip
    """The app of a valid client-credentials bearer token (its own bucket and limit), else None."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    return tokens.decode_client(settings, key, authorization[7:])
