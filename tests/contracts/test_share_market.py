"""ShareMarket: non-custodial listings of shares, filled wholly or partly at a fixed price, with the
platform fee split off the payment and every condition re-checked at fill time."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _helpers import (
    assert_emitted,
    assert_reentry_refused,
    emitted,
    impersonate,
    pay_in,
    reverts_with,
    set_platform_fees,
)
from ape import chain
from ape.api import AccountAPI
from ape.contracts import ContractInstance

from scripts._lib import DAY, USDC, Asset, advance_time

PRICE = 60 * USDC


@pytest.fixture(autouse=True, scope="module")
def _module_setup(asset: Asset) -> None:
    """Every test starts from the active asset, built before any test's snapshot."""


@pytest.fixture
def seller(investors: list[AccountAPI]) -> AccountAPI:
    """Holds 4,000 shares."""
    return investors[0]


@pytest.fixture
def buyer(investors: list[AccountAPI]) -> AccountAPI:
    """Holds no shares."""
    return investors[5]


@pytest.fixture
def list_shares(market: ContractInstance, asset: Asset, seller: AccountAPI) -> Callable[..., int]:
    """Approves the market and lists shares; returns the listing id."""

    def _list(
        amount: int = 100,
        price: int = PRICE,
        *,
        expires_in: int = DAY,
        by: AccountAPI | None = None,
        token: ContractInstance | None = None,
    ) -> int:
        owner, shares = by or seller, token or asset.token
        shares.approve(market, amount, sender=owner)
        market.list(shares, amount, price, chain.pending_timestamp + expires_in, sender=owner)
        return int(market.listingCount())

    return _list


@pytest.fixture
def pay(fund, market: ContractInstance) -> Callable[[AccountAPI, int], None]:
    """Gives a buyer stablecoins and lets the market pull them."""

    def _pay(account: AccountAPI, amount: int) -> None:
        fund(account, amount, market)

    return _pay


def fill_call(market: ContractInstance, listing_id: int, amount: int, buyer: AccountAPI) -> None:
    """`fill` as an `eth_call`, for reverts bubbling up from the share or payment token.

    Same code and state as a transaction, without ape's trace-based decoding of an error the market's
    ABI lacks (seconds per revert); `reverts_with` decodes it instead.
    """
    market.fill.call(listing_id, amount, PRICE, sender=buyer)


# Listing


def test_list_records_an_offer_and_leaves_the_shares_with_the_seller(market, asset, usdc, seller):
    asset.token.approve(market, 250, sender=seller)
    expires_at = chain.pending_timestamp + DAY
    tx = market.list(asset.token, 250, PRICE, expires_at, sender=seller)

    listing_id = market.listingCount()
    assert_emitted(
        tx,
        market.Listed,
        listingId=listing_id,
        seller=seller,
        assetId=asset.asset_id,
        shareToken=asset.token,
        amount=250,
        pricePerShare=PRICE,
        paymentToken=usdc,
        expiresAt=expires_at,
        feeBps=0,
    )
    listing = market.listing(listing_id)
    assert (listing.seller, listing.shareToken, listing.assetId) == (
        seller.address,
        asset.token.address,
        asset.asset_id,
    )
    assert (listing.remaining, listing.pricePerShare, listing.paymentToken, listing.expiresAt) == (
        250,
        PRICE,
        usdc.address,
        expires_at,
    )
    assert asset.token.balanceOf(seller) == 4_000
    assert asset.token.allowance(seller, market) == 250


def test_listings_get_consecutive_ids(market, list_shares, investors):
    first = list_shares(100)
    second = list_shares(50, by=investors[1])
    assert (first, second) == (1, 2) and market.listingCount() == 2


def test_list_reverts_for_a_token_not_on_the_platform(market, usdc, seller):
    with reverts_with(market.MarketUnknownShareToken, token=usdc):
        market.list(usdc, 100, PRICE, chain.pending_timestamp + DAY, sender=seller)


