"""Finding 8 of issue 12: fees, the maintenance reserve and quorum round up, in the platform's
favour, so that splitting an action into small pieces never escapes them."""

from __future__ import annotations

import pytest
from _helpers import emitted, set_platform_fees
from ape import chain

from scripts._lib import DAY, Asset, advance_time


@pytest.fixture(autouse=True, scope="module")
def _module_setup(asset: Asset) -> None:
    """The module's active asset (10% reserve), built before any test's snapshot."""


def test_a_tiny_deposit_pays_its_fee_and_reserve(asset, registry, admin, deposit_revenue, stranger):
    """9 units at a 2.5% fee and a 10% reserve: 0.225 and 0.9, both rounded up to 1."""
    set_platform_fees(registry, admin, 250, 0, stranger)
    (deposit,) = emitted(deposit_revenue(asset, 9), asset.token.RevenueDeposited)
    assert (deposit["fee"], deposit["reserve"], deposit["distributed"]) == (1, 1, 7)


def test_fee_and_reserve_never_exceed_the_deposit(
    asset, registry, admin, deposit_revenue, stranger
):
    set_platform_fees(registry, admin, 1_000, 0, stranger)
    (deposit,) = emitted(deposit_revenue(asset, 1), asset.token.RevenueDeposited)
    assert (deposit["fee"], deposit["reserve"], deposit["distributed"]) == (1, 0, 0)


def test_split_market_fills_pay_at_least_the_fee_of_one_fill(
    asset, market, registry, admin, fund, investors, stranger
):
    """Five one-share fills at 99 units with a 1% fee pay 5; one fill of five pays ceil(4.95) = 5."""
    set_platform_fees(registry, admin, 0, 100, stranger)
    token, seller, buyer = asset.token, investors[0], investors[5]
    token.approve(market, 10, sender=seller)
    market.list(token, 10, 99, chain.pending_timestamp + DAY, sender=seller)
    listing = market.listingCount()
    fund(buyer, 10 * 99, market)
    fees = [
        emitted(market.fill(listing, 1, 99, sender=buyer), market.ListingFilled)[0]["fee"]
        for _ in range(5)
    ]
    assert fees == [1] * 5
    (whole,) = emitted(market.fill(listing, 5, 99, sender=buyer), market.ListingFilled)
    assert whole["fee"] == 5


def test_quorum_rounds_up(create_active_asset, investors):
    """20% of 9 shares is 1.8: two shares must vote for or abstain, not one."""
    small = create_active_asset([(investors[0], 9)])
    advance_time(1)
    assert small.governor.quorum(chain.blocks.head.timestamp - 1) == 2
