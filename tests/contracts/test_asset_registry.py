"""AssetRegistry: asset registration and its checks, the clones it deploys, per-asset decisions
reserved to each asset's timelock, pauses, metadata, platform fees and the two-step admin transfer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from _helpers import ZERO_ADDRESS, assert_emitted, assert_pause_set, impersonate, reverts_with
from ape import chain, project
from ape.api import AccountAPI
from ape.contracts import ContractInstance

from scripts._lib import (
    DAY,
    OPERATOR_ROLE,
    PAUSER_ROLE,
    USDC,
    Asset,
    SaleState,
    Status,
    advance_time,
    asset_params,
    role,
)

DEFAULT_ADMIN_ROLE = b"\x00" * 32
UNKNOWN_ID = 999


@pytest.fixture(autouse=True, scope="module")
def _module_setup(asset: Asset) -> None:
    """Every test starts from one registered asset, built before any test's snapshot."""


@pytest.fixture
def params(usdc: ContractInstance, treasury: AccountAPI) -> Callable[..., tuple]:
    """Asset parameters with the test stablecoin and treasury; keywords override the defaults."""

    def _params(**overrides: Any) -> tuple:
        return asset_params(**({"payment_token": usdc, "treasury": treasury} | overrides))

    return _params


@pytest.fixture(scope="module")
def asset(create_asset: Callable[..., Asset]) -> Asset:
    """A registered asset, its sale open (built once per module)."""
    return create_asset()


@pytest.fixture
def timelock(asset: Asset) -> AccountAPI:
    """The asset's timelock, impersonated: the only sender of its governance decisions."""
    return impersonate(asset.timelock)


@pytest.fixture
def fresh_registry(registry: ContractInstance, identity: ContractInstance, admin: AccountAPI):
    """A registry whose modules are not connected yet (operator role given to the admin)."""
    implementations = (
        registry.shareTokenImplementation(),
        registry.governorImplementation(),
        registry.timelockImplementation(),
    )
    fresh = admin.deploy(project.AssetRegistry, admin, 2 * DAY, identity, implementations)
    fresh.grantRole(role(fresh, OPERATOR_ROLE), admin, sender=admin)
    return fresh


# registerAsset


def test_register_asset_records_the_asset_and_emits_every_parameter(
    registry, sale, params, operator
):
    asset_params_ = params()
    tx = registry.registerAsset(asset_params_, sender=operator)

    asset_id = registry.assetCount()
    record = registry.asset(asset_id)
    contracts = [record.contracts.shareToken, record.contracts.governor, record.contracts.timelock]
    assert (record.operator, record.status, record.paused, record.reserveBps) == (
        operator.address,
        Status.FUNDING,
        False,
        1_000,
    )
    assert len(set(contracts)) == 3
    assert registry.assetIdOf(record.contracts.shareToken) == asset_id
    assert registry.operatorOf(asset_id) == operator.address
    assert sale.sale(asset_id).state == SaleState.OPEN
    assert_emitted(
        tx,
        registry.AssetRegistered,
        assetId=asset_id,
        operator=operator,
        contracts=contracts,
        params=asset_params_,
    )


def test_register_asset_gives_consecutive_ids(create_asset, registry):
    first, second = create_asset(), create_asset(symbol="SUN2")
    assert second.asset_id == first.asset_id + 1 == registry.assetCount()


def test_register_asset_reverts_without_operator_role(registry, params, stranger):
    with reverts_with(
        registry.AccessControlUnauthorizedAccount,
        account=stranger,
        neededRole=role(registry, OPERATOR_ROLE),
    ):
        registry.registerAsset(params(), sender=stranger)


