"""A platform-sized chain: build it, index it from empty, and read every route at 64 clients with
the read cache missed, beside pgbench's limit on the same database (`make bench-scale`, issue 15).

Usage (from any directory; the script changes to the repository root):

    .venv/bin/python bench/scale_bench.py --scale 0.01     # a quick run (a minute or two to build)
    .venv/bin/python bench/scale_bench.py                  # the issue's size (30-60 min to build)
    .venv/bin/python bench/scale_bench.py --reuse          # the last chain and index, reads only
    .venv/bin/python bench/scale_bench.py --reuse --reindex  # the last chain, indexed again
    .venv/bin/python bench/scale_bench.py --reuse --route "graphql portfolio"  # one route
    .venv/bin/python bench/scale_bench.py --scale 0.01 --workdir .data/bench-small  # a second chain

At scale 1 the chain has 20 assets, 50,000 holders, 1,000,000 share transfers, 60 months of signed
production reports and revenue deposits per asset, 100,000 claims, 10,000 listings and fills and 500
proposals with 20 votes each; `--scale` multiplies every count (`bench/scale_chain.py` builds it).
The anvil (its state kept in `.data/bench-scale/anvil.json`) and the database (`scale_<random>`,
named in `.data/bench-scale/record.json`) are kept, so `--reuse` measures the reads again without
rebuilding; a new build drops the previous database.

Indexing runs `python -m indexer run --until <head>` from an empty database: events/s is the raw
log count over the wall time from launch (imports and migrations included) to exit, peak RSS that
process's high-water mark; then `eth_getLogs` alone over the same range (bench/indexer_bench.py's
fetch-alone) gives the node's limit and the ratio of the two. The reads run `python -m api` over the index and load each route with
`wrk` at `--connections` connections, every request with a query string of its own (which the
routes ignore) so that every one misses the read cache; pgbench's select-only transaction runs on the
same database for the same time first. The machine's load average is printed beside each figure.
The last line is always
`scale events=<n> holders=<h> index_events_per_s=<x> index_peak_rss_mb=<m> miss_p99_ms=<worst p99>
worst=<route> miss_rps=<mean rps> pgbench_tps=<z>` (one line).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import click
import httpx
import psycopg
from _services import NETWORK, redis_server

ROOT = Path(__file__).resolve().parents[1]
os.chdir(ROOT)
sys.path.insert(0, str(ROOT))

from api_bench import (  # noqa: E402
    REDIS_URL,
    SERVER_URL,
    Demo,
    Load,
    _rpc,
    api_server,
    check_paths,
    load_average,
    pgbench,
    wrk,
)
from api_bench import anvil as local_anvil  # noqa: E402
from indexer_bench import Chain, in_child, measure_fetch  # noqa: E402

from infra import embedded  # noqa: E402

WORKDIR = ROOT / ".data" / "bench-scale"
"""Where the chain and its record are kept, unless `--workdir` names another folder."""
GRAPHQL = (  # as a client sends it: one document, the account in its variables
    "query Portfolio($address: Address!) { account(address: $address) { portfolio {"
    " holdings { assetId balance claimable energyWh reportsShared asset { name status } } } } }"
)


def anvil(state: Path) -> contextlib.AbstractContextManager[str]:
    """An anvil of this run's own, its state loaded from and dumped to `state` (on exit)."""
    # Only the newest states in memory: with every block's state kept, the full-size build grew
    # anvil past 23 GB and the kernel killed it (blocks, receipts and logs are all kept).
    return local_anvil("--base-fee", "0", "--gas-price", "0", "--gas-limit", "2000000000",
                       "--prune-history", "32", "--state", str(state),
                       balance=1_000_000_000, start_seconds=900,
                       stop_seconds=600)  # anvil writes its state as it stops  # fmt: skip


