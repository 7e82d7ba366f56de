"""One path through every contract, as a first check that the platform fits together."""

from eth_account import Account
from eth_utils import keccak

from scripts._lib import DAY, USDC, Status, advance_time, sign_reading

METER_KEY = "0x" + "11" * 32


def test_an_asset_goes_from_sale_to_revenue_claim(
    funded_asset, registry, usdc, operator, investors, treasury
):
    token = funded_asset.token
    assert registry.asset(funded_asset.asset_id).status == Status.ACTIVE
    assert usdc.balanceOf(treasury) == 10_000 * 50 * USDC
    assert token.getVotes(investors[0]) == 4_000

    usdc.mint(operator, 1_000 * USDC, sender=operator)
    usdc.approve(token, 1_000 * USDC, sender=operator)
    token.depositRevenue(1_000 * USDC, 0, sender=operator)

    # The default 10% reserve goes to the timelock; 900 USDC is split 40/30/20/10.
    assert token.claimableRevenueOf(investors[0]) == 360 * USDC
    token.claimRevenue(sender=investors[0])
    assert usdc.balanceOf(investors[0]) == 360 * USDC


def test_a_signed_meter_reading_is_recorded(funded_asset, oracle, admin, operator):
    oracle.registerMeter(Account.from_key(METER_KEY).address, funded_asset.asset_id, sender=admin)
    advance_time(3_600)
    end = oracle.provider.get_block("latest").timestamp
    reading, signature = sign_reading(
        oracle,
        METER_KEY,
        asset_id=funded_asset.asset_id,
        period_start=end - 3_600,
        period_end=end,
        energy_wh=12_345,
    )
    oracle.submitReading(reading, signature, sender=operator)
    assert oracle.totalEnergyOf(funded_asset.asset_id) == 12_345


def test_holders_pause_their_asset_through_governance(funded_asset, registry, investors):
    governor = funded_asset.governor
    calls = (
        [registry.address],
        [0],
        [registry.setAssetPaused.encode_input(funded_asset.asset_id, True)],
    )
    description = "Pause for inspection"
    governor.propose(*calls, description, sender=investors[0])
    proposal_id = governor.hashProposal(*calls, keccak(text=description))

    advance_time(DAY + 1)
    governor.castVote(proposal_id, 1, sender=investors[0])
    governor.castVote(proposal_id, 1, sender=investors[1])
    advance_time(7 * DAY + 1)
    governor.queue(*calls, keccak(text=description), sender=investors[0])
    advance_time(2 * DAY + 1)
    governor.execute(*calls, keccak(text=description), sender=investors[0])

    assert registry.isPaused(funded_asset.asset_id)
