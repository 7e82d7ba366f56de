"""`python -m launcher`: the platform on this machine, from nothing, in one command.

Starts a local anvil (or uses `RPC_URL`), deploys the platform and plays the demo story on a fresh
chain, then runs the indexer following the chain into PostgreSQL, with Redis for its
notifications: the servers at `DATABASE_URL` / `REDIS_URL`, or embedded ones under `.data/`.
Ctrl-C stops everything; running it again resumes where it stopped.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

import click

from indexer.engine import Indexer
from indexer.exceptions import IndexerError
from indexer.rpc import RpcClient
from indexer.settings import IndexerSettings
from infra import embedded, logs
from infra.exceptions import InfraError
from launcher.anvil import ROOT, LocalChain
from launcher.api_process import ApiProcess
from launcher.demo_chain import deployed, run_ape
from launcher.readiness import http_ok, rpc_answers, wait_until_ready

DATA = ROOT / ".data"


@click.command()
@click.option("--port", default=8545, show_default=True, help="Port of the local anvil.")
@click.option("--metrics-port", type=int, default=9101, show_default=True)
@click.option("--api-port", type=int, default=8000, show_default=True, help="Port of the API.")
@click.option("--fresh", is_flag=True, help="Forget the previous chain and index; start again.")
def main(port: int, metrics_port: int, api_port: int, fresh: bool) -> None:
    """Runs anvil, deploys, plays the demo on a new chain, follows it with the indexer and serves
    the API."""
    logs.configure("INFO")
    if fresh:
        shutil.rmtree(DATA, ignore_errors=True)
    external_rpc = os.environ.get("RPC_URL")
    chain = None if external_rpc else LocalChain(port, DATA / "anvil" / "state.json")
    if chain is not None and not chain.resumed:
        shutil.rmtree(DATA / "postgres", ignore_errors=True)  # an index of a chain that is gone
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        if chain is not None:
            chain.start()
            click.echo(f"anvil on {chain.url} ({'resumed' if chain.resumed else 'new chain'})")
        rpc_url = external_rpc or (chain.url if chain else "")
        settings = IndexerSettings(rpc_url=rpc_url)
        rpc = RpcClient(rpc_url)
        chain_id = rpc.chain_id()
        deployments = settings.deployments_dir / f"{chain_id}.json"
        if not deployed(rpc, deployments):
            if chain is None:
                raise click.ClickException(
                    f"no platform on {rpc_url}: deploy it first with `ape run deploy --network ...`"
                )
            click.echo("deploying the platform and playing the demo story (about a minute)")
            run_ape("run", "demo", "--network", "ethereum:local:foundry", rpc_url=rpc_url)
        with embedded.postgres(settings.database_url, DATA / "postgres") as database_url, \
                embedded.redis(settings.redis_url, DATA / "redis") as redis_url:  # fmt: skip
            from indexer import metrics

            served = metrics.serve(metrics_port, settings.metrics_host)
            metrics_host, metrics_port = str(served.server_address[0]), served.server_address[1]
            api = ApiProcess(api_port, {
                "DATABASE_URL": database_url, "REDIS_URL": redis_url, "RPC_URL": rpc_url,
                "DEPLOYMENTS_DIR": str(settings.deployments_dir),
            })  # fmt: skip
            api.start()
            urls = Urls(rpc_url, chain_id, database_url, redis_url,
                        f"http://{metrics_host}:{metrics_port}/metrics", api.url)  # fmt: skip
            threading.Thread(target=_announce, args=(urls, rpc, api, stop), daemon=True).start()
            try:
                Indexer(settings, database_url, redis_url).run(stop)
            finally:
                api.stop()
    except KeyboardInterrupt:
        click.echo("\nstopping")
    except (IndexerError, InfraError, subprocess.CalledProcessError, RuntimeError) as error:
        raise click.ClickException(str(error)) from error
    finally:
        if chain is not None:
            chain.stop()


@dataclass(frozen=True)
class Urls:
    """What the banner names."""

    rpc: str
    chain_id: int
    database: str
    redis: str
    metrics: str
    api: str


def _announce(urls: Urls, rpc: RpcClient, api: ApiProcess, stop: threading.Event,
              timeout: float = 300) -> None:  # fmt: skip
    """Prints the banner once every URL in it answers (the API ready over an index close to the
    head, the page, the chain and the metrics), or says which did not."""
    missing = wait_until_ready(
        {
            f"the API ({urls.api}/readyz)": http_ok(f"{urls.api}/readyz"),
            f"the dApp page ({urls.api}/app/)": http_ok(f"{urls.api}/app/"),
            f"the chain ({urls.rpc})": rpc_answers(urls.rpc),
            f"the indexer's metrics ({urls.metrics})": http_ok(urls.metrics),
        },
        timeout=timeout,
        stop=stop,
        failed=lambda: None if api.running else "the API stopped; its errors are above",
    )
    if stop.is_set():
        return
    if missing:
        click.echo(f"not answering after {timeout:.0f} s: {', '.join(missing)}", err=True)
        return
    click.echo(_banner(urls, _chain_date(rpc)))


def _chain_date(rpc: RpcClient) -> datetime | None:
    """The time of the chain's latest block (the demo moves the clock ahead)."""
    try:
        block = rpc.call("eth_getBlockByNumber", ["latest", False])
        return datetime.fromtimestamp(int(block["timestamp"], 16), tz=UTC)
    except (IndexerError, KeyError, TypeError, ValueError):
        return None


def _banner(urls: Urls, chain_date: datetime | None) -> str:
    api_url = urls.api
    ws_url = api_url.replace("http", "ws", 1)
    clock = ""
    if chain_date is not None:
        clock = f"  Clock      the chain's clock reads {chain_date:%Y-%m-%d}"
        if abs((chain_date - datetime.now(UTC)).days) > 1:
            clock += (
                " (the demo moved it ahead to play a year of activity),\n"
                "             so your wallet shows transactions with those dates"
            )
        clock += "\n"
    return (
        "\nThe platform is running.\n"
        f"  Open       {api_url}/app/  (the dApp page; connect MetaMask there)\n"
        f"  API        {api_url}  (docs {api_url}/docs, GraphQL {api_url}/graphql,"
        f" feeds {ws_url}/ws)\n"
        f"  Chain      {urls.rpc} (chain id {urls.chain_id}); add it to MetaMask as a network\n"
        f"{clock}"
        "  Keys       import into MetaMask: an investor of the demo (anvil account 21)\n"
        "             0xc511b2aa70776d4ff1d376e8537903dae36896132c90b91d52c1dfbae267cd8b\n"
        "             the operator of its assets (anvil account 1)\n"
        "             0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d\n"
        f"  Database   {urls.database}\n"
        f"  Redis      {urls.redis}\n"
        f"  Metrics    {urls.metrics} (indexer), {api_url}/metrics (API)\n"
        "The indexer follows the chain; Ctrl-C stops everything, `make run` resumes.\n"
    )


if __name__ == "__main__":
    main()
