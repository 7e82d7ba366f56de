"""AssetGovernor and AssetTimelock: snapshotted voting power, quorum and threshold, the timelock's
delay and sole proposer, and the decisions holders take on their asset through the timelock."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import pytest
from _helpers import (
    TIMELOCK_DELAY,
    VOTING_DELAY,
    VOTING_PERIOD,
    Proposal,
    Vote,
    assert_emitted,
    assert_pause_set,
    emitted,
    enact,
    pass_and_queue,
    proposal,
    reverts_with,
    set_platform_fees,
)
from ape import chain
from ape.api import AccountAPI
from ape.contracts import ContractInstance

from scripts._lib import DAY, USDC, Asset, Status, advance_time


class State(IntEnum):
    """Mirror of OpenZeppelin's `IGovernor.ProposalState`."""

    PENDING = 0
    ACTIVE = 1
    CANCELED = 2
    DEFEATED = 3
    SUCCEEDED = 4
    QUEUED = 5
    EXPIRED = 6
    EXECUTED = 7


def bitmap(position: int) -> bytes:
    """A one-state bitmap as OpenZeppelin encodes expected states (`bytes32(1 << state)`)."""
    return (1 << position).to_bytes(32, "big")


def block_timestamp(receipt: Any) -> int:
    return int(chain.blocks[receipt.block_number].timestamp)


@pytest.fixture(autouse=True, scope="module")
def _module_setup(asset: Asset) -> None:
    """Every test starts from the active asset, built before any test's snapshot."""


@pytest.fixture
def pause_proposal(asset: Asset, registry: ContractInstance) -> Proposal:
    """A proposal to pause the asset: harmless, so it serves the vote-counting tests."""
    calldata = registry.setAssetPaused.encode_input(asset.asset_id, True)
    return proposal(asset, (registry, calldata), description="Pause for inspection")


# Voting power is snapshotted at the end of the voting delay


def test_the_snapshot_is_taken_at_the_end_of_the_voting_delay(pause_proposal, investors):
    tx = pause_proposal.propose(investors[0])
    governor, proposal_id = pause_proposal.governor, pause_proposal.id
    snapshot = block_timestamp(tx) + VOTING_DELAY
    assert governor.proposalSnapshot(proposal_id) == snapshot
    assert governor.proposalDeadline(proposal_id) == snapshot + VOTING_PERIOD
    assert governor.state(proposal_id) == State.PENDING
    (created,) = emitted(tx, governor.ProposalCreated)
    assert (created["proposalId"], created["voteStart"], created["voteEnd"]) == (
        proposal_id,
        snapshot,
        snapshot + VOTING_PERIOD,
    )

    with reverts_with(
        governor.GovernorUnexpectedProposalState,
        proposalId=proposal_id,
        current=State.PENDING,
        expectedStates=bitmap(State.ACTIVE),
    ):
        pause_proposal.vote(investors[0])


def test_shares_received_during_the_voting_delay_vote(pause_proposal, asset, investors):
    token, governor = asset.token, asset.governor
    newcomer = investors[9]
    pause_proposal.propose(investors[0])
    token.transfer(newcomer, 1_000, sender=investors[0])
    advance_time(VOTING_DELAY + 1)

    tx = pause_proposal.vote(newcomer)
    assert_emitted(
        tx,
        governor.VoteCast,
        voter=newcomer,
        proposalId=pause_proposal.id,
        support=Vote.FOR,
        weight=1_000,
        reason="",
    )
    assert emitted(pause_proposal.vote(investors[0]), governor.VoteCast)[0]["weight"] == 3_000


