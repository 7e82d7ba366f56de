"""What the indexer and API tests share: a local anvil of their own, a faulty node in front of
one, fresh databases, contract views over JSON-RPC, and the indexer run in-process or as a
process."""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import eth_abi
import psycopg
import requests
from eth_utils import keccak

from indexer.engine import Indexer
from indexer.settings import IndexerSettings
from infra.abi import canonical_type
from launcher.anvil import ANVIL

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
# Tables whose content must be identical between two indexes of the same chain (what a reorg,
# a crash or a re-projection must not change). Journal, history and timing columns are left out.
COMPARED = (
    "raw_logs", "contracts", "assets", "holders", "meters", "listings", "proposals",
    "identities", "roles", "platform", "payment_tokens", "purchases", "refunds",
    "revenue_deposits", "revenue_claims", "production_reports", "votes", "fills", "energy_periods",
    "market_sellers",
    "share_snapshots", "certificate_balances", "certificate_issuances", "certificate_claims",
    "certificate_retirements",
)  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rpc(url: str, method: str, *params: Any) -> Any:
    """One JSON-RPC call; raises on an error answer."""
    answer = requests.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=30
    ).json()
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


def head(url: str) -> int:
    return int(rpc(url, "eth_blockNumber"), 16)


def receipt(url: str, tx_hash: str, timeout: float = 10) -> dict[str, Any]:
    """A transaction's receipt once the node has one (anvil may answer the send before it mines)."""
    deadline = time.monotonic() + timeout
    while (found := rpc(url, "eth_getTransactionReceipt", tx_hash)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no receipt for {tx_hash} after {timeout} s")
        time.sleep(0.02)
    return dict(found)


class Anvil:
    """An anvil process of the test's own on a free port, with 40 funded test accounts."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(ANVIL), "--port", str(self.port), "--accounts", "40", "--balance", "1000000",
             "--silent"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                rpc(self.url, "eth_chainId")
                return
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


class Views:
    """Calls contracts' view functions over JSON-RPC, by the ABI in ape's build output."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.types = json.loads((ROOT / ".build" / "__local__.json").read_text())["contractTypes"]

    def call(self, contract_type: str, address: str, function: str, *args: Any,
             block: int | str = "latest") -> Any:  # fmt: skip
        """A view's result, at the latest block or at `block` (a number or a tag)."""
        abi = next(
            f
            for f in self.types[contract_type]["abi"]
            if f.get("type") == "function"
            and f["name"] == function
            and len(f["inputs"]) == len(args)
        )
        inputs = [canonical_type(p) for p in abi["inputs"]]
        outputs = [canonical_type(p) for p in abi["outputs"]]
        selector = keccak(text=f"{function}({','.join(inputs)})")[:4]
        data = "0x" + (selector + eth_abi.encode(inputs, list(args))).hex()
        tag = hex(block) if isinstance(block, int) else block
        result = rpc(self.url, "eth_call", {"to": address, "data": data}, tag)
        values = eth_abi.decode(outputs, bytes.fromhex(result[2:]))
        return values[0] if len(values) == 1 else values


def settings_for(rpc_url: str, deployments_dir: Path, **overrides: Any) -> IndexerSettings:
    """Settings for a test run: no WebSocket, no progress bar, quick polling and backoff."""
    values: dict[str, Any] = {
        "rpc_url": rpc_url,
        "deployments_dir": deployments_dir,
        "use_websocket": False,
        "progress": False,
        "poll_interval": 0.05,
        "max_backoff": 0.2,
        "standby_poll": 0.1,
    }
    values.update(overrides)
    return IndexerSettings(**values)


def index(settings: IndexerSettings, database_url: str, *, until: int | None = None,
          redis_url: str | None = None, **kwargs: Any) -> Indexer:  # fmt: skip
    """Indexes up to `until` (the node's head by default) in this process."""
    indexer = Indexer(settings, database_url, redis_url, **kwargs)
    indexer.run(until=head(settings.rpc_url) if until is None else until)
    return indexer


@contextmanager
def following(settings: IndexerSettings, database_url: str,
              redis_url: str | None = None) -> Iterator[Callable[[], None]]:  # fmt: skip
    """Runs the indexer in a thread while the block runs; yields a wait-until-in-sync function."""
    stop = threading.Event()
    errors: list[BaseException] = []
    indexer = Indexer(settings, database_url, redis_url)

    def run() -> None:
        try:
            indexer.run(stop)
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def synced(timeout: float = 60) -> None:
        """Waits until the checkpoint is the node's head block (number and hash)."""
        deadline = time.monotonic() + timeout
        while True:
            if errors:
                raise errors[0]
            latest = rpc(settings.rpc_url, "eth_getBlockByNumber", "latest", False)
            if tip(database_url) == (int(latest["number"], 16), latest["hash"]):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"indexer not in sync with block {int(latest['number'], 16)}")
            time.sleep(0.05)

    try:
        yield synced
    finally:
        stop.set()
        thread.join(30)
    if errors:
        raise errors[0]


