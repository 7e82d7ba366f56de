"""`python -m launcher` (what `make run` runs) over the demo chain, a database and Redis of the
test's own: its banner comes only once every URL in it answers, it names the chain's clock, and
every server it starts listens on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from _listeners import loopback_only
from _stack import ROOT, Databases, free_port, rpc

BANNER = "The platform is running."


class Launcher:
    """The launcher as a process; its output lines collected as they come, each with the time
    the URLs in the banner were first tried after it."""

    def __init__(self, env: dict[str, str], api_port: int, metrics_port: int, log: Path) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "launcher", "--api-port", str(api_port),
             "--metrics-port", str(metrics_port)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log.open("wb"), text=True,
        )  # fmt: skip
        self.readyz_at_banner: int | None = None
        self.api = f"http://127.0.0.1:{api_port}"
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in iter(self.process.stdout.readline, ""):
            if BANNER in line and self.readyz_at_banner is None:
                # Asked the moment the banner appears: before the fix it came 15-20 s early.
                try:
                    self.readyz_at_banner = requests.get(
                        f"{self.api}/readyz", timeout=5
                    ).status_code
                except requests.RequestException:
                    self.readyz_at_banner = -1
            self.lines.append(line)

    def wait_for_banner(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while not any("Ctrl-C stops everything" in line for line in self.lines):
            assert self.process.poll() is None, "".join(self.lines)
            assert time.monotonic() < deadline, "no banner: " + "".join(self.lines)
            time.sleep(0.1)
        return "".join(self.lines[next(i for i, line in enumerate(self.lines) if BANNER in line) :])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # Ctrl-C
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture
def launched(
    demo_chain: tuple[str, Path], postgres_admin_url: str, redis_url: str, tmp_path: Path
) -> Iterator[tuple[Launcher, str, int, int]]:
    """The launcher over the demo chain (read only), a fresh database and Redis namespace."""
    rpc_url, deployments = demo_chain
    databases = Databases(postgres_admin_url)
    api_port, metrics_port = free_port(), free_port()
    env = dict(os.environ, RPC_URL=rpc_url, DATABASE_URL=databases.create(), REDIS_URL=redis_url,
               REDIS_NAMESPACE=f"launcher-{uuid.uuid4().hex[:8]}",
               DEPLOYMENTS_DIR=str(deployments), INDEXER_PROGRESS="false",
               API_DATA_DIR=str(tmp_path), PYTHONPATH=str(ROOT))  # fmt: skip
    launcher = Launcher(env, api_port, metrics_port, tmp_path / "launcher.log")
    try:
        yield launcher, rpc_url, api_port, metrics_port
    finally:
        launcher.stop()
        databases.drop_all()


def test_the_banner_comes_when_everything_it_names_answers_on_loopback(
    launched: tuple[Launcher, str, int, int],
) -> None:
    launcher, rpc_url, api_port, metrics_port = launched
    banner = launcher.wait_for_banner(timeout=300)
    assert launcher.readyz_at_banner == 200, banner
    api = f"http://127.0.0.1:{api_port}"
    assert f"{api}/app/" in banner
    assert requests.get(f"{api}/app/", timeout=5).status_code == 200
    assert requests.get(f"{api}/readyz", timeout=5).status_code == 200
    metrics = f"http://127.0.0.1:{metrics_port}/metrics"
    assert metrics in banner
    assert requests.get(metrics, timeout=5).status_code == 200
    assert rpc(rpc_url, "eth_chainId") == "0x7a69"
    # The chain's clock, which the demo moved ahead, is named with its consequence for wallets.
    block = rpc(rpc_url, "eth_getBlockByNumber", "latest", False)
    chain_date = datetime.fromtimestamp(int(block["timestamp"], 16), tz=UTC)
    assert abs((chain_date - datetime.now(UTC)).days) > 1  # the demo's clock is ahead
    assert f"the chain's clock reads {chain_date:%Y-%m-%d}" in banner
    assert "your wallet shows transactions with those dates" in banner
    # Every server the launcher started listens on loopback only.
    assert loopback_only(api_port), api_port
    assert loopback_only(metrics_port), metrics_port