def test_shares_received_after_the_snapshot_carry_no_votes(pause_proposal, asset, investors):
    """A "flash-borrowed" vote: shares lent to an account once voting opens give it no weight."""
    token, governor = asset.token, asset.governor
    lender, borrower = investors[0], investors[9]
    pause_proposal.propose(lender)
    advance_time(VOTING_DELAY + 1)
    snapshot = governor.proposalSnapshot(pause_proposal.id)

    token.transfer(borrower, 4_000, sender=lender)
    assert token.getVotes(borrower) == 4_000
    assert governor.getVotes(borrower, snapshot) == 0
    tx = pause_proposal.vote(borrower)
    assert emitted(tx, governor.VoteCast)[0]["weight"] == 0
    assert governor.proposalVotes(pause_proposal.id) == (0, 0, 0)

    # The lender still votes with what it held at the snapshot.
    token.transfer(lender, 4_000, sender=borrower)
    assert emitted(pause_proposal.vote(lender), governor.VoteCast)[0]["weight"] == 4_000
    assert governor.proposalVotes(pause_proposal.id) == (0, 4_000, 0)


def test_shares_bought_on_the_market_after_the_snapshot_carry_no_votes(
    pause_proposal, asset, sell_on_market, investors
):
    token, governor = asset.token, asset.governor
    seller, buyer = investors[0], investors[9]
    pause_proposal.propose(seller)
    advance_time(VOTING_DELAY + 1)

    sell_on_market(token, seller, buyer, 2_500, 60 * USDC)

    assert emitted(pause_proposal.vote(buyer), governor.VoteCast)[0]["weight"] == 0
    assert emitted(pause_proposal.vote(seller), governor.VoteCast)[0]["weight"] == 4_000


def test_a_holder_votes_only_once(pause_proposal, investors):
    pause_proposal.propose(investors[0])
    advance_time(VOTING_DELAY + 1)
    pause_proposal.vote(investors[1])
    with reverts_with(pause_proposal.governor.GovernorAlreadyCastVote, voter=investors[1]):
        pause_proposal.vote(investors[1], Vote.AGAINST)


# Quorum and outcome (quorum: 20% of 10,000 shares = 2,000)


def _outcome(p: Proposal, votes: list[tuple[AccountAPI, Vote]], proposer: AccountAPI) -> State:
    p.propose(proposer)
    advance_time(VOTING_DELAY + 1)
    for voter, support in votes:
        p.vote(voter, support)
    advance_time(VOTING_PERIOD + 1)
    return State(p.governor.state(p.id))


def test_a_proposal_below_quorum_is_defeated(pause_proposal, investors):
    governor = pause_proposal.governor
    state = _outcome(pause_proposal, [(investors[3], Vote.FOR)], investors[0])  # 1,000 for

    assert governor.quorum(governor.proposalSnapshot(pause_proposal.id)) == 2_000
    assert state == State.DEFEATED
    with reverts_with(
        governor.GovernorUnexpectedProposalState,
        proposalId=pause_proposal.id,
        current=State.DEFEATED,
        expectedStates=bitmap(State.SUCCEEDED),
    ):
        pause_proposal.queue(investors[0])


def test_exactly_the_quorum_passes(pause_proposal, investors):
    assert _outcome(pause_proposal, [(investors[2], Vote.FOR)], investors[0]) == State.SUCCEEDED


def test_abstentions_count_towards_quorum_but_not_the_outcome(pause_proposal, investors):
    votes = [(investors[2], Vote.ABSTAIN), (investors[3], Vote.FOR)]
    assert _outcome(pause_proposal, votes, investors[0]) == State.SUCCEEDED


def test_a_majority_against_defeats_the_proposal(pause_proposal, investors):
    votes = [(investors[0], Vote.AGAINST), (investors[1], Vote.FOR)]
    assert _outcome(pause_proposal, votes, investors[0]) == State.DEFEATED


def test_the_proposal_threshold_is_enforced(create_active_asset, investors):
    holdings = list(zip(investors, (9_001, 500, 499), strict=False))
    threshold_asset = create_active_asset(holdings, proposal_threshold=500)
    advance_time(1)  # the threshold is read at the previous second
    p = proposal(threshold_asset, (threshold_asset.token, b""), description="Anything")

    with reverts_with(
        threshold_asset.governor.GovernorInsufficientProposerVotes,
        proposer=investors[2],
        votes=499,
        threshold=500,
    ):
        p.propose(investors[2])
    p.propose(investors[1])  # exactly the threshold
    assert threshold_asset.governor.state(p.id) == State.PENDING


