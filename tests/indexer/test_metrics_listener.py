"""The indexer's metrics listen on loopback unless told otherwise (INDEXER_METRICS_HOST)."""

from __future__ import annotations

import pytest
import requests
from _listeners import listening_on, loopback_only

from indexer import metrics
from indexer.settings import IndexerSettings


def test_metrics_listen_on_loopback_by_default() -> None:
    host, port = metrics.serve(0).server_address[:2]
    assert host == "127.0.0.1"
    assert listening_on(port) == {"127.0.0.1"}
    assert loopback_only(port)
    assert requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).ok


def test_the_metrics_host_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert IndexerSettings().metrics_host == "127.0.0.1"
    monkeypatch.setenv("INDEXER_METRICS_HOST", "127.0.0.2")
    settings = IndexerSettings()
    assert settings.metrics_host == "127.0.0.2"
    port = metrics.serve(0, settings.metrics_host).server_address[1]
    assert listening_on(port) == {"127.0.0.2"}
