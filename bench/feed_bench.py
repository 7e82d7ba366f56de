"""WebSocket feed latency: from a transaction's block being mined to N subscribers having it, hop
by hop.

Usage (from any directory; the script changes to the repository root):

    .venv/bin/python bench/feed_bench.py                          # 1,000 subscribers, 100 transfers
    .venv/bin/python bench/feed_bench.py --subscribers 200 --transactions 50 --interval 0.1
    .venv/bin/python bench/feed_bench.py --subscribers 10000 --api-processes 2

Everything runs on this machine, each part in its own process, as in production:

    ape's anvil (automine)  <- this process sends one share transfer at a time
    indexer                 `python -m indexer run`, new heads over WebSocket (and 50 ms polling),
                            publishing each commit on Redis
    API                     `--api-processes` uvicorn processes serving `api.main:app_from_env`,
                            each with its own feed hub reading Redis (`API_WS_HOPS=true`: every
                            message carries its hop times)
    subscribers             `--client-processes` processes: a minimal asyncio client, N connections
                            to `/ws` spread over the API processes, a third each on `events`,
                            `asset:<id>` and `account:<sender>`, so every subscriber gets each
                            transfer once, under its own topic; `--client-nice 19` runs them at
                            the lowest CPU priority, standing in for clients on other machines
                            (their reading then waits for the server's work rather than sharing
                            the cores with it)

The platform is deployed on ape's anvil, one asset's shares are bought by a single holder, and
that holder and the recipients abstain from voting, so each transfer emits one `Transfer` log.
For each transaction the wall time is read right after `eth_sendTransaction` returns (anvil has
mined the block by then); each subscriber notes the wall time at which the transfer's message
arrives. Latency is the difference, over every (transaction, subscriber) pair; pairs that never
arrive are counted as missing.

The hops (`indexer.commit_message.Hops` and the API's `hops` field; every clock is this machine's):
sent -> head (the indexer got the node's new-head notification) -> fetched -> committed ->
published (on Redis) -> received (by the API process) -> dispatched (encoded once per topic and
queued for each socket) -> delivered (read by the subscriber: written to its socket plus the
loopback). `--no-hops` leaves them out (smaller messages: the end-to-end figures without the
measurement's own cost). Each is printed as p50/p99 over the transactions (delivered: over every
pair), with `head -> delivered` (the latency issue's target) and each API process's memory per
connection (its RSS growth while the subscribers connected, divided by its connections). A run against code
whose messages carry no hops prints only the end-to-end figures. PostgreSQL and Redis are the
machine's when they answer (a fresh database, dropped at the end), else embedded ones from
`infra.embedded`. The last line is always `feed subscribers=<n> p50_ms=<x> p99_ms=<y>`.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import itertools
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
from typing import Any, cast
from urllib.parse import urlsplit

import click
import orjson
import psycopg
import requests
import uvloop
from _services import NETWORK, REDIS_URL, SERVER_URL, redis_server, scratch_database
from eth_abi import encode
from eth_utils import keccak

ROOT = Path(__file__).resolve().parents[1]
os.chdir(ROOT)
sys.path.insert(0, str(ROOT))


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


Arrivals = dict[str, dict[str, list[float]]]  # status -> tx hash -> arrival times


def subscribers(urls: list[str], topic_sets: list[list[str]], pipe: Connection,
                nice: int = 0) -> None:  # fmt: skip
    """Runs in a subscribers' process (at CPU priority `nice`): connects, reports ready, records
    arrivals until told."""
    os.nice(nice)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, len(topic_sets) + 1024)), hard))
    uvloop.run(_subscribe_all(urls, topic_sets, pipe))


class FeedClient(asyncio.Protocol):
    """A minimal WebSocket client of `/ws` (RFC 6455 over asyncio's protocol callbacks).

    The subscribers share two cores with the API, the indexer and the node, and what a client
    spends reading is counted in every message's delivery: a websockets client's reading costs
    tens of µs a message, which at 1,000 subscribers a process made the last one read a message
    up to 30 ms after the first. This one notes the arrival time where the bytes arrive and
    parses frames in place (the server's frames are unmasked and final; pings are answered).
    """

    def __init__(self, host: str, path: str, topics: list[str],
                 on_message: Any, subscribed: asyncio.Future[None]) -> None:  # fmt: skip
        self.host, self.path, self.topics = host, path, topics
        self.on_message = on_message
        self.subscribed = subscribed
        self.buffer = bytearray()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        key = base64.b64encode(os.urandom(16)).decode()
        self.transport.write(f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n".encode())  # fmt: skip

    def send(self, opcode: int, payload: bytes) -> None:
        """A masked client frame (payloads here are small)."""
        assert self.transport is not None and len(payload) < 126
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buffer.startswith(b"HTTP/1.1 101"):
                self.subscribed.set_exception(RuntimeError(bytes(buffer[:end]).decode()))
                return
            del buffer[: end + 4]
            self.upgraded = True
            self.send(0x1, orjson.dumps({"op": "subscribe", "topics": self.topics}))
        while len(buffer) >= 2:
            size, start = buffer[1] & 0x7F, 2
            if size == 126:
                if len(buffer) < 4:
                    return
                size, start = int.from_bytes(buffer[2:4], "big"), 4
            elif size == 127:
                if len(buffer) < 10:
                    return
                size, start = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < start + size:
                return
            opcode, payload = buffer[0] & 0x0F, bytes(buffer[start : start + size])
            del buffer[: start + size]
            if opcode == 0x1:
                self.on_message(now, payload, self)
            elif opcode == 0x9:
                self.send(0xA, payload)
            elif opcode == 0x8:
                assert self.transport is not None
                self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.subscribed.done():
            self.subscribed.set_exception(exc or RuntimeError("closed before subscribing"))
        if not self.closed.done():
            self.closed.set_result(None)


async def _subscribe_all(urls: list[str], topic_sets: list[list[str]], pipe: Connection) -> None:
    arrivals: Arrivals = {"added": defaultdict(list), "removed": defaultdict(list)}
    hops: dict[str, dict[str, Any]] = {}  # "<tx hash> <url>" -> the API's hops of its message
    opening = asyncio.Semaphore(50)  # connections being opened at once
    loads = orjson.loads
    loop = asyncio.get_running_loop()
    url_of: dict[FeedClient, str] = {}

    def on_message(now: float, payload: bytes, client: FeedClient) -> None:
        if payload.startswith(b'{"type":"event"'):  # the server's key order; read in place
            if b'"event":"Transfer"' not in payload:
                return
            at = payload.find(b'"tx_hash":"') + 11
            tx_hash = payload[at : at + 66].decode()
            status = (
                "removed"
                if payload.startswith(b'"status":"removed"', payload.find(b'"status"'))
                else "added"
            )
            arrivals[status][tx_hash].append(now)
            key = f"{tx_hash} {url_of[client]}"
            if status == "added" and key not in hops and b'"hops"' in payload:
                hops[key] = loads(payload)["hops"]
            return
        message = loads(payload)
        kind = message["type"]
        if kind == "subscribed" and not client.subscribed.done():
            client.subscribed.set_result(None)
        elif kind == "error" and not client.subscribed.done():
            client.subscribed.set_exception(RuntimeError(f"subscribe refused: {message}"))

    async def one(url: str, topics: list[str]) -> FeedClient:
        address = urlsplit(url)
        host, port = address.hostname or "127.0.0.1", address.port or 80
        async with opening:
            subscribed: asyncio.Future[None] = loop.create_future()
            _, client = await loop.create_connection(
                lambda: FeedClient(f"{host}:{port}", address.path, topics, on_message, subscribed),
                host, port)  # fmt: skip
            url_of[client] = url
            await asyncio.wait_for(subscribed, 300)
        return client

    clients = await asyncio.gather(*(one(urls[i % len(urls)], topics)
                                     for i, topics in enumerate(topic_sets)))  # fmt: skip
    gc.freeze()
    gc.disable()  # no collection pauses in the measuring process while it measures
    pipe.send("ready")
    while True:
        order = await loop.run_in_executor(None, pipe.recv)
        if order == "stop":
            break
        pipe.send({"arrivals": {k: dict(v) for k, v in arrivals.items()}, "hops": dict(hops)})
        arrivals = {"added": defaultdict(list), "removed": defaultdict(list)}
    failed = [repr(c) for c in clients if c.closed.done()]
    for client in clients:
        if client.transport is not None:
            client.transport.close()
    pipe.send({"arrivals": {k: dict(v) for k, v in arrivals.items()}, "hops": dict(hops),
               "failed": failed})  # fmt: skip


class Subscribers:
    """N feed subscribers in `processes` processes, over the API processes' `/ws` URLs.

    Args:
        urls: The `/ws` URL of each API process (connections spread round-robin).
        topic_sets: The topics of each connection.
        processes: Client processes (one asyncio loop each).
        nice: Their CPU priority (0 as this process, up to 19, the lowest).
    """

    def __init__(self, urls: list[str], topic_sets: list[list[str]], processes: int,
                 nice: int = 0) -> None:  # fmt: skip
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.children = []
        for k in range(processes):
            share = topic_sets[k::processes]
            # Round-robin inside each process too: process k's i-th connection goes to url
            # (k + i * processes) % len(urls), so the processes' connections interleave.
            order = [urls[(k + i * processes) % len(urls)] for i in range(len(urls))]
            ours, theirs = context.Pipe()
            child = context.Process(
                target=subscribers, daemon=True, args=(order, share, theirs, nice)
            )
            child.start()
            self.pipes.append(ours)
            self.children.append(child)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for pipe in self.pipes:
            if not pipe.poll(max(0.0, deadline - time.monotonic())) or pipe.recv() != "ready":
                raise click.ClickException("the subscribers did not connect")

    def collect(self, order: str = "report") -> dict[str, Any]:
        """Every process's arrivals (and hops) since the last report, merged."""
        merged: dict[str, Any] = {"arrivals": {"added": defaultdict(list),
                                               "removed": defaultdict(list)},
                                  "hops": {}, "failed": []}  # fmt: skip
        for pipe in self.pipes:
            pipe.send(order)
        for pipe in self.pipes:
            part = pipe.recv()
            for status, by_tx in part["arrivals"].items():
                for tx_hash, times in by_tx.items():
                    merged["arrivals"][status][tx_hash] += times
            merged["hops"].update(part["hops"])
            merged["failed"] += part.get("failed", [])
        return merged

    def stop(self) -> dict[str, Any]:
        result = self.collect("stop")
        for child in self.children:
            child.join(30)
        return result


def rss_kb(pid: int) -> int:
    """A process's resident memory in KiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# -- the measurement ---------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


HOP_NAMES = ("head", "fetched", "committed", "published", "received", "dispatched")


def hop_lines(sent: dict[str, float], arrivals: dict[str, list[float]],
              hops: dict[str, dict[str, Any]]) -> list[str]:  # fmt: skip
    """p50/p99 of each hop, in ms: sent -> head -> ... -> dispatched -> delivered."""
    steps: dict[str, list[float]] = defaultdict(list)
    delivered: list[float] = []
    from_head: list[float] = []
    for key, found in hops.items():
        tx_hash = key.split(" ")[0]
        if tx_hash not in sent:
            continue
        stamps: list[float | None] = [sent[tx_hash], *(found.get(name) for name in HOP_NAMES)]
        names = ["sent", *HOP_NAMES]
        known = [(n, t) for n, t in zip(names, stamps, strict=True) if t is not None]
        for (a, ta), (b, tb) in itertools.pairwise(known):
            steps[f"{a} -> {b}"].append((tb - ta) * 1000)
    by_tx: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for key, found in hops.items():
        by_tx[key.split(" ")[0]].append(found)
    for tx_hash, times in arrivals.items():
        if tx_hash not in sent:
            continue
        dispatched = [
            h["dispatched"] for h in by_tx[tx_hash]
        ]  # the earliest process: an upper bound
        heads = [h["head"] for h in by_tx[tx_hash] if h.get("head")]
        if dispatched:
            delivered += [(t - min(dispatched)) * 1000 for t in times]
        if heads:
            from_head += [(t - heads[0]) * 1000 for t in times]
    lines = []
    order = ["sent -> head", *(f"{a} -> {b}" for a, b in itertools.pairwise(HOP_NAMES))]
    for name in [*order, *sorted(set(steps) - set(order))]:
        if steps.get(name):
            values = steps[name]
            lines.append(f"  {name:<26} p50 {_percentile(values, 0.5):7.1f}"
                         f"  p99 {_percentile(values, 0.99):7.1f}")  # fmt: skip
    if delivered:
        lines.append(f"  {'dispatched -> delivered':<26} p50 {_percentile(delivered, 0.5):7.1f}"
                     f"  p99 {_percentile(delivered, 0.99):7.1f}   (every subscriber)")  # fmt: skip
    if from_head:
        lines.append(f"  {'head -> delivered':<26} p50 {_percentile(from_head, 0.5):7.1f}"
                     f"  p99 {_percentile(from_head, 0.99):7.1f}   (every subscriber)")  # fmt: skip
    return lines


@dataclass
class Stack:
    """The indexer and the API processes of a run."""

    indexer: subprocess.Popen[bytes]
    apis: list[subprocess.Popen[bytes]]
    ws_urls: list[str]
    namespace: str


@contextmanager
def stack(chain: Platform, database_url: str, redis_url: str, workdir: Path, *, connections: int,
          api_processes: int, hops: bool = True) -> Iterator[Stack]:  # fmt: skip
    """The indexer (caught up with the chain) and the API processes (answering), for one run."""
    namespace = f"feed-bench-{secrets.token_hex(4)}"
    env = dict(os.environ, RPC_URL=chain.rpc_url, DATABASE_URL=database_url, REDIS_URL=redis_url,
               REDIS_NAMESPACE=namespace, DEPLOYMENTS_DIR=chain.deployments_dir,
               PYTHONPATH=str(ROOT), INDEXER_USE_WEBSOCKET="true", INDEXER_POLL_INTERVAL="0.05",
               API_WS_CONNECTIONS_PER_CLIENT=str(connections + 10),
               API_WS_HOPS=str(hops).lower())  # fmt: skip
    head = int(_rpc(chain.rpc_url, "eth_blockNumber"), 16)
    indexer_log = workdir / "indexer.log"
    indexer = [sys.executable, "-m", "indexer", "--json-logs", "run", "--no-progress",
               "--redis-url", redis_url, "--database-url", database_url]  # fmt: skip
    with ExitStack() as processes:
        indexing = processes.enter_context(process(indexer, env, indexer_log))
        serving, urls = [], []
        for k in range(api_processes):
            port = _free_port()
            api = [sys.executable, "-m", "uvicorn", "api.main:app_from_env", "--factory", "--host",
                   "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
                   "--no-server-header", "--backlog", "4096"]  # fmt: skip
            api_log = workdir / f"api-{k}.log"
            child = processes.enter_context(process(api, env, api_log))
            serving.append(child)
            urls.append(f"ws://127.0.0.1:{port}/ws")
            _wait("the API", lambda p=port: _answers(f"http://127.0.0.1:{p}/healthz"), 120, child,
                  api_log)  # fmt: skip
        _wait("the indexer", lambda: _checkpoint(database_url) >= head, 120, indexing, indexer_log)
        yield Stack(indexing, serving, urls, namespace)


def send_transfers(
    chain: Platform, count: int, interval: float, offset: int = 0
) -> dict[str, float]:
    """Sends `count` transfers, one block each; returns when each was mined (wall time)."""
    data = [TRANSFER + encode(["address", "uint256"], [r, 1]) for r in chain.recipients]
    sent: dict[str, float] = {}
    for i in range(count):
        tx_hash = _send(chain.rpc_url, chain.sender, chain.token, data[(offset + i) % len(data)])
        sent[tx_hash] = time.time()
        time.sleep(interval)
    return sent


def topic_sets(chain: Platform, count: int) -> list[list[str]]:
    choices = [["events"], [f"asset:{chain.asset_id}"], [f"account:{chain.sender}"]]
    return [choices[i % 3] for i in range(count)]


def measure(chain: Platform, database_url: str, redis_url: str, workdir: Path, count: int,
            transactions: int, interval: float, warmup: int, api_processes: int,
            client_processes: int, hops: bool = True, client_nice: int = 0) -> str:  # fmt: skip
    """Starts the indexer, the API and the subscribers, sends the transfers, prints the figures."""
    with stack(chain, database_url, redis_url, workdir, connections=count,
               api_processes=api_processes, hops=hops) as running:  # fmt: skip
        rss_before = [rss_kb(child.pid) for child in running.apis]
        started = time.monotonic()
        clients = Subscribers(running.ws_urls, topic_sets(chain, count), client_processes,
                              client_nice)  # fmt: skip
        clients.wait_ready(1800)
        click.echo(f"{count} subscribers connected in {time.monotonic() - started:.1f} s"
                   f" ({api_processes} API processes, {client_processes} client processes"
                   f" at nice {client_nice})")  # fmt: skip
        published: dict[str, float] = {}
        watcher = threading.Thread(target=_watch_redis, daemon=True,
                                   args=(redis_url, chain.chain_id, running.namespace, published))  # fmt: skip
        watcher.start()
        send_transfers(chain, warmup, interval)
        rss_after = [rss_kb(child.pid) for child in running.apis]
        sent = send_transfers(chain, transactions, interval, offset=warmup)
        last = int(_rpc(chain.rpc_url, "eth_blockNumber"), 16)
        _wait("indexing", lambda: _checkpoint(database_url) >= last, 120, running.indexer,
              workdir / "indexer.log")  # fmt: skip
        time.sleep(2 + count / 2_000)  # the last messages in flight
        result = clients.stop()
        written = written_times(redis_url, chain.chain_id, running.namespace)
    arrivals = result["arrivals"]["added"]
    latencies = [(t - sent[h]) * 1000 for h, times in arrivals.items() if h in sent
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
        click.echo(f"indexer commit seen on Redis ms: p50 {_percentile(redis_ms, 0.5):.1f}"
                   f"  p99 {_percentile(redis_ms, 0.99):.1f}  max {max(redis_ms):.1f}")  # fmt: skip
    firsts = [(min(t) - sent[h]) * 1000 for h, t in arrivals.items() if h in sent]
    spreads = [(max(t) - min(t)) * 1000 for h, t in arrivals.items() if h in sent]
    click.echo(f"first subscriber ms (indexing, Redis, hub): p50 {_percentile(firsts, 0.5):.1f}"
               f"  p99 {_percentile(firsts, 0.99):.1f}; first to last subscriber ms (fan-out):"
               f" p50 {_percentile(spreads, 0.5):.1f}  p99 {_percentile(spreads, 0.99):.1f}")  # fmt: skip
    lines = hop_lines(sent, arrivals, result["hops"])
    from_head = [(max(w) - h) * 1000 for tx, (h, w) in written.items() if tx in sent]
    if from_head:
        lines.append(f"  {'head -> written':<26} p50 {_percentile(from_head, 0.5):7.1f}"
                     f"  p99 {_percentile(from_head, 0.99):7.1f}   (to the last socket, the API's"
                     " own clock)")  # fmt: skip
    if lines:
        click.echo("hops ms (p50, p99):")
        for line in lines:
            click.echo(line)
    for k, (before, after) in enumerate(zip(rss_before, rss_after, strict=True)):
        connections = len(range(k, count, api_processes))
        click.echo(f"API process {k}: {connections} connections, RSS {before / 1024:.0f} ->"
                   f" {after / 1024:.0f} MB, {(after - before) / max(connections, 1):.1f} KB per"
                   " connection")  # fmt: skip
    return f"feed subscribers={count} p50_ms={p50:.1f} p99_ms={p99:.1f}"


def written_times(redis_url: str, chain_id: int, namespace: str,
                  status: str = "added") -> dict[str, tuple[float, list[float]]]:  # fmt: skip
    """What the API processes noted of each commit of `status` (`API_WS_HOPS`): the hash of its
    first transaction -> (its head notification, when each process wrote its last socket)."""
    import redis

    from indexer.publish import channel

    found: dict[str, tuple[float, list[float]]] = {}
    for raw in redis.Redis.from_url(redis_url).lrange(
        f"{channel(chain_id, namespace)}:written", 0, -1
    ):
        record = orjson.loads(raw)
        if record.get("tx_hash") and record.get("status", "added") == status:
            found.setdefault(record["tx_hash"], (record["head"], []))[1].append(record["written"])
    return found


def _watch_redis(redis_url: str, chain_id: int, namespace: str,
                 published: dict[str, float]) -> None:  # fmt: skip
    """Notes when each transaction's commit appears on the indexer's Redis channel."""
    import redis

    from indexer.publish import channel

    pubsub = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channel(chain_id, namespace))
    for message in pubsub.listen():
        now = time.time()
        commit = orjson.loads(message["data"])
        for event in commit.get("events") or ():
            published.setdefault(f"{commit['status']} {event['tx_hash']}", now)
            if commit["status"] == "added":
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
@click.option("--api-processes", default=1, show_default=True, type=click.IntRange(1, 8),
              help="API processes behind the Redis fan-out; subscribers spread over them.")  # fmt: skip
@click.option("--client-processes", default=None, type=click.IntRange(1, 32),
              help="Subscriber processes [default: one per 2,500 subscribers].")  # fmt: skip
@click.option("--client-nice", default=0, show_default=True, type=click.IntRange(0, 19),
              help="CPU priority of the subscriber processes: 19 stands them in for remote"
                   " machines, whose reading costs the server's cores nothing.")  # fmt: skip
@click.option("--hops/--no-hops", default=True, show_default=True,
              help="Messages carry their hop times (the breakdown; larger messages).")  # fmt: skip
@click.option("--server-url", default=SERVER_URL, show_default=True,
              help="PostgreSQL server to create the bench database on.")  # fmt: skip
@click.option("--redis-url", default=REDIS_URL, show_default=True,
              help="Redis server (an embedded one when it does not answer).")  # fmt: skip
def main(subscribers: int, transactions: int, interval: float, warmup: int, api_processes: int,
         client_processes: int | None, client_nice: int, hops: bool, server_url: str,
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
        clients = client_processes or max(1, -(-subscribers // 2_500))
        line = measure(chain, database_url, redis_url, workdir, subscribers, transactions,
                       interval, warmup, api_processes, clients, hops, client_nice)  # fmt: skip
    click.echo(line)


if __name__ == "__main__":
    main()