def test_no_proposal_until_the_raise_has_succeeded(create_asset, buy, sale, investors):
    """Early buyers cannot decide for an asset whose sale is open, nor for one whose sale failed."""
    funding = create_asset(symbol="FUND")
    buy(funding, investors[0], 100)
    advance_time(1)
    p = proposal(funding, (funding.token, b""), description="Decide early")
    with reverts_with(funding.governor.GovernorAssetNotActive):
        p.propose(investors[0])

    advance_time(31 * DAY)
    sale.finalize(funding.asset_id, sender=investors[0])  # the raise was missed
    with reverts_with(funding.governor.GovernorAssetNotActive):
        p.propose(investors[0])


# The timelock


def test_the_timelock_delay_is_enforced(pause_proposal, asset, registry, investors):
    governor, timelock = asset.governor, asset.timelock
    proposer, voters = investors[0], investors[:2]
    tx = pass_and_queue(pause_proposal, proposer, voters)
    eta = block_timestamp(tx) + TIMELOCK_DELAY
    assert_emitted(tx, governor.ProposalQueued, proposalId=pause_proposal.id, etaSeconds=eta)
    operation_id = emitted(tx, timelock.CallScheduled)[0]["id"]
    assert governor.proposalEta(pause_proposal.id) == eta
    assert timelock.getTimestamp(operation_id) == eta

    not_ready = {"operationId": operation_id, "expectedStates": bitmap(2)}  # OperationState.Ready
    with reverts_with(timelock.TimelockUnexpectedOperationState, **not_ready):
        pause_proposal.simulate_execute(proposer)
    chain.mine(timestamp=eta - 60)
    with reverts_with(timelock.TimelockUnexpectedOperationState, **not_ready):
        pause_proposal.simulate_execute(proposer)

    chain.mine(timestamp=eta)
    tx = pause_proposal.execute(proposer)
    assert_emitted(tx, governor.ProposalExecuted, proposalId=pause_proposal.id)
    assert governor.state(pause_proposal.id) == State.EXECUTED
    assert registry.isPaused(asset.asset_id)


def test_only_the_governor_schedules_on_the_timelock(asset, registry, investor):
    timelock = asset.timelock
    calldata = registry.setAssetPaused.encode_input(asset.asset_id, True)
    with reverts_with(
        timelock.AccessControlUnauthorizedAccount,
        account=investor,
        neededRole=timelock.PROPOSER_ROLE(),
    ):
        timelock.schedule(registry, 0, calldata, b"\x00" * 32, b"\x00" * 32, DAY, sender=investor)


def test_only_the_governor_cancels_on_the_timelock(asset, investor):
    timelock = asset.timelock
    with reverts_with(
        timelock.AccessControlUnauthorizedAccount,
        account=investor,
        neededRole=timelock.CANCELLER_ROLE(),
    ):
        timelock.cancel(b"\x01" * 32, sender=investor)


def test_only_the_timelock_itself_changes_its_delay(asset, investor):
    timelock = asset.timelock
    with reverts_with(timelock.TimelockUnauthorizedCaller, caller=investor):
        timelock.updateDelay(0, sender=investor)


# Decisions holders take on their asset


def test_holders_hand_the_asset_to_a_new_operator(
    asset, registry, deposit_revenue, operator, stranger, investors
):
    calldata = registry.setOperator.encode_input(asset.asset_id, stranger)
    p = proposal(asset, (registry, calldata), description="New operator")
    tx = enact(p, investors[0], investors[:2])

    assert_emitted(
        tx,
        registry.AssetOperatorChanged,
        assetId=asset.asset_id,
        previousOperator=operator,
        newOperator=stranger,
    )
    assert registry.operatorOf(asset.asset_id) == stranger.address
    with reverts_with(asset.token.ShareNotRevenueDepositor, caller=operator):
        deposit_revenue(asset, 100 * USDC)  # the old operator's


