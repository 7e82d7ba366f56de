"""Indexer backfill throughput and memory, against the raw limits of the same chain and database.

Usage (from any directory; the script changes to the repository root):

    .venv/bin/python bench/indexer_bench.py                     # 100,000 transfers
    .venv/bin/python bench/indexer_bench.py --transfers 400000  # memory must not grow with N
    .venv/bin/python bench/indexer_bench.py --profile /tmp/indexer.prof  # cProfile the indexer

ape starts a local anvil (`ethereum:local:foundry`) and stops it at the end. The script deploys the
platform, registers one asset of N shares, buys all of them through the primary sale and finalizes
it, then hands them to a test-only `TransferFan` (contracts/test/TransferFan.sol) that sends one
share to each of a list of recipients, round after round, a few thousand transfers per transaction,
through the real ShareToken. The fan and the recipients abstain from voting first (they delegate to
the zero address), so each transfer emits one `Transfer` log and nothing else. Then it mines
`reorg_window` empty blocks, so the transfers are final history, as in a real backfill
(`--no-settle` keeps them in the reversible window instead).

Measured in this run, each in a fresh process (peak RSS is that process's own):

    fetch-alone   the same block range with `eth_getLogs` only: the indexer's `RangeFetcher` with
                  the indexer's settings, ranges planned as its prefetcher plans them, each range
                  dropped once counted; twice, before and after indexing; the faster is the limit;
    decode-alone  the fetched logs through the indexer's `Decoder` (ABI decoding, JSON encoding);
    index         `Indexer.run(until=head)` from an empty database (schema already migrated);
    launch        `python -m indexer run --until <head>` as a new process into another empty
                  (migrated) database, timed from launch to exit: start-up (imports, connections)
                  counted, as an operator sees it; the ratio is taken from this figure; with
                  the CPU seconds the indexer, the local PostgreSQL server and anvil used meanwhile
                  (/proc), whose sum over the cores is the shortest time any schedule could take;
    copy-alone    as many rows as were indexed, shaped like `raw_logs`, written with `COPY` alone
                  into a table created `LIKE raw_logs` (the same indexes), in batches of 10,000;
    row by row    with `--row-by-row`: `index` into a third empty database with
                  `INDEXER_DEFER_INDEXES=false`, every raw_logs index kept up to date row by row
                  (by default a first backfill builds the secondary indexes once caught up).

The database is a fresh `bench_<random>` on the machine's PostgreSQL (`--server-url`), dropped at
the end (`--keep-db` keeps it); when that server does not answer, an embedded one is started through
`infra.embedded`. The last line is always
`indexer events=<n> events_per_s=<x> fetch_limit_per_s=<y> ratio=<x/y> peak_rss_mb=<m>`, x being
the launch figure.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import psycopg
from _services import NETWORK, REDIS_URL, SERVER_URL, redis_server, scratch_database
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector, keccak

ROOT = Path(__file__).resolve().parents[1]
# ape reads the project from the working directory, and `scripts._lib` and `indexer` live at the
# repository root. ape itself is imported only where the chain is built, so that the measuring
# processes (which import this module again) carry nothing but the indexer.
os.chdir(ROOT)
sys.path.insert(0, str(ROOT))

from indexer.decode import Decoder  # noqa: E402
from indexer.deployments import deployed_contracts  # noqa: E402
from indexer.engine import Indexer  # noqa: E402
from indexer.fetch import RangeFetcher  # noqa: E402
from indexer.rpc import RpcClient  # noqa: E402
from indexer.settings import IndexerSettings  # noqa: E402
from indexer.store import RAW_LOG_COLUMNS  # noqa: E402
from infra.abi import Abis  # noqa: E402
from infra.database.migrate import upgrade  # noqa: E402

ZERO_WORD = bytes(32)
DELEGATE = function_signature_to_4byte_selector("delegate(address)")
FAN = function_signature_to_4byte_selector("fan(address[],uint256)")
TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
RPC_BATCH = 200  # calls per JSON-RPC batch while generating
MAX_BATCH_BYTES = 1_000_000  # calldata per JSON-RPC batch while generating
COPY_BATCH = 10_000  # rows per COPY transaction in the copy-alone measurement


@dataclass(frozen=True)
class Chain:
    """What the measurements need to know about the generated chain."""

    rpc_url: str
    chain_id: int
    deployments_dir: str
    first_block: int
    head: int
    token: str
    transfers: int
    transactions: int


# -- generating the chain ----------------------------------------------------------------------


def _recipients(count: int) -> list[str]:
    """Fresh, deterministic addresses that nobody holds a key for."""
    return ["0x" + keccak(b"indexer-bench" + i.to_bytes(4, "big"))[12:].hex() for i in range(count)]


def _mine_all(rpc: RpcClient, txs: Sequence[dict[str, str]], report: Callable[[int], None]) -> int:
    """Sends transactions into anvil's pool with automine off, then mines until all are in.

    Args:
        rpc: The node.
        txs: `eth_sendTransaction` objects (anvil signs for test and impersonated accounts).
        report: Called after each mined block with the number of receipts so far.

    Returns:
        How many blocks were mined.

    Raises:
        click.ClickException: A transaction failed, or a block included none.
    """
    rpc.call("evm_setAutomine", [False])
    try:
        pending: list[str] = []
        largest = max(len(tx.get("data", "")) for tx in txs)
        size = max(1, min(RPC_BATCH, MAX_BATCH_BYTES // largest))  # anvil caps a request's size
        for start in range(0, len(txs), size):
            chunk = txs[start : start + size]
            pending += rpc.batch([("eth_sendTransaction", [tx]) for tx in chunk])
        blocks = 0
        while pending:
            rpc.call("evm_mine")
            blocks += 1
            receipts = rpc.batch([("eth_getTransactionReceipt", [h]) for h in pending])
            if any(r is not None and r["status"] != "0x1" for r in receipts):
                raise click.ClickException("a generating transaction reverted")
            still = [h for h, r in zip(pending, receipts, strict=True) if r is None]
            if len(still) == len(pending):
                raise click.ClickException("a mined block included no pending transaction")
            pending = still
            report(len(txs) - len(pending))
        return blocks
    finally:
        rpc.call("evm_setAutomine", [True])


def _abstain(rpc: RpcClient, token: str, holders: Sequence[str]) -> None:
    """Makes each holder delegate to the zero address (impersonated; gas is free on this anvil)."""
    rpc.batch([("anvil_impersonateAccount", [h]) for h in holders])
    data = "0x" + (DELEGATE + ZERO_WORD).hex()
    txs = [
        {"from": h, "to": token, "data": data, "gas": hex(100_000), "gasPrice": "0x0"}
        for h in holders
    ]
    _mine_all(rpc, txs, lambda _: None)
    rpc.batch([("anvil_stopImpersonatingAccount", [h]) for h in holders])


def _fan_jobs(transfers: int, recipients: list[str], rounds: int) -> list[tuple[list[str], int]]:
    """(recipients, rounds) per fan transaction, adding up to exactly `transfers` transfers."""
    per_tx = len(recipients) * rounds
    jobs: list[tuple[list[str], int]] = [(recipients, rounds)] * (transfers // per_tx)
    rest = transfers % per_tx
    if rest >= len(recipients):
        jobs.append((recipients, rest // len(recipients)))
    if rest % len(recipients):
        jobs.append((recipients[: rest % len(recipients)], 1))
    return jobs


def _fan_out(rpc: RpcClient, sender: str, fan: str, jobs: list[tuple[list[str], int]]) -> int:
    """Sends the fan transactions and mines them; returns the number of blocks they took."""
    calls = ["0x" + (FAN + encode(["address[]", "uint256"], job)).hex() for job in jobs]
    txs = [{"from": sender, "to": fan, "data": data} for data in calls]
    # The first job moves shares into empty balances, the dearest case: its estimate covers all.
    gas = int(rpc.call("eth_estimateGas", [txs[0]]), 16) * 11 // 10
    limit = int(rpc.call("eth_getBlockByNumber", ["latest", False])["gasLimit"], 16)
    if gas > limit:
        raise click.ClickException(f"a fan transaction needs {gas:,} gas, over the block's"
                                   f" {limit:,}: lower --recipients or --rounds")  # fmt: skip
    for tx in txs:
        tx["gas"] = hex(gas)
    total = sum(len(r) * n for r, n in jobs)
    started, shown = time.monotonic(), [0]

    def report(done: int) -> None:
        sent = sum(len(r) * n for r, n in jobs[:done])
        if sent == total or sent - shown[0] >= total // 10:
            shown[0] = sent
            click.echo(f"  {sent:,}/{total:,} transfers ({time.monotonic() - started:.1f} s)")

    click.echo(f"fanning out: {len(txs)} transactions of up to {gas:,} gas")
    return _mine_all(rpc, txs, report)


def generate(transfers: int, recipients: int, rounds: int, settle: int, workdir: Path) -> Chain:
    """Deploys the platform on ape's anvil and makes `transfers` share transfers on it.

    Must run inside the ape network context. Writes the deployments file into `workdir`.
    """
    from ape import accounts, chain, project

    from scripts._lib import asset_params, deploy_platform, register_asset, write_deployments

    started = time.monotonic()
    rpc = RpcClient(chain.provider.uri, timeout=600)
    admin, whale = accounts.test_accounts[0], accounts.test_accounts[1]
    platform = deploy_platform(admin)
    usdc = platform.stablecoin
    assert usdc is not None
    params = asset_params(payment_token=usdc, treasury=admin, name="Bench Wind Share",
                          symbol="BNCH", total_shares=transfers, share_price=1)  # fmt: skip
    asset = register_asset(platform, admin, params)
    token = asset.token
    usdc.mint(whale, transfers, sender=whale)
    usdc.approve(platform.sale, transfers, sender=whale)
    token.invoke_transaction("delegate", "0x" + "00" * 20, sender=whale)
    platform.sale.buy(asset.asset_id, transfers, sender=whale)
    platform.sale.finalize(asset.asset_id, sender=whale)
    fan = whale.deploy(project.TransferFan, token)
    token.transfer(fan, transfers, sender=whale)
    addresses = _recipients(min(recipients, transfers))
    _abstain(rpc, str(token.address), addresses)
    click.echo(f"platform deployed, {len(addresses):,} recipients abstaining"
               f" ({time.monotonic() - started:.1f} s)")  # fmt: skip
    jobs = _fan_jobs(transfers, addresses, rounds)
    blocks = _fan_out(rpc, whale.address, str(fan.address), jobs)
    if token.balanceOf(fan) != 0:
        raise click.ClickException("the fan still holds shares: some transfers are missing")
    if settle:
        rpc.call("anvil_mine", [hex(settle)])
    os.environ["DEPLOYMENTS_DIR"] = str(workdir)
    path = write_deployments(platform, chain.chain_id)
    first = min(entry["block"] for entry in json.loads(path.read_text())["contracts"].values())
    head = rpc.block_number()
    click.echo(f"generated {transfers:,} transfers in {len(jobs)} transactions over {blocks} blocks;"
               f" chain {first}..{head} ({time.monotonic() - started:.1f} s)")  # fmt: skip
    return Chain(chain.provider.uri, chain.chain_id, str(workdir), first, head,
                 str(token.address).lower(), transfers, len(jobs))  # fmt: skip


# -- the database ------------------------------------------------------------------------------


# -- measurements, each run in a fresh process -------------------------------------------------


def _peak_rss_mb() -> float:
    """This process's peak resident memory, in MiB.

    Linux carries `ru_maxrss` across `exec`, so a spawned child's `getrusage` would report at least
    the parent's size at the fork (ape's process); `VmHWM` is the high-water mark of the child's own
    memory since it started, so it is read instead where there is one.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def server_cpu_seconds(postmaster: int | None, node: int | None) -> dict[str, float]:
    """CPU seconds (user + system) the bench's PostgreSQL server (its postmaster and every process
    under it) and its anvil have used so far, read from /proc; a part whose process is unknown
    (a remote server, no /proc) is left out.

    A PostgreSQL backend that exited was reaped by the postmaster, which then holds its time as
    its children's (`cutime`, `cstime`): the difference of two readings counts it either way.
    """
    used: dict[str, float] = {}
    if postmaster is not None and (own := _cpu(postmaster, children=True)) is not None:
        used["PostgreSQL"] = own + sum(_cpu(pid) or 0.0 for pid in _children(postmaster))
    if node is not None and (own := _cpu(node)) is not None:
        used["node"] = own
    return used


