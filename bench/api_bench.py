"""Read throughput and latency of the API at 64 concurrent connections, beside pgbench's limit.

Usage (from any directory; the script changes to the repository root):

    .venv/bin/python bench/api_bench.py                          # the three reads, 10 s each
    .venv/bin/python bench/api_bench.py --duration 20 --workers 1 --workers 2   # compare
    .venv/bin/python bench/api_bench.py --endpoint status        # any route: a name or a path

The script starts everything itself: an anvil of its own, the demo story on it (`ape run demo`),
a fresh `apibench_<random>` database on the machine's PostgreSQL (`--server-url`; an embedded one
through `infra.embedded` when that server does not answer), the indexer up to the chain's head
(`python -m indexer run --until`), and then, for each `--workers` value, the API as a separate
process (`python -m api --workers N`, rate limits raised out of the way). Another process, `wrk`,
loads it at `--connections` connections, one endpoint after the other:

    assets      GET /assets
    asset       GET /assets/{id}, cycling through every demo asset
    portfolio   GET /accounts/{address}, cycling through every demo holder

After a warm-up of each (which also fills the read cache: the chain stands still, so the indexed
block and with it every cache key stays the same), `wrk` measures requests/s and the p50/p99
latency of the cached answers; then, unless `--cached-only`, again with a query string of its own
on every request (which the routes ignore), so each one misses the cache and costs the database
queries, the model and two Redis round trips: what the first readers after a new block pay. Those
lines are for information; the last line is of the cached answers.

In the same run, before the API starts, `pgbench` measures the machine's limit for a comparable
query at the same number of clients and for the same duration: by default a custom script that
reads one `assets` row by its key (`--pgbench asset-row`), or pgbench's own select-only transaction
after `pgbench -i` at scale 1 in the same database (`--pgbench select-only`).

Everything shares the machine's cores (wrk, the API's workers, PostgreSQL, Redis). Before each
measurement the script waits (a while) until other work keeps fewer than `--max-busy` cores busy,
and prints how busy they were and the load average. The last line is always
`api rps=<x> p99_ms=<y> pgbench_tps=<z> ratio=<x/z>`, x being the mean requests/s of the measured
endpoints, y the worst of their p99 latencies, both for the first `--workers` value.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
import httpx
import psycopg
from _services import REDIS_URL, SERVER_URL, redis_server, scratch_database

ROOT = Path(__file__).resolve().parents[1]
os.chdir(ROOT)
sys.path.insert(0, str(ROOT))

from launcher.anvil import ANVIL  # noqa: E402

BIN = Path(sys.executable).parent
TARGET_P99_MS = 50.0
NAMED = ("assets", "asset", "portfolio", "status")
WRK_SCRIPT = """
local paths = {%s}
local unique = %s  -- a query string of its own per request: every one misses the read cache
local threads = 0
local n = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
request = function()
  n = n + 1
  local path = paths[(n %% #paths) + 1]
  if unique then
    path = path .. (path:find("?", 1, true) and "&" or "?") .. "bench=" .. tid .. "-" .. n
  end
  return wrk.format("GET", path)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %%d, "seconds": %%.6f, "p50_us": %%d, "p99_us": %%d, "max_us": %%d,'
    .. ' "errors": %%d, "non_2xx": %%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass(frozen=True)
class Demo:
    """The indexed demo chain and what the endpoints are asked about."""

    rpc_url: str
    deployments_dir: Path
    database_url: str
    redis_url: str
    namespace: str
    chain_id: int
    asset_ids: list[int]
    holders: list[str]


@dataclass(frozen=True)
class Load:
    """What wrk measured for one endpoint."""

    endpoint: str
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    failures: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def _stop(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """SIGTERM to the process group it leads (it was started in a session of its own)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout)


def _rpc(url: str, method: str) -> object:
    answer = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": []})
    return answer.json()["result"]


# -- the chain, the database and the index -----------------------------------------------------


@contextmanager
def anvil(*options: str, balance: int = 1_000_000, start_seconds: float = 30,
          stop_seconds: float = 15) -> Iterator[str]:  # fmt: skip
    """An anvil of this run's own on a free port, with the 40 accounts of ape-config.yaml (and
    `options` added to its command line); stopped on exit, given `stop_seconds` to do so."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(ANVIL), "--port", str(port), "--accounts", "40", "--balance", str(balance),
               *options, "--silent"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            try:
                _rpc(url, "eth_chainId")
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise click.ClickException(f"anvil did not start on {url}") from None
                time.sleep(0.1)
        yield url
    finally:
        _stop(process, timeout=stop_seconds)


def play_demo(rpc_url: str, deployments_dir: Path) -> None:
    """`ape run demo` against the anvil at `rpc_url`, writing its deployments file in the folder."""
    env = dict(os.environ, APE_FOUNDRY_HOST=rpc_url, DEPLOYMENTS_DIR=str(deployments_dir))
    env["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{BIN}{os.pathsep}{env['PATH']}"
    env.setdefault("SOLCX_BINARY_PATH", str(ROOT / "tools" / "solcjs"))
    done = subprocess.run([str(BIN / "ape"), "run", "demo", "--network", "ethereum:local:foundry"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)  # fmt: skip
    if done.returncode != 0:
        raise click.ClickException(f"the demo failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def index_demo(rpc_url: str, deployments_dir: Path, database_url: str, redis_url: str,
               namespace: str) -> Demo:  # fmt: skip
    """Indexes the chain to its head with `python -m indexer`; reads the assets and holders."""
    head = int(str(_rpc(rpc_url, "eth_blockNumber")), 16)
    env = dict(os.environ, RPC_URL=rpc_url, DATABASE_URL=database_url, REDIS_URL=redis_url,
               REDIS_NAMESPACE=namespace, DEPLOYMENTS_DIR=str(deployments_dir),
               INDEXER_USE_WEBSOCKET="false", PYTHONPATH=str(ROOT))  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "indexer", "run", "--no-progress", "--until",
                           str(head)], cwd=ROOT, env=env, capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        raise click.ClickException(f"the indexer failed:\n{done.stderr[-3000:]}")
    with psycopg.connect(database_url) as conn:
        checkpoint = conn.execute("SELECT chain_id FROM checkpoints").fetchone()
        assets = [int(r[0]) for r in conn.execute("SELECT asset_id FROM assets ORDER BY 1")]
        holders = [str(r[0]) for r in conn.execute(
            "SELECT DISTINCT account FROM holders WHERE balance > 0 ORDER BY 1")]  # fmt: skip
    if checkpoint is None or not assets or not holders:
        raise click.ClickException("the index holds no asset or no holder: did the demo run?")
    return Demo(rpc_url, deployments_dir, database_url, redis_url, namespace, int(checkpoint[0]),
                assets, holders)  # fmt: skip


# -- the API and the load ----------------------------------------------------------------------


def paths_of(endpoint: str, demo: Demo) -> list[str]:
    """The request paths of an endpoint: a name of NAMED, or a literal path."""
    if endpoint == "assets":
        return ["/assets"]
    if endpoint == "asset":
        return [f"/assets/{asset_id}" for asset_id in demo.asset_ids]
    if endpoint == "portfolio":
        return [f"/accounts/{address}" for address in demo.holders]
    if endpoint == "status":
        return ["/status"]
    if endpoint.startswith("/"):
        return [endpoint]
    raise click.BadParameter(f"{endpoint!r} is none of {', '.join(NAMED)} and not a path")


@contextmanager
def api_server(demo: Demo, workers: int, workdir: Path) -> Iterator[str]:
    """`python -m api --workers N` on a free port, in a process group of its own; yields its URL."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=demo.database_url, REDIS_URL=demo.redis_url,
               RPC_URL=demo.rpc_url, DEPLOYMENTS_DIR=str(demo.deployments_dir),
               API_REDIS_NAMESPACE=demo.namespace, API_DATA_DIR=str(workdir / "api"),
               API_JWT_SECRET=secrets.token_hex(32), API_RATE_LIMIT_PER_MINUTE=str(10**9),
               API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE=str(10**9), PYTHONPATH=str(ROOT))  # fmt: skip
    log = (workdir / f"api-{workers}.log").open("wb")
    command = [sys.executable, "-m", "api", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers)]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _ready(url):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (workdir / f"api-{workers}.log").read_text()[-3000:]
                raise click.ClickException(f"the API did not become ready:\n{tail}")
            time.sleep(0.2)
        yield url
    finally:
        _stop(process)
        log.close()


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def check_paths(url: str, endpoint: str, paths: list[str]) -> None:
    """Each path answers 200 (and is now in the read cache); else a clear error."""
    with httpx.Client(base_url=url, timeout=10) as client:
        for path in paths:
            answer = client.get(path)
            if answer.status_code != 200:
                hint = (
                    " (is the route built yet? `ls api/routes`)"
                    if answer.status_code == 404
                    else ""
                )
                raise click.ClickException(f"{endpoint}: GET {path} answered"
                                           f" {answer.status_code}{hint}: {answer.text[:300]}")  # fmt: skip


def wrk(url: str, endpoint: str, paths: list[str], *, connections: int, seconds: float,
        threads: int, workdir: Path, unique: bool = False) -> Load:  # fmt: skip
    """Loads the paths (round robin) with wrk; returns its figures.

    With `unique`, each request gets a query string of its own (which the routes ignore), so
    every one misses the read cache: the database, the model and Redis, each time.
    """
    script = workdir / f"wrk-{endpoint.strip('/').replace('/', '_') or 'root'}.lua"
    listed = ", ".join(json.dumps(p) for p in paths)
    script.write_text(WRK_SCRIPT % (listed, "true" if unique else "false"))
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s",
               "--timeout", "10s", "-s", str(script), url]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    found = re.search(r"^WRK (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or found is None:
        raise click.ClickException(f"wrk failed:\n{done.stdout}{done.stderr}")
    result = json.loads(found.group(1))
    return Load(endpoint=endpoint, rps=result["requests"] / result["seconds"],
                p50_ms=result["p50_us"] / 1000, p99_ms=result["p99_us"] / 1000,
                max_ms=result["max_us"] / 1000, requests=result["requests"],
                failures=result["errors"] + result["non_2xx"])  # fmt: skip


# -- pgbench -----------------------------------------------------------------------------------


def pgbench(database_url: str, mode: str, *, clients: int, seconds: float, threads: int,
            demo: Demo, workdir: Path) -> float:  # fmt: skip
    """pgbench at `clients` clients for `seconds` (prepared statements); returns its tps."""
    if shutil.which("pgbench") is None:
        raise click.ClickException("pgbench is not installed (apt-get install postgresql-client)")
    command = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(threads),
               "-T", str(max(1, round(seconds)))]  # fmt: skip
    if mode == "select-only":
        init = subprocess.run(["pgbench", "-i", "-s", "1", "-q", database_url],
                              capture_output=True, text=True)  # fmt: skip
        if init.returncode != 0:
            raise click.ClickException(f"pgbench -i failed:\n{init.stderr[-2000:]}")
        command.append("-S")
    else:
        script = workdir / "asset_row.sql"
        script.write_text(f"\\set id random({min(demo.asset_ids)}, {max(demo.asset_ids)})\n"
                          f"SELECT * FROM assets WHERE chain_id = {demo.chain_id}"
                          " AND asset_id = :id;\n")  # fmt: skip
        command += ["-f", str(script)]
    done = subprocess.run([*command, database_url], capture_output=True, text=True)
    found = re.search(r"^tps = ([0-9.]+)", done.stdout, re.MULTILINE)
    if done.returncode != 0 or found is None:
        raise click.ClickException(f"pgbench failed:\n{done.stdout}{done.stderr}")
    latency = re.search(r"^latency average = ([0-9.]+) ms", done.stdout, re.MULTILINE)
    click.echo(f"pgbench {mode}: {float(found.group(1)):,.0f} tps, latency average"
               f" {latency.group(1) if latency else '?'} ms ({clients} clients, {threads} threads,"
               f" {seconds:g} s, prepared)")  # fmt: skip
    return float(found.group(1))


# -- the command -------------------------------------------------------------------------------


def measure_api(demo: Demo, workers: int, endpoints: list[str], *, connections: int,
                seconds: float, warmup: float, threads: int, workdir: Path, uncached: bool,
                max_busy: float) -> list[Load]:  # fmt: skip
    """Starts the API with `workers` workers and loads each endpoint in turn (cached answers);
    with `uncached`, then again with every request missing the cache. Returns the cached loads."""
    loads = []
    with api_server(demo, workers, workdir) as url:
        for endpoint in endpoints:
            paths = paths_of(endpoint, demo)
            check_paths(url, endpoint, paths)
            wrk(url, endpoint, paths, connections=connections, seconds=warmup, threads=threads,
                workdir=workdir)  # fmt: skip
            for unique in (False, True) if uncached else (False,):
                wait_until_quiet(max_busy, 300, indent="  ")
                load = wrk(url, endpoint, paths, connections=connections, seconds=seconds,
                           threads=threads, workdir=workdir, unique=unique)  # fmt: skip
                _show(load, workers, paths, "every request a cache miss" if unique else "cached")
                if load.failures:
                    raise click.ClickException(f"{endpoint}: {load.failures} failed requests"
                                               f" (see {workdir}/api-{workers}.log)")  # fmt: skip
                if not unique:
                    loads.append(load)
    return loads


def _show(load: Load, workers: int, paths: list[str], regime: str) -> None:
    shown = paths[0] if len(paths) == 1 else f"{paths[0]} .. ({len(paths)} paths)"
    click.echo(f"  {load.endpoint:<10} workers={workers} rps={load.rps:,.0f}"
               f" p50_ms={load.p50_ms:.1f} p99_ms={load.p99_ms:.1f} max_ms={load.max_ms:.1f}"
               f" requests={load.requests:,} failures={load.failures}  GET {shown} ({regime})")  # fmt: skip


def busy_cores(seconds: float = 3.0) -> float:
    """How many cores the machine kept busy over the next `seconds` (from /proc/stat)."""

    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle, iowait
        return sum(fields[:8]) - idle, sum(fields[:8])

    busy, total = sample()
    time.sleep(seconds)
    busy2, total2 = sample()
    return (os.cpu_count() or 1) * (busy2 - busy) / max(1, total2 - total)


def wait_until_quiet(limit: float, patience: float, indent: str = "") -> None:
    """Waits (up to `patience` seconds) until the machine keeps fewer than `limit` cores busy."""
    deadline = time.monotonic() + patience
    while (busy := busy_cores()) > limit:
        if time.monotonic() > deadline:
            click.echo(f"{indent}still busy ({busy:.2f} cores) after {patience:.0f} s:"
                       " measuring anyway")  # fmt: skip
            return
        click.echo(f"{indent}the machine is busy ({busy:.2f} cores, {load_average()}); waiting")
        time.sleep(20)
    click.echo(f"{indent}[{busy:.2f} cores busy before measuring; {load_average()}]")


@click.command()
@click.option(
    "--endpoint",
    "endpoints",
    multiple=True,
    default=("assets", "asset", "portfolio"),
    show_default=True,
    help=f"What to load: {', '.join(NAMED)} or a path (repeatable).",
)
@click.option(
    "--workers",
    "workers",
    multiple=True,
    type=click.IntRange(min=1),
    help="API worker processes (repeatable, to compare); default: the core count.",
)
@click.option("--connections", default=64, show_default=True, type=click.IntRange(min=1),
              help="Concurrent connections of wrk, and pgbench's clients.")  # fmt: skip
@click.option("--duration", default=10.0, show_default=True, type=click.FloatRange(min=1),
              help="Seconds of each measurement (wrk per endpoint, pgbench).")  # fmt: skip
@click.option("--warmup", default=2.0, show_default=True, type=click.FloatRange(min=1),
              help="Seconds of unmeasured load before each endpoint's measurement.")  # fmt: skip
@click.option(
    "--pgbench",
    "pgbench_mode",
    type=click.Choice(["asset-row", "select-only"]),
    default="asset-row",
    show_default=True,
    help="pgbench's transaction.",
)
@click.option("--server-url", default=SERVER_URL, show_default=True,
              help="PostgreSQL server to create the bench database on.")  # fmt: skip
@click.option("--redis-url", default=REDIS_URL, show_default=True, help="Redis server.")
@click.option("--uncached/--cached-only", default=True, show_default=True,
              help="Also load each endpoint with every request missing the read cache.")  # fmt: skip
@click.option("--keep-db", is_flag=True, help="Keep the bench database (its URL is printed).")
@click.option("--max-busy", default=0.3, show_default=True,
              help="Wait (up to 10 min) until other work keeps fewer cores than this busy.")  # fmt: skip
def main(endpoints: tuple[str, ...], workers: tuple[int, ...], connections: int, duration: float,
         warmup: float, pgbench_mode: str, server_url: str, redis_url: str, uncached: bool,
         keep_db: bool, max_busy: float) -> None:  # fmt: skip
    """Loads the API's reads with wrk at 64 connections and compares with pgbench."""
    if shutil.which("wrk") is None:
        raise click.ClickException(
            "wrk is not on PATH: `make bench-api` installs it into .tools/bin (Debian's package)"
        )
    cores = os.cpu_count() or 1
    workers = workers or (cores,)
    threads = min(cores, connections)
    click.echo(f"{cores} cores shared by wrk ({threads} threads), the API, PostgreSQL and Redis:"
               " the figures are of the whole machine under load, not of the API alone")  # fmt: skip
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="api-bench-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        rpc_url = stack.enter_context(anvil())
        deployments = workdir / "deployments"
        deployments.mkdir()
        play_demo(rpc_url, deployments)
        click.echo(f"demo played ({time.monotonic() - started:.0f} s)")
        database_url = stack.enter_context(
            scratch_database(server_url, workdir, prefix="apibench", keep=keep_db)
        )
        redis = stack.enter_context(redis_server(redis_url, workdir))
        namespace = f"apibench-{secrets.token_hex(4)}"
        demo = index_demo(rpc_url, deployments, database_url, redis, namespace)
        click.echo(f"indexed: {len(demo.asset_ids)} assets, {len(demo.holders)} holders"
                   f" ({time.monotonic() - started:.0f} s)")  # fmt: skip
        wait_until_quiet(max_busy, 600)
        click.echo(f"[{load_average()}]")
        tps = pgbench(database_url, pgbench_mode, clients=connections, seconds=duration,
                      threads=threads, demo=demo, workdir=workdir)  # fmt: skip
        results: dict[int, list[Load]] = {}
        for count in workers:
            click.echo(f"API with {count} worker(s), wrk at {connections} connections:")
            results[count] = measure_api(demo, count, list(endpoints), connections=connections,
                                         seconds=duration, warmup=warmup, threads=threads,
                                         workdir=workdir, uncached=uncached,
                                         max_busy=max_busy)  # fmt: skip
    main_loads = results[workers[0]]
    rps = sum(load.rps for load in main_loads) / len(main_loads)
    p99 = max(load.p99_ms for load in main_loads)
    verdict = "meets" if p99 < TARGET_P99_MS else "misses"
    click.echo(f"workers={workers[0]}, cached answers at a standing block: rps is the mean over"
               f" {', '.join(endpoints)}, p99 the worst;"
               f" {verdict} the p99 < {TARGET_P99_MS:g} ms target [{load_average()}]"
               f" (total {time.monotonic() - started:.0f} s)")  # fmt: skip
    click.echo(f"api rps={rps:.0f} p99_ms={p99:.1f} pgbench_tps={tps:.0f} ratio={rps / tps:.3f}")


if __name__ == "__main__":
    main()