@pytest.mark.parametrize(
    ("overrides", "error", "arguments"),
    [
        ({"payment_token": ZERO_ADDRESS}, "RegistryZeroAddress", {}),
        ({"treasury": ZERO_ADDRESS}, "RegistryZeroAddress", {}),
        (
            {"total_shares": 0, "max_shares_per_buyer": 0, "min_raise": 1},
            "RegistryInvalidShares",
            {"totalShares": 0, "maxSharesPerBuyer": 0},
        ),
        (
            {"max_shares_per_buyer": 0},
            "RegistryInvalidShares",
            {"totalShares": 10_000, "maxSharesPerBuyer": 0},
        ),
        (
            {"max_shares_per_buyer": 10_001},
            "RegistryInvalidShares",
            {"totalShares": 10_000, "maxSharesPerBuyer": 10_001},
        ),
        (
            {"share_price": 0, "min_raise": 1},
            "RegistryInvalidPricing",
            {"sharePrice": 0, "minRaise": 1},
        ),
        ({"min_raise": 0}, "RegistryInvalidPricing", {"sharePrice": 50 * USDC, "minRaise": 0}),
        (
            {"min_raise": 10_000 * 50 * USDC + 1},
            "RegistryInvalidPricing",
            {"sharePrice": 50 * USDC, "minRaise": 10_000 * 50 * USDC + 1},
        ),
        ({"reserve_bps": 5_001}, "RegistryBpsTooHigh", {"bps": 5_001, "maxBps": 5_000}),
        ({"voting_period": 0}, "RegistryInvalidGovernance", {}),
        ({"voting_period": DAY - 1}, "RegistryInvalidGovernance", {}),
        ({"voting_delay": 3_600 - 1}, "RegistryInvalidGovernance", {}),
        ({"timelock_delay": DAY - 1}, "RegistryInvalidGovernance", {}),
        ({"quorum_percent": 0}, "RegistryInvalidGovernance", {}),
        ({"quorum_percent": 51}, "RegistryInvalidGovernance", {}),
        ({"name": ""}, "RegistryInvalidGovernance", {}),
        ({"symbol": ""}, "RegistryInvalidGovernance", {}),
    ],
    ids=[
        "zero-payment-token",
        "zero-treasury",
        "zero-supply",
        "zero-buyer-cap",
        "buyer-cap-above-supply",
        "zero-price",
        "zero-min-raise",
        "min-raise-above-full-raise",
        "reserve-above-max",
        "zero-voting-period",
        "voting-period-under-a-day",
        "voting-delay-under-an-hour",
        "timelock-delay-under-a-day",
        "zero-quorum",
        "quorum-above-100",
        "empty-name",
        "empty-symbol",
    ],
)
def test_register_asset_rejects_invalid_parameters(
    registry, params, operator, overrides, error, arguments
):
    with reverts_with(getattr(registry, error), **arguments):
        registry.registerAsset(params(**overrides), sender=operator)


def test_register_asset_rejects_an_empty_funding_window(registry, params, operator):
    start = chain.pending_timestamp + DAY
    with reverts_with(registry.RegistryInvalidWindow, start=start, end=start):
        registry.registerAsset(params(start=start, duration=0), sender=operator)


def test_register_asset_rejects_a_funding_window_already_closed(registry, params, operator):
    start = chain.pending_timestamp - 2 * DAY
    with reverts_with(registry.RegistryInvalidWindow, start=start, end=start + DAY):
        registry.registerAsset(params(start=start, duration=DAY), sender=operator)


def test_register_asset_accepts_the_boundary_values(create_asset, registry):
    asset = create_asset(reserve_bps=5_000, quorum_percent=50, min_raise=10_000 * 50 * USDC)
    assert registry.asset(asset.asset_id).reserveBps == 5_000
    assert asset.governor.quorumNumerator() == 50


def test_register_asset_reverts_before_modules_are_connected(fresh_registry, params, admin):
    with reverts_with(fresh_registry.RegistryModulesNotConnected):
        fresh_registry.registerAsset(params(), sender=admin)


# The clones


