"""Helpers shared by the ape scripts, the tests and the benchmarks.

One place for: deploying the platform, building asset parameters, signing meter readings, and the
deployments file that later components (indexer, API) read. ape does not run files starting with
an underscore, so this module is only imported.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from ape import chain, project
from ape.api import AccountAPI
from ape.contracts import ContractInstance
from eth_account import Account
from eth_account.messages import encode_typed_data

from api import meter_reading

DEPLOYMENTS_DIR = Path(__file__).resolve().parent.parent / "deployments"
USDC = 10**6  # one unit of a 6-decimal stablecoin
DAY = 86_400

OPERATOR_ROLE = "OPERATOR_ROLE"
METER_ADMIN_ROLE = "METER_ADMIN_ROLE"
PAUSER_ROLE = "PAUSER_ROLE"
VERIFIER_ROLE = "VERIFIER_ROLE"


class Kind(IntEnum):
    """Mirror of `AssetTypes.Kind`."""

    SOLAR = 0
    WIND = 1
    HYDRO = 2
    STORAGE = 3


class Status(IntEnum):
    """Mirror of `AssetTypes.Status`."""

    FUNDING = 0
    ACTIVE = 1
    FAILED = 2
    DECOMMISSIONED = 3


class SaleState(IntEnum):
    """Mirror of `IPrimarySale.SaleState`."""

    NONE = 0
    OPEN = 1
    SUCCEEDED = 2
    FAILED = 3


@dataclass(frozen=True)
class Platform:
    """The platform's deployed singletons."""

    registry: ContractInstance
    identity: ContractInstance
    sale: ContractInstance
    oracle: ContractInstance
    market: ContractInstance
    certificates: ContractInstance
    stablecoin: ContractInstance | None

    def contracts(self) -> dict[str, ContractInstance]:
        """Contract name to instance, as written in the deployments file."""
        named = {
            "AssetRegistry": self.registry,
            "IdentityRegistry": self.identity,
            "PrimarySale": self.sale,
            "ProductionOracle": self.oracle,
            "ShareMarket": self.market,
            "EnergyCertificates": self.certificates,
        }
        if self.stablecoin is not None:
            named["MockStablecoin"] = self.stablecoin
        return named


@dataclass(frozen=True)
class Asset:
    """One registered asset's contracts."""

    asset_id: int
    token: ContractInstance
    governor: ContractInstance
    timelock: ContractInstance


def advance_time(seconds: int) -> None:
    """Moves a local chain's clock forward by `seconds` and mines a block."""
    chain.mine(timestamp=chain.pending_timestamp + seconds)


def role(contract: ContractInstance, name: str) -> bytes:
    """The role id `name` as the contract defines it."""
    return bytes(getattr(contract, name)())


def deploy_platform(
    deployer: AccountAPI,
    *,
    admin_transfer_delay: int = 2 * DAY,
    with_stablecoin: bool = True,
) -> Platform:
    """Deploys every platform contract, connects them and gives the deployer every role.

    Args:
        deployer: Pays for the deployment and becomes admin, operator, meter admin, pauser and verifier.
        admin_transfer_delay: Seconds a new admin must wait before accepting the admin role.
        with_stablecoin: Also deploy the 6-decimal mock stablecoin (local networks) and allow it as a
            payment token.

    Returns:
        The deployed platform.
    """
    identity = deployer.deploy(project.IdentityRegistry, deployer, admin_transfer_delay)
    implementations = (
        deployer.deploy(project.ShareToken).address,
        deployer.deploy(project.AssetGovernor).address,
        deployer.deploy(project.AssetTimelock).address,
    )
    registry = deployer.deploy(
        project.AssetRegistry, deployer, admin_transfer_delay, identity, implementations
    )
    sale = deployer.deploy(project.PrimarySale, registry)
    certificates = deployer.deploy(project.EnergyCertificates, registry, "")
    oracle = deployer.deploy(
        project.ProductionOracle, registry, role(registry, METER_ADMIN_ROLE), certificates
    )
    market = deployer.deploy(project.ShareMarket, registry)
    registry.connectModules(sale, oracle, market, sender=deployer)
    for name in (OPERATOR_ROLE, METER_ADMIN_ROLE, PAUSER_ROLE):
        registry.grantRole(role(registry, name), deployer, sender=deployer)
    identity.grantRole(role(identity, VERIFIER_ROLE), deployer, sender=deployer)
    stablecoin = deployer.deploy(project.MockStablecoin) if with_stablecoin else None
    if stablecoin is not None:
        registry.setPaymentTokenAllowed(stablecoin, True, sender=deployer)
    return Platform(registry, identity, sale, oracle, market, certificates, stablecoin)


def asset_params(
    *,
    payment_token: Any,
    treasury: Any,
    name: str = "Sunfield Solar Share",
    symbol: str = "SUNF",
    kind: Kind = Kind.SOLAR,
    capacity_watts: int = 5_000_000,
    location: str = "PT:Alentejo",
    metadata_uri: str = "ipfs://sunfield",
    total_shares: int = 10_000,
    share_price: int = 50 * USDC,
    start: int | None = None,
    duration: int = 30 * DAY,
    min_raise: int | None = None,
    max_shares_per_buyer: int | None = None,
    voting_delay: int = DAY,
    voting_period: int = 7 * DAY,
    proposal_threshold: int = 0,
    quorum_percent: int = 20,
    timelock_delay: int = 2 * DAY,
    reserve_bps: int = 1_000,
    requires_verification: bool = False,
) -> tuple:
    """An `AssetTypes.AssetParams` tuple with sensible defaults for a 10,000-share solar farm."""
    opens = chain.pending_timestamp if start is None else start
    sale_terms = (
        str(getattr(payment_token, "address", payment_token)),
        total_shares,
        share_price,
        opens,
        opens + duration,
        total_shares * share_price // 2 if min_raise is None else min_raise,
        total_shares if max_shares_per_buyer is None else max_shares_per_buyer,
        str(getattr(treasury, "address", treasury)),
    )
    governance = (voting_delay, voting_period, proposal_threshold, quorum_percent, timelock_delay)
    return (
        int(kind),
        capacity_watts,
        name,
        symbol,
        location,
        metadata_uri,
        sale_terms,
        governance,
        reserve_bps,
        requires_verification,
    )


