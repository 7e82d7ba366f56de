"""Health, readiness and chain status over the indexed demo chain."""

from __future__ import annotations

from pathlib import Path

from _stack import head
from fastapi.testclient import TestClient


def test_status_reports_the_indexed_head_of_the_demo_chain(
    client: TestClient, demo_chain: tuple[str, Path]
) -> None:
    status = client.get("/status").json()

    assert status["indexed_block"] == head(demo_chain[0])
    assert status["chain_head"] == status["indexed_block"]
    assert status["lag_blocks"] == 0
    assert status["chain_id"] == 31337
    assert status["last_reorg"] is None


def test_ready_when_the_index_is_at_the_head(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    answer = client.get("/readyz")

    assert answer.status_code == 200
    assert answer.json()["lag_blocks"] == 0


def test_unknown_path_is_a_problem_document(client: TestClient) -> None:
    answer = client.get("/no-such-thing")

    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == 404


def test_metrics_are_prometheus_text(client: TestClient) -> None:
    client.get("/status")
    text = client.get("/metrics").text

    assert "api_requests_total" in text
    assert "api_indexed_block" in text