def tip(database_url: str) -> tuple[int, str] | None:
    """The checkpoint (number, hash), or None."""
    with psycopg.connect(database_url) as conn:
        try:
            row = conn.execute("SELECT block_number, block_hash FROM checkpoints").fetchone()
        except psycopg.errors.UndefinedTable:
            return None
    return None if row is None else (int(row[0]), str(row[1]))


def checkpoint(database_url: str) -> int:
    """The checkpoint's block number, or -1 before the first commit."""
    found = tip(database_url)
    return -1 if found is None else found[0]


def state(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every compared table's rows, sorted, plus the checkpoint."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with psycopg.connect(database_url) as conn:
        for table in COMPARED:
            rows = conn.execute(f"SELECT * FROM {table}").fetchall()
            found[table] = sorted(rows, key=repr)
        found["checkpoints"] = conn.execute(
            "SELECT chain_id, block_number, block_hash FROM checkpoints"
        ).fetchall()
    return found


def assert_same_state(actual: str, expected: str) -> None:
    """Two databases hold the same index (table by table, so a failure names the table)."""
    left, right = state(actual), state(expected)
    for table in left:
        extra = [row for row in left[table] if row not in right[table]]
        missing = [row for row in right[table] if row not in left[table]]
        assert left[table] == right[table], (
            f"{table} differs: extra {extra[:3]}, missing {missing[:3]}"
        )


def count_rows(database_url: str, sql: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


class Databases:
    """Creates empty databases on a PostgreSQL server and drops them afterwards."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []

    def create(self) -> str:
        name = f"idx_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        self.created.append(name)
        base = self.admin_url.rsplit("/", 1)[0]
        return f"{base}/{name}"

    def drop_all(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for name in self.created:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.created.clear()


def indexer_process(settings: IndexerSettings, database_url: str, *, until: int | None = None,
                    env: dict[str, str] | None = None,
                    extra: Sequence[str] = ()) -> subprocess.Popen[bytes]:  # fmt: skip
    """`python -m indexer run` as a separate process, configured like `settings`."""
    variables = dict(os.environ, **(env or {}))
    variables.update(
        RPC_URL=settings.rpc_url,
        DATABASE_URL=database_url,
        DEPLOYMENTS_DIR=str(settings.deployments_dir),
        INDEXER_USE_WEBSOCKET="false",
        INDEXER_POLL_INTERVAL=str(settings.poll_interval),
        INDEXER_MAX_BACKOFF=str(settings.max_backoff),
        INDEXER_STANDBY_POLL=str(settings.standby_poll),
        INDEXER_INITIAL_RANGE=str(settings.initial_range),
        INDEXER_MAX_RANGE=str(settings.max_range),
        PYTHONPATH=str(ROOT),
    )
    variables.pop("REDIS_URL", None)
    command = [sys.executable, "-m", "indexer", "--json-logs", "run", "--no-progress",
               "--redis-url", variables.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")]  # fmt: skip
    if until is not None:
        command += ["--until", str(until)]
    return subprocess.Popen(
        [*command, *extra], cwd=ROOT, env=variables, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip


class Output:
    """Collects a process's stderr lines in a thread, so a test can wait for one."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.lines: list[str] = []
        assert process.stderr is not None
        stream = process.stderr
        threading.Thread(target=lambda: self.lines.extend(
            line.decode() for line in iter(stream.readline, b"")), daemon=True).start()  # fmt: skip

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {text!r} in: {''.join(self.lines)[-2000:]}")
            time.sleep(0.05)


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL: no cleanup, no goodbye."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(10)


class FaultyNode:
    """An HTTP proxy in front of a node that can go away, come back, or answer errors.

    Modes: "up" forwards everything; "errors" answers every call with a JSON-RPC internal error;
    "http500" answers HTTP 500; "too_many" refuses eth_getLogs over more than `max_range` blocks as
    "query returned more than 10000 results"; "down" closes the port (connection refused).
    """

    def __init__(self, target: str, max_range: int = 3) -> None:
        self.target = target
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.mode = "up"
        self.failing: set[str] = set()  # methods answered with an internal error while "up"
        self.max_range = max_range
        self.calls = 0
        self.refused_ranges = 0
        self.log_ranges: list[tuple[tuple[str, ...], int, int]] = []  # eth_getLogs by block range
        self._server: socketserver.ThreadingTCPServer | None = None
        self.start()

    def start(self) -> None:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                proxy.calls += 1
                status, answer = proxy.answer(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer(self, body: bytes) -> tuple[int, bytes]:
        if self.mode == "http500":
            return 500, b"{}"
        request = json.loads(body)
        calls = request if isinstance(request, list) else [request]
        for call in calls:
            query = call["params"][0] if call["method"] == "eth_getLogs" else {}
            if "fromBlock" in query:
                addresses = query.get("address", [])
                self.log_ranges.append((tuple([addresses] if isinstance(addresses, str) else addresses),
                                        int(query["fromBlock"], 16), int(query["toBlock"], 16)))  # fmt: skip
        if self.mode == "errors" or any(c["method"] in self.failing for c in calls):
            errors = [{"jsonrpc": "2.0", "id": c["id"],
                       "error": {"code": -32603, "message": "internal error"}} for c in calls]  # fmt: skip
            return 200, json.dumps(errors if isinstance(request, list) else errors[0]).encode()
        dev = ("anvil_", "hardhat_", "evm_")
        if (
            self.mode == "plain"
            and not isinstance(request, list)
            and request["method"].startswith(dev)
        ):
            error = {"code": -32601, "message": f"the method {request['method']} does not exist"}
            answer = {"jsonrpc": "2.0", "id": request["id"], "error": error}
            return 200, json.dumps(answer).encode()
        if self.mode == "too_many":
            for call in calls:
                if call["method"] == "eth_getLogs":
                    query = call["params"][0]
                    if int(query["toBlock"], 16) - int(query["fromBlock"], 16) + 1 > self.max_range:
                        self.refused_ranges += 1
                        error = {
                            "code": -32005,
                            "message": "query returned more than 10000 results",
                        }
                        return 200, json.dumps(
                            {"jsonrpc": "2.0", "id": call["id"], "error": error}
                        ).encode()
        forwarded = requests.post(self.target, data=body,
                                  headers={"Content-Type": "application/json"}, timeout=30)  # fmt: skip
        return forwarded.status_code, forwarded.content


class Replay:
    """The demo chain indexed again from its start into a database of its own, up to a chosen
    block, with the API (no cache) over it: what the API said at a past block, to compare with the
    contracts' views at that block (`views.call(..., block=n)`)."""

    def __init__(self, indexer: Indexer, client: TestClient) -> None:
        self.indexer = indexer
        self.client = client
        self.block = -1

    def to(self, block: int) -> TestClient:
        """Indexes up to `block` (forward only) and gives the API over that index."""
        if block < self.block:
            raise ValueError(f"the replay is at block {self.block}; it only goes forward")
        self.indexer.run(until=block)
        self.block = block
        return self.client


def walk(
    client: TestClient, path: str, params: dict[str, Any] | None = None, *, limit: int = 2
) -> list[dict[str, Any]]:
    """Every item of a list, `limit` at a time, following `next_cursor` to the last page; checks
    each page's size and that no item comes twice."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**(params or {}), "limit": limit, **({"cursor": cursor} if cursor else {})}
        answer = client.get(path, params=query)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert len(page["data"]) <= limit
        items += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(page["data"]) == limit, "only the last page may be short"
    assert len({repr(item) for item in items}) == len(items), "an item came twice"
    return items


def api_process(
    env: dict[str, str], log: Path, *options: str
) -> tuple[subprocess.Popen[bytes], str]:
    """Starts `uvicorn api.main:app_from_env` on a free port with `env` added to this process's
    environment (uvicorn `options` appended); waits for `/healthz`. Returns the process and its
    base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"API_PUBLIC_URL": url, **env}  # sign-in messages name the URL the client opens
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:app_from_env", "--factory", "--host",
         "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
         "--no-proxy-headers", "--no-server-header", *options],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT), **env),
        stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_healthy(process, url, log)
    return process, url


