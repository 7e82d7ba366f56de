"""Reorg latency: a reorg of depth d reconciled in the index, and its `removed` messages delivered
to N WebSocket subscribers.

Usage (from any directory; the script changes to the repository root):

    .venv/bin/python bench/reorg_bench.py --depth 3                  # 1,000 subscribers, 5 reorgs
    .venv/bin/python bench/reorg_bench.py --depth 10 --subscribers 200 --rounds 3

The same processes as `bench/feed_bench.py` (ape's anvil, the indexer following new heads and
publishing on Redis, an API process, subscriber processes on `events`, `asset:<id>` and
`account:<sender>`). Each round takes an anvil snapshot, sends `depth` transfers (one block each)
and waits until every subscriber has them; then, at t0, reverts to the snapshot and mines one
empty block: the `depth` blocks are gone from the node. The indexer notices (a new head below
its checkpoint, or a different hash at its height), finds the common ancestor, rolls the tables
back in one transaction and publishes what it removed; each API process sends every subscriber a
`removed` message per transfer.

`reconcile_ms` is t0 to the rollback's commit (the `committed` hop of the `removed` message, the
median over the rounds); `removed_delivered_p99_ms` is t0 to each subscriber's reading each
`removed` transfer, p99 over every (round, transfer, subscriber). The last line is always
`reorg depth=<d> subscribers=<n> reconcile_ms=<x> removed_delivered_p99_ms=<y>`.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click
import orjson
from _services import redis_server, scratch_database
from feed_bench import (
    NETWORK,
    REDIS_URL,
    ROOT,
    SERVER_URL,
    Platform,
    Subscribers,
    _checkpoint,
    _percentile,
    _rpc,
    _wait,
    _without_step_tracing,
    deploy,
    send_transfers,
    stack,
    topic_sets,
    written_times,
)


def _watch_removals(redis_url: str, chain_id: int, namespace: str,
                    found: list[dict[str, Any]]) -> None:  # fmt: skip
    """Keeps the indexer's `removed` messages: when the rollback committed (their `committed` hop;
    for code whose messages carry no hops, when the message was seen on Redis)."""
    import redis

    from indexer.publish import channel

    pubsub = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channel(chain_id, namespace))
    for message in pubsub.listen():
        seen = time.time()
        commit = orjson.loads(message["data"])  # raw: the bench also measures older code
        if commit["status"] == "removed":
            hops = commit.get("hops") or {}
            committed = hops.get("committed") or seen
            found.append({"committed": committed, "head": hops.get("head"), "count": commit["count"],
                          "depth": commit["to_block"] - commit["head"]["block_number"]})  # fmt: skip


def _until_delivered(clients: Subscribers, wanted: set[str], status: str, count: int,
                     timeout: float) -> dict[str, list[float]]:  # fmt: skip
    """Collects arrivals until every subscriber has every wanted transfer (or the timeout)."""
    got: dict[str, list[float]] = {h: [] for h in wanted}
    deadline = time.monotonic() + timeout
    while True:
        part = clients.collect()["arrivals"][status]
        for tx_hash, times in part.items():
            if tx_hash in got:
                got[tx_hash] += times
        if all(len(t) >= count for t in got.values()) or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def measure(chain: Platform, database_url: str, redis_url: str, workdir: Path, *, depth: int,
            count: int, rounds: int, client_processes: int) -> str:  # fmt: skip
    removals: list[dict[str, Any]] = []
    reconcile: list[float] = []
    noticed: list[float] = []
    rounds_sent: list[tuple[float, set[str]]] = []
    delivered: list[float] = []
    missing = 0
    with stack(chain, database_url, redis_url, workdir, connections=count,
               api_processes=1) as running:  # fmt: skip
        clients = Subscribers(running.ws_urls, topic_sets(chain, count), client_processes)
        clients.wait_ready(1800)
        watcher = threading.Thread(target=_watch_removals, daemon=True,
                                   args=(redis_url, chain.chain_id, running.namespace, removals))  # fmt: skip
        watcher.start()
        send_transfers(chain, 3, 0.1)  # warm-up
        for k in range(rounds):
            snapshot = _rpc(chain.rpc_url, "evm_snapshot")
            sent = send_transfers(chain, depth, 0.02, offset=k)
            last = int(_rpc(chain.rpc_url, "eth_blockNumber"), 16)
            _wait("indexing", lambda n=last: _checkpoint(database_url) >= n, 120,
                  running.indexer, workdir / "indexer.log")  # fmt: skip
            _until_delivered(clients, set(sent), "added", count, 60)
            clients.collect()  # forget what came before the reorg
            before = len(removals)
            t0 = time.time()
            if not _rpc(chain.rpc_url, "evm_revert", snapshot):
                raise click.ClickException("anvil refused to revert to its snapshot")
            _rpc(chain.rpc_url, "evm_mine")
            got = _until_delivered(clients, set(sent), "removed", count, 60)
            deadline = time.monotonic() + 10
            while len(removals) == before and time.monotonic() < deadline:
                time.sleep(0.05)
            mine = removals[before:]
            if mine and mine[0]["committed"] is not None:
                reconcile.append((mine[0]["committed"] - t0) * 1000)
                if mine[0]["head"] is not None:  # the revert's new head reached the indexer
                    noticed.append((mine[0]["head"] - t0) * 1000)
            rounds_sent.append((t0, set(sent)))
            times = [t for found in got.values() for t in found]
            missing += depth * count - len(times)
            delivered += [(t - t0) * 1000 for t in times]
            click.echo(f"round {k + 1}: removed {[r['depth'] for r in mine]} blocks"
                       f" ({sum(r['count'] for r in mine)} events); reconciled"
                       f" {reconcile[-1] if reconcile else float('nan'):.1f} ms, last removed"
                       f" message read {max(times, default=t0) * 1000 - t0 * 1000:.1f} ms"
                       " after the revert")  # fmt: skip
        clients.stop()
        written = written_times(redis_url, chain.chain_id, running.namespace, "removed")
    last_written = [(max(times) - t0) * 1000 for t0, sent in rounds_sent
                    for tx, (_, times) in written.items() if tx in sent]  # fmt: skip
    if not delivered or not reconcile:
        raise click.ClickException("no reorg was reconciled and delivered")
    if missing:
        click.echo(f"{missing} removed messages never arrived")
    click.echo(f"removed delivered ms: p50 {_percentile(delivered, 0.5):.1f}"
               f"  p99 {_percentile(delivered, 0.99):.1f}  max {max(delivered):.1f};"
               f" reconciled ms: {', '.join(f'{r:.1f}' for r in reconcile)}")  # fmt: skip
    if last_written:
        click.echo("revert -> the last removed message written to its socket (the API's clock)"
                   f" ms: {', '.join(f'{r:.1f}' for r in last_written)}")  # fmt: skip
    if noticed:
        click.echo("of which the revert's new head reaching the indexer (revert and mine RPCs,"
                   f" notification) ms: {', '.join(f'{r:.1f}' for r in noticed)}")  # fmt: skip
    return (f"reorg depth={depth} subscribers={count}"
            f" reconcile_ms={statistics.median(reconcile):.1f}"
            f" removed_delivered_p99_ms={_percentile(delivered, 0.99):.1f}")  # fmt: skip


@click.command()
@click.option("--depth", default=3, show_default=True, type=click.IntRange(1, 64),
              help="Blocks each reorg removes.")  # fmt: skip
@click.option("--subscribers", default=1_000, show_default=True, type=click.IntRange(min=1))
@click.option("--rounds", default=5, show_default=True, type=click.IntRange(min=1))
@click.option("--client-processes", default=None, type=click.IntRange(1, 32),
              help="Subscriber processes [default: one per 2,500 subscribers].")  # fmt: skip
@click.option("--server-url", default=SERVER_URL, show_default=True,
              help="PostgreSQL server to create the bench database on.")  # fmt: skip
@click.option("--redis-url", default=REDIS_URL, show_default=True,
              help="Redis server (an embedded one when it does not answer).")  # fmt: skip
def main(depth: int, subscribers: int, rounds: int, client_processes: int | None,
         server_url: str, redis_url: str) -> None:  # fmt: skip
    """Measures how long a reorg takes to be undone and announced to N feed subscribers."""
    os.environ["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}"
    os.environ.setdefault("SOLCX_BINARY_PATH", str(ROOT / "tools" / "solcjs"))
    _without_step_tracing()
    from ape import networks
    from ape.logging import LogLevel, logger

    logger.set_level(LogLevel.ERROR)
    with tempfile.TemporaryDirectory(prefix="reorg-bench-") as tmp, ExitStack() as stack_:
        workdir = Path(tmp)
        stack_.enter_context(networks.parse_network_choice(NETWORK))
        chain = deploy(workdir)
        database_url = stack_.enter_context(
            scratch_database(server_url, workdir, prefix="reorg_bench")
        )
        redis_url = stack_.enter_context(redis_server(redis_url, workdir))
        clients = client_processes or max(1, -(-subscribers // 2_500))
        line = measure(chain, database_url, redis_url, workdir, depth=depth, count=subscribers,
                       rounds=rounds, client_processes=clients)  # fmt: skip
    click.echo(line)


if __name__ == "__main__":
    main()
