"""Prometheus metrics of the API, served at `/metrics`.

With several uvicorn workers, `python -m api` gives them one fresh `PROMETHEUS_MULTIPROC_DIR`
(before any of them imports prometheus_client): each worker writes its values to files there and a
scrape of any worker reads them all, so counters are totals over the workers. Without that
variable (tests that build the app in-process) the default registry is served.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from infra import build_info
from infra.embedded import pid_exists

REQUESTS = Counter("api_requests_total", "HTTP requests answered", ["route", "method", "status"])
LATENCY = Histogram(
    "api_request_seconds",
    "Seconds to answer an HTTP request",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
CACHE = Counter("api_cache_total", "Read cache lookups", ["result"])
RATE_LIMITED = Counter("api_rate_limited_total", "Requests refused by a rate limit", ["scope"])
WS_CONNECTIONS = Gauge(
    "api_ws_connections", "Open WebSocket connections", multiprocess_mode="livesum"
)
WS_MESSAGES = Counter(
    "api_ws_messages_total",
    "WebSocket messages sent: written to the socket at once (direct) or after waiting in the"
    " connection's queue for a backed-up client or an earlier message (queued)",
    ["path"],
)
FEED_WRITTEN = Histogram(
    "api_feed_written_seconds",
    "Seconds from the indexer's new-head notification of a commit's block to the last of its feed"
    " messages written to this process's sockets",
    buckets=(0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5),
)
WS_DROPPED = Counter("api_ws_slow_closed_total", "WebSocket clients closed for falling behind")
INDEXED_BLOCK = Gauge(
    "api_indexed_block", "Indexed block the API serves", multiprocess_mode="livemostrecent"
)
build_info.publish("api")

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Files of the `live*` gauges, one per worker process: `gauge_livesum_<pid>.db`.
_LIVE_FILE = re.compile(r"gauge_live\w+?_(\d+)\.db")


def exposition() -> bytes:
    """Every metric in the text format: over all the workers in multi-process mode."""
    directory = os.environ.get(MULTIPROC_DIR)
    if not directory:
        return generate_latest(REGISTRY)
    mark_dead_workers(Path(directory))
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return generate_latest(registry)


def mark_dead_workers(directory: Path) -> None:
    """Drops the live gauges of worker processes that are gone (a crashed or replaced worker's
    WebSocket connections are not open any more); their counters stay in the totals."""
    pids = {int(m.group(1)) for f in directory.iterdir() if (m := _LIVE_FILE.fullmatch(f.name))}
    for pid in pids:
        if not pid_exists(pid):
            multiprocess.mark_process_dead(pid, str(directory))