def build_chain(scale: float, rpc_url: str, deployments: Path) -> dict[str, Any]:
    """Builds the chain through ape, connected to the anvil at `rpc_url`; returns its record."""
    os.environ["APE_FOUNDRY_HOST"] = rpc_url
    os.environ["DEPLOYMENTS_DIR"] = str(deployments)
    os.environ.setdefault("SOLCX_BINARY_PATH", str(ROOT / "tools" / "solcjs"))
    from ape import networks
    from scale_chain import Sizes, build, timed

    from scripts._lib import write_deployments

    sizes = Sizes.at(scale)
    click.echo(f"building: {sizes.describe()}")
    started = time.monotonic()
    with networks.parse_network_choice(NETWORK):
        built = build(sizes, rpc_url, timed("built"))
        write_deployments(built.pop("platform"), built["chain_id"])
    built["build_s"] = time.monotonic() - started
    built["sizes"] = sizes.describe()
    click.echo(f"built the chain in {built['build_s']:,.0f} s ({built['transactions']:,} batched"
               " transactions besides the deployment)")  # fmt: skip
    return built


def index_chain(rpc_url: str, deployments: Path, database_url: str) -> dict[str, float]:
    """`python -m indexer run --until <head>` from empty: events, events/s and peak RSS."""
    head = int(str(_rpc(rpc_url, "eth_blockNumber")), 16)
    env = dict(os.environ, RPC_URL=rpc_url, DATABASE_URL=database_url,
               DEPLOYMENTS_DIR=str(deployments), INDEXER_USE_WEBSOCKET="false",
               PYTHONPATH=str(ROOT))  # fmt: skip
    env.pop("REDIS_URL", None)
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "indexer", "run", "--no-progress", "--until",
                                str(head)], cwd=ROOT, env=env, stderr=subprocess.PIPE)  # fmt: skip
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise click.ClickException(f"the indexer failed:\n{errors.decode()[-3000:]}")
    with psycopg.connect(database_url) as conn:
        events = int(conn.execute("SELECT count(*) FROM raw_logs").fetchone()[0])  # type: ignore[index]
        holders = int(conn.execute(
            "SELECT count(DISTINCT account) FROM holders WHERE balance > 0").fetchone()[0])  # type: ignore[index]  # fmt: skip
        followed = conn.execute("SELECT address, block_number FROM contracts").fetchall()
    figures = {"events": events, "holder_count": holders, "index_s": seconds,
               "events_per_s": events / seconds, "peak_rss_mb": usage.ru_maxrss / 1024}  # fmt: skip
    click.echo(f"indexed {events:,} events from empty in {seconds:,.1f} s:"
               f" {figures['events_per_s']:,.0f} events/s, peak RSS"
               f" {figures['peak_rss_mb']:,.0f} MiB ({load_average()})")  # fmt: skip
    # The node's limit over the same range: eth_getLogs alone, as bench/indexer_bench.py measures it.
    chain = Chain(rpc_url=rpc_url, chain_id=int(str(_rpc(rpc_url, "eth_chainId")), 16),
                  deployments_dir=str(deployments), first_block=min(int(b) for _, b in followed),
                  head=head, token="", transfers=0, transactions=0)  # fmt: skip
    fetched = in_child(measure_fetch, chain, [str(a) for a, _ in followed], False)
    figures["fetch_per_s"] = fetched["logs"] / fetched["seconds"]
    figures["ratio"] = figures["events_per_s"] / figures["fetch_per_s"]
    click.echo(f"fetch-alone over the same range: {fetched['logs']:,} logs in"
               f" {fetched['seconds']:,.1f} s = {figures['fetch_per_s']:,.0f} logs/s; indexing (launch"
               f" to exit) / fetch-alone = {figures['ratio']:.2f} ({load_average()})")  # fmt: skip
    return figures


def new_database(server_url: str) -> str:
    """A fresh `scale_<random>` database on the server."""
    if not embedded.server_answers(server_url):
        raise click.ClickException(f"PostgreSQL at {server_url} does not answer")
    name = f"scale_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(server_url)._replace(path="/" + name))


