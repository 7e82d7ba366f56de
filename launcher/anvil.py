"""A local anvil whose chain survives restarts (its state is dumped to a file)."""

from __future__ import annotations

import platform
import subprocess
import sys
import time
from pathlib import Path

from indexer.exceptions import IndexerError
from indexer.rpc import RpcClient

ROOT = Path(__file__).resolve().parent.parent


def anvil_binary(root: Path = ROOT) -> Path:
    """anvil itself: the binary in this platform's package, which npm installs beside
    `@foundry-rs/anvil`, or that package's wrapper when the platform's package is not there.

    The wrapper (`node_modules/.bin/anvil`, a Node script) passes SIGTERM on to anvil and exits at
    once, while anvil is still writing its state file. Waiting for the wrapper did not wait for
    the state: a benchmark started right after another read a 4.9 GB state half written.
    """
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    name = "anvil.exe" if sys.platform == "win32" else "anvil"
    binary = root / "node_modules" / "@foundry-rs" / f"anvil-{sys.platform}-{arch}" / "bin" / name
    return binary if binary.is_file() else root / "node_modules" / ".bin" / "anvil"


ANVIL = anvil_binary()
MNEMONIC = "test test test test test test test test test test test junk"


def answers(url: str) -> bool:
    """True when a JSON-RPC node answers at `url`."""
    client = RpcClient(url, timeout=2)
    try:
        client.chain_id()
        return True
    except IndexerError:
        return False
    finally:
        client.close()


class LocalChain:
    """anvil on a port, with 40 funded test accounts, its state kept in `state_file`.

    Args:
        port: The JSON-RPC port.
        state_file: Loaded on start when present, written every few seconds and on exit.
    """

    def __init__(self, port: int, state_file: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.state_file = state_file
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def resumed(self) -> bool:
        """Whether the chain continues a previous run's state."""
        return self.state_file.exists()

    def start(self) -> None:
        """Starts anvil and waits until it answers."""
        if answers(self.url):
            raise RuntimeError(f"something already answers on {self.url}: stop it or set RPC_URL")
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        log = (self.state_file.parent / "anvil.log").open("ab")
        self.process = subprocess.Popen(
            [str(ANVIL), "--host", "127.0.0.1", "--port", str(self.port), "--mnemonic", MNEMONIC,
             "--accounts", "40", "--balance", "1000000", "--state", str(self.state_file),
             "--state-interval", "5"],
            stdout=log, stderr=log,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not answers(self.url):
            if self.process.poll() is not None:
                raise RuntimeError(f"anvil exited: see {log.name}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"anvil did not answer within 30 s: see {log.name}")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stops anvil gracefully (it writes its state on the way out)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
