"""State machines for what issue 12 hardened: escrow across several assets with deferred and
redirected raises and cancelled sales, the two pause authorities, and registration and governance
settings against the platform's floors and ceilings.

The money invariant: every stablecoin unit is held by a buyer, a treasury or the primary sale's
escrow, and the escrow is exactly what someone can still withdraw (an open sale's raise, a failed
sale's unrefunded contributions, a succeeded sale's unpaid raise). At the end of each example every
sale is driven to its end, every refund taken and every deferred raise paid (redirected first when
its treasury is blocklisted): the escrow must then be empty, so no unit was ever stuck.

Each example snapshots the chain and restores it when done (see test_invariants.py). The number of
examples is bounded in the suite; `make fuzz` raises it (FUZZ_EXAMPLES).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from _helpers import ZERO_ADDRESS, fuzz_examples, impersonate, proposal
from ape import chain, project
from ape.api import AccountAPI
from ape.contracts import ContractInstance
from eth_utils import to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from test_invariants import Rpc

from scripts._lib import (
    DAY,
    USDC,
    Asset,
    Platform,
    SaleState,
    advance_time,
    asset_params,
    register_asset,
)

MACHINE_SETTINGS = settings(
    max_examples=fuzz_examples(3),
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
ASSETS = 3
BUYERS = 4


def _fresh(n: int) -> str:
    return to_checksum_address((0xA11CE000 + n).to_bytes(20, "big"))


# --- Escrow across several assets ---------------------------------------------------------------


@dataclass
class SaleModel:
    asset: Asset
    treasury: str
    price: int
    total: int
    min_raise: int
    end: int
    state: SaleState = SaleState.OPEN
    sold: int = 0
    raised: int = 0
    unpaid: int = 0
    paid: dict[str, int] = field(default_factory=dict)

    def escrow(self) -> int:
        if self.state == SaleState.OPEN:
            return self.raised
        if self.state == SaleState.FAILED:
            return sum(self.paid.values())
        return self.unpaid


@dataclass(frozen=True)
class EscrowWorld:
    platform: Platform
    coin: ContractInstance
    operator: AccountAPI
    admin: AccountAPI
    buyers: tuple[AccountAPI, ...]
    rpc: Rpc


class EscrowMachine(RuleBasedStateMachine):
    """Three assets' sales in one blocklist stablecoin; treasuries blocked and unblocked at random."""

    world: EscrowWorld

    def __init__(self) -> None:
        super().__init__()
        self._snapshot = chain.snapshot()
        self.sales: list[SaleModel] = []
        self.blocked: set[str] = set()
        self.fresh = 0
        self.holders: set[str] = {b.address for b in self.world.buyers}

    def teardown(self) -> None:
        try:
            if self.sales:
                self._drain_everything()
        finally:
            chain.restore(self._snapshot)

    @initialize(
        plans=st.lists(
            st.tuples(
                st.sampled_from([10, 100]),
                st.sampled_from([1, 7, USDC]),
                st.integers(1, 100),
                st.integers(1, 5),
            ),
            min_size=ASSETS,
            max_size=ASSETS,
        )
    )
    def register(self, plans: list[tuple[int, int, int, int]]) -> None:
        w = self.world
        for index, (total, price, min_percent, days) in enumerate(plans):
            treasury = _fresh(1_000 + index)
            min_raise = max(1, total * price * min_percent // 100)
            params = asset_params(
                payment_token=w.coin, treasury=treasury, symbol=f"ESC{index}", total_shares=total,
                share_price=price, duration=days * DAY, min_raise=min_raise,
            )  # fmt: skip
            asset = register_asset(w.platform, w.operator, params)
            end = int(w.platform.sale.sale(asset.asset_id).terms.end)
            self.sales.append(SaleModel(asset, treasury, price, total, min_raise, end))
            self.holders.add(treasury)

    def _now(self) -> int:
        return int(chain.blocks.head.timestamp)

    def _near_end(self, s: SaleModel) -> bool:
        """Within a minute of the window's end the next block's time is not known to the second."""
        return abs(self._now() - s.end) <= 60

    @rule(
        pick=st.integers(0, ASSETS - 1), buyer=st.integers(0, BUYERS - 1), shares=st.integers(1, 60)
    )
    def buy(self, pick: int, buyer: int, shares: int) -> None:
        s, w = self.sales[pick], self.world
        shares = min(shares, s.total - s.sold)
        if s.state != SaleState.OPEN or self._now() > s.end or shares == 0 or self._near_end(s):
            return
        account = w.buyers[buyer]
        w.platform.sale.buy(s.asset.asset_id, shares, sender=account)
        s.sold += shares
        s.raised += shares * s.price
        s.paid[account.address] = s.paid.get(account.address, 0) + shares * s.price

    @rule(pick=st.integers(0, ASSETS - 1), blocked=st.booleans())
    def blocklist_treasury(self, pick: int, blocked: bool) -> None:
        treasury = self.sales[pick].treasury
        self.world.coin.setBlocked(treasury, blocked, sender=self.world.admin)
        (self.blocked.add if blocked else self.blocked.discard)(treasury)

    @rule(seconds=st.sampled_from([60, DAY, 3 * DAY]))
    def time_passes(self, seconds: int) -> None:
        advance_time(seconds)

    @rule(pick=st.integers(0, ASSETS - 1))
    def finalize(self, pick: int) -> None:
        s = self.sales[pick]
        if s.state != SaleState.OPEN or self._near_end(s):
            return
        if self._now() <= s.end and s.sold < s.total:
            return
        self.world.platform.sale.finalize(s.asset.asset_id, sender=self.world.buyers[0])
        self._finalized(s)

    def _finalized(self, s: SaleModel) -> None:
        if s.raised >= s.min_raise:
            s.state = SaleState.SUCCEEDED
            if s.treasury in self.blocked:
                s.unpaid = s.raised
        else:
            s.state = SaleState.FAILED

    @rule(pick=st.integers(0, ASSETS - 1))
    def operator_cancels(self, pick: int) -> None:
        s = self.sales[pick]
        if s.state != SaleState.OPEN:
            return
        self.world.platform.sale.cancelSale(s.asset.asset_id, sender=self.world.operator)
        s.state = SaleState.FAILED

    @rule(pick=st.integers(0, ASSETS - 1), buyer=st.integers(0, BUYERS - 1))
    def refund(self, pick: int, buyer: int) -> None:
        s, account = self.sales[pick], self.world.buyers[buyer]
        ended_short = s.state == SaleState.OPEN and self._now() > s.end and s.raised < s.min_raise
        if not (s.state == SaleState.FAILED or ended_short) or not s.paid.get(account.address):
            return
        if ended_short and self._near_end(s):
            return
        self.world.platform.sale.refund(s.asset.asset_id, sender=account)
        s.state = SaleState.FAILED
        s.paid.pop(account.address)

    @rule(pick=st.integers(0, ASSETS - 1))
    def release(self, pick: int) -> None:
        s = self.sales[pick]
        if s.unpaid == 0 or s.treasury in self.blocked:
            return
        self.world.platform.sale.releaseRaise(s.asset.asset_id, sender=self.world.buyers[0])
        s.unpaid = 0

    @rule(pick=st.integers(0, ASSETS - 1))
    def governance_redirects(self, pick: int) -> None:
        s = self.sales[pick]
        if s.unpaid == 0:
            return
        self.fresh += 1
        s.treasury = _fresh(self.fresh)
        self.holders.add(s.treasury)
        timelock = impersonate(s.asset.timelock)
        self.world.platform.sale.redirectRaise(s.asset.asset_id, s.treasury, sender=timelock)

    @invariant()
    def every_unit_is_held_by_someone_who_can_use_or_withdraw_it(self) -> None:
        w = self.world
        escrow = int(w.coin.balanceOf(w.platform.sale))
        assert escrow == sum(s.escrow() for s in self.sales)
        held = sum(int(w.coin.balanceOf(h)) for h in self.holders)
        assert held + escrow == int(w.coin.totalSupply())
        for s in self.sales:
            on_chain = w.platform.sale.sale(s.asset.asset_id)
            assert (on_chain.state, on_chain.raised) == (s.state, s.raised)
            assert w.platform.sale.unpaidRaiseOf(s.asset.asset_id) == s.unpaid

    def _drain_everything(self) -> None:
        """Ends every sale and withdraws every unit the escrow holds: none may be stuck."""
        w = self.world
        advance_time(max(0, max(s.end for s in self.sales) - self._now()) + 3_600)
        for s in self.sales:
            if s.state == SaleState.OPEN:
                self.finalize(self.sales.index(s))
            if s.state == SaleState.FAILED:
                for buyer in range(BUYERS):
                    self.refund(self.sales.index(s), buyer)
            if s.unpaid and s.treasury in self.blocked:
                self.governance_redirects(self.sales.index(s))
            self.release(self.sales.index(s))
        assert int(w.coin.balanceOf(w.platform.sale)) == 0


@pytest.fixture
def escrow_world(platform, admin, operator, investors) -> EscrowWorld:
    coin = admin.deploy(project.MockBlocklistStablecoin)
    platform.registry.setPaymentTokenAllowed(coin, True, sender=admin)
    buyers = tuple(investors[:BUYERS])
    for buyer in buyers:
        coin.mint(buyer, 10**15, sender=buyer)
        coin.approve(platform.sale, 10**15, sender=buyer)
    return EscrowWorld(platform, coin, operator, admin, buyers, Rpc([platform.sale]))


def test_escrow_across_assets_is_never_stuck(escrow_world: EscrowWorld) -> None:
    machine = type("BoundEscrowMachine", (EscrowMachine,), {"world": escrow_world})
    run_state_machine_as_test(machine, settings=MACHINE_SETTINGS)


# --- The two pause authorities --------------------------------------------------------------------


class PauseMachine(RuleBasedStateMachine):
    """A pauser, the asset's governance and the platform pause, in any order."""

    registry: ContractInstance
    asset: Asset
    pauser: AccountAPI
    buyer: AccountAPI

    def __init__(self) -> None:
        super().__init__()
        self._snapshot = chain.snapshot()
        self.flags = {"pauser": False, "governance": False, "platform": False}
        self.timelock = impersonate(self.asset.timelock)

    def teardown(self) -> None:
        chain.restore(self._snapshot)

    @rule(who=st.sampled_from(["pauser", "governance", "platform"]), paused=st.booleans())
    def set_pause(self, who: str, paused: bool) -> None:
        if who == "platform":
            self.registry.setPlatformPaused(paused, sender=self.pauser)
        else:
            sender = self.pauser if who == "pauser" else self.timelock
            self.registry.setAssetPaused(self.asset.asset_id, paused, sender=sender)
        self.flags[who] = paused

    @invariant()
    def each_authority_lifts_only_its_own_pause(self) -> None:
        record = self.registry.asset(self.asset.asset_id)
        assert (record.paused, record.governancePaused) == (
            self.flags["pauser"],
            self.flags["governance"],
        )
        assert self.registry.isPaused(self.asset.asset_id) == any(self.flags.values())

    @invariant()
    def claims_never_stop(self) -> None:
        token = self.asset.token
        if token.claimableRevenueOf(self.buyer) > 0:
            token.claimRevenue.call(sender=self.buyer)


def test_the_two_pause_authorities(
    registry, create_active_asset, deposit_revenue, admin, investors
) -> None:
    asset = create_active_asset()
    deposit_revenue(asset, 1_000 * USDC)
    bound = {"registry": registry, "asset": asset, "pauser": admin, "buyer": investors[0]}
    machine = type("BoundPauseMachine", (PauseMachine,), bound)
    run_state_machine_as_test(machine, settings=MACHINE_SETTINGS)


# --- Registration and governance settings within the bounds -----------------------------------

BOUNDS = {
    "voting_delay": (3_600, 30 * DAY),
    "voting_period": (DAY, 30 * DAY),
    "timelock_delay": (DAY, 30 * DAY),
    "quorum_percent": (1, 50),
}


def _around(low: int, high: int, limit: int) -> st.SearchStrategy[int]:
    """Values at, just inside and just outside the bounds, and anywhere up to the type's limit."""
    edges = [0, low - 1, low, low + 1, high - 1, high, high + 1, limit]
    return st.one_of(st.sampled_from([e for e in edges if 0 <= e <= limit]), st.integers(0, limit))


@settings(
    max_examples=fuzz_examples(20), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    voting_delay=_around(3_600, 30 * DAY, 2**48 - 1),
    voting_period=_around(DAY, 30 * DAY, 2**32 - 1),
    timelock_delay=_around(DAY, 30 * DAY, 2**32 - 1),
    quorum_percent=_around(1, 50, 255),
    threshold=st.integers(0, 12_000),
    min_shares=st.integers(1, 10_000),
    duration=st.sampled_from([DAY, 365 * DAY, 365 * DAY + 1, 100 * 365 * DAY]),
)
def test_registration_accepts_exactly_the_settings_within_the_bounds(
    platform, operator, treasury, usdc, voting_delay, voting_period, timelock_delay,
    quorum_percent, threshold, min_shares, duration,
) -> None:  # fmt: skip
    registry, rpc = platform.registry, Rpc([platform.registry])
    price = 50 * USDC
    params = asset_params(
        payment_token=usdc, treasury=treasury, voting_delay=voting_delay,
        voting_period=voting_period, timelock_delay=timelock_delay, quorum_percent=quorum_percent,
        proposal_threshold=threshold, min_raise=min_shares * price, share_price=price,
        duration=duration,
    )  # fmt: skip
    values = {"voting_delay": voting_delay, "voting_period": voting_period,
              "timelock_delay": timelock_delay, "quorum_percent": quorum_percent}  # fmt: skip
    start, end = params[6][3], params[6][4]
    if duration > 365 * DAY:
        error: tuple | None = ("RegistryInvalidWindow", start, end)
    elif any(not low <= values[k] <= high for k, (low, high) in BOUNDS.items()):
        error = ("RegistryInvalidGovernance",)
    elif threshold > min_shares:
        error = ("RegistryThresholdUnreachable", threshold, min_shares)
    else:
        error = None
    if error is not None:
        rpc.expect_revert(registry.registerAsset, (params,), operator, error)
        return
    snapshot = chain.snapshot()
    try:
        asset = register_asset(platform, operator, params)
        assert asset.governor.votingDelay() == voting_delay
        assert asset.governor.votingPeriod() == voting_period
        assert asset.timelock.getMinDelay() == timelock_delay
        assert asset.governor.quorumNumerator() == quorum_percent
    finally:
        chain.restore(snapshot)


class GovernanceBoundsMachine(RuleBasedStateMachine):
    """Passed proposals and direct timelock calls try settings in and out of the bounds; the asset's
    settings always stay within them, and governance stays able to decide."""

    asset: Asset
    voters: tuple[AccountAPI, ...]

    def __init__(self) -> None:
        super().__init__()
        self._snapshot = chain.snapshot()
        self.count = 0

    def teardown(self) -> None:
        chain.restore(self._snapshot)

    def _enact(self, target: ContractInstance, calldata: bytes) -> bool:
        """Takes one call through a proposal, vote, queue and delay; whether it executed."""
        governor, timelock = self.asset.governor, self.asset.timelock
        self.count += 1
        p = proposal(self.asset, (target, calldata), description=f"Setting #{self.count}")
        p.propose(self.voters[0])
        advance_time(int(governor.votingDelay()) + 1)
        for voter in self.voters:
            p.vote(voter)
        advance_time(int(governor.votingPeriod()) + 1)
        p.queue(self.voters[0])
        advance_time(int(timelock.getMinDelay()) + 1)
        try:
            p.simulate_execute(self.voters[0])
        except Exception:  # out of bounds: the timelock refuses, nothing changes
            return False
        p.execute(self.voters[0])
        return True

    @rule(
        setting=st.sampled_from(["setVotingDelay", "setVotingPeriod", "updateQuorumNumerator"]),
        value=st.one_of(st.sampled_from([0, 59, 3_600, DAY, 30 * DAY, 30 * DAY + 1, 100]),
                        st.integers(0, 2**32 - 1)),
    )  # fmt: skip
    def governance_changes_a_setting(self, setting: str, value: int) -> None:
        governor = self.asset.governor
        name = {"setVotingDelay": "voting_delay", "setVotingPeriod": "voting_period",
                "updateQuorumNumerator": "quorum_percent"}[setting]  # fmt: skip
        low, high = BOUNDS[name]
        done = self._enact(governor, getattr(governor, setting).encode_input(value))
        assert done == (low <= value <= high)

    @rule(value=st.one_of(st.sampled_from([0, DAY - 1, DAY, 30 * DAY, 30 * DAY + 1]),
                          st.integers(0, 2**40)))  # fmt: skip
    def the_timelock_changes_its_delay(self, value: int) -> None:
        timelock = self.asset.timelock
        low, high = BOUNDS["timelock_delay"]
        done = self._enact(timelock, timelock.updateDelay.encode_input(value))
        assert done == (low <= value <= high)

    @invariant()
    def settings_stay_within_the_bounds(self) -> None:
        governor, timelock = self.asset.governor, self.asset.timelock
        for name, value in (
            ("voting_delay", governor.votingDelay()),
            ("voting_period", governor.votingPeriod()),
            ("quorum_percent", governor.quorumNumerator()),
            ("timelock_delay", timelock.getMinDelay()),
        ):
            low, high = BOUNDS[name]
            assert low <= int(value) <= high, (name, value)
        assert timelock.hasRole(timelock.PROPOSER_ROLE(), governor)
        assert timelock.hasRole(timelock.EXECUTOR_ROLE(), ZERO_ADDRESS)


def test_governance_settings_stay_within_the_bounds_for_life(
    create_active_asset, investors
) -> None:
    asset = create_active_asset()
    advance_time(1)
    bound = {"asset": asset, "voters": tuple(investors[:2])}
    machine = type("BoundGovernanceBoundsMachine", (GovernanceBoundsMachine,), bound)
    run_state_machine_as_test(
        machine,
        settings=settings(MACHINE_SETTINGS, max_examples=fuzz_examples(2), stateful_step_count=4),
    )
