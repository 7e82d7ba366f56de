"""The platform contracts a chain's deployments file names: what the indexer follows from the start."""

from __future__ import annotations

import json

from indexer.exceptions import ConfigurationError
from indexer.settings import IndexerSettings
from infra.abi import DEPLOYED_KINDS


def deployed_contracts(
    settings: IndexerSettings, chain_id: int
) -> list[tuple[str, str, None, int]]:
    """The platform contracts of a chain's deployments file: (address, kind, None, block)."""
    path = settings.deployments_dir / f"{chain_id}.json"
    try:
        named = json.loads(path.read_text())["contracts"]
    except FileNotFoundError as error:
        raise ConfigurationError(
            f"no deployments for chain {chain_id}: {path} is missing"
        ) from error
    found = [
        (entry["address"].lower(), DEPLOYED_KINDS[name], None, int(entry["block"]))
        for name, entry in named.items()
        if name in DEPLOYED_KINDS and entry.get("block") is not None
    ]
    if not any(kind == "registry" for _, kind, _, _ in found):
        raise ConfigurationError(f"{path} names no AssetRegistry")
    return found
