"""Fixtures shared by every test: role accounts, the deployed platform, asset factories and the
actions many tests take (buying, depositing revenue, selling on the market, pausing, reporting);
and for the indexer and API tests, PostgreSQL and Redis (the machine's when they answer, else
embedded ones), fresh databases and the demo's chain on an anvil of its own."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from _stack import Databases, demo_story
from ape import accounts, chain, project
from ape.api import AccountAPI, ReceiptAPI, TestAccountAPI
from ape.contracts import ContractInstance
from ape_test.accounts import TestAccountContainer
from eth_account import Account

from infra import embedded
from scripts._lib import (
    DAY,
    OPERATOR_ROLE,
    USDC,
    Asset,
    Platform,
    advance_time,
    asset_params,
    deploy_platform,
    register_asset,
    role,
    sign_reading,
)

# What the first four investors hold of an active asset, unless a test says otherwise.
HOLDINGS = (4_000, 3_000, 2_000, 1_000)


@pytest.fixture(scope="session", autouse=True)
def _derive_test_accounts_once() -> Iterator[None]:
    """Derives each test account from the mnemonic once per session instead of on every lookup.

    ape-foundry renders the call trace of every revert, and ape labels its addresses by checking
    each against the test accounts (`address in accounts`). For every such check, and for every
    `accounts[address]`, ape's test-account container derives all 40 configured accounts from the
    mnemonic again (pure-Python elliptic-curve maths, about half a second), so a revert cost about
    a second. An account is a pure function of the mnemonic, the HD path and its index, so
    memoizing it on them changes nothing but the speed (a revert then takes about 0.1 s).
    """
    original = TestAccountContainer.get_test_account
    derived: dict[tuple[str, str, int], TestAccountAPI] = {}

    def get_test_account(self: TestAccountContainer, index: int) -> TestAccountAPI:
        if index >= self.number_of_accounts:  # generated later on demand, and kept by ape itself
            return original(self, index)
        key = (self.mnemonic, self.hd_path, index)
        if key not in derived:
            derived[key] = original(self, index)
        return derived[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TestAccountContainer, "get_test_account", get_test_account)
        yield


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
def certificates(platform: Platform) -> ContractInstance:
    """The energy certificates (ERC-1155), issued by the oracle for every accepted report."""
    return platform.certificates


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


@pytest.fixture(scope="session")
def create_active_asset(
    create_asset: Callable[..., Asset],
    buy: Callable[..., None],
    sale: ContractInstance,
    investors: list[AccountAPI],
) -> Callable[..., Asset]:
    """Registers an asset, sells its whole supply as `holdings` says and finalizes the sale.

    `holdings` are (buyer, shares) pairs, by default 4,000 / 3,000 / 2,000 / 1,000 shares for the
    first four investors; the supply is their sum. Keyword arguments override `asset_params`
    defaults.
    """

    def _create(holdings: Sequence[tuple[AccountAPI, int]] = (), **overrides: Any) -> Asset:
        holdings = holdings or list(zip(investors, HOLDINGS, strict=False))
        asset = create_asset(total_shares=sum(shares for _, shares in holdings), **overrides)
        for holder, shares in holdings:
            buy(asset, holder, shares)
        sale.finalize(asset.asset_id, sender=holdings[0][0])
        return asset

    return _create


@pytest.fixture(scope="session")
def deposit_revenue(fund: Callable[..., None], operator: AccountAPI) -> Callable[..., ReceiptAPI]:
    """Mints revenue to its depositor (the operator by default), approves and deposits it."""

    def _deposit(
        asset: Asset, amount: int, report_id: int = 0, depositor: AccountAPI | None = None
    ) -> ReceiptAPI:
        payer = depositor or operator
        fund(payer, amount, asset.token)
        return asset.token.depositRevenue(amount, report_id, sender=payer)

    return _deposit


@pytest.fixture(scope="session")
def sell_on_market(
    market: ContractInstance, fund: Callable[..., None]
) -> Callable[..., ReceiptAPI]:
    """Lists shares on the share market for a day and has a buyer fill the whole listing."""

    def _sell(
        token: ContractInstance, seller: AccountAPI, buyer: AccountAPI, shares: int, price: int
    ) -> ReceiptAPI:
        token.approve(market, shares, sender=seller)
        market.list(token, shares, price, chain.pending_timestamp + DAY, sender=seller)
        fund(buyer, shares * price, market)
        return market.fill(market.listingCount(), shares, price, sender=buyer)

    return _sell


@pytest.fixture(scope="session")
def pause(registry: ContractInstance, admin: AccountAPI) -> Callable[[Asset, str], None]:
    """Pauses, as a pauser, either one asset (scope "asset") or the whole platform ("platform")."""

    def _pause(asset: Asset, scope: str) -> None:
        if scope == "asset":
            registry.setAssetPaused(asset.asset_id, True, sender=admin)
        else:
            registry.setPlatformPaused(True, sender=admin)

    return _pause


@pytest.fixture(scope="session")
def report_production(
    oracle: ContractInstance, admin: AccountAPI, operator: AccountAPI
) -> Callable[[Asset, str, int], int]:
    """Registers a meter (by its private key) for an asset, lets an hour pass and has the operator
    relay the meter's signed reading of that hour; returns the report id."""

    def _report(asset: Asset, meter_key: str, energy_wh: int) -> int:
        oracle.registerMeter(Account.from_key(meter_key).address, asset.asset_id, sender=admin)
        advance_time(3_600)
        end = int(chain.blocks.head.timestamp)
        reading, signature = sign_reading(
            oracle,
            meter_key,
            asset_id=asset.asset_id,
            period_start=end - 3_600,
            period_end=end,
            energy_wh=energy_wh,
        )
        oracle.submitReading(reading, signature, sender=operator)
        return int(oracle.reportCount())

    return _report


