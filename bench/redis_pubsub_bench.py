"""Redis pub/sub as the feed uses it: one channel, every API process subscribed, one message per
indexer commit.

Usage (from any directory):

    .venv/bin/python bench/redis_pubsub_bench.py                          # 4 subscribers, 4 KB
    .venv/bin/python bench/redis_pubsub_bench.py --subscribers 16 --size 40000 --messages 500

`--subscribers` connections (one per API process it stands for) subscribe to a channel of this run
(`bench:<random>:events`), then one publisher sends `--messages` messages of `--size` bytes (a
commit of about `size / 400` events, as `indexer.publish` encodes them) as fast as Redis takes
them, one `PUBLISH` at a time, as the indexer does. Each subscriber counts what it receives. All of
it runs in this one asyncio process, which receives everything: the delivered rate is what one
process can take off Redis, a bound on an API process's hub as much as on Redis; `redis-benchmark`
measures Redis alone. The last line is always
`redis_pubsub subscribers=<n> size=<bytes> published_per_s=<x> delivered_per_s=<y> delivered_mb_per_s=<z>`.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import click
import redis.asyncio as aioredis

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _subscriber(url: str, channel: str, expected: int, ready: asyncio.Event,
                      done: list[float]) -> int:  # fmt: skip
    client = aioredis.Redis.from_url(url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(channel)
    ready.set()
    received = 0
    quiet_since = time.monotonic()
    try:
        while received < expected and time.monotonic() - quiet_since < 10:
            # None also for the subscription's confirmation, which is ignored.
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
            if message is not None:
                received += 1
                quiet_since = time.monotonic()
        done.append(time.perf_counter())
        return received
    finally:
        await pubsub.aclose()
        await client.aclose()


async def _run(url: str, subscribers: int, messages: int, size: int) -> tuple[float, float, int]:
    channel = f"bench:{uuid.uuid4().hex[:8]}:events"
    readies = [asyncio.Event() for _ in range(subscribers)]
    done: list[float] = []
    tasks = [asyncio.create_task(_subscriber(url, channel, messages, ready, done))
             for ready in readies]  # fmt: skip
    for ready in readies:
        await ready.wait()
    publisher = aioredis.Redis.from_url(url)
    body = b'{"events":[' + b"x" * max(0, size - 13) + b"]}"
    started = time.perf_counter()
    try:
        for _ in range(messages):
            await publisher.publish(channel, body)
        published = time.perf_counter() - started
    finally:
        await publisher.aclose()
    received = sum(await asyncio.gather(*tasks))
    return published, max(done) - started, received


@click.command()
@click.option("--redis-url", default=REDIS_URL, show_default=True, help="Redis server.")
@click.option("--subscribers", default=4, show_default=True, type=click.IntRange(min=1),
              help="Subscribed connections (API processes).")  # fmt: skip
@click.option("--messages", default=2_000, show_default=True, type=click.IntRange(min=1),
              help="Messages published (commits).")  # fmt: skip
@click.option("--size", default=4_000, show_default=True, type=click.IntRange(min=16),
              help="Bytes per message.")  # fmt: skip
def main(redis_url: str, subscribers: int, messages: int, size: int) -> None:
    """Publishes to subscribed connections and reports the rates (see the module)."""
    load = os.getloadavg()
    published, delivered, received = asyncio.run(_run(redis_url, subscribers, messages, size))
    missing = subscribers * messages - received
    click.echo(f"{messages:,} messages of {size:,} bytes to {subscribers} subscribers; "
               f"{missing} missing; load average {load[0]:.2f} on {os.cpu_count()} cores")  # fmt: skip
    click.echo(f"published in {published:.2f} s, all delivered in {delivered:.2f} s")
    click.echo(f"redis_pubsub subscribers={subscribers} size={size}"
               f" published_per_s={messages / published:.0f}"
               f" delivered_per_s={received / delivered:.0f}"
               f" delivered_mb_per_s={received * size / delivered / 1e6:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
