"""One path through every contract, as a first check that the platform fits together."""

from _helpers import enact, proposal

from scripts._lib import USDC, Status

METER_KEY = "0x" + "11" * 32


def test_an_asset_goes_from_sale_to_revenue_claim(
    asset, registry, usdc, deposit_revenue, investors, treasury
):
    token = asset.token
    assert registry.asset(asset.asset_id).status == Status.ACTIVE
    assert usdc.balanceOf(treasury) == 10_000 * 50 * USDC
    assert token.getVotes(investors[0]) == 4_000

    deposit_revenue(asset, 1_000 * USDC)

    # The default 10% reserve goes to the timelock; 900 USDC is split 40/30/20/10.
    assert token.claimableRevenueOf(investors[0]) == 360 * USDC
    token.claimRevenue(sender=investors[0])
    assert usdc.balanceOf(investors[0]) == 360 * USDC


def test_a_signed_meter_reading_is_recorded(asset, oracle, report_production):
    report_production(asset, METER_KEY, 12_345)
    assert oracle.totalEnergyOf(asset.asset_id) == 12_345


def test_holders_pause_their_asset_through_governance(asset, registry, investors):
    calldata = registry.setAssetPaused.encode_input(asset.asset_id, True)
    pausing = proposal(asset, (registry, calldata), description="Pause for inspection")
    enact(pausing, investors[0], investors[:2])
    assert registry.isPaused(asset.asset_id)
