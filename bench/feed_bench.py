"""WebSocket feed latency: from a transaction's block being mined to 1,000 subscribers having it.

Usage (from any directory; the script changes to the repository root):

    .venv/bin/python bench/feed_bench.py                          # 1,000 subscribers, 100 transfers
    .venv/bin/python bench/feed_bench.py --subscribers 200 --transactions 50 --interval 0.1

Everything runs on this machine, each part in its own process, as in production:

    ape's anvil (automine)  <- this process sends one share transfer at a time
    indexer                 `python -m indexer run`, new heads over WebSocket (and 50 ms polling),
                            publishing each commit on Redis
    API                     uvicorn serving `api.main:app_from_env` (its feed hub reads Redis)
    subscribers             a second process: asyncio + websockets, N connections to `/ws`, a
                            third each on `events`, `asset:<id>` and `account:<sender>`, so every
                            subscriber gets each transfer once, under its own topic

The platform is deployed on ape's anvil, one asset's shares are bought by a single holder, and
that holder and the recipients abstain from voting, so each transfer emits one `Transfer` log.
For each transaction the wall time is read right after `eth_sendTransaction` returns (anvil has
mined the block by then); each subscriber notes the wall time at which the transfer's message
arrives. Latency is the difference, over every (transaction, subscriber) pair; pairs that never
arrive are counted as missing. Also printed: when each commit appeared on Redis (indexing alone),
the first subscriber's latency (indexing, Redis and the hub) and the spread from the first to the
last subscriber of a transaction (the fan-out). PostgreSQL and Redis are the machine's when they answer (a fresh
database, dropped at the end), else embedded ones from `infra.embedded`. The last line is always
`feed subscribers=<n> p50_ms=<x> p99_ms=<y>`.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import click
import orjson
import psycopg
import requests
from _services import redis_server, scratch_database
from eth_abi import encode
from eth_utils import keccak

ROOT = Path(__file__).resolve().parents[1]
os.chdir(ROOT)
sys.path.insert(0, str(ROOT))


NETWORK = "ethereum:local:foundry"
SERVER_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
TRANSFER = keccak(text="transfer(address,uint256)")[:4]
DELEGATE = keccak(text="delegate(address)")[:4]
ZERO = "0x" + "00" * 20


@dataclass(frozen=True)
class Platform:
    """What the measurement needs of the deployed platform."""

    rpc_url: str
    chain_id: int
    deployments_dir: str
    asset_id: int
    token: str
    sender: str
    recipients: list[str]


def _rpc(url: str, method: str, *params: Any) -> Any:
    answer = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method,
                                      "params": list(params)}, timeout=30).json()  # fmt: skip
    if "error" in answer:
        raise click.ClickException(f"{method}: {answer['error']}")
    return answer["result"]


def _send(url: str, sender: str, to: str, data: bytes) -> str:
    tx = {"from": sender, "to": to, "data": "0x" + data.hex(), "gas": hex(300_000)}
    return str(_rpc(url, "eth_sendTransaction", tx))


# -- the chain ---------------------------------------------------------------------------------


def _without_step_tracing() -> None:
    """ape-foundry starts anvil with `--steps-tracing`; nothing here reads traces."""
    from ape_foundry.provider import FoundryProvider

    build = FoundryProvider.build_command
    FoundryProvider.build_command = lambda self: [a for a in build(self) if a != "--steps-tracing"]  # type: ignore[method-assign]


def deploy(workdir: Path) -> Platform:
    """Deploys the platform with one active asset held by one abstaining holder (in ape's context)."""
    from ape import accounts, chain

    from scripts._lib import asset_params, deploy_platform, register_asset, write_deployments

    admin, holder = accounts.test_accounts[0], accounts.test_accounts[1]
    platform = deploy_platform(admin)
    usdc = platform.stablecoin
    assert usdc is not None
    shares = 1_000_000
    params = asset_params(payment_token=usdc, treasury=admin, total_shares=shares, share_price=1)
    asset = register_asset(platform, admin, params)
    usdc.mint(holder, shares, sender=holder)
    usdc.approve(platform.sale, shares, sender=holder)
    platform.sale.buy(asset.asset_id, shares, sender=holder)
    platform.sale.finalize(asset.asset_id, sender=holder)
    url = str(chain.provider.uri)
    token = str(asset.token.address)
    recipients = [a.address for a in accounts.test_accounts[2:10]]
    for account in [holder.address, *recipients]:  # abstain: a transfer emits Transfer alone
        _send(url, account, token, DELEGATE + encode(["address"], [ZERO]))
    os.environ["DEPLOYMENTS_DIR"] = str(workdir)
    write_deployments(platform, chain.chain_id)
    return Platform(
        url, chain.chain_id, str(workdir), asset.asset_id, token, holder.address, recipients
    )


# -- services and processes --------------------------------------------------------------------


@contextmanager
def process(
    command: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A child process, its output in `log`, terminated at the end."""
    with log.open("wb") as out:
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield child
        finally:
            child.terminate()
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()


def _wait(what: str, ready: Any, timeout: float, child: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if child.poll() is not None or time.monotonic() > deadline:
            raise click.ClickException(f"{what} did not start; see {log}:\n"
                                       f"{log.read_text()[-2000:]}")  # fmt: skip
        time.sleep(0.1)


def _checkpoint(database_url: str) -> int:
    try:
        with psycopg.connect(database_url) as conn:
            row = conn.execute("SELECT block_number FROM checkpoints").fetchone()
    except psycopg.Error:
        return -1
    return -1 if row is None else int(row[0])


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).ok
    except requests.RequestException:
        return False


# -- the subscribers (a second process) --------------------------------------------------------


def subscribers(url: str, topic_sets: list[list[str]], pipe: Connection) -> None:
    """Runs in the subscribers' process: connects, reports ready, records arrivals until told."""
    asyncio.run(_subscribe_all(url, topic_sets, pipe))


async def _subscribe_all(url: str, topic_sets: list[list[str]], pipe: Connection) -> None:
    from websockets.asyncio.client import connect

    arrivals: dict[str, list[float]] = defaultdict(list)
    subscribed = asyncio.Semaphore(0)
    opening = asyncio.Semaphore(50)  # connections being opened at once
    clock = time.time
    loads = orjson.loads

    async def one(topics: list[str]) -> None:
        async with opening:
            ws = await connect(url, ping_interval=None, open_timeout=120, max_queue=None)
            await ws.send(orjson.dumps({"op": "subscribe", "topics": topics}).decode())
            answer = loads(await ws.recv())
            if answer.get("type") != "subscribed":
                raise RuntimeError(f"subscribe refused: {answer}")
        subscribed.release()
        async with ws:
            async for raw in ws:
                now = clock()
                message = loads(raw)
                if message["type"] == "event" and message["event"]["event"] == "Transfer":
                    arrivals[message["event"]["tx_hash"]].append(now)

    tasks = [asyncio.create_task(one(topics)) for topics in topic_sets]
    for _ in topic_sets:
        await subscribed.acquire()
    gc.freeze()
    gc.disable()  # no collection pauses in the measuring process while it measures
    pipe.send("ready")
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, pipe.recv)  # "stop"
    failed = [t for t in tasks if t.done() and t.exception() is not None]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    pipe.send({"arrivals": dict(arrivals), "failed": [repr(t.exception()) for t in failed]})


# -- the measurement ---------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(chain: Platform, database_url: str, redis_url: str, workdir: Path, count: int,
            transactions: int, interval: float, warmup: int) -> str:  # fmt: skip
    """Starts the indexer, the API and the subscribers, sends the transfers, prints the figures."""
    namespace = f"feed-bench-{secrets.token_hex(4)}"
    env = dict(os.environ, RPC_URL=chain.rpc_url, DATABASE_URL=database_url, REDIS_URL=redis_url,
               REDIS_NAMESPACE=namespace, DEPLOYMENTS_DIR=chain.deployments_dir,
               PYTHONPATH=str(ROOT), INDEXER_USE_WEBSOCKET="true", INDEXER_POLL_INTERVAL="0.05",
               API_WS_CONNECTIONS_PER_CLIENT=str(count + 10))  # fmt: skip
    port = _free_port()
    head = int(_rpc(chain.rpc_url, "eth_blockNumber"), 16)
    indexer_log, api_log = workdir / "indexer.log", workdir / "api.log"
    indexer = [sys.executable, "-m", "indexer", "--json-logs", "run", "--no-progress",
               "--redis-url", redis_url, "--database-url", database_url]  # fmt: skip
    api = [sys.executable, "-m", "uvicorn", "api.main:app_from_env", "--factory", "--host",
           "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
           "--no-server-header"]  # fmt: skip
    with process(indexer, env, indexer_log) as indexing, process(api, env, api_log) as serving:
        _wait("the indexer", lambda: _checkpoint(database_url) >= head, 120, indexing, indexer_log)
        _wait("the API", lambda: _answers(f"http://127.0.0.1:{port}/healthz"), 60, serving, api_log)
        topic_sets = [["events"], [f"asset:{chain.asset_id}"], [f"account:{chain.sender}"]]
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        listener = context.Process(target=subscribers, daemon=True, args=(
            f"ws://127.0.0.1:{port}/ws", [topic_sets[i % 3] for i in range(count)], theirs))  # fmt: skip
        listener.start()
        started = time.monotonic()
        if not ours.poll(600) or ours.recv() != "ready":
            raise click.ClickException("the subscribers did not connect")
        click.echo(f"{count} subscribers connected in {time.monotonic() - started:.1f} s")
        published: dict[str, float] = {}
        watcher = threading.Thread(target=_watch_redis, daemon=True,
                                   args=(redis_url, chain.chain_id, namespace, published))  # fmt: skip
        watcher.start()
        sent: dict[str, float] = {}
        data = [TRANSFER + encode(["address", "uint256"], [r, 1]) for r in chain.recipients]
        for i in range(warmup + transactions):
            tx_hash = _send(chain.rpc_url, chain.sender, chain.token, data[i % len(data)])
            if i >= warmup:
                sent[tx_hash] = time.time()
            time.sleep(interval)
        last = int(_rpc(chain.rpc_url, "eth_blockNumber"), 16)
        _wait("indexing", lambda: _checkpoint(database_url) >= last, 60, indexing, indexer_log)
        time.sleep(2)  # the last messages in flight
        ours.send("stop")
        result = ours.recv()
        listener.join(30)
    latencies = [(t - sent[h]) * 1000 for h, times in result["arrivals"].items() if h in sent
                 for t in times]  # fmt: skip
    missing = count * transactions - len(latencies)
    if result["failed"]:
        click.echo(f"{len(result['failed'])} subscribers failed, e.g. {result['failed'][0]}")
    if not latencies:
        raise click.ClickException("no message arrived")
    p50, p99 = _percentile(latencies, 0.50), _percentile(latencies, 0.99)
    click.echo(f"{transactions} transfers every {interval * 1000:.0f} ms to {count} subscribers:"
               f" {len(latencies):,} messages, {missing} missing")  # fmt: skip
    click.echo(f"latency ms: min {min(latencies):.1f}  p50 {p50:.1f}  mean"
               f" {statistics.fmean(latencies):.1f}  p90 {_percentile(latencies, 0.9):.1f}"
               f"  p99 {p99:.1f}  max {max(latencies):.1f}")  # fmt: skip
    redis_ms = [(published[h] - sent[h]) * 1000 for h in sent if h in published]
    if redis_ms:
        click.echo(f"indexer commit published on Redis ms: p50 {_percentile(redis_ms, 0.5):.1f}"
                   f"  p99 {_percentile(redis_ms, 0.99):.1f}  max {max(redis_ms):.1f}")  # fmt: skip
    firsts = [(min(t) - sent[h]) * 1000 for h, t in result["arrivals"].items() if h in sent]
    spreads = [(max(t) - min(t)) * 1000 for h, t in result["arrivals"].items() if h in sent]
    click.echo(f"first subscriber ms (indexing, Redis, hub): p50 {_percentile(firsts, 0.5):.1f}"
               f"  p99 {_percentile(firsts, 0.99):.1f}; first to last subscriber ms (fan-out):"
               f" p50 {_percentile(spreads, 0.5):.1f}  p99 {_percentile(spreads, 0.99):.1f}")  # fmt: skip
    return f"feed subscribers={count} p50_ms={p50:.1f} p99_ms={p99:.1f}"


