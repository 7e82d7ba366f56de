"""The platform and its demo story on a chain: deployed once, found again on every later start.

`python -m launcher.demo_chain` is compose's one-shot `deploy` service: it waits for the node,
deploys and plays the demo when the chain has no platform yet (per `DEPLOYMENTS_DIR`), and exits 0
either way, so the indexer and the API can start after it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import click

from indexer.rpc import RpcClient
from indexer.settings import IndexerSettings
from launcher.anvil import ROOT, answers


def deployed(rpc: RpcClient, deployments: Path) -> bool:
    """Whether the deployments file names a registry that has code on this chain."""
    try:
        named = json.loads(deployments.read_text())["contracts"]
    except FileNotFoundError:
        return False
    code = rpc.call("eth_getCode", [named["AssetRegistry"]["address"], "latest"])
    return code not in ("0x", "0x0")


def run_ape(*args: str, rpc_url: str) -> None:
    """Runs `ape <args>` in the project, attached to the node at `rpc_url`."""
    env = dict(os.environ, APE_FOUNDRY_HOST=rpc_url)
    ape = Path(sys.executable).parent / "ape"
    subprocess.run([str(ape), *args], cwd=ROOT, env=env, check=True)


@click.command()
@click.option("--rpc-url", envvar="RPC_URL", required=True, help="The local node [env RPC_URL].")
@click.option("--wait", type=float, default=60.0, show_default=True, help="Seconds to wait for it.")
def main(rpc_url: str, wait: float) -> None:
    """Deploys the platform and plays the demo on a local chain that has none yet."""
    deadline = time.monotonic() + wait
    while not answers(rpc_url):
        if time.monotonic() > deadline:
            raise click.ClickException(f"no node answers at {rpc_url} after {wait:.0f} s")
        time.sleep(1)
    rpc = RpcClient(rpc_url)
    try:
        deployments = IndexerSettings().deployments_dir / f"{rpc.chain_id()}.json"
        if deployed(rpc, deployments):
            click.echo(f"the platform is already deployed ({deployments})")
            return
    finally:
        rpc.close()
    click.echo("deploying the platform and playing the demo story (about a minute)")
    try:
        run_ape("run", "demo", "--network", "ethereum:local:foundry", rpc_url=rpc_url)
    except subprocess.CalledProcessError as error:
        raise click.ClickException(f"the demo failed (exit {error.returncode})") from error
    click.echo(f"deployed: {deployments}")


if __name__ == "__main__":
    main()