def _cpu(pid: int, *, children: bool = False) -> float | None:
    """A process's CPU seconds (and its reaped children's), or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    ticks = sum(int(f) for f in fields[11 : 15 if children else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2 :].split()[1]) == parent:
            found.append(int(stat.parent.name))
    return found


def bench_processes(database_url: str, rpc_url: str) -> tuple[int | None, int | None]:
    """The pids of the bench's PostgreSQL postmaster and anvil, where they run on this machine."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
    backend = int(row[0]) if row else 0
    try:
        text = Path(f"/proc/{backend}/stat").read_text()
        postmaster: int | None = int(text[text.rindex(")") + 2 :].split()[1])
    except OSError:
        postmaster = None
    port = f"--port {urlsplit(rpc_url).port}"
    node = None
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            arguments = cmdline.read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "anvil" in arguments.split(" ", 1)[0] and port in arguments:
            node = int(cmdline.parent.name)
    return postmaster, node


def _settings(chain: Chain) -> IndexerSettings:
    return IndexerSettings(rpc_url=chain.rpc_url, deployments_dir=Path(chain.deployments_dir),
                           use_websocket=False, progress=False)  # fmt: skip


def measure_fetch(chain: Chain, addresses: list[str], decode: bool) -> dict[str, float]:
    """Fetches the chain's range with `eth_getLogs` alone; optionally decodes what came back.

    Ranges are planned as the indexer's prefetcher plans them (the fetcher's adaptive span), and
    each range's logs are dropped once counted (and decoded), so this process holds one range at a
    time: a list of every log would make the garbage collector, not the node, set the pace at large
    N. Only the fetch calls are timed; decoding is timed apart.
    """
    settings = _settings(chain)
    rpc = RpcClient(settings.rpc_url, timeout=settings.request_timeout)
    fetcher = RangeFetcher(rpc, addresses, span=settings.initial_range,
                           max_span=settings.max_range,
                           target_logs=settings.target_logs_per_request,
                           header_chunk=settings.header_batch_size)  # fmt: skip
    decoder = Decoder(Abis.from_build(settings.build_file), chain.chain_id) if decode else None
    logs = transfers = requests = 0
    seconds = decode_seconds = 0.0
    cursor = chain.first_block
    while cursor <= chain.head:
        end = min(chain.head, cursor + fetcher.span - 1)
        started = time.perf_counter()
        part = fetcher.logs(cursor, end)
        seconds += time.perf_counter() - started
        logs, requests = logs + len(part), requests + 1
        transfers += sum(1 for g in part if g["topics"][:1] == [TRANSFER_TOPIC])
        if decoder is not None:
            started = time.perf_counter()
            for entry in part:
                decoder.decode(entry["topics"], entry["data"])
            decode_seconds += time.perf_counter() - started
        cursor = end + 1
    return {"logs": logs, "transfers": transfers, "ranges": requests, "seconds": seconds,
            "decode_seconds": decode_seconds, "peak_rss_mb": _peak_rss_mb()}  # fmt: skip


