"""Finding 3 of issue 12: a forgotten listing must not come back to life. A seller invalidates all
its open listings at once (a per-seller counter); a listing made before the counter moved can no
longer be filled, whatever the seller holds later."""

from __future__ import annotations

import pytest
from _helpers import assert_emitted, reverts_with
from ape import chain

from scripts._lib import DAY, USDC, Asset

CHEAP, DEAR = 1 * USDC // 1_000, 60 * USDC


@pytest.fixture(autouse=True, scope="module")
def _module_setup(asset: Asset) -> None:
    """Every test starts from the active asset, built before any test's snapshot."""


def test_an_invalidated_listing_stays_dead_after_the_seller_buys_back(
    asset, market, fund, investors
):
    """List 1,000 at 1 mUSDC, sell them off-market, buy 1,000 back at 60: nobody fills at 1."""
    token = asset.token
    seller, other, sniper = investors[0], investors[1], investors[5]
    token.approve(market, 10_000, sender=seller)
    market.list(token, 1_000, CHEAP, chain.pending_timestamp + 30 * DAY, sender=seller)
    forgotten = int(market.listingCount())

    token.transfer(other, 4_000, sender=seller)  # the off-market sale
    tx = market.invalidateListings(sender=seller)
    assert_emitted(tx, market.ListingsInvalidated, seller=seller, nonce=1)
    assert market.listingNonceOf(seller) == 1
    token.transfer(seller, 1_000, sender=other)  # the buy-back

    assert market.listing(forgotten).remaining == 0
    fund(sniper, 1_000 * CHEAP, market)
    with reverts_with(market.MarketListingInvalidated, listingId=forgotten):
        market.fill(forgotten, 1_000, CHEAP, sender=sniper)
    with reverts_with(market.MarketListingNotOpen, listingId=forgotten):
        market.cancel(forgotten, sender=seller)


def test_listings_made_after_the_invalidation_are_fillable(asset, market, fund, investors):
    token, seller, buyer = asset.token, investors[0], investors[5]
    market.invalidateListings(sender=seller)
    token.approve(market, 10, sender=seller)
    market.list(token, 10, DEAR, chain.pending_timestamp + DAY, sender=seller)
    fund(buyer, 10 * DEAR, market)
    market.fill(market.listingCount(), 10, DEAR, sender=buyer)
    assert token.balanceOf(buyer) == 10


def test_invalidation_touches_only_the_seller_s_own_listings(asset, market, fund, investors):
    token, buyer = asset.token, investors[5]
    for seller in investors[:2]:
        token.approve(market, 10, sender=seller)
        market.list(token, 10, DEAR, chain.pending_timestamp + DAY, sender=seller)
    market.invalidateListings(sender=investors[0])
    fund(buyer, 10 * DEAR, market)
    market.fill(market.listingCount(), 10, DEAR, sender=buyer)  # investors[1]'s
    assert token.balanceOf(buyer) == 10
