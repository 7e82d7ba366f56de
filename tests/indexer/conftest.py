"""Fixtures of the indexer tests: PostgreSQL and Redis (the machine's when they answer, else the
embedded ones), fresh databases, the demo's chain on an anvil of its own, and deployments files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _indexing import ROOT, Anvil, Databases

from indexer import services
from scripts._lib import Platform, deployments_record

MACHINE_POSTGRES = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
MACHINE_REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def postgres_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server to create test databases on: the machine's, else an embedded one."""
    if services.server_answers(MACHINE_POSTGRES):
        yield MACHINE_POSTGRES
        return
    with services.postgres(None, tmp_path_factory.mktemp("postgres")) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server: the machine's, else an embedded one."""
    if services.server_answers(MACHINE_REDIS):
        yield MACHINE_REDIS
        return
    with services.redis(None, tmp_path_factory.mktemp("redis")) as url:
        os.environ["TEST_REDIS_URL"] = url
        yield url


@pytest.fixture
def new_database(postgres_admin_url: str) -> Iterator[Callable[[], str]]:
    """Makes empty databases, dropped when the test ends."""
    databases = Databases(postgres_admin_url)
    yield databases.create
    databases.drop_all()


@pytest.fixture
def database_url(new_database: Callable[[], str]) -> str:
    """One empty database for the test."""
    return new_database()


@pytest.fixture(scope="session")
def demo_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A chain of its own after the demo story (`ape run demo`): (RPC URL, deployments folder).

    Tests only read it: nothing is sent to it after the demo.
    """
    node = Anvil()
    deployments = tmp_path_factory.mktemp("demo-deployments")
    env = dict(os.environ, APE_FOUNDRY_HOST=node.url, DEPLOYMENTS_DIR=str(deployments))
    ape = Path(sys.executable).parent / "ape"
    done = subprocess.run(
        [str(ape), "run", "demo", "--network", "ethereum:local:foundry"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        node.stop()
        pytest.fail(f"the demo failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    try:
        yield node.url, deployments
    finally:
        node.stop()


@pytest.fixture(scope="session")
def platform_deployments(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A deployments folder naming the test session's platform (on ape's own anvil)."""
    from ape import chain

    folder = tmp_path_factory.mktemp("deployments")
    record = deployments_record(platform, chain.chain_id)
    (folder / f"{chain.chain_id}.json").write_text(json.dumps(record))
    return folder


@pytest.fixture(scope="session")
def ape_rpc_url(platform: Platform) -> str:
    """The HTTP URL of the anvil that ape's tests run on."""
    from ape import chain

    return str(chain.provider.uri)