def drop_database(server_url: str, database_url: str) -> None:
    """Drops a previous build's database (if the server still has it)."""
    if embedded.server_answers(server_url):
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(
                f'DROP DATABASE IF EXISTS "{urlsplit(database_url).path[1:]}" WITH (FORCE)'
            )


def route_paths(url: str, record: dict[str, Any], sample: int) -> dict[str, list[str]]:
    """The request paths of every measured route, from the index itself."""
    pick = random.Random(15)
    assets = record["asset_ids"]
    holders = pick.sample(record["holders"], min(sample, len(record["holders"])))
    deep: list[str] = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for asset_id in assets[:4]:
            path, pages = f"/assets/{asset_id}/holders?limit=50", 0
            while pages < 40:
                page = client.get(path).json()
                cursor = page.get("next_cursor")
                if cursor is None:
                    break
                path = f"/assets/{asset_id}/holders?limit=50&cursor={quote(cursor)}"
                pages += 1
                if pages % 5 == 0:
                    deep.append(path)
        head = int(client.get("/status").json()["indexed_block"])
    return {
        "/assets": ["/assets"],
        "/assets/{id}": [f"/assets/{a}" for a in assets],
        "/assets/{id}/holders": [f"/assets/{a}/holders" for a in assets],
        "/assets/{id}/holders deep": deep or [f"/assets/{assets[0]}/holders"],
        "/assets/{id}/production": [f"/assets/{a}/production" for a in assets],
        "/accounts/{address}": [f"/accounts/{h}" for h in holders],
        "/accounts/{address}/history": [f"/accounts/{h}/history" for h in holders],
        "/events?asset_id&event": [f"/events?asset_id={a}&event=RevenueClaimed" for a in assets],
        "/events?from_block": [f"/events?from_block={max(0, head - k * 97)}" for k in range(50)],
        "/market/listings": [f"/market/listings?asset_id={a}" for a in assets],
        "/governance/proposals/{a}/{p}/votes": [
            f"/governance/proposals/{a}/{p}/votes" for a, p in record["proposals"]
        ],
        "/status": ["/status"],
        "graphql portfolio": [
            f"/graphql?query={quote(GRAPHQL)}&variables={quote(json.dumps({'address': h}))}"
            for h in holders[:200]
        ],
    }


def measure_reads(record: dict[str, Any], rpc_url: str, redis_url: str, workdir: Path, *,
                  connections: int, seconds: float, workers: int, sample: int,
                  only: tuple[str, ...] = ()) -> tuple[list[Load], float]:  # fmt: skip
    """pgbench select-only, then every route (or those named in `only`) with the cache missed;
    returns the loads and tps."""
    demo = Demo(rpc_url, Path(record["deployments"]), record["database_url"], redis_url,
                f"scale{secrets.token_hex(3)}", record["chain_id"], record["asset_ids"],
                record["holders"])  # fmt: skip
    threads = max(1, min(4, os.cpu_count() or 1))
    scratch = workdir / "run"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    tps = pgbench(record["database_url"], "select-only", clients=connections, seconds=seconds,
                  threads=threads, demo=demo, workdir=scratch)  # fmt: skip
    loads = []
    with api_server(demo, workers, scratch) as url:
        routes = route_paths(url, record, sample)
        unknown = set(only) - set(routes)
        if unknown:
            raise click.BadParameter(f"{', '.join(sorted(unknown))}: the routes are"
                                     f" {', '.join(routes)}", param_hint="--route")  # fmt: skip
        for route, paths in routes.items():
            if only and route not in only:
                continue
            check_paths(url, route, paths[:3])
            wrk(url, route, paths, connections=connections, seconds=min(2.0, seconds),
                threads=threads, workdir=scratch, unique=True)  # fmt: skip
            load = wrk(url, route, paths, connections=connections, seconds=seconds,
                       threads=threads, workdir=scratch, unique=True)  # fmt: skip
            loads.append(load)
            click.echo(f"  {route:<40} p50 {load.p50_ms:8.1f} ms  p99 {load.p99_ms:8.1f} ms"
                       f"  {load.rps:8.1f} rps  failures {load.failures}  ({load_average()})")  # fmt: skip
    return loads, tps


