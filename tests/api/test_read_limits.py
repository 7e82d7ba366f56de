"""No read can hold a worker at will: a statement over `API_DB_STATEMENT_TIMEOUT_MS`, a request
over its budget, or no free connection in time answers 503 with the reason, and the worker goes
on serving. A read blocked behind a table lock stands in for an expensive one (deterministic)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings


@contextmanager
def locked(database_url: str, table: str) -> Iterator[None]:
    """Holds an exclusive lock on `table` (every read of it waits) until the block ends."""
    with psycopg.connect(database_url) as conn, conn.transaction():
        conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield


def limited(demo_settings: ApiSettings, data_dir: Path, **limits: Any) -> TestClient:
    """The API over the demo's index with no read cache (every read reaches PostgreSQL)."""
    settings = demo_settings.model_copy(update={"redis_url": None, "data_dir": data_dir, **limits})
    return TestClient(create_app(settings))


def answered_while_locked(database_url: str, table: str, request: Any,
                          wait: float = 10.0) -> tuple[Any, float]:  # fmt: skip
    """`request()`'s answer while `table` is locked, and how long it took; fails (instead of
    hanging) when no answer comes within `wait` seconds, then lets the read finish."""
    answers: list[Any] = []
    with locked(database_url, table):
        started = time.monotonic()
        reader = threading.Thread(target=lambda: answers.append(request()), daemon=True)
        reader.start()
        reader.join(wait)
        took = time.monotonic() - started
    reader.join(wait)
    assert took < wait and answers, f"no answer within {wait} s while {table} was locked"
    return answers[0], took


def test_a_read_over_the_statement_timeout_is_503_and_the_worker_goes_on(
    demo_settings: ApiSettings, tmp_path: Path
) -> None:
    assert demo_settings.database_url is not None
    with limited(demo_settings, tmp_path, db_statement_timeout_ms=300) as client:
        answer, took = answered_while_locked(demo_settings.database_url, "assets",
                                             lambda: client.get("/assets/1"))  # fmt: skip

        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "1"
        problem = answer.json()
        assert problem["type"].endswith("/database-busy")
        assert "did not answer this read within 300 ms" in problem["detail"]
        assert took < 5
        assert client.get("/assets/1").status_code == 200  # the same worker, lock gone
        graphql = client.post("/graphql", json={"query": '{ asset(assetId: "1") { name } }'})
        assert graphql.status_code == 200 and graphql.json()["data"]["asset"]["name"]


def test_graphql_says_why_when_the_database_is_too_slow(
    demo_settings: ApiSettings, tmp_path: Path
) -> None:
    assert demo_settings.database_url is not None
    query = {"query": '{ asset(assetId: "1") { name } }'}
    with limited(demo_settings, tmp_path, db_statement_timeout_ms=300) as client:
        answer, _ = answered_while_locked(demo_settings.database_url, "assets",
                                          lambda: client.post("/graphql", json=query))  # fmt: skip

    (error,) = answer.json()["errors"]
    assert "did not answer this read within 300 ms" in error["message"]


def test_no_free_connection_in_time_is_503_not_a_hung_request(
    demo_settings: ApiSettings, tmp_path: Path
) -> None:
    """One connection, held by a read waiting on a lock: the next read waits only the pool
    timeout."""
    assert demo_settings.database_url is not None
    with limited(demo_settings, tmp_path, db_pool_size=1, db_pool_timeout_seconds=0.3,
                 db_statement_timeout_ms=3_000) as client:  # fmt: skip
        client.get("/status")  # the one connection is open
        answers: list[Any] = []
        with locked(demo_settings.database_url, "assets"):
            slow = threading.Thread(target=lambda: answers.append(client.get("/assets/1")))
            slow.start()
            time.sleep(0.3)
            started = time.monotonic()
            busy = client.get("/assets/2")
            took = time.monotonic() - started
        slow.join(10)

        assert busy.status_code == 503, busy.text
        assert "every database connection stayed busy for 0.3 s" in busy.json()["detail"]
        assert took < 2
        assert answers[0].status_code == 200  # it got its lock once released
        assert client.get("/assets/2").status_code == 200


def test_a_request_starts_no_statement_after_its_budget(
    demo_settings: ApiSettings, tmp_path: Path
) -> None:
    """The asset waits past the budget behind a lock; its holders (a second statement) are not
    read, and the answer says why."""
    assert demo_settings.database_url is not None
    query = '{ asset(assetId: "1") { name holders { data { account } } } }'
    with limited(demo_settings, tmp_path, db_request_budget_ms=200,
                 db_statement_timeout_ms=3_000) as client:  # fmt: skip
        answer: list[Any] = []
        with locked(demo_settings.database_url, "assets"):
            reader = threading.Thread(
                target=lambda: answer.append(client.post("/graphql", json={"query": query}))
            )
            reader.start()
            time.sleep(0.5)
        reader.join(10)

        errors = answer[0].json()["errors"]
        assert "used its 200 ms of database time" in errors[0]["message"], errors
        assert client.post("/graphql", json={"query": query}).json()["data"]["asset"]["holders"]