def test_holders_pay_a_maintenance_contractor_from_the_reserve(
    asset, usdc, deposit_revenue, stranger, investors
):
    contractor, timelock = stranger, asset.timelock
    deposit_revenue(asset, 1_000 * USDC)
    assert usdc.balanceOf(timelock) == 100 * USDC  # the 10% reserve

    calldata = usdc.transfer.encode_input(contractor, 80 * USDC)
    p = proposal(asset, (usdc, calldata), description="Pay the inverter repair")
    enact(p, investors[0], investors[:2])

    assert usdc.balanceOf(contractor) == 80 * USDC
    assert usdc.balanceOf(timelock) == 20 * USDC


def test_holders_pause_their_asset(asset, registry, pause_proposal, deposit_revenue, investors):
    tx = enact(pause_proposal, investors[0], investors[:2])

    assert_pause_set(tx, registry, asset.asset_id, by=asset.timelock, pauser=False, governance=True)
    assert registry.isPaused(asset.asset_id)
    with reverts_with(asset.token.SharePaused, assetId=asset.asset_id):
        asset.token.transfer(investors[9], 1, sender=investors[0])
    # A pause stops transfers, never revenue: the operator still pays and holders still claim.
    deposit_revenue(asset, 1_000 * USDC)
    assert asset.token.claimRevenue.call(sender=investors[3]) == 90 * USDC


def test_holders_decommission_the_asset_and_share_its_residual_value(
    asset, registry, usdc, deposit_revenue, admin, treasury, investors
):
    token, timelock = asset.token, asset.timelock
    set_platform_fees(registry, admin, 500, 0, admin)  # timelock deposits must not pay it
    deposit_revenue(asset, 1_000 * USDC)  # 50 fee, 100 reserve, 850 to holders
    residual = 10_000 * USDC
    usdc.mint(timelock, residual - 100 * USDC, sender=treasury)  # proceeds of the sold plant

    p = proposal(
        asset,
        (registry, registry.decommission.encode_input(asset.asset_id)),
        (usdc, usdc.approve.encode_input(token, residual)),
        (token, token.depositRevenue.encode_input(residual, 0)),
        description="Decommission and pay out the residual value",
    )
    tx = enact(p, investors[0], investors[:2])

    assert registry.asset(asset.asset_id).status == Status.DECOMMISSIONED
    deposit = emitted(tx, token.RevenueDeposited)[0]
    assert (deposit["depositor"], deposit["gross"], deposit["fee"], deposit["reserve"]) == (
        timelock.address,
        residual,
        0,
        0,
    )
    assert deposit["distributed"] == residual
    assert usdc.balanceOf(timelock) == 0

    for holder, shares in zip(investors, (4_000, 3_000, 2_000, 1_000), strict=False):
        owed = (850 * USDC + residual) * shares // 10_000
        assert token.claimableRevenueOf(holder) == owed
        token.claimRevenue(sender=holder)
        assert usdc.balanceOf(holder) == owed
    assert usdc.balanceOf(token) == 0


def test_an_asset_governor_cannot_act_on_another_asset(
    asset, create_asset, registry, stranger, investors
):
    other = create_asset(symbol="OTHR")
    calldata = registry.setOperator.encode_input(other.asset_id, stranger)
    p = proposal(asset, (registry, calldata), description="Take over another asset")
    pass_and_queue(p, investors[0], investors[:2])
    advance_time(TIMELOCK_DELAY + 1)

    with reverts_with(
        registry.RegistryNotAssetTimelock, caller=asset.timelock, assetId=other.asset_id
    ):
        p.simulate_execute(investors[0])