def test_list_reverts_unless_the_asset_is_active(market, sale, create_asset, buy, investor):
    funding = create_asset(symbol="FUND")
    buy(funding, investor, 100)
    expires_at = chain.pending_timestamp + 60 * DAY
    with reverts_with(market.MarketAssetNotActive, assetId=funding.asset_id):
        market.list(funding.token, 100, PRICE, expires_at, sender=investor)

    advance_time(31 * DAY)
    sale.finalize(funding.asset_id, sender=investor)  # the raise was missed: Failed
    with reverts_with(market.MarketAssetNotActive, assetId=funding.asset_id):
        market.list(funding.token, 100, PRICE, expires_at, sender=investor)


def test_list_reverts_for_a_decommissioned_asset(market, registry, asset, seller):
    registry.decommission(asset.asset_id, sender=impersonate(asset.timelock))
    with reverts_with(market.MarketAssetNotActive, assetId=asset.asset_id):
        market.list(asset.token, 100, PRICE, chain.pending_timestamp + DAY, sender=seller)


def test_list_rejects_a_zero_amount_or_price(market, asset, seller):
    expires_at = chain.pending_timestamp + DAY
    with reverts_with(market.MarketZeroAmount):
        market.list(asset.token, 0, PRICE, expires_at, sender=seller)
    with reverts_with(market.MarketZeroPrice):
        market.list(asset.token, 100, 0, expires_at, sender=seller)


def test_list_rejects_an_expiry_not_in_the_future(market, asset, seller):
    for expires_at in (0, chain.blocks.head.timestamp):
        with reverts_with(market.MarketExpiryInPast, expiresAt=expires_at):
            market.list(asset.token, 100, PRICE, expires_at, sender=seller)


def test_list_reverts_when_the_seller_lacks_the_shares(market, asset, seller, stranger):
    asset.token.approve(market, 10_000, sender=seller)
    expires_at = chain.pending_timestamp + DAY
    with reverts_with(market.MarketSellerBalanceTooLow, seller=seller, balance=4_000, needed=4_001):
        market.list(asset.token, 4_001, PRICE, expires_at, sender=seller)
    with reverts_with(market.MarketSellerBalanceTooLow, seller=stranger, balance=0, needed=1):
        market.list(asset.token, 1, PRICE, expires_at, sender=stranger)


def test_list_reverts_when_the_market_may_not_move_the_shares(market, asset, seller):
    asset.token.approve(market, 50, sender=seller)
    with reverts_with(market.MarketSellerAllowanceTooLow, seller=seller, allowance=50, needed=100):
        market.list(asset.token, 100, PRICE, chain.pending_timestamp + DAY, sender=seller)


# Filling


def test_a_full_fill_pays_the_seller_and_delivers_the_shares(
    market, asset, usdc, admin, list_shares, pay, seller, buyer
):
    listing_id = list_shares(100)
    pay(buyer, 100 * PRICE)
    tx = market.fill(listing_id, 100, PRICE, sender=buyer)

    assert_emitted(
        tx,
        market.ListingFilled,
        listingId=listing_id,
        buyer=buyer,
        seller=seller,
        assetId=asset.asset_id,
        amount=100,
        pricePerShare=PRICE,
        paid=100 * PRICE,
        fee=0,
        remaining=0,
    )
    assert (asset.token.balanceOf(seller), asset.token.balanceOf(buyer)) == (3_900, 100)
    assert (usdc.balanceOf(seller), usdc.balanceOf(buyer)) == (100 * PRICE, 0)
    assert usdc.balanceOf(admin) == 0  # the fee recipient: no fee set
    assert market.listing(listing_id).remaining == 0


