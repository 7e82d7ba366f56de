"""The API served by a child process beside the in-process indexer, stopped with the launcher."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import click
import httpx

from launcher.anvil import ROOT


class ApiProcess:
    """`python -m api` on a port, over the given database, Redis and node.

    Args:
        port: Where it listens (127.0.0.1).
        env: DATABASE_URL, REDIS_URL, RPC_URL and anything else it needs.
    """

    def __init__(self, port: int, env: dict[str, str]) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Starts the server; a thread says when it answers (or that it failed)."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "api", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env={**os.environ, **self.env},
        )
        threading.Thread(target=self._announce, daemon=True).start()

    def _announce(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                click.echo("the API stopped; its errors are above", err=True)
                return
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    click.echo(f"API ready: {self.url}/docs")
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        click.echo(f"the API did not answer on {self.url} within {timeout:.0f} s", err=True)

    def stop(self) -> None:
        """Stops the server (SIGTERM, then SIGKILL after 10 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