def test_registered_clones_are_initialized_with_the_asset_parameters(
    create_asset, registry, usdc, identity
):
    asset = create_asset(
        name="Windy Hill Share",
        symbol="WIND",
        voting_delay=3_600,
        voting_period=3 * DAY,
        proposal_threshold=25,
        quorum_percent=33,
        timelock_delay=DAY,
        requires_verification=True,
    )
    token, governor, timelock = asset.token, asset.governor, asset.timelock

    assert (token.name(), token.symbol(), token.decimals()) == ("Windy Hill Share", "WIND", 0)
    assert token.assetId() == asset.asset_id
    assert token.paymentToken() == usdc.address
    assert token.identityRegistry() == identity.address
    assert token.totalSupply() == 0

    assert governor.name() == "Windy Hill Share"
    assert governor.token() == token.address
    assert governor.timelock() == timelock.address
    assert (governor.votingDelay(), governor.votingPeriod()) == (3_600, 3 * DAY)
    assert governor.proposalThreshold() == 25
    assert governor.quorumNumerator() == 33

    assert timelock.getMinDelay() == DAY
    assert timelock.hasRole(timelock.PROPOSER_ROLE(), governor)
    assert timelock.hasRole(timelock.CANCELLER_ROLE(), governor)
    assert timelock.hasRole(timelock.EXECUTOR_ROLE(), ZERO_ADDRESS)  # anyone executes
    assert not timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), registry)


def test_an_unrestricted_asset_token_has_no_identity_registry(asset):
    assert asset.token.identityRegistry() == ZERO_ADDRESS


def test_registered_clones_cannot_be_initialized_again(asset, usdc, stranger):
    governance = (1, 1, 0, 1, 1)
    with reverts_with(asset.token.InvalidInitialization):
        asset.token.initialize("X", "X", 1, ZERO_ADDRESS, usdc, sender=stranger)
    with reverts_with(asset.governor.InvalidInitialization):
        asset.governor.initialize("X", stranger, stranger, governance, sender=stranger)
    with reverts_with(asset.timelock.InvalidInitialization):
        asset.timelock.initialize(0, [stranger], [stranger], stranger, sender=stranger)


def test_implementations_cannot_be_initialized(registry, usdc, stranger):
    token = project.ShareToken.at(registry.shareTokenImplementation())
    governor = project.AssetGovernor.at(registry.governorImplementation())
    timelock = project.AssetTimelock.at(registry.timelockImplementation())
    with reverts_with(token.InvalidInitialization):
        token.initialize("X", "X", 1, ZERO_ADDRESS, usdc, sender=stranger)
    with reverts_with(governor.InvalidInitialization):
        governor.initialize("X", token, timelock, (1, 1, 0, 1, 1), sender=stranger)
    with reverts_with(timelock.InvalidInitialization):
        timelock.initialize(0, [stranger], [stranger], stranger, sender=stranger)


# Deployment and modules


def test_constructor_rejects_a_zero_address(registry, admin):
    implementations = (
        registry.shareTokenImplementation(),
        registry.governorImplementation(),
        registry.timelockImplementation(),
    )
    with reverts_with(registry.RegistryZeroAddress):
        admin.deploy(project.AssetRegistry, admin, DAY, ZERO_ADDRESS, implementations)


def test_registry_names_its_modules_and_defaults(registry, identity, sale, oracle, market, admin):
    assert registry.identityRegistry() == identity.address
    assert (registry.primarySale(), registry.productionOracle(), registry.shareMarket()) == (
        sale.address,
        oracle.address,
        market.address,
    )
    assert (registry.revenueFeeBps(), registry.marketFeeBps()) == (0, 0)
    assert registry.feeRecipient() == admin.address
    assert (registry.MAX_FEE_BPS(), registry.MAX_RESERVE_BPS()) == (1_000, 5_000)


def test_connect_modules_connects_once_and_emits(fresh_registry, sale, oracle, market, admin):
    tx = fresh_registry.connectModules(sale, oracle, market, sender=admin)
    assert_emitted(
        tx,
        fresh_registry.ModulesConnected,
        primarySale=sale,
        productionOracle=oracle,
        shareMarket=market,
    )
    assert fresh_registry.primarySale() == sale.address
    with reverts_with(fresh_registry.RegistryModulesAlreadyConnected):
        fresh_registry.connectModules(sale, oracle, market, sender=admin)


