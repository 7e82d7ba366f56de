"""End-to-end path through every contract, as a first check that the platform fits together."""

from ape import chain

from scripts._lib import USDC, Status, advance_time, sign_reading


def test_an_asset_goes_from_sale_to_revenue_claim(funded_asset, registry, usdc, operator, investors, treasury):
    asset = funded_asset
    assert registry.asset(asset.asset_id).status == Status.ACTIVE
    assert usdc.balanceOf(treasury) == 10_000 * 50 * USDC
    assert asset.token.getVotes(investors[0]) == 4_000

    usdc.mint(operator, 1_000 * USDC, sender=operator)
    usdc.approve(asset.token, 1_000 * USDC, sender=operator)
    asset.token.depositRevenue(1_000 * USDC, 0, sender=operator)
    # 10% reserve goes to the timelock; 900 USDC split 40/30/20/10.
    assert asset.token.claimableRevenueOf(investors[0]) == 360 * USDC
    asset.token.claimRevenue(sender=investors[0])
    assert usdc.balanceOf(investors[0]) == 360 * USDC


def test_a_meter_reading_is_recorded(funded_asset, oracle, admin, operator):
    meter_key = "0x" + "11" * 32
    from eth_account import Account

    meter = Account.from_key(meter_key).address
    oracle.registerMeter(meter, funded_asset.asset_id, sender=admin)
    now = chain.pending_timestamp
    advance_time(10)
    reading, signature = sign_reading(
        oracle, meter_key, asset_id=funded_asset.asset_id, period_start=now - 3600, period_end=now, energy_wh=12_345
    )
    oracle.submitReading(reading, signature, sender=operator)
    assert oracle.totalEnergyOf(funded_asset.asset_id) == 12_345


def test_holders_pause_their_asset_through_governance(funded_asset, registry, investors):
    from eth_utils import keccak

    asset = funded_asset
    calldata = registry.setAssetPaused.encode_input(asset.asset_id, True)
    targets, values, calldatas, description = [registry.address], [0], [calldata], "Pause for inspection"
    asset.governor.propose(targets, values, calldatas, description, sender=investors[0])
    proposal_id = asset.governor.hashProposal(targets, values, calldatas, keccak(text=description))
    advance_time(86_400 + 1)
    asset.governor.castVote(proposal_id, 1, sender=investors[0])
    asset.governor.castVote(proposal_id, 1, sender=investors[1])
    advance_time(7 * 86_400 + 1)
    asset.governor.queue(targets, values, calldatas, keccak(text=description), sender=investors[0])
    advance_time(2 * 86_400 + 1)
    asset.governor.execute(targets, values, calldatas, keccak(text=description), sender=investors[0])
    assert registry.isPaused(asset.asset_id)
