"""Finding 5 of issue 12: a sale has an end. The funding window has a ceiling, and the operator (or
the platform admin, standing in for holders who cannot vote before a sale succeeds) can cancel an
open sale, which opens refunds at once."""

from __future__ import annotations

import pytest
from _helpers import assert_emitted, reverts_with
from ape import chain

from scripts._lib import DAY, USDC, Asset, SaleState, Status, asset_params

YEAR = 365 * DAY


@pytest.fixture(autouse=True, scope="module")
def _module_setup(asset: Asset) -> None:
    """The module's active asset, built before any test's snapshot."""


def test_a_hundred_year_window_is_refused(registry, usdc, treasury, operator):
    start = chain.pending_timestamp
    params = asset_params(payment_token=usdc, treasury=treasury, start=start, duration=100 * YEAR)
    with reverts_with(registry.RegistryInvalidWindow, start=start, end=start + 100 * YEAR):
        registry.registerAsset(params, sender=operator)


def test_a_window_opening_more_than_a_year_ahead_is_refused(registry, usdc, treasury, operator):
    start = chain.pending_timestamp + YEAR + DAY
    params = asset_params(payment_token=usdc, treasury=treasury, start=start, duration=DAY)
    with reverts_with(registry.RegistryInvalidWindow, start=start, end=start + DAY):
        registry.registerAsset(params, sender=operator)


def test_a_window_of_exactly_the_ceiling_is_accepted(create_asset, registry):
    assert registry.MAX_SALE_DURATION() == YEAR
    create_asset(duration=YEAR)


def test_the_operator_cancels_a_sale_and_refunds_open_at_once(
    create_asset, buy, sale, registry, usdc, operator, investors
):
    funding = create_asset(symbol="CNCL")
    buy(funding, investors[0], 100)
    tx = sale.cancelSale(funding.asset_id, sender=operator)
    assert_emitted(tx, sale.SaleCancelled, assetId=funding.asset_id, by=operator)
    assert_emitted(
        tx,
        sale.SaleFinalized,
        assetId=funding.asset_id,
        succeeded=False,
        totalSold=100,
        totalRaised=100 * 50 * USDC,
    )
    assert sale.sale(funding.asset_id).state == SaleState.FAILED
    assert registry.asset(funding.asset_id).status == Status.FAILED

    before = usdc.balanceOf(investors[0])
    sale.refund(funding.asset_id, sender=investors[0])
    assert usdc.balanceOf(investors[0]) - before == 100 * 50 * USDC
    assert funding.token.balanceOf(investors[0]) == 0


def test_the_platform_admin_cancels_a_sale(create_asset, sale, admin):
    funding = create_asset(symbol="CNCL")
    sale.cancelSale(funding.asset_id, sender=admin)
    assert sale.sale(funding.asset_id).state == SaleState.FAILED


def test_nobody_else_cancels_a_sale(create_asset, sale, stranger, investors):
    funding = create_asset(symbol="CNCL")
    for caller in (stranger, investors[0]):
        with reverts_with(sale.SaleNotCanceller, caller=caller, assetId=funding.asset_id):
            sale.cancelSale(funding.asset_id, sender=caller)


def test_an_ended_sale_cannot_be_cancelled(asset, sale, operator):
    with reverts_with(sale.SaleAlreadyFinalized, assetId=asset.asset_id, state=SaleState.SUCCEEDED):
        sale.cancelSale(asset.asset_id, sender=operator)