def test_connect_modules_reverts_when_already_connected(registry, sale, oracle, market, admin):
    with reverts_with(registry.RegistryModulesAlreadyConnected):
        registry.connectModules(sale, oracle, market, sender=admin)


def test_connect_modules_rejects_a_zero_module(fresh_registry, sale, oracle, admin):
    with reverts_with(fresh_registry.RegistryZeroAddress):
        fresh_registry.connectModules(sale, oracle, ZERO_ADDRESS, sender=admin)


def test_connect_modules_reverts_for_non_admin(fresh_registry, sale, oracle, market, operator):
    with reverts_with(
        fresh_registry.AccessControlUnauthorizedAccount,
        account=operator,
        neededRole=DEFAULT_ADMIN_ROLE,
    ):
        fresh_registry.connectModules(sale, oracle, market, sender=operator)


# Sale outcome


def test_record_sale_outcome_reverts_unless_called_by_the_sale(registry, asset, stranger):
    with reverts_with(registry.RegistryNotPrimarySale, caller=stranger):
        registry.recordSaleOutcome(asset.asset_id, True, sender=stranger)


def test_a_successful_sale_activates_the_asset(registry, sale, asset, buy, investor):
    buy(asset, investor, 10_000)
    tx = sale.finalize(asset.asset_id, sender=investor)
    assert_emitted(tx, registry.AssetStatusChanged, assetId=asset.asset_id, status=Status.ACTIVE)
    assert registry.asset(asset.asset_id).status == Status.ACTIVE


def test_a_failed_sale_marks_the_asset_failed(registry, sale, asset, buy, investor):
    buy(asset, investor, 10)
    advance_time(31 * DAY)
    tx = sale.finalize(asset.asset_id, sender=investor)
    assert_emitted(tx, registry.AssetStatusChanged, assetId=asset.asset_id, status=Status.FAILED)
    assert registry.asset(asset.asset_id).status == Status.FAILED


# Decisions reserved to the asset's timelock


@pytest.mark.parametrize(
    ("call", "arguments"),
    [("setOperator", ["stranger"]), ("setReserveBps", [100]), ("decommission", [])],
)
def test_timelock_only_functions_revert_for_anyone_else(
    registry, asset, create_asset, admin, stranger, call, arguments
):
    other_timelock = impersonate(create_asset(symbol="OTHR").timelock)
    args = [stranger if arg == "stranger" else arg for arg in arguments]
    for caller in (stranger, admin, other_timelock):
        with reverts_with(registry.RegistryNotAssetTimelock, caller=caller, assetId=asset.asset_id):
            getattr(registry, call)(asset.asset_id, *args, sender=caller)


@pytest.mark.parametrize(
    ("call", "arguments"),
    [("setOperator", ["stranger"]), ("setReserveBps", [100]), ("decommission", [])],
)
def test_timelock_only_functions_revert_for_an_unknown_asset(
    registry, timelock, stranger, call, arguments
):
    args = [stranger if arg == "stranger" else arg for arg in arguments]
    with reverts_with(registry.RegistryUnknownAsset, assetId=UNKNOWN_ID):
        getattr(registry, call)(UNKNOWN_ID, *args, sender=timelock)


def test_set_operator_hands_the_asset_over(registry, asset, timelock, operator, stranger):
    tx = registry.setOperator(asset.asset_id, stranger, sender=timelock)
    assert_emitted(
        tx,
        registry.AssetOperatorChanged,
        assetId=asset.asset_id,
        previousOperator=operator,
        newOperator=stranger,
    )
    assert registry.operatorOf(asset.asset_id) == stranger.address


def test_set_operator_rejects_the_zero_address(registry, asset, timelock):
    with reverts_with(registry.RegistryZeroAddress):
        registry.setOperator(asset.asset_id, ZERO_ADDRESS, sender=timelock)


def test_set_reserve_bps_updates_the_reserve(registry, asset, timelock):
    tx = registry.setReserveBps(asset.asset_id, 5_000, sender=timelock)
    assert_emitted(tx, registry.AssetReserveChanged, assetId=asset.asset_id, reserveBps=5_000)
    assert registry.asset(asset.asset_id).reserveBps == 5_000