def _watch_redis(redis_url: str, chain_id: int, namespace: str,
                 published: dict[str, float]) -> None:  # fmt: skip
    """Notes when each transaction's commit appears on the indexer's Redis channel."""
    import redis

    from indexer.publish import channel

    pubsub = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channel(chain_id, namespace))
    for message in pubsub.listen():
        now = time.time()
        for event in orjson.loads(message["data"]).get("events") or ():
            published.setdefault(event["tx_hash"], now)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@click.command()
@click.option("--subscribers", default=1_000, show_default=True, type=click.IntRange(min=1))
@click.option("--transactions", default=100, show_default=True, type=click.IntRange(min=1),
              help="Measured transfers (one per block).")  # fmt: skip
@click.option("--interval", default=0.25, show_default=True, type=click.FloatRange(min=0),
              help="Seconds between transfers.")  # fmt: skip
@click.option("--warmup", default=5, show_default=True, type=click.IntRange(min=0),
              help="Transfers sent first and not measured.")  # fmt: skip
@click.option("--server-url", default=SERVER_URL, show_default=True,
              help="PostgreSQL server to create the bench database on.")  # fmt: skip
@click.option("--redis-url", default=REDIS_URL, show_default=True,
              help="Redis server (an embedded one when it does not answer).")  # fmt: skip
def main(subscribers: int, transactions: int, interval: float, warmup: int, server_url: str,
         redis_url: str) -> None:  # fmt: skip
    """Measures how long the WebSocket feed takes to deliver a mined transfer to N subscribers."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4 * subscribers + 1024)), hard))
    os.environ["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}"
    os.environ.setdefault("SOLCX_BINARY_PATH", str(ROOT / "tools" / "solcjs"))
    _without_step_tracing()
    from ape import networks
    from ape.logging import LogLevel, logger

    logger.set_level(LogLevel.ERROR)
    with tempfile.TemporaryDirectory(prefix="feed-bench-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        stack.enter_context(networks.parse_network_choice(NETWORK))
        chain = deploy(workdir)
        database_url = stack.enter_context(
            scratch_database(server_url, workdir, prefix="feed_bench")
        )
        redis_url = stack.enter_context(redis_server(redis_url, workdir))
        line = measure(chain, database_url, redis_url, workdir, subscribers, transactions,
                       interval, warmup)  # fmt: skip
    click.echo(line)


if __name__ == "__main__":
    main()
