"""ShareToken revenue distribution: deposits, fee and reserve split, pro-rata claims, rounding.

Holdings in the module asset: 4,000 / 3,000 / 2,000 / 1,000 shares (40 / 30 / 20 / 10 percent), with
the default 10% maintenance reserve, so a 1,000 USDC operator deposit distributes 900 USDC.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _helpers import (
    ZERO_ADDRESS,
    assert_emitted,
    delegate,
    impersonate,
    reverts_with,
    set_platform_fees,
)
from ape import accounts
from ape.api import AccountAPI
from ape.contracts import ContractInstance

from scripts._lib import DAY, USDC, Asset, advance_time

MAGNITUDE = 2**128
BPS = 10_000
SUPPLY = 10_000
METER_KEY = "0x" + "42" * 32


@pytest.fixture
def fee_recipient(registry: ContractInstance, admin: AccountAPI) -> AccountAPI:
    """Receives a 2.5% platform fee on revenue deposits from now on."""
    recipient = accounts.test_accounts[20]
    set_platform_fees(registry, admin, 250, 0, recipient)
    return recipient


def split(gross: int, fee_bps: int, reserve_bps: int) -> tuple[int, int, int]:
    """The contract's split of an operator deposit: fee, reserve, distributed (both rounded up)."""
    fee = -(-gross * fee_bps // BPS)
    reserve = min(-(-gross * reserve_bps // BPS), gross - fee)
    return fee, reserve, gross - fee - reserve


def owed(total_distributed: int, shares: int, supply: int) -> int:
    """What `shares` earned from `total_distributed`, rounded as the contract rounds it."""
    return total_distributed * MAGNITUDE // supply * shares // MAGNITUDE


# --- deposits --------------------------------------------------------------------------------


def test_operator_deposit_pays_fee_and_reserve_and_distributes_the_rest(
    asset, token, deposit_revenue, usdc, operator, fee_recipient
):
    gross = 1_234_567_891
    fee, reserve, distributed = split(gross, 250, 1_000)
    receipt = deposit_revenue(asset, gross)
    per_share = distributed * MAGNITUDE // SUPPLY
    assert_emitted(
        receipt,
        token.RevenueDeposited,
        depositId=1,
        depositor=operator,
        productionReportId=0,
        gross=gross,
        fee=fee,
        reserve=reserve,
        distributed=distributed,
        magnifiedRevenuePerShare=per_share,
    )
    assert usdc.balanceOf(fee_recipient) == fee
    assert usdc.balanceOf(asset.timelock) == reserve
    assert usdc.balanceOf(token) == distributed
    assert usdc.balanceOf(operator) == 0
    assert token.totalRevenueDistributed() == distributed
    assert token.magnifiedRevenuePerShare() == per_share


def test_the_accumulator_carries_each_division_remainder(asset, token, deposit_revenue):
    amounts = (1_234_567_891, 987_654_321, 3)
    total = 0
    for deposit_id, gross in enumerate(amounts, start=1):
        distributed = split(gross, 0, 1_000)[2]
        total += distributed
        receipt = deposit_revenue(asset, gross)
        log = receipt.events.filter(token.RevenueDeposited)[0]
        assert log.depositId == deposit_id
        assert log.magnifiedRevenuePerShare == total * MAGNITUDE // SUPPLY
    assert token.totalRevenueDistributed() == total


def test_no_fee_is_taken_while_the_platform_fee_is_zero(
    asset, token, deposit_revenue, usdc, registry
):
    before = usdc.balanceOf(registry.feeRecipient())
    receipt = deposit_revenue(asset, 1_000 * USDC)
    log = receipt.events.filter(token.RevenueDeposited)[0]
    assert (log.fee, log.reserve, log.distributed) == (0, 100 * USDC, 900 * USDC)
    assert usdc.balanceOf(registry.feeRecipient()) == before


def test_timelock_deposit_is_distributed_whole(
    asset, token, deposit_revenue, usdc, investors, fee_recipient
):
    timelock = impersonate(asset.timelock)
    receipt = deposit_revenue(asset, 1_000 * USDC, depositor=timelock)
    assert_emitted(
        receipt,
        token.RevenueDeposited,
        depositId=1,
        depositor=timelock,
        productionReportId=0,
        gross=1_000 * USDC,
        fee=0,
        reserve=0,
        distributed=1_000 * USDC,
        magnifiedRevenuePerShare=1_000 * USDC * MAGNITUDE // SUPPLY,
    )
    assert usdc.balanceOf(fee_recipient) == 0
    assert token.claimableRevenueOf(investors[0]) == 400 * USDC


def test_deposits_follow_the_operator_and_reserve_set_by_governance(
    asset, token, deposit_revenue, registry, operator, stranger
):
    timelock = impersonate(asset.timelock)
    registry.setOperator(asset.asset_id, stranger, sender=timelock)
    registry.setReserveBps(asset.asset_id, 2_500, sender=timelock)
    with reverts_with(token.ShareNotRevenueDepositor, caller=operator):
        token.depositRevenue(1_000, 0, sender=operator)
    receipt = deposit_revenue(asset, 1_000 * USDC, depositor=stranger)
    log = receipt.events.filter(token.RevenueDeposited)[0]
    assert (log.depositor, log.reserve, log.distributed) == (stranger, 250 * USDC, 750 * USDC)


@pytest.mark.parametrize("caller_name", ["stranger", "admin", "investor"])
def test_deposit_reverts_for_anyone_but_the_operator_or_timelock(request, token, caller_name):
    caller = request.getfixturevalue(caller_name)
    with reverts_with(token.ShareNotRevenueDepositor, caller=caller):
        token.depositRevenue(1_000, 0, sender=caller)


@pytest.mark.parametrize("outcome", ["funding", "failed"])
def test_deposit_reverts_unless_the_sale_succeeded(
    create_asset, buy, sale, deposit_revenue, investor, outcome
):
    unsold = create_asset()
    buy(unsold, investor, 10)
    if outcome == "failed":
        advance_time(31 * DAY)
        sale.finalize(unsold.asset_id, sender=investor)
    with reverts_with(unsold.token.ShareRevenueNotAccepted, assetId=unsold.asset_id):
        deposit_revenue(unsold, 1_000)


def test_deposit_is_accepted_after_decommissioning(asset, token, deposit_revenue, registry):
    registry.decommission(asset.asset_id, sender=impersonate(asset.timelock))
    deposit_revenue(asset, 1_000 * USDC)
    assert token.totalRevenueDistributed() == 900 * USDC


def test_deposit_of_zero_reverts(token, operator):
    with reverts_with(token.ShareZeroRevenue):
        token.depositRevenue(0, 0, sender=operator)


# --- claims ----------------------------------------------------------------------------------


def test_holders_claim_their_pro_rata_share(asset, token, deposit_revenue, usdc, investors):
    deposit_revenue(asset, 1_000 * USDC)
    for holder, expected in zip(investors, (360, 270, 180, 90), strict=False):
        assert token.claimableRevenueOf(holder) == expected * USDC
        assert token.claimRevenue.call(sender=holder) == expected * USDC
        receipt = token.claimRevenue(sender=holder)
        assert_emitted(
            receipt,
            token.RevenueClaimed,
            account=holder,
            recipient=holder,
            amount=expected * USDC,
            totalClaimed=expected * USDC,
        )
        assert usdc.balanceOf(holder) == expected * USDC
        assert token.claimedRevenueOf(holder) == expected * USDC
        assert token.claimableRevenueOf(holder) == 0
    assert usdc.balanceOf(token) == 0


def test_total_claimed_accumulates_across_deposits(asset, token, deposit_revenue, investors):
    holder = investors[1]
    deposit_revenue(asset, 1_000 * USDC)
    token.claimRevenue(sender=holder)
    deposit_revenue(asset, 2_000 * USDC)
    receipt = token.claimRevenue(sender=holder)
    assert_emitted(
        receipt,
        token.RevenueClaimed,
        account=holder,
        recipient=holder,
        amount=540 * USDC,
        totalClaimed=810 * USDC,
    )


def test_claim_reverts_when_nothing_is_owed(asset, token, deposit_revenue, investors, stranger):
    with reverts_with(token.ShareNothingToClaim, account=investors[0]):
        token.claimRevenue(sender=investors[0])  # no deposit yet
    deposit_revenue(asset, 1_000 * USDC)
    with reverts_with(token.ShareNothingToClaim, account=stranger):
        token.claimRevenue(sender=stranger)  # holds no share
    token.claimRevenue(sender=investors[0])
    with reverts_with(token.ShareNothingToClaim, account=investors[0]):
        token.claimRevenue(sender=investors[0])  # already claimed


def test_holders_earn_whatever_they_do_with_their_votes(asset, token, deposit_revenue, investors):
    delegate(token, investors[1], investors[0])
    delegate(token, ZERO_ADDRESS, investors[3])
    deposit_revenue(asset, 1_000 * USDC)
    assert token.claimableRevenueOf(investors[0]) == 360 * USDC
    assert token.claimableRevenueOf(investors[3]) == 90 * USDC


@pytest.mark.parametrize("venue", ["transfer", "market"])
def test_shares_bought_after_a_deposit_do_not_earn_it(
    asset, token, deposit_revenue, sell_on_market, investors, stranger, venue
):
    seller = investors[0]
    deposit_revenue(asset, 1_000 * USDC)
    if venue == "transfer":
        token.transfer(stranger, 1_000, sender=seller)
    else:
        sell_on_market(token, seller, stranger, 1_000, 55 * USDC)
    assert token.claimableRevenueOf(stranger) == 0
    with reverts_with(token.ShareNothingToClaim, account=stranger):
        token.claimRevenue(sender=stranger)
    assert token.claimableRevenueOf(seller) == 360 * USDC
    # The next deposit is shared by the new holdings: 3,000 / 1,000 of 10,000.
    deposit_revenue(asset, 1_000 * USDC)
    assert token.claimableRevenueOf(seller) == (360 + 270) * USDC
    assert token.claimableRevenueOf(stranger) == 90 * USDC


def test_claims_keep_working_after_transfers(asset, token, deposit_revenue, usdc, investors):
    first, second = investors[0], investors[1]
    deposit_revenue(asset, 1_000 * USDC)
    token.claimRevenue(sender=first)
    token.transfer(second, 2_000, sender=first)  # now 2,000 and 5,000 shares
    deposit_revenue(asset, 1_000 * USDC)
    token.claimRevenue(sender=first)
    token.claimRevenue(sender=second)
    assert usdc.balanceOf(first) == (360 + 180) * USDC
    assert usdc.balanceOf(second) == (270 + 450) * USDC
    assert token.claimedRevenueOf(second) == 720 * USDC


@pytest.mark.parametrize("scope", ["asset", "platform"])
def test_pause_never_blocks_claims(
    asset, token, deposit_revenue, pause, registry, usdc, investors, scope
):
    deposit_revenue(asset, 1_000 * USDC)
    pause(asset, scope)
    assert registry.isPaused(asset.asset_id)
    token.claimRevenue(sender=investors[2])
    assert usdc.balanceOf(investors[2]) == 180 * USDC
    # Revenue keeps coming in while paused, and is claimable too.
    deposit_revenue(asset, 1_000 * USDC)
    token.claimRevenue(sender=investors[2])
    assert usdc.balanceOf(investors[2]) == 360 * USDC


# --- production reports ----------------------------------------------------------------------


@pytest.fixture
def report_id(asset: Asset, report_production: Callable[[Asset, str, int], int]) -> int:
    """A production report of the module asset."""
    return report_production(asset, METER_KEY, 4_200)


def test_deposit_for_a_production_report_names_it(asset, token, deposit_revenue, report_id):
    receipt = deposit_revenue(asset, 1_000 * USDC, report_id)
    assert receipt.events.filter(token.RevenueDeposited)[0].productionReportId == report_id


def test_a_production_report_is_paid_for_once(asset, token, deposit_revenue, report_id):
    deposit_revenue(asset, 1_000 * USDC, report_id)
    with reverts_with(token.ShareProductionAlreadyPaid, reportId=report_id):
        deposit_revenue(asset, 1_000 * USDC, report_id)


def test_deposit_for_an_unknown_report_reverts(asset, token, deposit_revenue, report_id):
    with reverts_with(token.ShareUnknownProductionReport, reportId=report_id + 1):
        deposit_revenue(asset, 1_000 * USDC, report_id + 1)


def test_deposit_for_another_assets_report_reverts(
    asset, token, deposit_revenue, create_asset, report_production
):
    foreign_report = report_production(create_asset(), "0x" + "43" * 32, 4_200)
    with reverts_with(token.ShareUnknownProductionReport, reportId=foreign_report):
        deposit_revenue(asset, 1_000 * USDC, foreign_report)


# --- rounding --------------------------------------------------------------------------------


def test_rounding_never_pays_out_more_than_was_distributed(
    create_active_asset, deposit_revenue, usdc, investors
):
    holders = investors[:3]
    shares = (3, 5, 11)
    odd = create_active_asset(list(zip(holders, shares, strict=True)), reserve_bps=0)
    token, supply, total = odd.token, sum(shares), 0

    def check() -> None:
        paid = [token.claimedRevenueOf(h) + token.claimableRevenueOf(h) for h in holders]
        assert paid == [owed(total, s, supply) for s in shares]
        assert total - len(holders) < sum(paid) <= total
        assert usdc.balanceOf(token) == total - sum(token.claimedRevenueOf(h) for h in holders)

    for amount in (1, 7, 1_000_001):
        deposit_revenue(odd, amount)
        total += amount
        check()
        if token.claimableRevenueOf(holders[2]):
            token.claimRevenue(sender=holders[2])
            check()
    assert total == 1_000_009 and total % supply == 1  # one unit of dust is left over...
    deposit_revenue(
        odd, 18
    )  # ...and is paid out once the deposits add up to whole units per share.
    total += 18
    for holder in holders:
        token.claimRevenue(sender=holder)
    assert sum(token.claimedRevenueOf(h) for h in holders) == total
    assert usdc.balanceOf(token) == 0
