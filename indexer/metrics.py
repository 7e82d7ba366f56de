"""Prometheus metrics of the indexer and its health, served on `--metrics-port` when given.

The server answers `/metrics`, `/healthz` (200 while the process runs) and `/readyz`: 200 while
this process leads and its index is at most `INDEXER_READY_MAX_LAG_BLOCKS` behind the node's head,
or while it waits as a hot standby (the leader's readiness is what counts then); 503 before it
knows its role, before its first block and while it lags further than that.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from infra import build_info

INDEXED_BLOCK = Gauge("indexer_indexed_block", "Last block committed by the indexer")
INDEXED_TIMESTAMP = Gauge(
    "indexer_indexed_block_timestamp_seconds", "Timestamp of the last committed block (Unix s)"
)
CHAIN_HEAD = Gauge("indexer_chain_head", "Head block number reported by the node")
LAG = Gauge("indexer_lag_blocks", "Blocks between the node's head and the last committed block")
EVENTS = Counter("indexer_events_total", "Events committed")
REORGS = Counter("indexer_reorgs_total", "Reorgs undone")
REMOVED = Counter("indexer_removed_events_total", "Events removed by reorgs")
RETRIES = Counter("indexer_retries_total", "Retries after a passing fault", ["reason"])
LEADER = Gauge("indexer_leader", "1 while this process leads, 0 while it waits as a standby")
BATCH_SECONDS = Histogram("indexer_batch_seconds", "Seconds to project and commit one batch")


class Health:
    """What `/readyz` answers from: this process's role and position, set by the engine."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.leading: bool | None = None
        self.head: int | None = None
        self.indexed: int | None = None

    def ready(self, max_lag_blocks: int) -> tuple[bool, str]:
        """Whether the indexer is ready, and why (or why not) in a few words."""
        with self._lock:
            leading, head, indexed = self.leading, self.head, self.indexed
        if leading is None:
            return False, "starting"
        if not leading:
            return True, "standby"
        if indexed is None or head is None:
            return False, "no block indexed yet"
        lag = max(0, head - indexed)
        if lag > max_lag_blocks:
            return False, f"lagging {lag} blocks behind the head (bound {max_lag_blocks})"
        return True, f"leading, {lag} blocks behind the head"

    def set(self, **values: Any) -> None:
        with self._lock:
            for name, value in values.items():
                setattr(self, name, value)


HEALTH = Health()


def set_leader(leading: bool | None) -> None:
    """Notes whether this process leads, waits as a standby (False) or neither (None: stopped)."""
    LEADER.set(1 if leading else 0)
    HEALTH.set(leading=leading)


def set_position(head: int, indexed: int | None) -> None:
    """Notes the node's head and the last committed block (gauges and readiness)."""
    CHAIN_HEAD.set(head)
    if indexed is not None:
        INDEXED_BLOCK.set(indexed)
        LAG.set(max(0, head - indexed))
    HEALTH.set(head=head, indexed=indexed)


def serve(
    port: int, host: str = "127.0.0.1", *, ready_max_lag_blocks: int = 50
) -> ThreadingHTTPServer:
    """Serves /metrics, /healthz and /readyz on `host:port` (loopback unless told otherwise;
    `INDEXER_METRICS_HOST`) (port 0 picks a free one) in a daemon
    thread; returns the server (`server.server_address` tells the port)."""
    build_info.publish("indexer")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._answer(200, generate_latest(), CONTENT_TYPE_LATEST)
            elif path == "/healthz":
                self._answer(200, b"ok\n")
            elif path == "/readyz":
                ready, why = HEALTH.ready(ready_max_lag_blocks)
                self._answer(200 if ready else 503, f"{why}\n".encode())
            else:
                self._answer(404, b"not found: /metrics, /healthz or /readyz\n")

        def _answer(
            self, status: int, body: bytes, kind: str = "text/plain; charset=utf-8"
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