def measure_index(chain: Chain, database_url: str, profile: str | None,
                  defer_indexes: bool = True) -> dict[str, Any]:  # fmt: skip
    """Runs the indexer from an empty database to the head; counts the raw logs it wrote.
    `defer_indexes=False` keeps every raw_logs index up to date row by row, as before the
    deferral (`INDEXER_DEFER_INDEXES=false`)."""
    settings = _settings(chain).model_copy(update={"defer_indexes": defer_indexes})
    upgrade(database_url)
    indexer = Indexer(settings, database_url, None)
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    indexer.run(until=chain.head)
    if profiler is not None:
        profiler.disable()
    seconds = time.perf_counter() - started
    peak = _peak_rss_mb()
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM raw_logs").fetchone()
        events = int(row[0]) if row else 0
        addresses = [str(r[0]) for r in conn.execute("SELECT address FROM contracts").fetchall()]
    result: dict[str, Any] = {"events": events, "seconds": seconds, "peak_rss_mb": peak,
                              "addresses": addresses}  # fmt: skip
    if profiler is not None and profile:
        profiler.dump_stats(profile)
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text).strip_dirs()
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(25)
        result["profile"] = text.getvalue()
    return result


def measure_launch(chain: Chain, database_url: str, redis_url: str | None) -> dict[str, Any]:
    """`python -m indexer run --until <head>` from launch to exit, into an empty database."""
    upgrade(database_url)
    env = dict(os.environ, RPC_URL=chain.rpc_url, DATABASE_URL=database_url,
               DEPLOYMENTS_DIR=chain.deployments_dir, INDEXER_USE_WEBSOCKET="false",
               PYTHONPATH=str(ROOT))  # fmt: skip
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
        env["REDIS_NAMESPACE"] = f"indexerbench{os.getpid()}"
    postmaster, node = bench_processes(database_url, chain.rpc_url)
    servers_before = server_cpu_seconds(postmaster, node)
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "indexer", "run", "--no-progress", "--until",
                                str(chain.head)], cwd=ROOT, env=env, stderr=subprocess.PIPE)  # fmt: skip
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    servers_after = server_cpu_seconds(postmaster, node)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise click.ClickException(f"the indexer failed:\n{errors.decode()[-3000:]}")
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM raw_logs").fetchone()
    cpu = {"indexer": usage.ru_utime + usage.ru_stime}
    cpu.update(
        {name: servers_after[name] - servers_before.get(name, 0.0) for name in servers_after}
    )
    return {"events": int(row[0]) if row else 0, "seconds": seconds,
            "peak_rss_mb": usage.ru_maxrss / 1024, "cpu": cpu}  # fmt: skip


