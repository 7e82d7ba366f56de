"""Fixtures shared by every test: role accounts, the deployed platform and asset factories."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from ape import accounts
from ape.api import AccountAPI
from ape.contracts import ContractInstance

from scripts._lib import (
    OPERATOR_ROLE,
    USDC,
    Asset,
    Platform,
    asset_params,
    deploy_platform,
    register_asset,
    role,
)


@pytest.fixture(scope="session")
def admin() -> AccountAPI:
    """Deploys the platform; holds the admin, meter admin, pauser and verifier roles."""
    return accounts.test_accounts[0]


@pytest.fixture(scope="session")
def operator() -> AccountAPI:
    """Registers and runs assets (OPERATOR_ROLE)."""
    return accounts.test_accounts[1]


@pytest.fixture(scope="session")
def treasury() -> AccountAPI:
    """Receives the raised funds of successful sales."""
    return accounts.test_accounts[2]


@pytest.fixture(scope="session")
def stranger() -> AccountAPI:
    """Holds no role and no share."""
    return accounts.test_accounts[3]


@pytest.fixture(scope="session")
def investors() -> list[AccountAPI]:
    """Buyers of shares."""
    return list(accounts.test_accounts[4:14])


@pytest.fixture(scope="session")
def investor(investors: list[AccountAPI]) -> AccountAPI:
    """One buyer of shares."""
    return investors[0]


@pytest.fixture(scope="session")
def platform(admin: AccountAPI, operator: AccountAPI) -> Platform:
    """The whole platform, deployed once for the session (tests are isolated by snapshots)."""
    deployed = deploy_platform(admin)
    deployed.registry.grantRole(role(deployed.registry, OPERATOR_ROLE), operator, sender=admin)
    return deployed


@pytest.fixture(scope="session")
def registry(platform: Platform) -> ContractInstance:
    return platform.registry


@pytest.fixture(scope="session")
def sale(platform: Platform) -> ContractInstance:
    return platform.sale


@pytest.fixture(scope="session")
def oracle(platform: Platform) -> ContractInstance:
    return platform.oracle


@pytest.fixture(scope="session")
def market(platform: Platform) -> ContractInstance:
    return platform.market


@pytest.fixture(scope="session")
def identity(platform: Platform) -> ContractInstance:
    return platform.identity


@pytest.fixture(scope="session")
def usdc(platform: Platform) -> ContractInstance:
    assert platform.stablecoin is not None
    return platform.stablecoin


@pytest.fixture(scope="session")
def fund(usdc: ContractInstance) -> Callable[..., None]:
    """Mints stablecoins to an account and approves a spender for them."""

    def _fund(account: AccountAPI, amount: int, spender: Any = None) -> None:
        usdc.mint(account, amount, sender=account)
        if spender is not None:
            usdc.approve(spender, amount, sender=account)

    return _fund


@pytest.fixture(scope="session")
def create_asset(
    platform: Platform, operator: AccountAPI, treasury: AccountAPI, usdc: ContractInstance
) -> Callable[..., Asset]:
    """Registers an asset; keyword arguments override `asset_params` defaults."""

    def _create(**overrides: Any) -> Asset:
        params = asset_params(payment_token=usdc, treasury=treasury, **overrides)
        return register_asset(platform, operator, params)

    return _create


@pytest.fixture(scope="session")
def buy(sale: ContractInstance, fund: Callable[..., None]) -> Callable[..., None]:
    """Funds a buyer and buys shares of an asset in its primary sale."""

    def _buy(asset: Asset, buyer: AccountAPI, shares: int, price: int = 50 * USDC) -> None:
        fund(buyer, shares * price, sale)
        sale.buy(asset.asset_id, shares, sender=buyer)

    return _buy


@pytest.fixture
def funded_asset(
    create_asset: Callable[..., Asset],
    buy: Callable[..., None],
    sale: ContractInstance,
    investors: list[AccountAPI],
) -> Asset:
    """An active asset: its 10,000 shares sold (4,000 / 3,000 / 2,000 / 1,000) and the sale finalized."""
    asset = create_asset()
    for holder, shares in zip(investors, (4_000, 3_000, 2_000, 1_000), strict=False):
        buy(asset, holder, shares)
    sale.finalize(asset.asset_id, sender=investors[0])
    return asset
