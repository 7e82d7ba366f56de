"""PrimarySale: buying in the window, limits, permit purchases, finalizing, refunds, reentrancy.

The default asset offers 10,000 shares at 50 USDC for 30 days, needs 250,000 USDC (5,000 shares)
and lets one buyer take every share.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _helpers import (
    ZERO_ADDRESS,
    assert_emitted,
    assert_reentry_refused,
    erc2612_permit,
    pay_in,
    reverts_with,
)
from ape import chain, project
from ape.api import AccountAPI
from ape.contracts import ContractInstance

from scripts._lib import (
    DAY,
    USDC,
    Asset,
    SaleState,
    Status,
    advance_time,
    asset_params,
    register_asset,
)

PRICE = 50 * USDC


@pytest.fixture(scope="module")
def asset(create_asset: Callable[..., Asset]) -> Asset:
    """A freshly opened sale (built once per module)."""
    return create_asset()


@pytest.fixture
def failed(asset: Asset, buy: Callable[..., None], investors: list[AccountAPI]) -> Asset:
    """The asset after its window closed under the minimum: 1,000 and 500 shares bought."""
    buy(asset, investors[0], 1_000)
    buy(asset, investors[1], 500)
    advance_time(31 * DAY)
    return asset


def end_of(sale: ContractInstance, asset: Asset) -> int:
    return int(sale.sale(asset.asset_id).terms.end)


# --- configuration ---------------------------------------------------------------------------


def test_registering_an_asset_opens_its_sale(platform, registry, sale, usdc, operator, treasury):
    params = asset_params(payment_token=usdc, treasury=treasury)
    receipt = registry.registerAsset(params, sender=operator)
    asset_id = registry.assetCount()
    share_token = registry.asset(asset_id).contracts.shareToken
    log = receipt.events.filter(sale.SaleConfigured)[0]
    assert (log.assetId, log.shareToken) == (asset_id, share_token)
    lowered = [v.lower() if isinstance(v, str) else v for v in params[6]]
    assert [v.lower() if isinstance(v, str) else v for v in log.terms] == lowered
    state = sale.sale(asset_id)
    assert (state.shareToken, state.state, state.sold, state.raised) == (
        share_token,
        SaleState.OPEN,
        0,
        0,
    )
    assert [v.lower() if isinstance(v, str) else v for v in state.terms] == lowered


def test_configure_reverts_for_anyone_but_the_registry(asset, sale, usdc, stranger, treasury):
    terms = asset_params(payment_token=usdc, treasury=treasury)[6]
    with reverts_with(sale.SaleNotRegistry, caller=stranger):
        sale.configure(asset.asset_id, asset.token, terms, sender=stranger)


def test_unknown_sale_reverts(sale, stranger):
    with reverts_with(sale.SaleUnknown, assetId=999):
        sale.sale(999)
    with reverts_with(sale.SaleUnknown, assetId=999):
        sale.buy(999, 1, sender=stranger)
    with reverts_with(sale.SaleUnknown, assetId=999):
        sale.finalize(999, sender=stranger)
    with reverts_with(sale.SaleUnknown, assetId=999):
        sale.refund(999, sender=stranger)


# --- buying ----------------------------------------------------------------------------------


def test_buy_mints_shares_and_escrows_the_payment(asset, sale, fund, usdc, investors):
    first, second = investors[0], investors[1]
    fund(first, 300 * PRICE, sale)
    receipt = sale.buy(asset.asset_id, 300, sender=first)
    assert_emitted(
        receipt,
        sale.SharesPurchased,
        assetId=asset.asset_id,
        buyer=first,
        shares=300,
        cost=300 * PRICE,
        totalSold=300,
        totalRaised=300 * PRICE,
    )
    fund(second, 200 * PRICE, sale)
    receipt = sale.buy(asset.asset_id, 200, sender=second)
    log = receipt.events.filter(sale.SharesPurchased)[0]
    assert (log.totalSold, log.totalRaised) == (500, 500 * PRICE)
    assert asset.token.balanceOf(first) == 300
    assert usdc.balanceOf(first) == 0
    assert usdc.balanceOf(sale) == 500 * PRICE
    assert sale.contributionOf(asset.asset_id, first) == 300 * PRICE
    assert sale.purchasedOf(asset.asset_id, first) == 300
    state = sale.sale(asset.asset_id)
    assert (state.sold, state.raised) == (500, 500 * PRICE)


def test_buy_reverts_before_the_window_opens(create_asset, sale, fund, investor):
    start = chain.pending_timestamp + DAY
    later = create_asset(start=start)
    fund(investor, PRICE, sale)
    with reverts_with(sale.SaleNotOpen, assetId=later.asset_id, start=start, end=start + 30 * DAY):
        sale.buy(later.asset_id, 1, sender=investor)
    chain.pending_timestamp = start
    sale.buy(later.asset_id, 1, sender=investor)
    assert later.token.balanceOf(investor) == 1


def test_buy_is_open_until_the_last_second_of_the_window(asset, sale, fund, investor):
    end = end_of(sale, asset)
    fund(investor, 2 * PRICE, sale)
    chain.pending_timestamp = end
    sale.buy(asset.asset_id, 1, sender=investor)
    chain.pending_timestamp = end + 1
    with reverts_with(sale.SaleNotOpen, assetId=asset.asset_id, start=end - 30 * DAY, end=end):
        sale.buy(asset.asset_id, 1, sender=investor)


def test_buy_reverts_once_the_sale_is_finalized(asset, sale, buy, investors):
    buy(asset, investors[0], 10_000)
    sale.finalize(asset.asset_id, sender=investors[0])
    end = end_of(sale, asset)
    with reverts_with(sale.SaleNotOpen, assetId=asset.asset_id, start=end - 30 * DAY, end=end):
        sale.buy(asset.asset_id, 1, sender=investors[1])


def test_buy_of_zero_shares_reverts(asset, sale, investor):
    with reverts_with(sale.SaleZeroShares):
        sale.buy(asset.asset_id, 0, sender=investor)


def test_buy_reverts_beyond_the_shares_left(asset, sale, buy, fund, investors):
    buy(asset, investors[0], 9_000)
    fund(investors[1], 1_001 * PRICE, sale)
    with reverts_with(sale.SaleNotEnoughShares, requested=1_001, available=1_000):
        sale.buy(asset.asset_id, 1_001, sender=investors[1])


def test_buy_reverts_past_the_per_buyer_cap(create_asset, sale, buy, fund, investor):
    capped = create_asset(max_shares_per_buyer=100)
    buy(capped, investor, 60)
    fund(investor, 41 * PRICE, sale)
    with reverts_with(sale.SaleBuyerCapExceeded, buyer=investor, wouldHold=101, cap=100):
        sale.buy(capped.asset_id, 41, sender=investor)
    sale.buy(capped.asset_id, 40, sender=investor)
    assert sale.purchasedOf(capped.asset_id, investor) == 100


@pytest.mark.parametrize("scope", ["asset", "platform"])
def test_buy_reverts_while_paused(asset, sale, fund, pause, investor, scope):
    pause(asset, scope)
    fund(investor, PRICE, sale)
    with reverts_with(sale.SalePaused, assetId=asset.asset_id):
        sale.buy(asset.asset_id, 1, sender=investor)


# --- buying with a permit --------------------------------------------------------------------


def test_buy_with_permit_needs_no_prior_approval(asset, sale, usdc, investor):
    usdc.mint(investor, 20 * PRICE, sender=investor)
    deadline = chain.pending_timestamp + DAY
    v, r, s = erc2612_permit(usdc, investor, sale, 20 * PRICE, deadline)
    receipt = sale.buyWithPermit(asset.asset_id, 20, deadline, v, r, s, sender=investor)
    assert receipt.events.filter(sale.SharesPurchased)[0].cost == 20 * PRICE
    assert asset.token.balanceOf(investor) == 20
    assert usdc.allowance(investor, sale) == 0
    assert usdc.nonces(investor) == 1


def test_buy_with_permit_succeeds_when_the_permit_was_front_run(
    asset, sale, usdc, investor, stranger
):
    usdc.mint(investor, 20 * PRICE, sender=investor)
    deadline = chain.pending_timestamp + DAY
    v, r, s = erc2612_permit(usdc, investor, sale, 20 * PRICE, deadline)
    usdc.permit(investor, sale, 20 * PRICE, deadline, v, r, s, sender=stranger)
    sale.buyWithPermit(asset.asset_id, 20, deadline, v, r, s, sender=investor)
    assert asset.token.balanceOf(investor) == 20


def test_buy_with_an_invalid_permit_and_no_allowance_reverts(asset, sale, usdc, investor, stranger):
    usdc.mint(investor, 20 * PRICE, sender=investor)
    deadline = chain.pending_timestamp + DAY
    v, r, s = erc2612_permit(usdc, investor, sale, 20 * PRICE, deadline, signer=stranger)
    with reverts_with(
        usdc.ERC20InsufficientAllowance, spender=sale, allowance=0, needed=20 * PRICE
    ):
        sale.buyWithPermit(asset.asset_id, 20, deadline, v, r, s, sender=investor)


def test_buy_with_permit_reverts_outside_the_window(asset, sale, usdc, investor):
    end = end_of(sale, asset)
    v, r, s = erc2612_permit(usdc, investor, sale, PRICE, end + DAY)
    advance_time(31 * DAY)
    with reverts_with(sale.SaleNotOpen, assetId=asset.asset_id, start=end - 30 * DAY, end=end):
        sale.buyWithPermit(asset.asset_id, 1, end + DAY, v, r, s, sender=investor)


# --- finalizing ------------------------------------------------------------------------------


def test_finalize_reverts_while_the_window_is_open_and_shares_remain(asset, sale, buy, investor):
    buy(asset, investor, 9_999)
    end = end_of(sale, asset)
    with reverts_with(sale.SaleStillRunning, assetId=asset.asset_id, end=end):
        sale.finalize(asset.asset_id, sender=investor)
    chain.pending_timestamp = end  # the last second still belongs to the window
    with reverts_with(sale.SaleStillRunning, assetId=asset.asset_id, end=end):
        sale.finalize(asset.asset_id, sender=investor)


def test_sold_out_sale_finalizes_early_and_succeeds(
    asset, sale, buy, registry, usdc, treasury, investor, stranger
):
    buy(asset, investor, 10_000)
    receipt = sale.finalize(asset.asset_id, sender=stranger)
    assert_emitted(
        receipt,
        sale.SaleFinalized,
        assetId=asset.asset_id,
        succeeded=True,
        totalSold=10_000,
        totalRaised=10_000 * PRICE,
    )
    assert_emitted(
        receipt, registry.AssetStatusChanged, assetId=asset.asset_id, status=Status.ACTIVE
    )
    assert_emitted(receipt, asset.token.TransfersActivated, assetId=asset.asset_id)
    assert usdc.balanceOf(treasury) == 10_000 * PRICE
    assert usdc.balanceOf(sale) == 0
    assert registry.asset(asset.asset_id).status == Status.ACTIVE
    assert sale.sale(asset.asset_id).state == SaleState.SUCCEEDED
    assert asset.token.transfersActive()


def test_sale_that_meets_exactly_the_minimum_succeeds_after_the_window(
    asset, sale, buy, registry, usdc, treasury, investors
):
    buy(asset, investors[0], 3_000)
    buy(asset, investors[1], 2_000)  # 5,000 x 50 USDC = the 250,000 USDC minimum
    advance_time(31 * DAY)
    receipt = sale.finalize(asset.asset_id, sender=investors[0])
    log = receipt.events.filter(sale.SaleFinalized)[0]
    assert (log.succeeded, log.totalSold, log.totalRaised) == (True, 5_000, 5_000 * PRICE)
    assert usdc.balanceOf(treasury) == 5_000 * PRICE
    assert registry.asset(asset.asset_id).status == Status.ACTIVE
    assert asset.token.totalSupply() == 5_000  # unsold shares are never minted


@pytest.mark.parametrize("shares", [0, 4_999])
def test_sale_under_the_minimum_fails_after_the_window(
    asset, sale, buy, registry, usdc, treasury, investor, shares
):
    if shares:
        buy(asset, investor, shares)
    advance_time(31 * DAY)
    receipt = sale.finalize(asset.asset_id, sender=investor)
    assert_emitted(
        receipt,
        sale.SaleFinalized,
        assetId=asset.asset_id,
        succeeded=False,
        totalSold=shares,
        totalRaised=shares * PRICE,
    )
    assert_emitted(
        receipt, registry.AssetStatusChanged, assetId=asset.asset_id, status=Status.FAILED
    )
    assert registry.asset(asset.asset_id).status == Status.FAILED
    assert sale.sale(asset.asset_id).state == SaleState.FAILED
    assert usdc.balanceOf(treasury) == 0
    assert usdc.balanceOf(sale) == shares * PRICE
    assert not asset.token.transfersActive()


def test_finalize_reverts_once_finalized(asset, sale, buy, investor, failed):
    sale.finalize(failed.asset_id, sender=investor)
    with reverts_with(sale.SaleAlreadyFinalized, assetId=failed.asset_id, state=SaleState.FAILED):
        sale.finalize(failed.asset_id, sender=investor)


def test_finalize_reverts_once_succeeded(asset, sale, buy, investor):
    buy(asset, investor, 10_000)
    sale.finalize(asset.asset_id, sender=investor)
    with reverts_with(sale.SaleAlreadyFinalized, assetId=asset.asset_id, state=SaleState.SUCCEEDED):
        sale.finalize(asset.asset_id, sender=investor)


# --- refunds ---------------------------------------------------------------------------------


def test_refund_returns_exactly_what_was_paid_and_burns_the_shares(failed, sale, usdc, investors):
    buyer, token = investors[0], failed.token
    sale.finalize(failed.asset_id, sender=buyer)
    receipt = sale.refund(failed.asset_id, sender=buyer)
    assert_emitted(
        receipt,
        sale.Refunded,
        assetId=failed.asset_id,
        buyer=buyer,
        shares=1_000,
        amount=1_000 * PRICE,
    )
    assert_emitted(
        receipt,
        token.Transfer,
        **{"from": buyer, "to": ZERO_ADDRESS, "value": 1_000},
    )
    assert sale.refund.call(failed.asset_id, sender=investors[1]) == 500 * PRICE
    assert usdc.balanceOf(buyer) == 1_000 * PRICE
    assert token.balanceOf(buyer) == 0
    assert token.getVotes(buyer) == 0
    assert token.totalSupply() == 500
    assert sale.contributionOf(failed.asset_id, buyer) == 0
    assert sale.purchasedOf(failed.asset_id, buyer) == 0


def test_refund_covers_every_purchase_of_the_buyer(asset, sale, buy, usdc, investor):
    buy(asset, investor, 100)
    buy(asset, investor, 23)
    advance_time(31 * DAY)
    sale.refund(asset.asset_id, sender=investor)
    assert usdc.balanceOf(investor) == 123 * PRICE


def test_refund_finalizes_a_sale_that_closed_under_the_minimum(failed, sale, registry, investors):
    receipt = sale.refund(failed.asset_id, sender=investors[1])
    assert_emitted(
        receipt,
        sale.SaleFinalized,
        assetId=failed.asset_id,
        succeeded=False,
        totalSold=1_500,
        totalRaised=1_500 * PRICE,
    )
    assert receipt.events.filter(sale.Refunded)[0].amount == 500 * PRICE
    assert registry.asset(failed.asset_id).status == Status.FAILED


def test_refund_reverts_while_the_sale_is_open(asset, sale, buy, investor):
    buy(asset, investor, 10)
    with reverts_with(sale.SaleNotRefundable, assetId=asset.asset_id):
        sale.refund(asset.asset_id, sender=investor)


def test_refund_reverts_when_the_window_closed_with_the_minimum_met(asset, sale, buy, investor):
    buy(asset, investor, 5_000)
    advance_time(31 * DAY)
    with reverts_with(sale.SaleNotRefundable, assetId=asset.asset_id):
        sale.refund(asset.asset_id, sender=investor)  # not finalized yet
    sale.finalize(asset.asset_id, sender=investor)
    with reverts_with(sale.SaleNotRefundable, assetId=asset.asset_id):
        sale.refund(asset.asset_id, sender=investor)


def test_refund_reverts_for_nothing_to_refund(failed, sale, investors, stranger):
    sale.refund(failed.asset_id, sender=investors[0])
    with reverts_with(sale.SaleNothingToRefund, assetId=failed.asset_id, buyer=investors[0]):
        sale.refund(failed.asset_id, sender=investors[0])
    with reverts_with(sale.SaleNothingToRefund, assetId=failed.asset_id, buyer=stranger):
        sale.refund(failed.asset_id, sender=stranger)


@pytest.mark.parametrize("scope", ["asset", "platform"])
def test_refund_works_while_paused(failed, sale, usdc, pause, investors, scope):
    pause(failed, scope)
    sale.refund(failed.asset_id, sender=investors[1])
    assert usdc.balanceOf(investors[1]) == 500 * PRICE
    assert failed.token.balanceOf(investors[1]) == 0


def test_each_refund_is_independent_of_the_others(failed, sale, usdc, investors):
    sale.refund(failed.asset_id, sender=investors[1])  # the smaller buyer goes first
    assert usdc.balanceOf(sale) == 1_000 * PRICE
    advance_time(365 * DAY)
    sale.refund(failed.asset_id, sender=investors[0])
    assert usdc.balanceOf(investors[0]) == 1_000 * PRICE
    assert usdc.balanceOf(sale) == 0


def test_refunds_only_touch_their_own_assets_escrow(create_asset, buy, sale, usdc, investors):
    short = create_asset(duration=DAY)
    running = create_asset()
    buy(short, investors[0], 10)
    buy(running, investors[1], 7_000)
    advance_time(2 * DAY)
    sale.refund(short.asset_id, sender=investors[0])
    assert usdc.balanceOf(sale) == 7_000 * PRICE
    assert sale.sale(running.asset_id).state == SaleState.OPEN


def test_refund_of_a_restricted_asset_works_after_verification_lapses(
    create_asset, buy, sale, identity, usdc, admin, investor
):
    only_verified = create_asset(requires_verification=True)
    identity.verify(investor, chain.pending_timestamp + DAY, 620, sender=admin)
    buy(only_verified, investor, 10)
    identity.revoke(investor, sender=admin)
    advance_time(31 * DAY)
    sale.refund(only_verified.asset_id, sender=investor)
    assert usdc.balanceOf(investor) == 10 * PRICE


# --- reentrancy ------------------------------------------------------------------------------


def test_buy_cannot_be_reentered(hostile, hostile_asset, sale, investor):
    pay_in(hostile, investor, sale, 20 * PRICE)
    hostile.arm(sale, sale.buy.encode_input(hostile_asset.asset_id, 1), sender=investor)
    sale.buy(hostile_asset.asset_id, 10, sender=investor)
    assert_reentry_refused(hostile)
    assert sale.purchasedOf(hostile_asset.asset_id, investor) == 10


def test_finalize_cannot_be_reentered(hostile, hostile_asset, sale, treasury, investor):
    pay_in(hostile, investor, sale, 100 * PRICE)
    sale.buy(hostile_asset.asset_id, 100, sender=investor)
    hostile.arm(sale, sale.finalize.encode_input(hostile_asset.asset_id), sender=investor)
    sale.finalize(hostile_asset.asset_id, sender=investor)
    assert_reentry_refused(hostile)
    assert hostile.balanceOf(treasury) == 100 * PRICE


def test_refund_cannot_be_reentered(hostile, hostile_asset, sale, investor):
    pay_in(hostile, investor, sale, 10 * PRICE)
    sale.buy(hostile_asset.asset_id, 10, sender=investor)
    advance_time(31 * DAY)
    hostile.arm(sale, sale.refund.encode_input(hostile_asset.asset_id), sender=investor)
    sale.refund(hostile_asset.asset_id, sender=investor)
    assert_reentry_refused(hostile)
    assert hostile.balanceOf(investor) == 10 * PRICE
    assert hostile.balanceOf(sale) == 0


@pytest.fixture
def hostile_revenue(hostile, hostile_asset, sale, operator, investors) -> ContractInstance:
    """The hostile asset sold out to two buyers (60 / 40) and finalized; returns its share token."""
    for buyer, shares in ((investors[0], 60), (investors[1], 40)):
        pay_in(hostile, buyer, sale, shares * PRICE)
        sale.buy(hostile_asset.asset_id, shares, sender=buyer)
    sale.finalize(hostile_asset.asset_id, sender=operator)
    return hostile_asset.token


def test_revenue_deposit_cannot_be_reentered(hostile, hostile_revenue, operator, investors):
    token = hostile_revenue
    pay_in(hostile, operator, token, 1_000 * USDC)
    hostile.arm(token, token.claimRevenue.encode_input(), sender=operator)
    token.depositRevenue(1_000 * USDC, 0, sender=operator)
    assert_reentry_refused(hostile)
    assert token.claimableRevenueOf(investors[0]) == 540 * USDC


def test_revenue_claim_cannot_be_reentered(hostile, hostile_revenue, operator, investors):
    token = hostile_revenue
    pay_in(hostile, operator, token, 1_000 * USDC)
    token.depositRevenue(1_000 * USDC, 0, sender=operator)
    hostile.arm(token, token.claimRevenue.encode_input(), sender=investors[0])
    token.claimRevenue(sender=investors[0])
    assert_reentry_refused(hostile)
    assert hostile.balanceOf(investors[0]) == 540 * USDC
    assert hostile.balanceOf(token) == 360 * USDC


# --- a treasury that refuses its raise --------------------------------------------------------


@pytest.fixture
def blocklisted_treasury_sale(platform, admin, operator, treasury, investor):
    """A 100-share sale in a blocklist stablecoin, sold out, whose treasury is then blocklisted."""
    coin = admin.deploy(project.MockBlocklistStablecoin)
    platform.registry.setPaymentTokenAllowed(coin, True, sender=admin)
    params = asset_params(payment_token=coin, treasury=treasury, total_shares=100)
    asset = register_asset(platform, operator, params)
    coin.mint(investor, 100 * PRICE, sender=investor)
    coin.approve(platform.sale, 100 * PRICE, sender=investor)
    platform.sale.buy(asset.asset_id, 100, sender=investor)
    coin.setBlocked(treasury, True, sender=admin)
    return asset, coin


def test_a_refused_raise_does_not_freeze_the_sale(
    sale, blocklisted_treasury_sale, treasury, investor
):
    asset, coin = blocklisted_treasury_sale
    tx = sale.finalize(asset.asset_id, sender=investor)

    assert_emitted(
        tx, sale.RaisePaymentDeferred, assetId=asset.asset_id, treasury=treasury, amount=100 * PRICE
    )
    assert sale.sale(asset.asset_id).state == SaleState.SUCCEEDED
    assert asset.token.transfersActive()
    assert sale.unpaidRaiseOf(asset.asset_id) == 100 * PRICE
    assert coin.balanceOf(sale) == 100 * PRICE


def test_a_deferred_raise_is_released_once_the_treasury_accepts_it(
    sale, blocklisted_treasury_sale, treasury, investor, admin, stranger
):
    asset, coin = blocklisted_treasury_sale
    sale.finalize(asset.asset_id, sender=investor)
    coin.setBlocked(treasury, False, sender=admin)

    tx = sale.releaseRaise(asset.asset_id, sender=stranger)

    assert_emitted(
        tx, sale.RaiseReleased, assetId=asset.asset_id, treasury=treasury, amount=100 * PRICE
    )
    assert coin.balanceOf(treasury) == 100 * PRICE
    assert sale.unpaidRaiseOf(asset.asset_id) == 0
    with reverts_with(sale.SaleNothingToRelease, assetId=asset.asset_id):
        sale.releaseRaise(asset.asset_id, sender=stranger)


def test_release_reverts_when_the_raise_was_paid_at_finalization(asset, sale, buy, investors):
    buy(asset, investors[0], 10_000)
    sale.finalize(asset.asset_id, sender=investors[0])
    with reverts_with(sale.SaleNothingToRelease, assetId=asset.asset_id):
        sale.releaseRaise(asset.asset_id, sender=investors[0])
