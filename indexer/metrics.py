"""Prometheus metrics of the indexer (served on `--metrics-port` when given)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

INDEXED_BLOCK = Gauge("indexer_indexed_block", "Last block committed by the indexer")
CHAIN_HEAD = Gauge("indexer_chain_head", "Head block number reported by the node")
LAG = Gauge("indexer_lag_blocks", "Blocks between the node's head and the last committed block")
EVENTS = Counter("indexer_events_total", "Events committed")
EVENTS_PER_SECOND = Gauge("indexer_events_per_second", "Events per second over the last batch")
REORGS = Counter("indexer_reorgs_total", "Reorgs undone")
REMOVED = Counter("indexer_removed_events_total", "Events removed by reorgs")
RETRIES = Counter("indexer_retries_total", "Retries after a passing fault", ["reason"])
LEADER = Gauge("indexer_leader", "1 while this process leads, 0 while it waits as a standby")
BATCH_SECONDS = Histogram("indexer_batch_seconds", "Seconds to project and commit one batch")


def serve(port: int, host: str = "127.0.0.1") -> tuple[str, int]:
    """Serves /metrics on `host` (loopback unless told otherwise) and a port (0 picks a free one);
    returns the address it listens on."""
    server, _ = start_http_server(port, addr=host)
    return str(server.server_address[0]), server.server_address[1]
