"""compose's one-shot `deploy` service: `python -m launcher.demo_chain` deploys the demo once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from indexer.rpc import RpcClient
from launcher.demo_chain import deployed

ROOT = Path(__file__).resolve().parent.parent.parent


def _run(rpc_url: str, deployments: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DEPLOYMENTS_DIR=str(deployments))
    return subprocess.run(
        [sys.executable, "-m", "launcher.demo_chain", "--rpc-url", rpc_url, *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_chain_with_the_platform_is_left_alone(demo_chain: tuple[str, Path]) -> None:
    url, deployments = demo_chain
    before = {path.name: path.read_text() for path in deployments.iterdir()}
    done = _run(url, deployments)
    assert done.returncode == 0, done.stderr
    assert "already deployed" in done.stdout
    assert {path.name: path.read_text() for path in deployments.iterdir()} == before


def test_a_deployments_file_naming_no_contract_is_not_a_deployment(
    demo_chain: tuple[str, Path], tmp_path: Path
) -> None:
    url, deployments = demo_chain
    rpc = RpcClient(url)
    try:
        (name,) = [path.name for path in deployments.glob("*.json")]
        record = json.loads((deployments / name).read_text())
        assert deployed(rpc, deployments / name)
        assert not deployed(rpc, tmp_path / name)
        record["contracts"]["AssetRegistry"]["address"] = "0x" + "42" * 20
        (tmp_path / name).write_text(json.dumps(record))
        assert not deployed(rpc, tmp_path / name)
    finally:
        rpc.close()


def test_no_node_is_a_clear_error(tmp_path: Path) -> None:
    done = _run("http://127.0.0.1:9", tmp_path, "--wait", "1")
    assert done.returncode == 1
    assert "no node answers at http://127.0.0.1:9 after 1 s" in done.stderr