def wait_healthy(
    process: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 180
) -> None:
    """Waits until an API process answers `/healthz` (building the app takes long on a loaded
    machine); kills it and raises with its log's end when it exits or the time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{url}/healthz", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the API did not start ({log}):\n{log.read_text()[-2000:]}")
        time.sleep(0.1)


@dataclass(frozen=True)
class DemoEnd:
    """The chain and deployments record the demo story ends with, to start more chains from."""

    state: str  # anvil_dumpState: accounts, storage, blocks and receipts
    timestamp: int  # the last block's (the demo moves time forward)
    records: dict[str, bytes]  # the deployments folder's files


_demo_end: list[DemoEnd] = []  # the first story's end, kept for the rest of the session


@contextmanager
def demo_story(deployments: Path) -> Iterator[str]:
    """An anvil of its own after the demo story (`ape run demo`), its deployments record written
    to `deployments`; yields its RPC URL and stops it afterwards.

    The story runs once per session (about a minute); later chains load its end state into a new
    anvil (about a second): the same blocks, hashes, logs and accounts, with time going on from the
    story's last block.
    """
    node = Anvil()
    try:
        if _demo_end:
            end = _demo_end[0]
            rpc(node.url, "anvil_loadState", end.state)
            rpc(node.url, "anvil_setTime", end.timestamp + 1)
            for name, content in end.records.items():
                (deployments / name).write_bytes(content)
        else:
            _run_demo(node.url, deployments)
            last = rpc(node.url, "eth_getBlockByNumber", "latest", False)
            records = {p.name: p.read_bytes() for p in deployments.iterdir() if p.is_file()}
            _demo_end.append(DemoEnd(rpc(node.url, "anvil_dumpState"),
                                     int(last["timestamp"], 16), records))  # fmt: skip
    except BaseException:
        node.stop()
        raise
    try:
        yield node.url
    finally:
        node.stop()


def _run_demo(url: str, deployments: Path) -> None:
    env = dict(os.environ, APE_FOUNDRY_HOST=url, DEPLOYMENTS_DIR=str(deployments))
    ape = Path(sys.executable).parent / "ape"
    done = subprocess.run(
        [str(ape), "run", "demo", "--network", "ethereum:local:foundry"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the demo failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
