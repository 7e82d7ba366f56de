"""The read cache on a real Redis: keyed by the indexed block's number and hash, shared between
processes, one computation for concurrent misses, and a Redis that is down costs a miss only."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis

from api.cache import ReadCache

AT_5 = "5:0x" + "aa" * 32
REORGED_5 = "5:0x" + "bb" * 32


def maker(body: bytes, calls: list[bytes], delay: float = 0.0) -> Callable[[], Awaitable[bytes]]:
    """A computation of `body` that notes each call in `calls`."""

    async def make() -> bytes:
        calls.append(body)
        await asyncio.sleep(delay)
        return body

    return make


def test_a_body_is_served_at_its_block_only_and_a_reorg_to_the_same_height_is_a_miss(
    redis_url: str,
) -> None:
    async def scenario() -> None:
        prefix = f"cache-test-{uuid.uuid4().hex[:8]}"
        client = aioredis.Redis.from_url(redis_url)
        first, other_process = (ReadCache(client, prefix, seconds=30) for _ in range(2))
        calls: list[bytes] = []
        assert await first.get_or_make(AT_5, "/assets", maker(b"before", calls)) == b"before"
        assert await first.get_or_make(AT_5, "/assets", maker(b"again", calls)) == b"before"
        assert first.peek(AT_5, "/assets") is not None
        await first.flush()  # stored in Redis
        assert await other_process.get_or_make(AT_5, "/assets", maker(b"x", calls)) == b"before"
        assert first.peek(REORGED_5, "/assets") is None
        assert await first.get_or_make(REORGED_5, "/assets", maker(b"after", calls)) == b"after"
        assert await first.get_or_make("", "/assets", maker(b"no commit", calls)) == b"no commit"
        assert calls == [b"before", b"after", b"no commit"]
        await client.aclose()

    asyncio.run(scenario())


def test_concurrent_misses_of_one_key_compute_it_once(redis_url: str) -> None:
    async def scenario() -> None:
        client = aioredis.Redis.from_url(redis_url)
        cache = ReadCache(client, f"cache-test-{uuid.uuid4().hex[:8]}", seconds=30)
        calls: list[bytes] = []
        bodies = await asyncio.gather(
            *(cache.get_or_make(AT_5, "/assets/1", maker(b"one", calls, 0.05)) for _ in range(20))
        )
        assert bodies == [b"one"] * 20
        assert calls == [b"one"]
        await client.aclose()

    asyncio.run(scenario())


def test_the_misses_of_many_requests_are_stored_together_and_read_by_another_process(
    redis_url: str,
) -> None:
    async def scenario() -> None:
        client = aioredis.Redis.from_url(redis_url)
        prefix = f"cache-test-{uuid.uuid4().hex[:8]}"
        cache, other_process = (ReadCache(client, prefix, seconds=30) for _ in range(2))
        calls: list[bytes] = []
        keys = [f"/accounts/{n}" for n in range(50)]
        bodies = await asyncio.gather(
            *(cache.get_or_make(AT_5, key, maker(key.encode(), calls)) for key in keys)
        )
        assert bodies == [key.encode() for key in keys]
        await cache.flush()
        stored = await client.mget([f"{prefix}:cache:{AT_5}:{key}" for key in keys])
        assert stored == bodies
        assert 0 < await client.ttl(f"{prefix}:cache:{AT_5}:{keys[0]}") <= 30
        again = await asyncio.gather(
            *(other_process.get_or_make(AT_5, key, maker(b"x", calls)) for key in keys)
        )
        assert again == bodies
        assert len(calls) == 50  # the other process computed nothing
        await client.aclose()

    asyncio.run(scenario())


def test_a_redis_that_is_down_makes_every_read_a_miss_not_an_error() -> None:
    async def scenario() -> None:
        client = aioredis.Redis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.2)
        cache = ReadCache(client, "cache-test-down", seconds=30, local_entries=0)
        calls: list[bytes] = []
        assert await cache.get_or_make(AT_5, "/assets", maker(b"fresh", calls)) == b"fresh"
        assert await cache.get_or_make(AT_5, "/assets", maker(b"fresh", calls)) == b"fresh"
        assert calls == [b"fresh", b"fresh"]
        await client.aclose()

    asyncio.run(scenario())