@pytest.fixture(scope="session", autouse=True)
def _session_fixtures_first(
    platform: Platform,
    registry: ContractInstance,
    sale: ContractInstance,
    oracle: ContractInstance,
    market: ContractInstance,
    certificates: ContractInstance,
    identity: ContractInstance,
    usdc: ContractInstance,
    fund: Callable[..., None],
    buy: Callable[..., None],
    create_asset: Callable[..., Asset],
    create_active_asset: Callable[..., Asset],
    deposit_revenue: Callable[..., ReceiptAPI],
    sell_on_market: Callable[..., ReceiptAPI],
    pause: Callable[[Asset, str], None],
    report_production: Callable[[Asset, str, int], int],
    admin: AccountAPI,
    operator: AccountAPI,
    treasury: AccountAPI,
    stranger: AccountAPI,
    investors: list[AccountAPI],
    investor: AccountAPI,
) -> None:
    """Sets every session fixture up before the first test.

    ape snapshots the chain around each module and each test; a session fixture that first
    appeared after a module's snapshot would make ape roll back and rebuild that module's fixtures
    (a "rebase"). Module fixtures are requested early by an autouse fixture of their module.
    """


@pytest.fixture(scope="module")
def asset(create_active_asset: Callable[..., Asset]) -> Asset:
    """An active asset, its 10,000 shares held 4,000 / 3,000 / 2,000 / 1,000 by the first four
    investors, built once per module. Modules about assets in another state override it."""
    return create_active_asset()


@pytest.fixture(scope="module")
def token(asset: Asset) -> ContractInstance:
    """The share token of the module's asset."""
    return asset.token


@pytest.fixture
def hostile(admin: AccountAPI) -> ContractInstance:
    """A payment token that calls back into a target of our choice during a transfer."""
    return admin.deploy(project.ReentrantStablecoin)


@pytest.fixture
def hostile_asset(
    platform: Platform,
    admin: AccountAPI,
    operator: AccountAPI,
    treasury: AccountAPI,
    hostile: ContractInstance,
) -> Asset:
    """A 100-share asset (50 USDC a share) paid for in the hostile token, its sale open."""
    platform.registry.setPaymentTokenAllowed(hostile, True, sender=admin)
    params = asset_params(payment_token=hostile, treasury=treasury, total_shares=100)
    return register_asset(platform, operator, params)


MACHINE_POSTGRES = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
MACHINE_REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def postgres_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server to create test databases on: the machine's, else an embedded one."""
    if embedded.server_answers(MACHINE_POSTGRES):
        yield MACHINE_POSTGRES
        return
    with embedded.postgres(None, tmp_path_factory.mktemp("postgres")) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server: the machine's, else an embedded one."""
    if embedded.server_answers(MACHINE_REDIS):
        yield MACHINE_REDIS
        return
    with embedded.redis(None, tmp_path_factory.mktemp("redis")) as url:
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
    """A chain of its own after the demo story: (RPC URL, deployments folder).

    Tests only read it: nothing is sent to it after the demo.
    """
    deployments = tmp_path_factory.mktemp("demo-deployments")
    with demo_story(deployments) as url:
        yield url, deployments
