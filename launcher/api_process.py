"""The API served by a child process beside the in-process indexer, stopped with the launcher."""

from __future__ import annotations

import os
import subprocess
import sys

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
        """Starts the server (the launcher waits for it to answer before its banner)."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "api", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env={**os.environ, **self.env},
        )

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self.process is not None and self.process.poll() is None

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
