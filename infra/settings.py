"""What the indexer's and the API's settings share: the repository root and the development chains."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# anvil's and Hardhat's chain ids: a node there may be rolled back at will, and the faucet may pay.
LOCAL_CHAIN_IDS = frozenset({1337, 31337})
