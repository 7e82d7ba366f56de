"""What holders of such platforms also expect (issue 12): revenue claimed to an address of the
holder's choosing, so a holder the stablecoin blocklists can still be paid; and a governance sweep
of revenue stranded on addresses that can never claim it."""

from __future__ import annotations

import pytest
from _helpers import assert_emitted, enact, impersonate, proposal, reverts_with
from ape import project

from scripts._lib import USDC, Asset, asset_params, register_asset

DEAD = "0x000000000000000000000000000000000000dEaD"


@pytest.fixture(autouse=True, scope="module")
def _module_setup(asset: Asset) -> None:
    """The module's active asset (10% reserve), built before any test's snapshot."""


def test_a_blocklisted_holder_claims_to_another_address(
    platform, admin, operator, treasury, investor, stranger
):
    coin = admin.deploy(project.MockBlocklistStablecoin)
    platform.registry.setPaymentTokenAllowed(coin, True, sender=admin)
    asset = register_asset(
        platform, operator, asset_params(payment_token=coin, treasury=treasury, total_shares=100)
    )
    coin.mint(investor, 100 * 50 * USDC, sender=investor)
    coin.approve(platform.sale, 100 * 50 * USDC, sender=investor)
    platform.sale.buy(asset.asset_id, 100, sender=investor)
    platform.sale.finalize(asset.asset_id, sender=investor)
    coin.mint(operator, 1_000 * USDC, sender=operator)
    coin.approve(asset.token, 1_000 * USDC, sender=operator)
    asset.token.depositRevenue(1_000 * USDC, 0, sender=operator)
    coin.setBlocked(investor, True, sender=admin)

    tx = asset.token.claimRevenueTo(stranger, sender=investor)

    assert_emitted(
        tx,
        asset.token.RevenueClaimed,
        account=investor,
        recipient=stranger,
        amount=900 * USDC,
        totalClaimed=900 * USDC,
    )
    assert coin.balanceOf(stranger) == 900 * USDC
    assert asset.token.claimableRevenueOf(investor) == 0


def test_claiming_to_the_zero_address_is_refused(asset, deposit_revenue, investors):
    deposit_revenue(asset, 1_000 * USDC)
    with reverts_with(asset.token.ShareZeroRecipient):
        asset.token.claimRevenueTo("0x" + "00" * 20, sender=investors[0])


@pytest.mark.parametrize("where", ["token", "sale", "dead"])
def test_governance_sweeps_revenue_stranded_where_nobody_can_claim(
    asset, sale, usdc, deposit_revenue, investors, where
):
    token, timelock = asset.token, asset.timelock
    stranded = {"token": token.address, "sale": sale.address, "dead": DEAD}[where]
    token.transfer(stranded, 1_000, sender=investors[0])  # a tenth of the supply, sent by mistake
    deposit_revenue(asset, 1_000 * USDC)  # 900 to holders: 90 stranded
    assert token.claimableRevenueOf(stranded) == 90 * USDC

    p = proposal(
        asset,
        (token, token.sweepStrandedRevenue.encode_input(stranded, timelock.address)),
        description=f"Sweep what {where} can never claim",
    )
    tx = enact(p, investors[0], investors[:2])

    assert_emitted(
        tx,
        token.RevenueClaimed,
        account=stranded,
        recipient=timelock,
        amount=90 * USDC,
        totalClaimed=90 * USDC,
    )
    assert usdc.balanceOf(timelock) == 100 * USDC + 90 * USDC  # the reserve and the sweep
    assert token.claimableRevenueOf(stranded) == 0


def test_only_governance_sweeps_and_only_stranded_revenue(asset, investors, stranger):
    token = asset.token
    with reverts_with(token.ShareNotAssetTimelock, caller=stranger):
        token.sweepStrandedRevenue(token, stranger, sender=stranger)
    timelock = impersonate(asset.timelock)
    with reverts_with(token.ShareNotStranded, holder=investors[0]):
        token.sweepStrandedRevenue(investors[0], timelock, sender=timelock)
