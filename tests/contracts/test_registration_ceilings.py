"""Finding 1 of issue 12: governance that is dead from birth. Registration checks ceilings as well
as floors, and a proposal threshold must be reachable by the shares a successful sale has sold."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _helpers import reverts_with
from ape.api import AccountAPI
from ape.contracts import ContractInstance

from scripts._lib import DAY, USDC, Asset, asset_params

YEAR = 365 * DAY


@pytest.fixture(autouse=True, scope="module")
def _module_setup(asset: Asset) -> None:
    """Every test starts from one registered asset, built before any test's snapshot."""


@pytest.fixture
def params(usdc: ContractInstance, treasury: AccountAPI) -> Callable[..., tuple]:
    def _params(**overrides: object) -> tuple:
        return asset_params(payment_token=usdc, treasury=treasury, **overrides)  # type: ignore[arg-type]

    return _params


def test_a_threshold_above_the_shares_a_successful_sale_must_sell_is_refused(
    registry, params, operator
):
    """6,000 of 10,000 shares, with a sale that succeeds at 5,000 sold: nobody could ever propose."""
    with reverts_with(registry.RegistryThresholdUnreachable, threshold=6_000, minSharesSold=5_000):
        registry.registerAsset(
            params(proposal_threshold=6_000, min_raise=5_000 * 50 * USDC), sender=operator
        )


def test_a_threshold_equal_to_the_minimum_sold_is_accepted(create_asset):
    asset = create_asset(proposal_threshold=5_000, min_raise=5_000 * 50 * USDC)
    assert asset.governor.proposalThreshold() == 5_000


def test_the_minimum_sold_rounds_up_for_a_raise_between_two_shares(registry, params, operator):
    """A minimum raise of 4,999.5 shares' worth needs 5,000 shares sold."""
    with reverts_with(registry.RegistryThresholdUnreachable, threshold=5_001, minSharesSold=5_000):
        registry.registerAsset(
            params(proposal_threshold=5_001, min_raise=5_000 * 50 * USDC - 25 * USDC),
            sender=operator,
        )


@pytest.mark.parametrize(
    "overrides",
    [
        {"voting_delay": 2**48 - 1},
        {"voting_delay": 30 * DAY + 1},
        {"voting_period": 2**32 - 1},
        {"voting_period": 30 * DAY + 1},
        {"timelock_delay": 2**32 - 1},
        {"timelock_delay": 30 * DAY + 1},
        {"quorum_percent": 51},
    ],
    ids=[
        "voting-delay-overflows-at-propose",
        "voting-delay-above-ceiling",
        "voting-period-max",
        "voting-period-above-ceiling",
        "timelock-delay-136-years",
        "timelock-delay-above-ceiling",
        "quorum-above-ceiling",
    ],
)
def test_governance_settings_above_their_ceilings_are_refused(
    registry, params, operator, overrides
):
    with reverts_with(registry.RegistryInvalidGovernance):
        registry.registerAsset(params(**overrides), sender=operator)


def test_every_ceiling_itself_is_accepted(create_asset, registry):
    asset = create_asset(
        voting_delay=30 * DAY, voting_period=30 * DAY, timelock_delay=30 * DAY, quorum_percent=50
    )
    assert asset.governor.votingDelay() == registry.MAX_VOTING_DELAY() == 30 * DAY
    assert asset.governor.votingPeriod() == registry.MAX_VOTING_PERIOD() == 30 * DAY
    assert asset.timelock.getMinDelay() == registry.MAX_TIMELOCK_DELAY() == 30 * DAY
    assert registry.MAX_QUORUM_PERCENT() == 50


def test_a_share_price_whose_full_raise_would_overflow_is_refused(registry, params, operator):
    price = 2**255
    with reverts_with(registry.RegistryInvalidPricing, sharePrice=price, minRaise=1):
        registry.registerAsset(params(share_price=price, min_raise=1), sender=operator)