def test_partial_fills_split_each_payment_with_the_platform_fee(
    market, registry, asset, usdc, admin, stranger, list_shares, pay, seller, buyer
):
    fee_recipient, price = stranger, 3 * USDC + 1  # an odd price: the fee rounds up
    set_platform_fees(registry, admin, 0, 250, fee_recipient)
    listing_id = list_shares(100, price)
    pay(buyer, 100 * price)

    paid = 30 * price  # 90_000_030
    fee = -(-paid * 250 // 10_000)  # 2_250_001 (2_250_000.75 rounded up)
    tx = market.fill(listing_id, 30, price, sender=buyer)
    assert_emitted(
        tx,
        market.ListingFilled,
        listingId=listing_id,
        buyer=buyer,
        seller=seller,
        assetId=asset.asset_id,
        amount=30,
        pricePerShare=price,
        paid=paid,
        fee=fee,
        remaining=70,
    )
    assert (usdc.balanceOf(seller), usdc.balanceOf(fee_recipient)) == (paid - fee, fee)
    assert market.listing(listing_id).remaining == 70

    rest_paid = 70 * price
    rest_fee = -(-rest_paid * 250 // 10_000)
    tx = market.fill(listing_id, 70, price, sender=buyer)
    assert emitted(tx, market.ListingFilled)[0]["remaining"] == 0
    assert usdc.balanceOf(seller) == paid - fee + rest_paid - rest_fee
    assert usdc.balanceOf(fee_recipient) == fee + rest_fee
    assert usdc.balanceOf(buyer) == 0
    assert asset.token.balanceOf(buyer) == 100


def test_a_fee_change_after_listing_does_not_apply_to_that_listing(
    market, registry, usdc, admin, stranger, list_shares, pay, seller, buyer
):
    set_platform_fees(registry, admin, 0, 100, stranger)
    listing_id = list_shares(10, expires_in=30 * DAY)
    assert market.listing(listing_id).feeBps == 100
    set_platform_fees(registry, admin, 0, 1_000, stranger)  # raised to the 10% cap, a week later
    pay(buyer, 10 * PRICE)

    market.fill(listing_id, 10, PRICE, sender=buyer)

    fee = 10 * PRICE * 100 // 10_000  # the 1% the seller saw when listing
    assert (usdc.balanceOf(seller), usdc.balanceOf(stranger)) == (10 * PRICE - fee, fee)


def test_fill_reverts_when_the_price_is_above_the_buyers_maximum(market, list_shares, pay, buyer):
    listing_id = list_shares(100)
    pay(buyer, 100 * PRICE)
    with reverts_with(market.MarketPriceAboveMax, pricePerShare=PRICE, maxPricePerShare=PRICE - 1):
        market.fill(listing_id, 100, PRICE - 1, sender=buyer)


def test_fill_reverts_when_the_listing_expired(market, list_shares, pay, buyer):
    listing_id = list_shares(100, expires_in=DAY)
    expires_at = market.listing(listing_id).expiresAt
    pay(buyer, 100 * PRICE)
    advance_time(DAY + 1)
    with reverts_with(market.MarketListingExpired, listingId=listing_id, expiresAt=expires_at):
        market.fill(listing_id, 100, PRICE, sender=buyer)


def test_fill_reverts_for_more_shares_than_remain(market, list_shares, pay, buyer):
    listing_id = list_shares(100)
    pay(buyer, 100 * PRICE)
    with reverts_with(market.MarketAmountExceedsListing, requested=101, remaining=100):
        market.fill(listing_id, 101, PRICE, sender=buyer)
    market.fill(listing_id, 30, PRICE, sender=buyer)
    with reverts_with(market.MarketAmountExceedsListing, requested=71, remaining=70):
        market.fill(listing_id, 71, PRICE, sender=buyer)


def test_fill_rejects_a_zero_amount(market, list_shares, buyer):
    listing_id = list_shares(100)
    with reverts_with(market.MarketZeroAmount):
        market.fill(listing_id, 0, PRICE, sender=buyer)


def test_fill_reverts_for_an_unknown_listing(market, buyer):
    with reverts_with(market.MarketListingNotOpen, listingId=999):
        market.fill(999, 1, PRICE, sender=buyer)


def test_fill_reverts_once_the_listing_is_filled(market, list_shares, pay, buyer):
    listing_id = list_shares(100)
    pay(buyer, 101 * PRICE)
    market.fill(listing_id, 100, PRICE, sender=buyer)
    with reverts_with(market.MarketListingNotOpen, listingId=listing_id):
        market.fill(listing_id, 1, PRICE, sender=buyer)


def test_a_seller_cannot_fill_its_own_listing(market, list_shares, pay, seller):
    listing_id = list_shares(100)
    pay(seller, 100 * PRICE)
    with reverts_with(market.MarketSelfFill, listingId=listing_id):
        market.fill(listing_id, 100, PRICE, sender=seller)


def test_fill_reverts_for_a_decommissioned_asset(market, registry, asset, list_shares, pay, buyer):
    listing_id = list_shares(100)
    pay(buyer, 100 * PRICE)
    registry.decommission(asset.asset_id, sender=impersonate(asset.timelock))
    with reverts_with(market.MarketAssetNotActive, assetId=asset.asset_id):
        market.fill(listing_id, 100, PRICE, sender=buyer)


def test_fill_reverts_when_the_buyer_has_not_approved_payment(market, usdc, list_shares, buyer):
    listing_id = list_shares(100)
    usdc.mint(buyer, 100 * PRICE, sender=buyer)
    with reverts_with(
        usdc.ERC20InsufficientAllowance, spender=market, allowance=0, needed=10 * PRICE
    ):
        fill_call(market, listing_id, 10, buyer)


# Cancelling


def test_the_seller_cancels_a_listing(market, list_shares, pay, seller, buyer):
    listing_id = list_shares(100)
    tx = market.cancel(listing_id, sender=seller)
    assert_emitted(tx, market.ListingCancelled, listingId=listing_id, seller=seller)
    assert market.listing(listing_id).remaining == 0

    pay(buyer, 100 * PRICE)
    with reverts_with(market.MarketListingNotOpen, listingId=listing_id):
        market.fill(listing_id, 1, PRICE, sender=buyer)
    with reverts_with(market.MarketListingNotOpen, listingId=listing_id):
        market.cancel(listing_id, sender=seller)


def test_the_seller_cancels_the_rest_of_a_partly_filled_listing(
    market, list_shares, pay, seller, buyer
):
    listing_id = list_shares(100)
    pay(buyer, 40 * PRICE)
    market.fill(listing_id, 40, PRICE, sender=buyer)
    market.cancel(listing_id, sender=seller)
    assert market.listing(listing_id).remaining == 0


def test_only_the_seller_cancels(market, list_shares, seller, buyer):
    listing_id = list_shares(100)
    with reverts_with(market.MarketNotSeller, caller=buyer, seller=seller):
        market.cancel(listing_id, sender=buyer)


def test_cancel_reverts_for_an_unknown_listing(market, seller):
    with reverts_with(market.MarketListingNotOpen, listingId=999):
        market.cancel(999, sender=seller)


# Fills re-check what the listing promised


def test_fill_reverts_when_the_seller_moved_the_shares_away(
    market, asset, list_shares, pay, seller, buyer, stranger
):
    listing_id = list_shares(100)
    asset.token.transfer(stranger, 3_970, sender=seller)
    pay(buyer, 100 * PRICE)
    with reverts_with(market.MarketSellerBalanceTooLow, seller=seller, balance=30, needed=80):
        market.fill(listing_id, 80, PRICE, sender=buyer)
    market.fill(listing_id, 30, PRICE, sender=buyer)  # what is left can still be bought


def test_fill_reverts_when_the_seller_lowered_the_allowance(
    market, asset, list_shares, pay, seller, buyer
):
    listing_id = list_shares(100)
    asset.token.approve(market, 10, sender=seller)
    pay(buyer, 100 * PRICE)
    with reverts_with(market.MarketSellerAllowanceTooLow, seller=seller, allowance=10, needed=50):
        market.fill(listing_id, 50, PRICE, sender=buyer)


def test_listings_sharing_one_allowance_are_filled_until_it_runs_out(
    market, asset, pay, seller, buyer
):
    asset.token.approve(market, 100, sender=seller)
    expires_at = chain.pending_timestamp + DAY
    market.list(asset.token, 100, PRICE, expires_at, sender=seller)
    market.list(asset.token, 100, PRICE, expires_at, sender=seller)
    pay(buyer, 200 * PRICE)
    market.fill(1, 100, PRICE, sender=buyer)
    with reverts_with(market.MarketSellerAllowanceTooLow, seller=seller, allowance=0, needed=1):
        market.fill(2, 1, PRICE, sender=buyer)


# Listed shares stay the seller's until filled


def test_listed_shares_keep_earning_revenue_and_voting_until_filled(
    market, asset, deposit_revenue, list_shares, pay, seller, buyer
):
    token = asset.token
    listing_id = list_shares(1_000)
    deposit_revenue(asset, 1_000 * USDC)  # 10% goes to the reserve, 90% to holders
    assert token.claimableRevenueOf(seller) == 360 * USDC  # 4,000 / 10,000 of 900
    assert token.getVotes(seller) == 4_000

    pay(buyer, 1_000 * PRICE)
    market.fill(listing_id, 1_000, PRICE, sender=buyer)
    assert (token.getVotes(seller), token.getVotes(buyer)) == (3_000, 1_000)
    assert token.claimableRevenueOf(buyer) == 0  # bought shares carry no past revenue

    deposit_revenue(asset, 1_000 * USDC)
    assert token.claimableRevenueOf(seller) == (360 + 270) * USDC
    assert token.claimableRevenueOf(buyer) == 90 * USDC


# The share token's own rules apply to fills


@pytest.mark.parametrize("scope", ["asset", "platform"])
def test_fill_reverts_while_paused(market, asset, pause, list_shares, pay, buyer, scope):
    listing_id = list_shares(100)
    pay(buyer, 100 * PRICE)
    pause(asset, scope)
    with reverts_with(asset.token.SharePaused, assetId=asset.asset_id):
        fill_call(market, listing_id, 100, buyer)


def test_a_restricted_asset_sells_only_to_verified_buyers(
    market, identity, create_active_asset, admin, list_shares, pay, seller, buyer, investors
):
    verified_buyer = investors[6]
    now = chain.pending_timestamp
    identity.verify(seller, now + 365 * DAY, 620, sender=admin)
    identity.verify(verified_buyer, now + 365 * DAY, 620, sender=admin)
    restricted = create_active_asset([(seller, 10_000)], symbol="KYC", requires_verification=True)
    listing_id = list_shares(100, token=restricted.token)
    pay(buyer, 100 * PRICE)
    pay(verified_buyer, 100 * PRICE)

    with reverts_with(restricted.token.ShareRecipientNotVerified, recipient=buyer):
        fill_call(market, listing_id, 100, buyer)
    market.fill(listing_id, 100, PRICE, sender=verified_buyer)
    assert restricted.token.balanceOf(verified_buyer) == 100


def test_a_fill_cannot_be_reentered(market, sale, hostile, hostile_asset, list_shares, investors):
    """A hostile payment token calling `fill` again from inside the payment gets nothing."""
    seller, buyer = investors[0], investors[5]
    pay_in(hostile, seller, sale, 100 * 50 * USDC)
    sale.buy(hostile_asset.asset_id, 100, sender=seller)
    sale.finalize(hostile_asset.asset_id, sender=seller)
    listing_id = list_shares(100, token=hostile_asset.token)
    pay_in(hostile, buyer, market, 100 * PRICE)

    hostile.arm(market, market.fill.encode_input(listing_id, 1, PRICE), sender=buyer)
    market.fill(listing_id, 10, PRICE, sender=buyer)

    assert_reentry_refused(hostile)
    assert market.listing(listing_id).remaining == 90
    assert hostile_asset.token.balanceOf(buyer) == 10
