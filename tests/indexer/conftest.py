"""Fixtures of the indexer tests: deployments files naming the test session's platform and the URL
of ape's anvil (servers, databases and the demo chain are in `tests/conftest.py`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts._lib import Platform, deployments_record


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
