"""Finding 4 of issue 12: a raise deferred because the treasury is blocklisted for good can be
redirected by the asset's governance (through its timelock), then released to the new treasury."""

from __future__ import annotations

import pytest
from _helpers import assert_emitted, emitted, enact, impersonate, proposal, reverts_with
from ape import project

from scripts._lib import USDC, Asset, asset_params, register_asset

PRICE = 50 * USDC


@pytest.fixture(autouse=True, scope="module")
def _module_setup(asset: Asset) -> None:
    """The module's active asset, built before any test's snapshot."""


@pytest.fixture
def deferred(platform, admin, operator, treasury, investor):
    """A sold-out 100-share sale in a blocklist stablecoin whose treasury is blocklisted for good;
    finalized, so its raise waits in the sale."""
    coin = admin.deploy(project.MockBlocklistStablecoin)
    platform.registry.setPaymentTokenAllowed(coin, True, sender=admin)
    asset = register_asset(
        platform, operator, asset_params(payment_token=coin, treasury=treasury, total_shares=100)
    )
    coin.mint(investor, 100 * PRICE, sender=investor)
    coin.approve(platform.sale, 100 * PRICE, sender=investor)
    platform.sale.buy(asset.asset_id, 100, sender=investor)
    coin.setBlocked(treasury, True, sender=admin)
    platform.sale.finalize(asset.asset_id, sender=investor)
    return asset, coin


def test_governance_redirects_a_frozen_raise_to_a_new_treasury(
    sale, deferred, investor, stranger, treasury
):
    asset, coin = deferred
    p = proposal(
        asset,
        (sale, sale.redirectRaise.encode_input(asset.asset_id, stranger.address)),
        (sale, sale.releaseRaise.encode_input(asset.asset_id)),
        description="Pay the raise to the new treasury",
    )
    tx = enact(p, investor, [investor])

    (redirected,) = emitted(tx, sale.RaiseRedirected)
    assert redirected["previousTreasury"] == treasury.address
    assert redirected["newTreasury"] == stranger.address
    assert redirected["amount"] == 100 * PRICE
    assert coin.balanceOf(stranger) == 100 * PRICE
    assert sale.unpaidRaiseOf(asset.asset_id) == 0
    assert sale.sale(asset.asset_id).terms.treasury == stranger.address


def test_only_the_asset_timelock_redirects_a_raise(sale, deferred, operator, stranger):
    asset, _ = deferred
    for caller in (operator, stranger):
        with reverts_with(sale.SaleNotAssetTimelock, caller=caller, assetId=asset.asset_id):
            sale.redirectRaise(asset.asset_id, stranger, sender=caller)


def test_a_raise_already_paid_cannot_be_redirected(sale, asset, stranger):
    timelock = impersonate(asset.timelock)
    with reverts_with(sale.SaleNothingToRelease, assetId=asset.asset_id):
        sale.redirectRaise(asset.asset_id, stranger, sender=timelock)


def test_a_raise_cannot_be_redirected_to_the_zero_address(sale, deferred, treasury):
    asset, _ = deferred
    timelock = impersonate(asset.timelock)
    with reverts_with(sale.SaleZeroAddress):
        sale.redirectRaise(asset.asset_id, "0x" + "00" * 20, sender=timelock)
    tx = sale.redirectRaise(asset.asset_id, timelock, sender=timelock)
    assert_emitted(
        tx,
        sale.RaiseRedirected,
        assetId=asset.asset_id,
        previousTreasury=treasury,
        newTreasury=timelock,
        amount=100 * PRICE,
    )
