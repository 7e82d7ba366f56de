"""Finding 2 of issue 12: the platform's governance floors hold for the life of an asset, through
the governor's and the timelock's own setters, which a passed proposal could otherwise call."""

from __future__ import annotations

import pytest
from _helpers import TIMELOCK_DELAY, Proposal, enact, pass_and_queue, proposal, reverts_with
from ape.contracts import ContractInstance

from scripts._lib import DAY, Asset, advance_time


@pytest.fixture(autouse=True, scope="module")
def _module_setup(asset: Asset) -> None:
    """Every test starts from the active asset, built before any test's snapshot."""


def _passed(asset: Asset, target: ContractInstance, calldata: bytes, investors) -> Proposal:
    """A proposal making one call from the timelock, voted, queued and past its delay."""
    p = proposal(asset, (target, calldata), description=f"Change {calldata.hex()[:8]}")
    pass_and_queue(p, investors[0], investors[:2])
    advance_time(TIMELOCK_DELAY + 1)
    return p


@pytest.mark.parametrize(
    ("setter", "value", "low", "high"),
    [
        ("setVotingDelay", 0, 3_600, 30 * DAY),
        ("setVotingPeriod", 60, DAY, 30 * DAY),
        ("setVotingDelay", 2**48 - 1, 3_600, 30 * DAY),
        ("updateQuorumNumerator", 0, 1, 50),
        ("updateQuorumNumerator", 100, 1, 50),
    ],
    ids=["zero-delay", "one-minute-period", "huge-delay", "zero-quorum", "full-quorum"],
)
def test_governance_cannot_vote_its_settings_outside_the_platform_bounds(
    asset, investors, setter, value, low, high
):
    governor = asset.governor
    calldata = getattr(governor, setter).encode_input(value)
    p = _passed(asset, governor, calldata, investors)
    with reverts_with(governor.GovernorSettingOutOfBounds, value=value, min=low, max=high):
        p.simulate_execute(investors[0])


def test_governance_cannot_set_a_threshold_above_the_supply(asset, investors):
    governor = asset.governor
    p = _passed(asset, governor, governor.setProposalThreshold.encode_input(10_001), investors)
    with reverts_with(governor.GovernorSettingOutOfBounds, value=10_001, min=0, max=10_000):
        p.simulate_execute(investors[0])


@pytest.mark.parametrize("delay", [0, 30 * DAY + 1])
def test_governance_cannot_move_the_timelock_delay_outside_the_bounds(asset, investors, delay):
    timelock = asset.timelock
    p = _passed(asset, timelock, timelock.updateDelay.encode_input(delay), investors)
    with reverts_with(timelock.TimelockDelayOutOfBounds, delay=delay, min=DAY, max=30 * DAY):
        p.simulate_execute(investors[0])


def test_governance_cannot_swap_in_a_timelock_of_its_choosing(asset, investors, create_asset):
    governor = asset.governor
    other = create_asset(symbol="OTHR")
    p = _passed(asset, governor, governor.updateTimelock.encode_input(other.timelock), investors)
    with reverts_with(governor.GovernorTimelockFixed):
        p.simulate_execute(investors[0])


def test_governance_cannot_give_an_account_the_power_to_schedule(asset, investors):
    """A proposer role for a holder would let it skip the vote, keeping only the timelock delay."""
    timelock = asset.timelock
    role = timelock.PROPOSER_ROLE()
    calldata = timelock.grantRole.encode_input(role, investors[0].address)
    p = _passed(asset, timelock, calldata, investors)
    with reverts_with(timelock.TimelockRolesFixed, role=role, account=investors[0]):
        p.simulate_execute(investors[0])


def test_governance_cannot_revoke_its_own_governor(asset, investors):
    timelock = asset.timelock
    role = timelock.PROPOSER_ROLE()
    calldata = timelock.revokeRole.encode_input(role, asset.governor.address)
    p = _passed(asset, timelock, calldata, investors)
    with reverts_with(timelock.TimelockRolesFixed, role=role, account=asset.governor):
        p.simulate_execute(investors[0])


def test_settings_within_the_bounds_still_pass(asset, investors):
    governor = asset.governor
    p = proposal(
        asset,
        (governor, governor.setVotingDelay.encode_input(2 * DAY)),
        (governor, governor.setVotingPeriod.encode_input(10 * DAY)),
        (asset.timelock, asset.timelock.updateDelay.encode_input(3 * DAY)),
        description="Slower governance",
    )
    enact(p, investors[0], investors[:2])
    assert governor.votingDelay() == 2 * DAY
    assert governor.votingPeriod() == 10 * DAY
    assert asset.timelock.getMinDelay() == 3 * DAY