def _copy_rows(chain: Chain, start: int, count: int) -> bytes:
    """`count` raw_logs rows in COPY text format, shaped like the chain's Transfer rows."""
    lines = []
    for i in range(start, start + count):
        block, index = divmod(i, 2_000)
        word = f"{i:064x}"
        args = f'{{"from": "0x{word[24:]}", "to": "0x{word[24:]}", "value": 1}}'
        lines.append(
            f"{chain.chain_id}\t{block}\t{index}\t0x{word}\t0x{word}\t{index}\t{chain.token}\t"
            f"Transfer\t{{{TRANSFER_TOPIC},0x{word},0x{word}}}\t0x{'0' * 63}1\t{args}\t"
            f"{1_700_000_000 + block}\n"
        )
    return "".join(lines).encode()


def measure_copy(chain: Chain, database_url: str, rows: int) -> dict[str, float]:
    """Writes `rows` raw_logs-shaped rows with COPY alone (one transaction per 10,000 rows)."""
    columns = ", ".join(RAW_LOG_COLUMNS)
    seconds = 0.0
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_copy (LIKE raw_logs INCLUDING ALL)")
        for start in range(0, rows, COPY_BATCH):
            data = _copy_rows(chain, start, min(COPY_BATCH, rows - start))
            started = time.perf_counter()
            with conn.transaction(), conn.cursor() as cur, cur.copy(
                f"COPY bench_copy ({columns}) FROM STDIN"
            ) as copy:  # fmt: skip
                copy.write(data)
            seconds += time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy")
    return {"rows": rows, "seconds": seconds}


