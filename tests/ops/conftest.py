"""What the cross-checks compare the artifacts with: the routes and metrics our code serves."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import pytest
from prometheus_client import REGISTRY, CollectorRegistry

_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info",),
    "stateset": ("",),
    "enum": ("",),
    "unknown": ("",),
}


def exported_series(registry: CollectorRegistry) -> set[str]:
    """Every series name a registry exports, whether or not a labelled child exists yet."""
    names: set[str] = set()
    for family in registry.collect():
        names.update(family.name + suffix for suffix in _SUFFIXES[family.type])
        names.update(sample.name for sample in family.samples)
    return names


@pytest.fixture(scope="session")
def exported() -> set[str]:
    """The series of the API's and the indexer's registries."""
    import api.metrics
    import indexer.metrics

    names: set[str] = set()
    for module in (api.metrics, indexer.metrics):
        registry = getattr(module, "REGISTRY", REGISTRY)
        names |= exported_series(registry)
    return names


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serves(url: str) -> bool:
    """A real route answers something other than 404 and other than the metrics exposition
    (prometheus_client's plain server answers every path with the metrics)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            kind = answer.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return False
        kind = error.headers.get("Content-Type", "")
    return "version=0.0.4" not in kind and "openmetrics" not in kind


@pytest.fixture(scope="session")
def routes() -> dict[str, set[str]]:
    """The HTTP paths the API app serves and those the indexer's metrics server serves."""
    from api.app import create_app
    from api.settings import ApiSettings
    from indexer import metrics

    app = create_app(ApiSettings(database_url="postgresql://unused@127.0.0.1:1/unused"))
    # Included routers are resolved lazily by FastAPI, so their paths come from the schema.
    api_paths = {getattr(route, "path", "") for route in app.routes} | set(app.openapi()["paths"])
    port = _free_port()
    metrics.serve(port)
    candidates = {"/metrics", "/healthz", "/readyz"}
    indexer_paths = {p for p in candidates if _serves(f"http://127.0.0.1:{port}{p}")}
    return {"api": api_paths, "indexer": indexer_paths | {"/metrics"}}