@click.command()
@click.option("--scale", default=1.0, show_default=True, type=click.FloatRange(min=0.0001),
              help="Multiplies every count of the chain (0.01 for a quick run).")  # fmt: skip
@click.option("--reuse", is_flag=True, help="Measure the reads on the last chain and index.")
@click.option("--reindex", is_flag=True,
              help="With --reuse: index the kept chain again from empty first (a new database).")  # fmt: skip
@click.option(
    "--connections", default=64, show_default=True, help="wrk connections, pgbench clients."
)
@click.option("--duration", default=10.0, show_default=True, help="Seconds of each measurement.")
@click.option("--workers", default=1, show_default=True, help="API processes.")
@click.option("--route", "routes", multiple=True,
              help="Measure only this route (as printed, e.g. 'graphql portfolio'); repeatable.")  # fmt: skip
@click.option("--sample", default=2_000, show_default=True, help="Random holders asked about.")
@click.option("--server-url", default=SERVER_URL, show_default=True, help="PostgreSQL server.")
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=WORKDIR,
    show_default=True,
    help="Where the chain and its record are kept (one chain each).",
)
@click.option("--redis-url", default=REDIS_URL, show_default=True, help="Redis (the API's cache).")
def main(scale: float, reuse: bool, reindex: bool, connections: int, duration: float, workers: int,
         routes: tuple[str, ...], sample: int, server_url: str, workdir: Path,
         redis_url: str) -> None:  # fmt: skip
    """Builds (or reuses) the chain and its index, then measures every read with the cache missed."""
    path = workdir / "record.json"
    old = json.loads(path.read_text()) if path.exists() else None
    state = workdir / "anvil.json"
    if reuse and (old is None or not state.exists()):
        raise click.ClickException(f"nothing to reuse in {workdir}: run without --reuse first")
    if not reuse:
        if old is not None:
            drop_database(server_url, old["database_url"])
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
    with anvil(state) as rpc_url:
        if reuse:
            assert old is not None
            record = old
            click.echo(f"reusing the chain ({record['sizes']}) and {record['database_url']}")
            if reindex:
                drop_database(server_url, record["database_url"])
                record["database_url"] = new_database(server_url)
                path.write_text(json.dumps(record))
                record.update(index_chain(rpc_url, Path(record["deployments"]),
                                          record["database_url"]))  # fmt: skip
                path.write_text(json.dumps(record))
        else:
            deployments = workdir / "deployments"
            deployments.mkdir()
            record = build_chain(scale, rpc_url, deployments)
            record["deployments"] = str(deployments)
            record["database_url"] = new_database(server_url)
            path.write_text(json.dumps(record))  # the chain is kept even if indexing fails
            record.update(index_chain(rpc_url, deployments, record["database_url"]))
            path.write_text(json.dumps(record))
        with redis_server(redis_url, workdir) as redis:
            loads, tps = measure_reads(record, rpc_url, redis, workdir, connections=connections,
                                       seconds=duration, workers=workers, sample=sample,
                                       only=routes)  # fmt: skip
    click.echo(f"chain build took {record['build_s']:,.0f} s; indexing {record['index_s']:,.0f} s")
    worst = max(loads, key=lambda load: load.p99_ms)
    mean_rps = sum(load.rps for load in loads) / len(loads)
    click.echo(f"scale events={record['events']} holders={record['holder_count']}"
               f" index_events_per_s={record['events_per_s']:.0f}"
               f" index_peak_rss_mb={record['peak_rss_mb']:.0f} miss_p99_ms={worst.p99_ms:.1f}"
               f" worst={worst.endpoint.replace(' ', '_')} miss_rps={mean_rps:.1f}"
               f" pgbench_tps={tps:.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
