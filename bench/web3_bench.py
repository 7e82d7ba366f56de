"""`make bench-web3`: the API's hand-written ABI encoding and JSON-RPC client against web3.py's.

Side by side, per operation, median microseconds over `--repeat` rounds:

- calldata: `api.transactions.abi.Abis.encode` (the range checks of `api.transactions.ranges`,
  then eth-abi) against a web3 contract object's `encode_abi`, built from the same compiled ABI,
  for a two-argument call (`PrimarySale.buy`) and the largest struct the builders encode
  (`AssetRegistry.registerAsset`'s parameters);
- node round trips, on an anvil of this run's own: a plain httpx JSON-RPC post (the hand-written
  client `api.node` was) against `api.node.Node` (web3.py's `AsyncHTTPProvider` with a keep-alive
  session) and against `AsyncWeb3.eth` as it comes (a new connection per request), for
  `eth_blockNumber` and an `eth_call`.

The builders answer one request with a handful of encodings and two to five node round trips, so
the figures say what each choice adds to a `/tx/*` request. Needs `.build/__local__.json`
(`ape compile`) and anvil (`node_modules/.bin/anvil`).
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import click
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from web3 import AsyncHTTPProvider, AsyncWeb3, Web3  # noqa: E402

from api.node import Node  # noqa: E402
from api.transactions.abi import Abis  # noqa: E402
from launcher.anvil import ANVIL  # noqa: E402

ADDRESS = "0x" + "11" * 20
REGISTER = ((  # registerAsset's one struct argument, as api.transactions.actions builds it
    0, 5_000_000, "Alentejo Solar", "ALSOL", "PT:Alentejo", "ipfs://metadata",
    (ADDRESS, 10_000, 50 * 10**6, 1_900_000_000, 1_900_086_400, 100_000 * 10**6, 1_000, ADDRESS),
    (3_600, 86_400, 1, 10, 3_600),
    500, False,
),)  # fmt: skip


def _median_us(run: Callable[[], Any], *, calls: int, repeat: int) -> float:
    rounds = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(calls):
            run()
        rounds.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(rounds)


async def _median_us_async(run: Callable[[], Awaitable[Any]], *, calls: int, repeat: int) -> float:
    rounds = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(calls):
            await run()
        rounds.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(rounds)


def encoding(abis: Abis, *, calls: int, repeat: int) -> list[tuple[str, float, float]]:
    """(operation, hand-written µs, web3 µs) for calldata, after checking both give the same."""
    w3 = Web3()
    sale = w3.eth.contract(abi=abis.types["PrimarySale"]["abi"])
    registry = w3.eth.contract(abi=abis.types["AssetRegistry"]["abi"])
    register = REGISTER
    cases: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        ("calldata PrimarySale.buy(2 args)",
         lambda: abis.encode("PrimarySale", "buy", 1, 10),
         lambda: sale.encode_abi("buy", args=[1, 10])),
        ("calldata AssetRegistry.registerAsset(struct)",
         lambda: abis.encode("AssetRegistry", "registerAsset", *register),
         lambda: registry.encode_abi("registerAsset", args=list(register))),
    ]  # fmt: skip
    rows = []
    for name, hand, web3 in cases:
        if "0x" + hand().hex() != web3():
            raise click.ClickException(f"{name}: the two encodings differ")
        rows.append((name, _median_us(hand, calls=calls, repeat=repeat),
                     _median_us(web3, calls=calls, repeat=repeat)))  # fmt: skip
    return rows


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def round_trips(url: str, *, calls: int, repeat: int) -> list[tuple[str, float, float]]:
    """(operation, hand-written µs, web3 µs) for node requests on the anvil at `url`: a plain
    httpx JSON-RPC post (what `api.node` was) against `api.node.Node` (web3.py's provider, our
    keep-alive session) and against `AsyncWeb3.eth` as it comes (its own session)."""
    ids = itertools.count(1)
    client = httpx.AsyncClient(headers={"Content-Type": "application/json"})
    node = Node(url)
    w3 = AsyncWeb3(AsyncHTTPProvider(url))
    call = {"to": ADDRESS, "data": "0x70a08231" + "00" * 32}
    target = {"to": Web3.to_checksum_address(ADDRESS), "data": call["data"]}

    async def plain(method: str, params: list[Any]) -> Any:
        body = {"jsonrpc": "2.0", "id": next(ids), "method": method, "params": params}
        return (await client.post(url, json=body)).json()["result"]

    try:
        heads = {int(await plain("eth_blockNumber", []), 16),
                 int(await node.request("eth_blockNumber"), 16), await w3.eth.block_number}  # fmt: skip
        if len(heads) != 1:
            raise click.ClickException("the clients see different heads")
        cases: list[tuple[str, Callable[[], Awaitable[Any]], Callable[[], Awaitable[Any]]]] = [
            ("rpc eth_blockNumber, api.node.Node", lambda: plain("eth_blockNumber", []),
             lambda: node.request("eth_blockNumber")),
            ("rpc eth_blockNumber, AsyncWeb3.eth", lambda: plain("eth_blockNumber", []),
             lambda: w3.eth.block_number),
            ("rpc eth_call, api.node.Node", lambda: plain("eth_call", [call, "latest"]),
             lambda: node.call(call)),
            ("rpc eth_call, AsyncWeb3.eth", lambda: plain("eth_call", [call, "latest"]),
             lambda: w3.eth.call(target)),  # type: ignore[arg-type]
        ]  # fmt: skip
        rows = []
        for name, hand, web3 in cases:
            rows.append((name, await _median_us_async(hand, calls=calls, repeat=repeat),
                         await _median_us_async(web3, calls=calls, repeat=repeat)))  # fmt: skip
        return rows
    finally:
        await client.aclose()
        await node.close()
        await w3.provider.disconnect()


def _anvil() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([str(ANVIL), "--port", str(port), "--silent"],
                               stdout=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})
            return process, url
        except httpx.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise click.ClickException(f"anvil did not start on {url}") from None
            time.sleep(0.1)


@click.command()
@click.option("--calls", default=2_000, show_default=True, help="Encodings per round.")
@click.option("--rpc-calls", default=200, show_default=True, help="Node requests per round.")
@click.option("--repeat", default=5, show_default=True, help="Rounds; the median is shown.")
def main(calls: int, rpc_calls: int, repeat: int) -> None:
    """Prints the hand-written and web3.py figures side by side."""
    abis = Abis.load(ROOT / ".build" / "__local__.json")
    rows = encoding(abis, calls=calls, repeat=repeat)
    process, url = _anvil()
    try:
        rows += asyncio.run(round_trips(url, calls=rpc_calls, repeat=repeat))
    finally:
        process.terminate()
        process.wait(10)
    click.echo(f"{'operation':48} {'hand-written':>14} {'web3.py':>10} {'web3/hand':>10}")
    for name, hand, web3 in rows:
        click.echo(f"{name:48} {hand:11.1f} us {web3:7.1f} us {web3 / hand:9.2f}x")


if __name__ == "__main__":
    main()
