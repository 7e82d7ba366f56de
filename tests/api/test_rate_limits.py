"""Rate limits: per client IP, and per signed-in address, each answered 429 with Retry-After."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eth_account import Account
from fastapi.testclient import TestClient
from test_auth import bearer, sign_in

from api.app import create_app
from api.settings import ApiSettings

LIMIT = 5


@contextmanager
def limited_api(demo_settings: ApiSettings, data_dir: Path, **limits: Any) -> Iterator[TestClient]:
    """The API over the demo's index with its own limits and Redis namespace (fresh counts)."""
    settings = demo_settings.model_copy(
        update={"redis_namespace": f"limits-{uuid.uuid4().hex[:8]}", "data_dir": data_dir, **limits}
    )
    assert settings.redis_url is not None
    with TestClient(create_app(settings)) as client:
        # The counts are per minute: start early in one, so the test's requests share it.
        if time.time() % 60 > 45:
            time.sleep(60 - time.time() % 60 + 0.1)
        yield client


def assert_rate_limited(answer: Any) -> None:
    assert answer.status_code == 429, answer.text
    assert 1 <= int(answer.headers["retry-after"]) <= 60
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"].endswith("/rate-limited")
    assert problem["status"] == 429
    assert f"try again in {answer.headers['retry-after']} s" in problem["detail"]


def test_a_client_over_its_limit_per_minute_gets_429_with_retry_after(
    demo_settings: ApiSettings, tmp_path: Path
) -> None:
    with limited_api(demo_settings, tmp_path,
                     rate_limit_per_minute=LIMIT) as client:  # fmt: skip
        answers = [client.get("/status") for _ in range(LIMIT)]
        assert [a.status_code for a in answers] == [200] * LIMIT

        assert_rate_limited(client.get("/status"))
        assert_rate_limited(client.post("/auth/nonce"))
        assert client.get("/healthz").status_code == 200  # probes are never limited


def test_a_signed_in_address_over_its_limit_gets_429_while_others_go_on(
    demo_settings: ApiSettings, tmp_path: Path
) -> None:
    with limited_api(demo_settings, tmp_path,
                     rate_limit_per_address_per_minute=LIMIT) as client:  # fmt: skip
        busy = bearer(sign_in(client, Account.create())["access_token"])
        calm = bearer(sign_in(client, Account.create())["access_token"])

        answers = [client.get("/me", headers=busy) for _ in range(LIMIT)]
        assert [a.status_code for a in answers] == [200] * LIMIT

        assert_rate_limited(client.get("/me", headers=busy))
        assert_rate_limited(client.get("/status", headers=busy))
        assert client.get("/me", headers=calm).status_code == 200
        assert client.get("/status").status_code == 200  # the same IP, anonymous
