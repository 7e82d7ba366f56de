"""Prometheus metrics of the API, served at `/metrics`."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter("api_requests_total", "HTTP requests answered", ["route", "method", "status"])
LATENCY = Histogram(
    "api_request_seconds",
    "Seconds to answer an HTTP request",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
CACHE = Counter("api_cache_total", "Read cache lookups", ["result"])
RATE_LIMITED = Counter("api_rate_limited_total", "Requests refused by a rate limit", ["scope"])
WS_CONNECTIONS = Gauge("api_ws_connections", "Open WebSocket connections")
WS_MESSAGES = Counter("api_ws_messages_total", "WebSocket messages sent")
WS_DROPPED = Counter("api_ws_slow_closed_total", "WebSocket clients closed for falling behind")
INDEXED_BLOCK = Gauge("api_indexed_block", "Indexed block the API serves")