def test_set_reserve_bps_rejects_more_than_the_maximum(registry, asset, timelock):
    with reverts_with(registry.RegistryBpsTooHigh, bps=5_001, maxBps=5_000):
        registry.setReserveBps(asset.asset_id, 5_001, sender=timelock)


def test_decommission_retires_an_active_asset_once(registry, create_active_asset):
    active = create_active_asset()
    timelock = impersonate(active.timelock)
    tx = registry.decommission(active.asset_id, sender=timelock)
    assert_emitted(
        tx, registry.AssetStatusChanged, assetId=active.asset_id, status=Status.DECOMMISSIONED
    )
    assert registry.asset(active.asset_id).status == Status.DECOMMISSIONED
    with reverts_with(
        registry.RegistryInvalidStatus,
        assetId=active.asset_id,
        status=Status.DECOMMISSIONED,
    ):
        registry.decommission(active.asset_id, sender=timelock)


def test_decommission_reverts_while_funding(registry, asset, timelock):
    with reverts_with(
        registry.RegistryInvalidStatus, assetId=asset.asset_id, status=Status.FUNDING
    ):
        registry.decommission(asset.asset_id, sender=timelock)


def test_decommission_reverts_after_a_failed_sale(registry, sale, asset, timelock, buy, investor):
    buy(asset, investor, 10)
    advance_time(31 * DAY)
    sale.finalize(asset.asset_id, sender=investor)
    with reverts_with(registry.RegistryInvalidStatus, assetId=asset.asset_id, status=Status.FAILED):
        registry.decommission(asset.asset_id, sender=timelock)


# Pauses


def test_a_pauser_pauses_and_unpauses_an_asset(registry, asset, admin):
    tx = registry.setAssetPaused(asset.asset_id, True, sender=admin)
    assert_pause_set(tx, registry, asset.asset_id, by=admin, pauser=True, governance=False)
    assert registry.isPaused(asset.asset_id)
    assert registry.asset(asset.asset_id).paused

    tx = registry.setAssetPaused(asset.asset_id, False, sender=admin)
    assert_pause_set(tx, registry, asset.asset_id, by=admin, pauser=False, governance=False)
    assert not registry.isPaused(asset.asset_id)


def test_the_asset_timelock_pauses_its_asset(registry, asset, timelock):
    tx = registry.setAssetPaused(asset.asset_id, True, sender=timelock)
    assert_pause_set(tx, registry, asset.asset_id, by=timelock, pauser=False, governance=True)
    assert registry.isPaused(asset.asset_id)
    assert registry.asset(asset.asset_id).governancePaused


def test_set_asset_paused_reverts_for_non_pausers(
    registry, asset, create_asset, operator, stranger
):
    other_timelock = impersonate(create_asset(symbol="OTHR").timelock)
    for caller in (stranger, operator, other_timelock):
        with reverts_with(registry.RegistryNotPauser, caller=caller, assetId=asset.asset_id):
            registry.setAssetPaused(asset.asset_id, True, sender=caller)


def test_set_asset_paused_reverts_for_an_unknown_asset(registry, admin):
    with reverts_with(registry.RegistryUnknownAsset, assetId=UNKNOWN_ID):
        registry.setAssetPaused(UNKNOWN_ID, True, sender=admin)


def test_a_granted_pauser_may_pause(registry, asset, admin, stranger):
    registry.grantRole(role(registry, PAUSER_ROLE), stranger, sender=admin)
    registry.setAssetPaused(asset.asset_id, True, sender=stranger)
    assert registry.isPaused(asset.asset_id)


def test_a_platform_pause_pauses_every_asset(registry, asset, create_asset, admin):
    other = create_asset(symbol="OTHR")
    tx = registry.setPlatformPaused(True, sender=admin)
    assert_emitted(tx, registry.PlatformPauseSet, paused=True, by=admin)
    assert registry.isPaused(asset.asset_id) and registry.isPaused(other.asset_id)
    assert not registry.asset(asset.asset_id).paused  # the asset's own flag is untouched

    tx = registry.setPlatformPaused(False, sender=admin)
    assert_emitted(tx, registry.PlatformPauseSet, paused=False, by=admin)
    assert not registry.isPaused(asset.asset_id) and not registry.isPaused(other.asset_id)


