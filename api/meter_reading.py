"""The EIP-712 typed data of a meter reading: what a meter signs and `ProductionOracle` checks.

The one definition of the `Reading` type, used by the API (`POST /meters/readings`), the demo
scripts (`scripts/_lib.py`) and the tests. No FastAPI or node here: scripts import it as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DOMAIN_NAME, DOMAIN_VERSION = "EnergyProductionOracle", "1"  # ProductionOracle's EIP712(...)

EIP712_DOMAIN_FIELDS: list[dict[str, str]] = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
"""The EIP-712 domain fields of every typed message the platform signs (OpenZeppelin's EIP712)."""

READING_FIELDS: list[dict[str, str]] = [
    {"name": "assetId", "type": "uint256"},
    {"name": "meter", "type": "address"},
    {"name": "periodStart", "type": "uint64"},
    {"name": "periodEnd", "type": "uint64"},
    {"name": "energyWh", "type": "uint256"},
]
"""`Reading(uint256 assetId,address meter,uint64 periodStart,uint64 periodEnd,uint256 energyWh)`."""


def reading_typed_data(*, chain_id: int, oracle: str,
                       message: Mapping[str, Any]) -> dict[str, Any]:  # fmt: skip
    """The typed data a meter signs for a reading, as `eth_signTypedData_v4` takes it.

    Args:
        chain_id: The chain the oracle is on.
        oracle: The `ProductionOracle`'s address (the domain's verifying contract).
        message: `assetId`, `meter`, `periodStart`, `periodEnd` and `energyWh`.
    """
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_FIELDS, "Reading": READING_FIELDS},
        "primaryType": "Reading",
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": oracle,
        },
        "message": dict(message),
    }
