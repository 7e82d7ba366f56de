"""`python -m api` as operators run it: metrics that add up over several workers, ECS JSON log
lines from every worker (uvicorn's included) with an access log, and a refusal to start in
production without a JWT secret."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from _logs import log_documents
from _stack import ROOT, free_port, wait_healthy
from prometheus_client.parser import text_string_to_metric_families

REQUESTS = 120


def _api(env: dict[str, str], log: Path, *options: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "api", *options], cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT), **env),
        stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def _requests_total(url: str, route: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(requests.get(f"{url}/metrics", timeout=5).text):
        for sample in family.samples:
            if sample.name == "api_requests_total" and sample.labels["route"] == route:
                total += sample.value
    return total


def test_two_workers_count_every_request_and_log_ecs_json(
    new_database: Callable[[], str], redis_url: str, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "api.log"
    process = _api({"DATABASE_URL": new_database(), "REDIS_URL": redis_url, "API_CHAIN_ID": "31337",
                    "API_HOST": "127.0.0.1", "API_PORT": str(port)}, log, "--workers", "2")  # fmt: skip
    try:
        wait_healthy(process, url, log)

        # A new connection each, from several threads at once: both workers answer some.
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: requests.get(f"{url}/readyz").status_code,
                                     range(REQUESTS)))  # fmt: skip
        assert len(statuses) == REQUESTS
        for _ in range(6):  # whichever worker answers the scrape, the total is every worker's
            assert _requests_total(url, "/readyz") == REQUESTS
        assert requests.get(f"{url}/no-such-page", timeout=5).status_code == 404

        families = {f.name: f for f in text_string_to_metric_families(
            requests.get(f"{url}/metrics", timeout=5).text)}  # fmt: skip
        build = families["energy_build_info"].samples
        assert len(build) == 1 and build[0].labels["service"] == "api" and build[0].value == 1
    finally:
        process.terminate()
        process.wait(60)

    documents = log_documents(log.read_text().splitlines(), "api")
    assert any(d["log"]["logger"].startswith("uvicorn") for d in documents)
    access = [d for d in documents if d["log"]["logger"] == "api.access"]
    missing = next(d for d in access if d["url"]["path"] == "/no-such-page")
    assert missing["log.level"] == "info"  # INFO lines of the workers reach the output
    assert missing["http"]["request"]["method"] == "GET"
    assert missing["http"]["response"]["status_code"] == 404
    assert missing["event"]["duration"] > 0
    assert not any(d["url"]["path"] == "/readyz" for d in access)  # probes are not logged


def test_the_api_refuses_to_start_in_production_without_a_jwt_secret(tmp_path: Path) -> None:
    log = tmp_path / "api.log"
    env = {"API_ENVIRONMENT": "production", "DATABASE_URL": "postgresql://nowhere/none"}
    process = _api({k: v for k, v in env.items()}, log)
    assert process.wait(60) == 2
    (line,) = log_documents(log.read_text().splitlines(), "api")
    assert line["log.level"] == "error"
    assert "API_JWT_SECRET is required outside development" in line["message"]


def test_the_live_gauges_of_a_worker_that_is_gone_are_dropped(tmp_path: Path) -> None:
    from api.metrics import mark_dead_workers

    gone = subprocess.Popen(["true"])
    gone.wait()
    for pid in (gone.pid, os.getpid()):
        (tmp_path / f"gauge_livesum_{pid}.db").write_bytes(b"")
        (tmp_path / f"counter_{pid}.db").write_bytes(b"")
    mark_dead_workers(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"gauge_livesum_{os.getpid()}.db", f"counter_{os.getpid()}.db", f"counter_{gone.pid}.db"]
    )  # a dead worker's requests still count; its open connections do not