def test_is_paused_combines_the_asset_and_platform_flags(registry, asset, create_asset, admin):
    other = create_asset(symbol="OTHR")
    registry.setAssetPaused(asset.asset_id, True, sender=admin)
    assert (registry.isPaused(asset.asset_id), registry.isPaused(other.asset_id)) == (True, False)

    registry.setPlatformPaused(True, sender=admin)
    registry.setAssetPaused(asset.asset_id, False, sender=admin)
    assert registry.isPaused(asset.asset_id)  # still paused by the platform

    registry.setAssetPaused(asset.asset_id, True, sender=admin)
    registry.setPlatformPaused(False, sender=admin)
    assert (registry.isPaused(asset.asset_id), registry.isPaused(other.asset_id)) == (True, False)


def test_set_platform_paused_reverts_for_non_pausers(registry, operator):
    with reverts_with(
        registry.AccessControlUnauthorizedAccount,
        account=operator,
        neededRole=role(registry, PAUSER_ROLE),
    ):
        registry.setPlatformPaused(True, sender=operator)


# Metadata


def test_the_operator_updates_the_metadata_uri(registry, asset, operator):
    tx = registry.setMetadataURI(asset.asset_id, "ipfs://sunfield-v2", sender=operator)
    assert_emitted(
        tx, registry.AssetMetadataChanged, assetId=asset.asset_id, metadataURI="ipfs://sunfield-v2"
    )


def test_set_metadata_uri_reverts_for_anyone_but_the_operator(registry, asset, admin, timelock):
    for caller in (admin, timelock):
        with reverts_with(registry.RegistryNotAssetOperator, caller=caller, assetId=asset.asset_id):
            registry.setMetadataURI(asset.asset_id, "ipfs://x", sender=caller)


def test_set_metadata_uri_follows_an_operator_change(registry, asset, timelock, operator, stranger):
    registry.setOperator(asset.asset_id, stranger, sender=timelock)
    with reverts_with(registry.RegistryNotAssetOperator, caller=operator, assetId=asset.asset_id):
        registry.setMetadataURI(asset.asset_id, "ipfs://old-operator", sender=operator)
    registry.setMetadataURI(asset.asset_id, "ipfs://new-operator", sender=stranger)


def test_set_metadata_uri_reverts_for_an_unknown_asset(registry, operator):
    with reverts_with(registry.RegistryUnknownAsset, assetId=UNKNOWN_ID):
        registry.setMetadataURI(UNKNOWN_ID, "ipfs://x", sender=operator)


# Platform fees


def test_the_admin_sets_the_platform_fees_at_once_before_any_asset(fresh_registry, admin, treasury):
    tx = fresh_registry.setPlatformFees(1_000, 250, treasury, sender=admin)
    assert_emitted(
        tx,
        fresh_registry.PlatformFeesChanged,
        revenueFeeBps=1_000,
        marketFeeBps=250,
        recipient=treasury,
    )
    assert (fresh_registry.revenueFeeBps(), fresh_registry.marketFeeBps()) == (1_000, 250)
    assert fresh_registry.feeRecipient() == treasury.address


@pytest.mark.parametrize(("revenue_fee", "market_fee"), [(1_001, 0), (0, 1_001)])
def test_set_platform_fees_rejects_fees_above_the_maximum(
    registry, admin, treasury, revenue_fee, market_fee
):
    with reverts_with(registry.RegistryBpsTooHigh, bps=1_001, maxBps=1_000):
        registry.setPlatformFees(revenue_fee, market_fee, treasury, sender=admin)


def test_set_platform_fees_rejects_a_zero_recipient(registry, admin):
    with reverts_with(registry.RegistryZeroAddress):
        registry.setPlatformFees(0, 0, ZERO_ADDRESS, sender=admin)