def in_child(function: Callable[..., Any], *args: Any) -> Any:
    """Runs `function(*args)` in a fresh (spawned) process and returns its result."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


# -- the command -------------------------------------------------------------------------------


def _rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


def measure(chain: Chain, database_url: str, launch_url: str, redis_url: str | None,
            profile: str | None, row_url: str | None = None) -> str:  # fmt: skip
    """Runs every measurement on the generated chain; prints them; returns the result line."""
    settings = _settings(chain)
    deployed = [address for address, _, _, _ in deployed_contracts(settings, chain.chain_id)]
    upgrade(database_url)
    # The indexer also follows the asset's contracts, which it discovers; fetch-alone knows them.
    addresses = [*deployed, chain.token]
    first = in_child(measure_fetch, chain, addresses, True)
    click.echo(f"fetch-alone: {first['logs']:,} logs ({first['transfers']:,} Transfer) in"
               f" {first['ranges']} ranges, {first['seconds']:.2f} s = {_rate(first['logs'], first['seconds']):,.0f} logs/s,"
               f" peak RSS {first['peak_rss_mb']:.0f} MB")  # fmt: skip
    click.echo(f"decode-alone: {_rate(first['logs'], first['decode_seconds']):,.0f} logs/s"
               f" (indexer.decode.Decoder: ABI decoding and JSON encoding)")  # fmt: skip
    index = in_child(measure_index, chain, database_url, profile)
    events_per_s = _rate(index["events"], index["seconds"])
    click.echo(f"index: {index['events']:,} events in {index['seconds']:.2f} s ="
               f" {events_per_s:,.0f} events/s, peak RSS {index['peak_rss_mb']:.1f} MB"
               + (" (under cProfile: slower than unprofiled)" if profile else ""))  # fmt: skip
    if "profile" in index:
        click.echo(index["profile"])
    launch = measure_launch(chain, launch_url, redis_url)
    launch_per_s = _rate(launch["events"], launch["seconds"])
    click.echo(f"launch -> all rows: {launch['events']:,} events in {launch['seconds']:.2f} s ="
               f" {launch_per_s:,.0f} events/s (start-up counted), peak RSS"
               f" {launch['peak_rss_mb']:.1f} MB")  # fmt: skip
    cpu = launch["cpu"]
    cores = os.cpu_count() or 1
    floor = sum(cpu.values()) / cores
    click.echo("launch CPU: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in cpu.items())
               + f" = {sum(cpu.values()):.2f} s on {cores} cores: no schedule ends before"
               f" {floor:.2f} s, {_rate(launch['events'], floor):,.0f} events/s")  # fmt: skip
    addresses = sorted(set(addresses) | set(index["addresses"]))
    second = in_child(measure_fetch, chain, addresses, False)
    click.echo(f"fetch-alone again (all {len(addresses)} followed contracts): {second['logs']:,}"
               f" logs in {second['seconds']:.2f} s ="
               f" {_rate(second['logs'], second['seconds']):,.0f} logs/s")  # fmt: skip
    fetch_limit = max(_rate(first["logs"], first["seconds"]),
                      _rate(second["logs"], second["seconds"]))  # fmt: skip
    copy = in_child(measure_copy, chain, database_url, index["events"])
    click.echo(f"copy-alone: {copy['rows']:,} raw_logs rows in {copy['seconds']:.2f} s ="
               f" {_rate(copy['rows'], copy['seconds']):,.0f} rows/s")  # fmt: skip
    click.echo(f"index (in process, after start-up) / fetch-alone ="
               f" {_rate(events_per_s, fetch_limit):.2f}")  # fmt: skip
    if row_url is not None:
        kept = in_child(measure_index, chain, row_url, None, False)
        rate = _rate(kept["events"], kept["seconds"])
        click.echo(f"index, every raw_logs index kept row by row (INDEXER_DEFER_INDEXES=false):"
                   f" {kept['events']:,} events in {kept['seconds']:.2f} s = {rate:,.0f} events/s,"
                   f" {_rate(rate, fetch_limit):.2f} of fetch-alone")  # fmt: skip
    ratio = _rate(launch_per_s, fetch_limit)
    verdict = "meets" if ratio >= 0.5 else "misses"
    click.echo(f"launch / fetch-alone = {ratio:.2f} ({verdict} the 0.50 target); the CPU used"
               f" allows at most {_rate(_rate(launch['events'], floor), fetch_limit):.2f}")  # fmt: skip
    return (f"indexer events={launch['events']} events_per_s={launch_per_s:.0f}"
            f" fetch_limit_per_s={fetch_limit:.0f} ratio={ratio:.2f}"
            f" peak_rss_mb={launch['peak_rss_mb']:.1f}")  # fmt: skip


def _prepare_environment() -> None:
    """anvil and the solc-js shim come from the repository, as in the Makefile; anvil runs without
    step tracing.

    ape-foundry starts anvil with `--steps-tracing`, which records every EVM step of every
    transaction: a fan transaction of a thousand transfers then takes about 4 s instead of 0.1 s.
    Nothing here reads traces, so the flag is dropped from the command ape builds.
    """
    os.environ["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}"
    os.environ.setdefault("SOLCX_BINARY_PATH", str(ROOT / "tools" / "solcjs"))
    from ape_foundry.provider import FoundryProvider

    build_command = FoundryProvider.build_command

    def without_step_tracing(provider: FoundryProvider) -> list[str]:
        return [arg for arg in build_command(provider) if arg != "--steps-tracing"]

    setattr(FoundryProvider, "build_command", without_step_tracing)  # noqa: B010


@click.command()
@click.option("--transfers", default=100_000, show_default=True, type=click.IntRange(min=1),
              help="Share transfers to generate (N).")  # fmt: skip
@click.option("--recipients", default=500, show_default=True, type=click.IntRange(min=1),
              help="Distinct recipients (holders) the transfers go to.")  # fmt: skip
@click.option("--rounds", default=2, show_default=True, type=click.IntRange(min=1),
              help="Rounds over the recipients per transaction.")  # fmt: skip
@click.option("--settle/--no-settle", default=True, show_default=True,
              help="Mine reorg_window empty blocks on top, so the transfers are final.")  # fmt: skip
@click.option("--server-url", default=SERVER_URL, show_default=True,
              help="PostgreSQL server to create the bench database on.")  # fmt: skip
@click.option("--redis-url", default=REDIS_URL, show_default=True,
              help="Redis the launched indexer publishes to (embedded when it does not answer).")  # fmt: skip
@click.option("--keep-db", is_flag=True, help="Keep the bench database (its URL is printed).")
@click.option("--row-by-row", is_flag=True,
              help="Also index with every raw_logs index kept row by row (a third database).")  # fmt: skip
@click.option("--profile", type=click.Path(dir_okay=False),
              help="cProfile the indexer run into this file and print its top functions.")  # fmt: skip
def main(transfers: int, recipients: int, rounds: int, settle: bool, server_url: str,
         redis_url: str, keep_db: bool, row_by_row: bool, profile: str | None) -> None:  # fmt: skip
    """Generates N share transfers on anvil, indexes them, and compares with the raw limits."""
    _prepare_environment()
    from ape import networks
    from ape.logging import LogLevel, logger

    logger.set_level(LogLevel.ERROR)
    started = time.monotonic()
    settle_blocks = IndexerSettings().reorg_window + 1 if settle else 0
    with tempfile.TemporaryDirectory(prefix="indexer-bench-") as tmp:
        workdir = Path(tmp)
        with networks.parse_network_choice(NETWORK):
            chain = generate(transfers, recipients, rounds, settle_blocks, workdir)
            generated = time.monotonic()
            with (
                scratch_database(server_url, workdir, prefix="bench", keep=keep_db) as database_url,
                scratch_database(
                    server_url, workdir, prefix="benchlaunch", keep=keep_db
                ) as launch_url,
                redis_server(redis_url, workdir) as redis,
                ExitStack() as optional,
            ):
                row_url = (
                    optional.enter_context(scratch_database(server_url, workdir,
                                                            prefix="benchrows", keep=keep_db))
                    if row_by_row else None
                )  # fmt: skip
                line = measure(chain, database_url, launch_url, redis, profile, row_url)
    click.echo(f"generation {generated - started:.1f} s, measurements"
               f" {time.monotonic() - generated:.1f} s, total {time.monotonic() - started:.1f} s")  # fmt: skip
    click.echo(line)


if __name__ == "__main__":
    main()
