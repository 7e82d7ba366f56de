"""Invariants of the energy certificates, driven by a hypothesis `RuleBasedStateMachine`.

One active asset with odd holdings; rules report production (awkward energies), move shares, claim,
transfer and retire certificates, and pause the asset. After every step, against an independent
model (each report's holders as they were at its acceptance, exact fractions):

- energy conservation: for every report, claimed + unclaimed + dust == reported, with the dust
  (what rounding leaves to nobody) below the number of holders of that moment; and over the asset,
  held + retired + unclaimed + dust == reported == the oracle's total;
- no account ever claims more than its exact pro-rata part of a report (and it claims all of its
  rounded-down part);
- certificate balances, supplies and retirements equal the model's.

Each example takes a chain snapshot and restores it (see test_invariants.py for why). The suite
runs few examples; `make fuzz` runs FUZZ_EXAMPLES of them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

import pytest
from _certificates import Reporter
from _helpers import fuzz_examples
from ape import chain
from ape.api import AccountAPI
from ape.contracts import ContractInstance
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from scripts._lib import Asset

HOLDINGS = (3_001, 2_503, 1_777, 613, 29)  # 7,923 shares: divides almost nothing evenly
ENERGIES = st.one_of(
    st.sampled_from([0, 1, 2, 7_922, 7_923, 7_924, 10**6 + 1]), st.integers(0, 10**12)
)
MACHINE_SETTINGS = settings(
    max_examples=fuzz_examples(6),
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Issued:
    report_id: int
    token_id: int
    energy: int
    balances: dict[str, int]  # the holders at the report's acceptance
    supply: int

    def exact(self, account: str) -> Fraction:
        return Fraction(self.energy * self.balances.get(account, 0), self.supply)


@dataclass(frozen=True)
class World:
    asset: Asset
    certificates: ContractInstance
    oracle: ContractInstance
    registry: ContractInstance
    admin: AccountAPI
    actors: tuple[AccountAPI, ...]  # the first len(HOLDINGS) hold shares, the others none
    report: Reporter


class CertificateMachine(RuleBasedStateMachine):
    world: World  # bound by the test

    def __init__(self) -> None:
        super().__init__()
        self._snapshot = chain.snapshot()
        w = self.world
        self.by_address = {a.address: a for a in w.actors}
        self.addresses = list(self.by_address)
        self.shares: dict[str, int] = dict(zip(self.addresses, HOLDINGS, strict=False))
        self.issued: list[Issued] = []
        self.claimed: defaultdict[tuple[int, str], int] = defaultdict(int)
        self.held: defaultdict[tuple[str, int], int] = defaultdict(int)
        self.retired: defaultdict[int, int] = defaultdict(int)
        self.base_energy = int(w.oracle.totalEnergyOf(w.asset.asset_id))
        self.paused = False

    def teardown(self) -> None:
        chain.restore(self._snapshot)

    def _actor(self, pick: int) -> str:
        return self.addresses[pick % len(self.addresses)]

    def _entitlement(self, issued: Issued, account: str) -> int:
        exact = issued.exact(account)
        return exact.numerator // exact.denominator

    # Rules

    @rule(energy=ENERGIES, hours=st.integers(1, 3))
    def report(self, energy: int, hours: int) -> None:
        w = self.world
        w.report(w.asset, energy, hours=hours)
        report_id = int(w.oracle.reportCount())
        token_id = int(w.certificates.issuance(report_id).id)
        supply = sum(self.shares.values())
        self.issued.append(Issued(report_id, token_id, energy, dict(self.shares), supply))

    @precondition(lambda self: not self.paused)
    @rule(sender=st.integers(0, 9), recipient=st.integers(0, 9), part=st.floats(0.01, 1))
    def move_shares(self, sender: int, recipient: int, part: float) -> None:
        source = self._actor(sender)
        if self.shares.get(source, 0) == 0:
            return
        value = max(1, int(self.shares[source] * part))
        target = self._actor(recipient)
        self.world.asset.token.transfer(target, value, sender=self.by_address[source])
        self.shares[source] -= value
        self.shares[target] = self.shares.get(target, 0) + value

    @precondition(lambda self: bool(self.issued))
    @rule(who=st.integers(0, 9), picks=st.lists(st.integers(0, 50), min_size=1, max_size=3))
    def claim(self, who: int, picks: list[int]) -> None:
        account = self._actor(who)
        chosen: list[Issued] = []
        for pick in picks:
            issued = self.issued[pick % len(self.issued)]
            owed = self._entitlement(issued, account) - self.claimed[(issued.report_id, account)]
            if owed > 0 and issued not in chosen:
                chosen.append(issued)
        if not chosen:
            return
        self.world.certificates.claim(
            [i.report_id for i in chosen], sender=self.by_address[account]
        )
        for issued in chosen:
            amount = self._entitlement(issued, account)
            self.claimed[(issued.report_id, account)] = amount
            self.held[(account, issued.token_id)] += amount

    def _holding(self, who: int, pick: int) -> tuple[str, int, int] | None:
        account = self._actor(who)
        owned = sorted(t for (a, t), v in self.held.items() if a == account and v > 0)
        if not owned:
            return None
        token_id = owned[pick % len(owned)]
        return account, token_id, self.held[(account, token_id)]

    @precondition(lambda self: not self.paused)
    @rule(
        who=st.integers(0, 9), to=st.integers(0, 9), pick=st.integers(0, 50), part=st.floats(0, 1)
    )
    def transfer_certificates(self, who: int, to: int, pick: int, part: float) -> None:
        holding = self._holding(who, pick)
        if holding is None:
            return
        account, token_id, balance = holding
        value = int(balance * part)
        target = self._actor(to)
        self.world.certificates.safeTransferFrom(
            account, target, token_id, value, b"", sender=self.by_address[account]
        )
        self.held[(account, token_id)] -= value
        self.held[(target, token_id)] += value

    @rule(who=st.integers(0, 9), pick=st.integers(0, 50), part=st.floats(0.01, 1))
    def retire(self, who: int, pick: int, part: float) -> None:
        holding = self._holding(who, pick)
        if holding is None:
            return
        account, token_id, balance = holding
        value = max(1, int(balance * part))
        self.world.certificates.retire(
            token_id, value, "Beneficiary", "purpose", "PT", sender=self.by_address[account]
        )
        self.held[(account, token_id)] -= value
        self.retired[token_id] += value

    @rule()
    def toggle_pause(self) -> None:
        w = self.world
        self.paused = not self.paused
        w.registry.setAssetPaused(w.asset.asset_id, self.paused, sender=w.admin)

    # Invariants

    @invariant()
    def every_report_is_conserved_and_split_pro_rata(self) -> None:
        certificates = self.world.certificates
        for issued in self.issued:
            claimed = claimable = 0
            holders = [a for a, v in issued.balances.items() if v > 0]
            for account in self.addresses:
                on_chain = int(certificates.claimedOf(account, issued.report_id))
                assert on_chain == self.claimed[(issued.report_id, account)]
                assert on_chain <= issued.exact(account)
                entitlement = int(certificates.entitlementOf(account, issued.report_id))
                assert entitlement == self._entitlement(issued, account)
                claimed += on_chain
                claimable += entitlement - on_chain
            dust = issued.energy - claimed - claimable
            assert 0 <= dust < max(len(holders), 1) or (issued.energy == 0 and dust == 0)

    @invariant()
    def the_asset_is_conserved(self) -> None:
        w = self.world
        reported = int(w.oracle.totalEnergyOf(w.asset.asset_id)) - self.base_energy
        assert reported == sum(i.energy for i in self.issued)
        held = retired = unclaimed = dust = 0
        for token_id in {i.token_id for i in self.issued}:
            held += int(w.certificates.totalSupply(token_id))
            retired += int(w.certificates.retiredEnergyOf(token_id))
            assert int(w.certificates.retiredEnergyOf(token_id)) == self.retired[token_id]
        for issued in self.issued:
            owed = sum(self._entitlement(issued, a) for a in self.addresses)
            unclaimed += owed - sum(self.claimed[(issued.report_id, a)] for a in self.addresses)
            dust += issued.energy - owed
        assert held + retired + unclaimed + dust == reported
        for (account, token_id), value in self.held.items():
            assert int(w.certificates.balanceOf(account, token_id)) == value


@pytest.fixture
def world(create_active_asset, certificates, oracle, registry, admin, operator, investors) -> World:
    holders = list(zip(investors, HOLDINGS, strict=False))
    asset = create_active_asset(holders)
    return World(
        asset=asset,
        certificates=certificates,
        oracle=oracle,
        registry=registry,
        admin=admin,
        actors=tuple(investors[:7]),
        report=Reporter(oracle, admin, operator),
    )


def test_certificates_are_conserved_and_pro_rata_through_random_actions(world: World) -> None:
    machine = type("BoundCertificateMachine", (CertificateMachine,), {"world": world})
    run_state_machine_as_test(machine, settings=MACHINE_SETTINGS)