def test_set_platform_fees_reverts_for_non_admin(registry, operator, treasury):
    with reverts_with(
        registry.AccessControlUnauthorizedAccount, account=operator, neededRole=DEFAULT_ADMIN_ROLE
    ):
        registry.setPlatformFees(0, 0, treasury, sender=operator)


# Views


def test_views_revert_for_an_unknown_asset(registry):
    for asset_id in (0, UNKNOWN_ID):
        with reverts_with(registry.RegistryUnknownAsset, assetId=asset_id):
            registry.asset(asset_id)
        with reverts_with(registry.RegistryUnknownAsset, assetId=asset_id):
            registry.operatorOf(asset_id)


def test_asset_id_of_an_unknown_token_is_zero(registry, usdc):
    assert registry.assetIdOf(usdc) == 0


# Admin transfer (AccessControlDefaultAdminRules)


def test_admin_transfer_takes_two_steps_and_a_delay(registry, admin, treasury):
    registry.beginDefaultAdminTransfer(treasury, sender=admin)
    pending, schedule = registry.pendingDefaultAdmin()
    assert pending == treasury.address
    assert schedule == chain.blocks.head.timestamp + 2 * DAY

    with reverts_with(registry.AccessControlEnforcedDefaultAdminDelay, schedule=schedule):
        registry.acceptDefaultAdminTransfer(sender=treasury)

    advance_time(2 * DAY + 1)
    registry.acceptDefaultAdminTransfer(sender=treasury)
    assert registry.defaultAdmin() == registry.owner() == treasury.address
    assert not registry.hasRole(DEFAULT_ADMIN_ROLE, admin)
    with reverts_with(
        registry.AccessControlUnauthorizedAccount, account=admin, neededRole=DEFAULT_ADMIN_ROLE
    ):
        registry.setPlatformFees(0, 0, admin, sender=admin)
    registry.setPlatformFees(0, 0, treasury, sender=treasury)


def test_only_the_pending_admin_accepts_the_transfer(registry, admin, treasury, stranger):
    registry.beginDefaultAdminTransfer(treasury, sender=admin)
    advance_time(2 * DAY + 1)
    with reverts_with(registry.AccessControlInvalidDefaultAdmin, defaultAdmin=stranger):
        registry.acceptDefaultAdminTransfer(sender=stranger)


def test_the_admin_role_cannot_be_granted_directly(registry, admin, treasury):
    with reverts_with(registry.AccessControlEnforcedDefaultAdminRules):
        registry.grantRole(DEFAULT_ADMIN_ROLE, treasury, sender=admin)


def test_the_admin_delay_is_the_deployment_setting(registry):
    assert registry.defaultAdminDelay() == 2 * DAY


# Payment tokens


def test_registering_with_a_payment_token_off_the_allowlist_reverts(
    registry, operator, treasury, admin
):
    other = admin.deploy(project.MockStablecoin)
    params = asset_params(payment_token=other, treasury=treasury)
    with reverts_with(registry.RegistryPaymentTokenNotAllowed, token=other):
        registry.registerAsset(params, sender=operator)


def test_the_admin_allows_and_disallows_payment_tokens(registry, admin, usdc):
    tx = registry.setPaymentTokenAllowed(usdc, False, sender=admin)
    assert_emitted(tx, registry.PaymentTokenAllowed, token=usdc, allowed=False)
    assert not registry.isPaymentTokenAllowed(usdc)
    registry.setPaymentTokenAllowed(usdc, True, sender=admin)
    assert registry.isPaymentTokenAllowed(usdc)


def test_only_the_admin_sets_payment_tokens(registry, usdc, operator):
    with reverts_with(
        registry.AccessControlUnauthorizedAccount,
        account=operator,
        neededRole=registry.DEFAULT_ADMIN_ROLE(),
    ):
        registry.setPaymentTokenAllowed(usdc, False, sender=operator)


def test_a_zero_payment_token_is_refused(registry, admin):
    with reverts_with(registry.RegistryZeroAddress):
        registry.setPaymentTokenAllowed(ZERO_ADDRESS, True, sender=admin)
