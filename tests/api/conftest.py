"""Fixtures of the API tests: the demo chain indexed into a database of its own, and the API
served over it in-process (real PostgreSQL, Redis and anvil; nothing of ours is replaced)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from _stack import Databases, Replay, Views, settings_for
from _stack import index as index_chain
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from indexer.engine import Indexer

JWT_SECRET = "test-secret-of-at-least-thirty-two-bytes!"


@pytest.fixture(scope="session")
def demo_index(
    demo_chain: tuple[str, Path], postgres_admin_url: str, redis_url: str
) -> Iterator[tuple[str, str]]:
    """The demo chain indexed to its head: (database URL, Redis namespace of this index)."""
    rpc_url, deployments = demo_chain
    databases = Databases(postgres_admin_url)
    database_url = databases.create()
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    settings = settings_for(rpc_url, deployments, redis_namespace=namespace)
    index_chain(settings, database_url, redis_url=redis_url)
    try:
        yield database_url, namespace
    finally:
        databases.drop_all()


def api_settings_for(rpc_url: str, deployments: Path, database_url: str, redis_url: str,
                     namespace: str, data_dir: Path, **overrides: Any) -> ApiSettings:  # fmt: skip
    """API settings for a test: a fixed JWT key, generous rate limits unless overridden."""
    values: dict[str, Any] = {
        "rpc_url": rpc_url,
        "deployments_dir": deployments,
        "database_url": database_url,
        "redis_url": redis_url,
        "redis_namespace": namespace,
        "data_dir": data_dir,
        "jwt_secret": JWT_SECRET,
        "public_url": "http://testserver",
        "rate_limit_per_minute": 1_000_000,
        "rate_limit_per_address_per_minute": 1_000_000,
        "head_poll_seconds": 0.05,
        "faucet": False,  # the demo chain is shared and read only; tests/api/test_faucet.py has one
    }
    values.update(overrides)
    return ApiSettings(**values)


@pytest.fixture(scope="session")
def demo_settings(
    demo_chain: tuple[str, Path],
    demo_index: tuple[str, str],
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> ApiSettings:
    """The API's settings over the indexed demo chain."""
    rpc_url, deployments = demo_chain
    database_url, namespace = demo_index
    return api_settings_for(rpc_url, deployments, database_url, redis_url, namespace,
                            tmp_path_factory.mktemp("api-data"))  # fmt: skip


@pytest.fixture(scope="session")
def client(demo_settings: ApiSettings) -> Iterator[TestClient]:
    """The API over the demo's index, started once for the session (its lifespan runs)."""
    with TestClient(create_app(demo_settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def index(demo_index: tuple[str, str]) -> Callable[..., list[tuple[Any, ...]]]:
    """Reads of the demo's index (to pick accounts in a given situation)."""

    def query(sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(demo_index[0]) as conn:
            return conn.execute(sql, params).fetchall()

    return query


@pytest.fixture(scope="session")
def views(demo_chain: tuple[str, Path]) -> Views:
    """The demo chain's contract views, for checking figures against the contracts."""
    return Views(demo_chain[0])


@pytest.fixture(scope="module")
def replay(
    demo_settings: ApiSettings, postgres_admin_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Replay]:
    """A replay of the demo chain for the module's tests (about 0.1 s per block stepped)."""
    databases = Databases(postgres_admin_url)
    database_url = databases.create()
    indexer = Indexer(
        settings_for(demo_settings.rpc_url, demo_settings.deployments_dir), database_url, None
    )
    settings = demo_settings.model_copy(update={
        "database_url": database_url, "redis_url": None, "data_dir": tmp_path_factory.mktemp("replay"),
    })  # fmt: skip
    try:
        with TestClient(create_app(settings)) as client:
            yield Replay(indexer, client)
    finally:
        databases.drop_all()