def register_asset(platform: Platform, operator: AccountAPI, params: tuple) -> Asset:
    """Registers an asset and returns its contracts (read from its `AssetRegistered` event)."""
    receipt = platform.registry.registerAsset(params, sender=operator)
    registered = receipt.events.filter(platform.registry.AssetRegistered)[0]
    share_token, governor, timelock = registered.contracts  # decoded as a plain tuple
    return Asset(
        asset_id=int(registered.assetId),
        token=project.ShareToken.at(share_token),
        governor=project.AssetGovernor.at(governor),
        timelock=project.AssetTimelock.at(timelock),
    )


def reading_typed_data(oracle: ContractInstance, reading: dict[str, int | str]) -> dict[str, Any]:
    """The EIP-712 typed data a meter signs for a reading (as `eth_signTypedData_v4` takes it)."""
    return meter_reading.reading_typed_data(
        chain_id=chain.chain_id, oracle=str(oracle.address), message=reading
    )


def sign_reading(
    oracle: ContractInstance,
    meter_key: str,
    *,
    asset_id: int,
    period_start: int,
    period_end: int,
    energy_wh: int,
) -> tuple[tuple, bytes]:
    """Signs a reading with a meter's private key, as the meter device would.

    Returns:
        The `Reading` tuple and the 65-byte signature, ready for `submitReading`.
    """
    meter = Account.from_key(meter_key).address
    reading: dict[str, int | str] = {
        "assetId": asset_id,
        "meter": meter,
        "periodStart": period_start,
        "periodEnd": period_end,
        "energyWh": energy_wh,
    }
    signed = Account.sign_message(
        encode_typed_data(full_message=reading_typed_data(oracle, reading)), meter_key
    )
    return (asset_id, meter, period_start, period_end, energy_wh), bytes(signed.signature)


def deployment_block(contract: ContractInstance) -> int:
    """The block in which a contract was deployed."""
    if contract.txn_hash:
        return int(chain.provider.get_receipt(contract.txn_hash).block_number)
    creation = contract.creation_metadata
    if creation is None:
        raise ValueError(f"no creation record for {contract.address}")
    return int(creation.block)


def deployments_file(chain_id: int) -> Path:
    """Where the deployments of a chain are written (`DEPLOYMENTS_DIR` moves the folder)."""
    return Path(os.environ.get("DEPLOYMENTS_DIR", DEPLOYMENTS_DIR)) / f"{chain_id}.json"


def write_deployments(platform: Platform, chain_id: int, *, stablecoin: str | None = None) -> Path:
    """Writes each contract's address and deployment block for a chain; returns the file.

    Args:
        platform: The deployed platform.
        chain_id: The chain it was deployed on (names the file).
        stablecoin: The address of a stablecoin deployed by someone else (live networks), written as
            "Stablecoin" with a null block. Without it, the platform's mock stablecoin is written.
    """
    path = deployments_file(chain_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = deployments_record(platform, chain_id, stablecoin=stablecoin)
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def deployments_record(
    platform: Platform, chain_id: int, *, stablecoin: str | None = None
) -> dict[str, Any]:
    """What a deployments file holds: the chain id and each contract's address and block."""
    contracts: dict[str, dict[str, Any]] = {
        name: {"address": str(contract.address), "block": deployment_block(contract)}
        for name, contract in platform.contracts().items()
    }
    if stablecoin is not None:
        contracts["Stablecoin"] = {"address": str(stablecoin), "block": None}
    return {"chain_id": chain_id, "contracts": contracts}


def load_deployments(chain_id: int) -> dict[str, Any]:
    """Reads the deployments of a chain.

    Raises:
        FileNotFoundError: When nothing was deployed on that chain from this checkout.
    """
    return json.loads(deployments_file(chain_id).read_text())


def load_platform(chain_id: int) -> Platform | None:
    """The platform recorded in a chain's deployments file, if its registry has code on this chain.

    A local chain restarted since the file was written has no code there, so this gives None and the
    caller deploys again. The stablecoin is the mock one when the file names it, else None.
    """
    try:
        named = load_deployments(chain_id)["contracts"]
    except FileNotFoundError:
        return None
    registry = named.get("AssetRegistry", {}).get("address")
    if registry is None or not chain.provider.get_code(registry):
        return None
    mock = named.get("MockStablecoin")
    return Platform(
        registry=project.AssetRegistry.at(registry),
        identity=project.IdentityRegistry.at(named["IdentityRegistry"]["address"]),
        sale=project.PrimarySale.at(named["PrimarySale"]["address"]),
        oracle=project.ProductionOracle.at(named["ProductionOracle"]["address"]),
        market=project.ShareMarket.at(named["ShareMarket"]["address"]),
        certificates=project.EnergyCertificates.at(named["EnergyCertificates"]["address"]),
        stablecoin=None if mock is None else project.MockStablecoin.at(mock["address"]),
    )
