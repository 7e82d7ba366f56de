"""Property and invariant tests for the money paths: revenue accumulator, market and primary sale.

`test_revenue_accounting_holds_through_random_actions` drives one funded asset with a hypothesis
`RuleBasedStateMachine` (deposits, transfers, claims, market list/fill/cancel, delegations, the
passing of time and unauthorized attempts) and after every step compares the chain with an
independent Python model: the exact integer accumulator, exact pro-rata shares as fractions,
every stablecoin balance, every vote. `test_failed_sale_refunds_every_buyer_exactly` runs random
primary sales that miss (or meet) their minimum.

Isolation: ape snapshots the chain around each test function, not around each hypothesis example,
so each example takes its own snapshot and restores it when done (`chain.isolate()` would do, but
it swallows exceptions, failed assertions included). Speed: ape-foundry traces and prints every
failing transaction or call (0.05-0.15 s each, even with conftest.py's test-account cache) and
every ape read costs a few ms, so the checked values are read in one JSON-RPC batch per step and
expected reverts are probed with a raw `eth_call` (same state, same revert data, compared here
with `encode_error` of _helpers.py). Every state change goes through ape.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import pytest
from _helpers import (
    ZERO_ADDRESS,
    delegate,
    describe_revert,
    encode_error,
    fuzz_examples,
    impersonate,
    set_platform_fees,
)
from ape import chain
from ape.api import AccountAPI
from ape.contracts import ContractInstance
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address
from ethpm_types.abi import ErrorABI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from scripts._lib import DAY, USDC, Asset, SaleState, Status, advance_time

MAGNITUDE = 2**128
BPS = 10_000
FEE_RECIPIENT = to_checksum_address("0x" + "fe" * 20)
# Odd holdings, so the supply (7,923) divides almost nothing evenly.
HOLDINGS = (3_001, 2_503, 1_777, 613, 29)
AWKWARD_AMOUNTS = (1, 2, 7, 13, 7_922, 7_923, 7_924, 10**6 + 1)

MACHINE_SETTINGS = settings(
    max_examples=fuzz_examples(12),
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
SALE_SETTINGS = settings(
    max_examples=fuzz_examples(10), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# --- Talking to the node ---------------------------------------------------------------------


def _calldata(signature: str, *words: str | int) -> bytes:
    """Calldata for a view taking only addresses and integers."""
    types = ["address" if isinstance(w, str) else "uint256" for w in words]
    return function_signature_to_4byte_selector(signature) + encode(types, list(words))


class Rpc:
    """Batched reads and revert probes against the test node, checking revert data itself."""

    def __init__(self, contracts: Sequence[ContractInstance]) -> None:
        self._provider = chain.provider.web3.provider
        self._errors: dict[str, ErrorABI] = {}
        for contract in contracts:
            for abi in contract.contract_type.abi:
                if isinstance(abi, ErrorABI):
                    known = self._errors.setdefault(abi.name, abi)
                    assert known.selector == abi.selector, f"two errors named {abi.name}"

    def results(self, calls: Sequence[tuple[str, bytes]]) -> list[bytes]:
        """Runs `eth_call`s (target, calldata) in one JSON-RPC batch; returns their raw results."""
        batch = [
            ("eth_call", [{"to": to, "data": "0x" + data.hex()}, "latest"]) for to, data in calls
        ]
        responses = self._provider.make_batch_request(batch)
        assert isinstance(responses, list), responses
        return [bytes.fromhex(r["result"][2:]) for r in responses]

    def revert_data(self, method: Any, args: tuple, sender: Any) -> bytes:
        """The raw revert data of an ape contract method called with `args` from `sender`; fails
        if the call succeeds."""
        tx = {
            "from": str(getattr(sender, "address", sender)),
            "to": str(method.contract.address),
            "data": "0x" + bytes(method.encode_input(*args)).hex(),
        }
        error = self._provider.make_request("eth_call", [tx, "latest"]).get("error")
        assert error is not None, f"{method}{args} from {tx['from']} did not revert"
        return bytes.fromhex(str(error.get("data", "0x"))[2:])

    def expect_revert(self, method: Any, args: tuple, sender: Any, error: tuple) -> None:
        """Asserts that `method` called with `args` from `sender` fails with exactly `error`:
        the error's name, then every argument."""
        name, *values = error
        expected = encode_error(self._errors[name], values)
        actual = self.revert_data(method, args, sender)
        assert actual == expected, f"{method}{args}: {error} != {self.describe(actual)}"

    def describe(self, data: bytes) -> str:
        """Revert data as `Name(argument=value, ...)`, or as hex for an unknown error."""
        return describe_revert(data, self._errors.values())


def _address_word(word: int) -> str:
    return to_checksum_address(word.to_bytes(20, "big"))


# --- The model -------------------------------------------------------------------------------


@dataclass
class RevenueModel:
    """ShareToken's revenue accounting rebuilt from its specification, plus exact pro-rata shares.

    `fair` is what each account is owed with unbounded precision: every deposit split by the
    balances at that moment. The accumulator may round each account down by at most one unit.
    """

    supply: int
    balances: dict[str, int]
    per_share: int = 0
    remainder: int = 0
    distributed: int = 0
    corrections: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    claimed: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    fair: defaultdict[str, Fraction] = field(default_factory=lambda: defaultdict(Fraction))

    def deposit(self, distributed: int) -> None:
        magnified = distributed * MAGNITUDE + self.remainder
        self.per_share += magnified // self.supply
        self.remainder = magnified % self.supply
        self.distributed += distributed
        for account, balance in self.balances.items():
            self.fair[account] += Fraction(distributed * balance, self.supply)

    def transfer(self, sender: str, recipient: str, value: int) -> None:
        self.corrections[sender] += self.per_share * value
        self.corrections[recipient] -= self.per_share * value
        self.balances[sender] -= value
        self.balances[recipient] = self.balances.get(recipient, 0) + value

    def claimable(self, account: str) -> int:
        magnified = self.per_share * self.balances.get(account, 0) + self.corrections[account]
        return magnified // MAGNITUDE - self.claimed[account]

    def claim(self, account: str) -> int:
        amount = self.claimable(account)
        self.claimed[account] += amount
        return amount


@dataclass
class Listing:
    seller: str
    remaining: int
    price: int
    expires_at: int


@dataclass(frozen=True)
class World:
    """Everything the revenue machine acts on, set up once per test and snapshotted per example."""

    asset: Asset
    registry: ContractInstance
    market: ContractInstance
    usdc: ContractInstance
    admin: AccountAPI
    operator: AccountAPI
    stranger: AccountAPI
    timelock: AccountAPI  # impersonated: stands for a governance decision
    actors: tuple[AccountAPI, ...]  # the first len(HOLDINGS) bought in the sale, the rest did not
    usdc_balances: dict[str, int]
    listing_count: int
    rpc: Rpc

    @property
    def token(self) -> ContractInstance:
        return self.asset.token


# --- The revenue state machine ----------------------------------------------------------------

PICK = st.integers(min_value=0, max_value=10_000)
AMOUNTS = st.one_of(st.sampled_from(AWKWARD_AMOUNTS), st.integers(1, 10**6), st.integers(1, 10**13))
MISTAKES = st.sampled_from((*("none",) * 6, "closed", "overfill", "lowball", "self_fill"))
UNAUTHORIZED = (
    "stranger_deposits",
    "holder_deposits",
    "stranger_mints",
    "operator_mints",
    "stranger_burns",
    "stranger_activates",
    "stranger_claims",
    "stranger_transfers",
    "stranger_pulls_shares",
    "holder_overspends",
    "stranger_lists",
    "stranger_sets_reserve",
    "operator_sets_fees",
    "stranger_reports_sale",
    "stranger_reinitializes",
)


def _unauthorized_attempts(w: World, holder: str, balance: int, far: int) -> dict[str, tuple]:
    """Name -> (method, args, caller, expected error) for actions a caller must not get through."""
    t, s, op, aid = w.token, w.stranger.address, w.operator.address, w.asset.asset_id
    admin_role = b"\x00" * 32
    return {
        "stranger_deposits": (t.depositRevenue, (1_000, 0), s, ("ShareNotRevenueDepositor", s)),
        "holder_deposits": (t.depositRevenue, (7, 0), holder, ("ShareNotRevenueDepositor", holder)),
        "stranger_mints": (t.mint, (s, 1), s, ("ShareNotPrimarySale", s)),
        "operator_mints": (t.mint, (op, 1), op, ("ShareNotPrimarySale", op)),
        "stranger_burns": (t.burn, (holder, 1), s, ("ShareNotPrimarySale", s)),
        "stranger_activates": (t.activate, (), s, ("ShareNotPrimarySale", s)),
        "stranger_claims": (t.claimRevenue, (), s, ("ShareNothingToClaim", s)),
        "stranger_transfers": (t.transfer, (holder, 1), s, ("ERC20InsufficientBalance", s, 0, 1)),
        "stranger_pulls_shares": (
            t.transferFrom, (holder, s, 1), s, ("ERC20InsufficientAllowance", s, 0, 1)
        ),
        "holder_overspends": (
            t.transfer, (s, balance + 1), holder,
            ("ERC20InsufficientBalance", holder, balance, balance + 1),
        ),
        "stranger_lists": (
            w.market.list, (t, 1, 1, far), s, ("MarketSellerBalanceTooLow", s, 0, 1)
        ),
        "stranger_sets_reserve": (
            w.registry.setReserveBps, (aid, 0), s, ("RegistryNotAssetTimelock", s, aid)
        ),
        "operator_sets_fees": (
            w.registry.setPlatformFees, (0, 0, op), op,
            ("AccessControlUnauthorizedAccount", op, admin_role),
        ),
        "stranger_reports_sale": (
            w.registry.recordSaleOutcome, (aid, False), s, ("RegistryNotPrimarySale", s)
        ),
        "stranger_reinitializes": (
            t.initialize, ("X", "X", aid, ZERO_ADDRESS, w.usdc), s, ("InvalidInitialization",)
        ),
    }  # fmt: skip


class RevenueMachine(RuleBasedStateMachine):
    """One active asset, ten actors (five holders); every rule acts on the chain and the model."""

    world: World  # bound by the test before running

    def __init__(self) -> None:
        super().__init__()
        self._snapshot = chain.snapshot()
        w = self.world
        self.by_address = {a.address: a for a in w.actors}
        self.addresses = list(self.by_address)
        balances = dict(zip(self.addresses, HOLDINGS, strict=False))
        self.model = RevenueModel(supply=sum(HOLDINGS), balances=balances)
        self.delegates = {a: (a if a in balances else ZERO_ADDRESS) for a in self.addresses}
        self.abstains: set[str] = set()
        self.allowance: defaultdict[str, int] = defaultdict(int)  # shares, to the market
        self.usdc: defaultdict[str, int] = defaultdict(int, w.usdc_balances)
        self.listings: dict[int, Listing] = {}
        self.listing_count = w.listing_count
        self.fee_bps = self.reserve_bps = self.market_fee_bps = 0
        self._seen: dict[str, Any] | None = None

    def teardown(self) -> None:
        chain.restore(self._snapshot)

    # Helpers

    def _actor(self, pick: int) -> str:
        return self.addresses[pick % len(self.addresses)]

    def _holder(self, pick: int) -> str:
        holders = [a for a in self.addresses if self.model.balances.get(a, 0) > 0]
        return holders[pick % len(holders)]

    def _listing(self, pick: int) -> tuple[int, Listing]:
        listing_id = sorted(self.listings)[pick % len(self.listings)]
        return listing_id, self.listings[listing_id]

    def _move_shares(self, sender: str, recipient: str, value: int) -> None:
        if self.delegates[recipient] == ZERO_ADDRESS and recipient not in self.abstains:
            self.delegates[recipient] = recipient  # a first receipt self-delegates
        self.model.transfer(sender, recipient, value)
        self._seen = None

    def _pay(self, payer: str, payee: str, amount: int) -> None:
        self.usdc[payer] -= amount
        self.usdc[payee] += amount
        self._seen = None

    @staticmethod
    def _now() -> int:
        return int(chain.blocks.head.timestamp)

    # Rules

    @initialize(
        fee_bps=st.sampled_from([0, 1, 250, 999, 1_000]),
        reserve_bps=st.sampled_from([0, 1, 1_000, 3_333, 5_000]),
        market_fee_bps=st.sampled_from([0, 30, 1_000]),
        first_deposit=AMOUNTS,
    )
    def set_fees_and_deposit(
        self, fee_bps: int, reserve_bps: int, market_fee_bps: int, first_deposit: int
    ) -> None:
        """Random platform fees and asset reserve, then a first deposit, so claims have a target."""
        w = self.world
        set_platform_fees(w.registry, w.admin, fee_bps, market_fee_bps, FEE_RECIPIENT)
        w.registry.setReserveBps(w.asset.asset_id, reserve_bps, sender=w.timelock)
        self.fee_bps, self.reserve_bps, self.market_fee_bps = fee_bps, reserve_bps, market_fee_bps
        self.operator_deposits_revenue(first_deposit)

    @rule(amount=AMOUNTS)
    def operator_deposits_revenue(self, amount: int) -> None:
        w, operator = self.world, self.world.operator.address
        receipt = w.token.depositRevenue(amount, 0, sender=w.operator)
        fee = -(-amount * self.fee_bps // BPS)  # both rounded up, the reserve within what is left
        reserve = min(-(-amount * self.reserve_bps // BPS), amount - fee)
        distributed = amount - fee - reserve
        self.model.deposit(distributed)
        self._pay(operator, w.token.address, distributed)
        self._pay(operator, FEE_RECIPIENT, fee)
        self._pay(operator, w.timelock.address, reserve)
        [event] = receipt.decode_logs(w.token.RevenueDeposited)
        emitted = (event.gross, event.fee, event.reserve, event.distributed)
        assert emitted == (amount, fee, reserve, distributed)
        assert event.magnifiedRevenuePerShare == self.model.per_share

    @precondition(lambda self: self.usdc[self.world.timelock.address] > 0)
    @rule(percent=st.integers(1, 100))
    def timelock_releases_reserve(self, percent: int) -> None:
        """The timelock's own deposits pay no fee and no reserve."""
        w = self.world
        amount = max(1, self.usdc[w.timelock.address] * percent // 100)
        w.usdc.approve(w.token, amount, sender=w.timelock)
        w.token.depositRevenue(amount, 0, sender=w.timelock)
        self.model.deposit(amount)
        self._pay(w.timelock.address, w.token.address, amount)

    @rule(sender=PICK, recipient=PICK, amount=PICK)
    def holder_transfers_shares(self, sender: int, recipient: int, amount: int) -> None:
        frm, to = self._holder(sender), self._actor(recipient)
        value = 1 + amount % self.model.balances[frm]
        self.world.token.transfer(to, value, sender=self.by_address[frm])
        self._move_shares(frm, to, value)

    @rule(who=PICK, owed=st.sampled_from((True, True, True, False)))
    def account_claims(self, who: int, owed: bool) -> None:
        """Mostly someone who is owed something; otherwise someone who must be turned away."""
        token = self.world.token
        candidates = [a for a in self.addresses if (self.model.claimable(a) > 0) == owed]
        account = candidates[who % len(candidates)] if candidates else self._actor(who)
        amount = self.model.claimable(account)
        if amount == 0:
            error = ("ShareNothingToClaim", account)
            self.world.rpc.expect_revert(token.claimRevenue, (), account, error)
            return
        receipt = token.claimRevenue(sender=self.by_address[account])
        assert self.model.claim(account) == amount
        self._pay(token.address, account, amount)
        [event] = receipt.decode_logs(token.RevenueClaimed)
        assert (event.amount, event.totalClaimed) == (amount, self.model.claimed[account])

    @rule(seller=PICK, amount=PICK, price=st.integers(1, 10**8), days=st.integers(0, 20))
    def holder_lists_shares(self, seller: int, amount: int, price: int, days: int) -> None:
        w, account = self.world, self._holder(seller)
        value = 1 + amount % self.model.balances[account]
        expires_at = self._now() + days * DAY + DAY // 2  # far from any `time_passes` step
        self.allowance[account] += value
        w.token.approve(w.market, self.allowance[account], sender=self.by_address[account])
        w.market.list(w.token, value, price, expires_at, sender=self.by_address[account])
        self.listing_count += 1
        self.listings[self.listing_count] = Listing(account, value, price, expires_at)
        self._seen = None

    @precondition(lambda self: self.listings)
    @rule(pick=PICK, buyer=PICK, amount=PICK, mistake=MISTAKES)
    def buyer_fills_listing(self, pick: int, buyer: int, amount: int, mistake: str) -> None:
        """Mostly a valid fill of an open listing; sometimes one of the mistakes a buyer can make.
        Fills can still fail legitimately (expired, seller sold the shares meanwhile)."""
        w = self.world
        closed = mistake == "closed" and any(i.remaining == 0 for i in self.listings.values())
        ids = [i for i, item in self.listings.items() if (item.remaining == 0) == closed]
        listing_id = sorted(ids or self.listings)[pick % len(ids or self.listings)]
        item = self.listings[listing_id]
        others = [a for a in self.addresses if a != item.seller]
        account = item.seller if mistake == "self_fill" else others[buyer % len(others)]
        value = 1 + amount % max(item.remaining, 1)
        value += item.remaining if mistake == "overfill" else 0
        max_price = item.price - 1 if mistake == "lowball" else item.price
        args = (listing_id, value, max_price)
        if error := self._fill_error(listing_id, item, account, value, max_price):
            w.rpc.expect_revert(w.market.fill, args, account, error)
            return
        w.market.fill(*args, sender=self.by_address[account])
        paid = value * item.price
        fee = -(-paid * self.market_fee_bps // BPS)
        item.remaining -= value
        self.allowance[item.seller] -= value
        self._move_shares(item.seller, account, value)
        self._pay(account, item.seller, paid - fee)
        self._pay(account, FEE_RECIPIENT, fee)

    def _fill_error(
        self, listing_id: int, item: Listing, buyer: str, value: int, max_price: int
    ) -> tuple | None:
        """The error ShareMarket.fill must raise (checked in its order), or None."""
        seller, allowance = item.seller, self.allowance[item.seller]
        balance = self.model.balances.get(seller, 0)
        checks = (
            (item.remaining == 0, ("MarketListingNotOpen", listing_id)),
            (self._now() >= item.expires_at, ("MarketListingExpired", listing_id, item.expires_at)),
            (item.price > max_price, ("MarketPriceAboveMax", item.price, max_price)),
            (value > item.remaining, ("MarketAmountExceedsListing", value, item.remaining)),
            (buyer == seller, ("MarketSelfFill", listing_id)),
            (balance < value, ("MarketSellerBalanceTooLow", seller, balance, value)),
            (allowance < value, ("MarketSellerAllowanceTooLow", seller, allowance, value)),
        )
        return next((error for failed, error in checks if failed), None)

    @precondition(lambda self: self.listings)
    @rule(pick=PICK, by_seller=st.booleans(), other=PICK)
    def listing_is_cancelled(self, pick: int, by_seller: bool, other: int) -> None:
        w = self.world
        listing_id, item = self._listing(pick)
        if item.remaining == 0:
            error: tuple = ("MarketListingNotOpen", listing_id)
            w.rpc.expect_revert(w.market.cancel, (listing_id,), item.seller, error)
        elif by_seller:
            w.market.cancel(listing_id, sender=self.by_address[item.seller])
            item.remaining = 0
            self._seen = None
        else:
            others = [a for a in self.addresses if a != item.seller] + [w.stranger.address]
            caller = others[other % len(others)]
            error = ("MarketNotSeller", caller, item.seller)
            w.rpc.expect_revert(w.market.cancel, (listing_id,), caller, error)

    @rule(who=PICK, delegatee=PICK)
    def account_delegates(self, who: int, delegatee: int) -> None:
        account = self._actor(who)
        targets = [*self.addresses, self.world.stranger.address, ZERO_ADDRESS]
        target = targets[delegatee % len(targets)]
        delegate(self.world.token, target, self.by_address[account])
        self.delegates[account] = target
        # An abstainer is not self-delegated again when it receives shares.
        if target == ZERO_ADDRESS:
            self.abstains.add(account)
        else:
            self.abstains.discard(account)
        self._seen = None

    @rule(days=st.integers(1, 3))
    def time_passes(self, days: int) -> None:
        advance_time(days * DAY)

    @rule(attempt=st.sampled_from(UNAUTHORIZED), who=PICK)
    def unauthorized_action_reverts(self, attempt: str, who: int) -> None:
        """(d) A non-holder, or a holder or operator in the wrong role, never gets through."""
        holder = self._holder(who)
        far = self._now() + 30 * DAY
        attempts = _unauthorized_attempts(self.world, holder, self.model.balances[holder], far)
        method, args, caller, error = attempts[attempt]
        self.world.rpc.expect_revert(method, args, caller, error)

    # Invariants, checked after every step

    def _observe(self) -> dict[str, Any]:
        """Reads every checked value in one request, cached until the next change."""
        if self._seen is not None:
            return self._seen
        w = self.world
        token, usdc, market = str(w.token.address), str(w.usdc.address), str(w.market.address)
        people = [*self.addresses, w.stranger.address]
        wallets = [*people, token, FEE_RECIPIENT, w.timelock.address, w.operator.address]
        per_person = ("balanceOf", "claimableRevenueOf", "claimedRevenueOf", "getVotes")
        totals = ("totalSupply", "totalRevenueDistributed", "magnifiedRevenuePerShare")
        ids = sorted(self.listings)
        calls = [(token, _calldata(f"{m}(address)", a)) for m in per_person for a in people]
        calls += [(token, _calldata("delegates(address)", a)) for a in self.addresses]
        calls += [(usdc, _calldata("balanceOf(address)", a)) for a in wallets]
        calls += [(token, _calldata(f"{name}()")) for name in totals]
        calls += [(market, _calldata("listingCount()"))]
        calls += [(market, _calldata("listing(uint256)", i)) for i in ids]
        results = iter(self.world.rpc.results(calls))

        def word(index: int = 0) -> int:
            return int.from_bytes(next(results)[32 * index : 32 * (index + 1)], "big")

        seen: dict[str, Any] = {m: {a: word() for a in people} for m in per_person}
        seen["delegates"] = {a: _address_word(word()) for a in self.addresses}
        seen["usdc"] = {a: word() for a in wallets}
        seen.update({name: word() for name in (*totals, "listingCount")})
        # A Listing is a static struct, returned in place: `remaining` is its fourth word.
        seen["remaining"] = {i: word(3) for i in ids}
        self._seen = seen
        return seen

    @invariant()
    def holders_are_never_paid_more_than_distributed(self) -> None:
        """(a) Claimed plus claimable never exceeds what was distributed; the token holds it."""
        seen = self._observe()
        claimed, claimable = seen["claimedRevenueOf"], seen["claimableRevenueOf"]
        distributed = seen["totalRevenueDistributed"]
        owed = sum(claimed.values()) + sum(claimable.values())
        assert owed <= distributed == self.model.distributed
        cash = seen["usdc"][self.world.token.address]
        assert cash >= sum(claimable.values())
        assert cash == distributed - sum(claimed.values())
        # Rounding leaves less than two units per account that ever held shares.
        assert distributed - owed < 2 * len(self.addresses)

    @invariant()
    def shares_are_conserved(self) -> None:
        """(b) The balances add up to the supply, which is what the sale sold."""
        seen = self._observe()
        assert sum(seen["balanceOf"].values()) == seen["totalSupply"] == sum(HOLDINGS)

    @invariant()
    def claimable_matches_the_model(self) -> None:
        """(c) The accumulator, every balance and every claim equal the model exactly."""
        seen = self._observe()
        assert seen["magnifiedRevenuePerShare"] == self.model.per_share
        for account in [*self.addresses, self.world.stranger.address]:
            assert seen["balanceOf"][account] == self.model.balances.get(account, 0), account
            assert seen["claimableRevenueOf"][account] == self.model.claimable(account), account
            assert seen["claimedRevenueOf"][account] == self.model.claimed[account], account

    @invariant()
    def each_account_gets_its_pro_rata_share_within_one_unit(self) -> None:
        """Owed = the exact pro-rata share of every deposit, rounded down by less than 1 unit
        (exactly 1 at worst, when the share is a whole number)."""
        seen = self._observe()
        for account in self.addresses:
            owed = seen["claimedRevenueOf"][account] + seen["claimableRevenueOf"][account]
            fair = self.model.fair[account]
            assert fair - 1 <= owed <= fair, (account, owed, fair)

    @invariant()
    def votes_follow_balances_and_delegations(self) -> None:
        seen = self._observe()
        for account in [*self.addresses, self.world.stranger.address]:
            delegators = [a for a in self.addresses if self.delegates[a] == account]
            expected = sum(self.model.balances.get(a, 0) for a in delegators)
            assert seen["getVotes"][account] == expected, account
        assert seen["delegates"] == self.delegates

    @invariant()
    def stablecoin_balances_and_listings_match_the_model(self) -> None:
        seen = self._observe()
        assert seen["usdc"] == {wallet: self.usdc[wallet] for wallet in seen["usdc"]}
        assert seen["listingCount"] == self.listing_count
        assert seen["remaining"] == {i: item.remaining for i, item in self.listings.items()}


@pytest.fixture
def world(
    create_asset: Callable[..., Asset],
    fund: Callable[..., None],
    registry: ContractInstance,
    market: ContractInstance,
    sale: ContractInstance,
    usdc: ContractInstance,
    admin: AccountAPI,
    operator: AccountAPI,
    stranger: AccountAPI,
    investors: list[AccountAPI],
) -> World:
    """An active asset held 3,001 / 2,503 / 1,777 / 613 / 29 by five of ten funded actors."""
    asset = create_asset(total_shares=10_000, share_price=USDC, min_raise=1_000 * USDC)
    for buyer, shares in zip(investors, HOLDINGS, strict=False):
        fund(buyer, shares * USDC, sale)
        sale.buy(asset.asset_id, shares, sender=buyer)
    advance_time(31 * DAY)  # past the window: 7,923 of 10,000 shares sold
    sale.finalize(asset.asset_id, sender=stranger)
    assert sale.sale(asset.asset_id).sold == sum(HOLDINGS)
    for actor in investors:
        fund(actor, 10**24, market)
    fund(operator, 10**24, asset.token)
    timelock = impersonate(asset.timelock)
    wallets = [*(a.address for a in investors), operator.address, stranger.address]
    return World(
        asset=asset,
        registry=registry,
        market=market,
        usdc=usdc,
        admin=admin,
        operator=operator,
        stranger=stranger,
        timelock=timelock,
        actors=tuple(investors),
        usdc_balances={a: int(usdc.balanceOf(a)) for a in wallets},
        listing_count=int(market.listingCount()),
        rpc=Rpc([asset.token, market, registry, sale]),
    )


def test_revenue_accounting_holds_through_random_actions(world: World) -> None:
    machine = type("BoundRevenueMachine", (RevenueMachine,), {"world": world})
    run_state_machine_as_test(machine, settings=MACHINE_SETTINGS)


# --- Primary sale ------------------------------------------------------------------------------

SALE_SHARES = 1_000
SALE_CAP = 100  # per buyer; six buyers can take at most 600 shares, so no sale sells out
SALE_BUYERS = 6


@dataclass(frozen=True)
class SalePlan:
    price: int
    purchases: tuple[tuple[int, int], ...]  # (buyer index, shares), some past the per-buyer cap
    min_raise: int
    fails: bool
    finalize_first: bool  # else the first refund ends the failed sale


@st.composite
def sale_plans(draw: st.DrawFn) -> SalePlan:
    price = draw(st.one_of(st.sampled_from([1, 7, USDC]), st.integers(1, 10**12)))
    purchase = st.tuples(st.integers(0, SALE_BUYERS - 1), st.integers(1, 60))
    purchases = draw(st.lists(purchase, min_size=1, max_size=10))
    held: defaultdict[int, int] = defaultdict(int)
    for buyer, shares in purchases:
        if held[buyer] + shares <= SALE_CAP:
            held[buyer] += shares
    raised = sum(held.values()) * price
    fails = draw(st.sampled_from([True, True, True, False]))
    if fails:
        min_raise = raised + draw(st.integers(1, SALE_SHARES * price - raised))
    else:
        min_raise = draw(st.integers(1, raised))
    return SalePlan(price, tuple(purchases), min_raise, fails, draw(st.booleans()))


def test_failed_sale_refunds_every_buyer_exactly(
    create_asset: Callable[..., Asset],
    fund: Callable[..., None],
    buy: Callable[..., None],
    registry: ContractInstance,
    sale: ContractInstance,
    usdc: ContractInstance,
    treasury: AccountAPI,
    stranger: AccountAPI,
    investors: list[AccountAPI],
) -> None:
    """Random sales: a failed one refunds each buyer exactly what it paid and keeps nothing; a
    successful one pays the treasury exactly the raise. Another asset's sale stays open all along,
    so its escrow in the same contract must come through untouched."""
    buyers = investors[:SALE_BUYERS]
    for buyer in buyers:
        fund(buyer, 10**30, sale)
    other = create_asset(name="Other", symbol="OTH", duration=365 * DAY)
    buy(other, investors[-1], 77)
    escrow = int(usdc.balanceOf(sale))
    rpc = Rpc([sale, registry])

    @SALE_SETTINGS
    @given(plan=sale_plans())
    def run(plan: SalePlan) -> None:
        snapshot = chain.snapshot()
        try:
            sale_run = SaleRun(plan, sale, registry, usdc, treasury, stranger, buyers, rpc)
            sale_run.play(create_asset)
            assert int(usdc.balanceOf(sale)) == escrow
        finally:
            chain.restore(snapshot)

    run()


@dataclass
class SaleRun:
    """One random sale: buys, then its end, then refunds or the payout."""

    plan: SalePlan
    sale: ContractInstance
    registry: ContractInstance
    usdc: ContractInstance
    treasury: AccountAPI
    stranger: AccountAPI
    buyers: list[AccountAPI]
    rpc: Rpc
    paid: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    bought: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))

    def play(self, create_asset: Callable[..., Asset]) -> None:
        plan, sale, rpc = self.plan, self.sale, self.rpc
        asset = create_asset(
            total_shares=SALE_SHARES,
            share_price=plan.price,
            duration=DAY,
            min_raise=plan.min_raise,
            max_shares_per_buyer=SALE_CAP,
        )
        aid, terms = asset.asset_id, sale.sale(asset.asset_id).terms
        self._buy(aid)
        rpc.expect_revert(
            sale.finalize, (aid,), self.stranger, ("SaleStillRunning", aid, terms.end)
        )
        rpc.expect_revert(sale.refund, (aid,), self.buyers[0], ("SaleNotRefundable", aid))
        advance_time(DAY + 60)
        closed = ("SaleNotOpen", aid, terms.start, terms.end)
        rpc.expect_revert(sale.buy, (aid, 1), self.buyers[0], closed)
        treasury_before = int(self.usdc.balanceOf(self.treasury))
        if plan.finalize_first or not plan.fails:
            sale.finalize(aid, sender=self.stranger)
        if plan.fails:
            self._refund_everyone(asset)
            assert int(self.usdc.balanceOf(self.treasury)) == treasury_before
        else:
            assert self.registry.asset(aid).status == Status.ACTIVE
            raised = sum(self.paid.values())
            assert int(self.usdc.balanceOf(self.treasury)) - treasury_before == raised
            rpc.expect_revert(sale.refund, (aid,), self.buyers[0], ("SaleNotRefundable", aid))

    def _buy(self, aid: int) -> None:
        for index, shares in self.plan.purchases:
            buyer = self.buyers[index]
            would_hold = self.bought[buyer.address] + shares
            if would_hold > SALE_CAP:
                error = ("SaleBuyerCapExceeded", buyer, would_hold, SALE_CAP)
                self.rpc.expect_revert(self.sale.buy, (aid, shares), buyer, error)
                continue
            self.sale.buy(aid, shares, sender=buyer)
            self.paid[buyer.address] += shares * self.plan.price
            self.bought[buyer.address] = would_hold
        totals = self.sale.sale(aid)
        assert (totals.raised, totals.sold) == (sum(self.paid.values()), sum(self.bought.values()))

    def _refund_everyone(self, asset: Asset) -> None:
        sale, aid = self.sale, asset.asset_id
        for buyer in self.buyers:
            nothing = ("SaleNothingToRefund", aid, buyer)
            if self.paid[buyer.address] == 0:
                self.rpc.expect_revert(sale.refund, (aid,), buyer, nothing)
                continue
            before = int(self.usdc.balanceOf(buyer))
            receipt = sale.refund(aid, sender=buyer)
            assert int(self.usdc.balanceOf(buyer)) - before == self.paid[buyer.address]
            [event] = receipt.decode_logs(sale.Refunded)
            assert (event.shares, event.amount) == (
                self.bought[buyer.address],
                self.paid[buyer.address],
            )
            assert asset.token.balanceOf(buyer) == 0
            assert sale.contributionOf(aid, buyer) == 0
            self.rpc.expect_revert(sale.refund, (aid,), buyer, nothing)
        stranger = self.stranger
        self.rpc.expect_revert(
            sale.refund, (aid,), stranger, ("SaleNothingToRefund", aid, stranger)
        )
        assert self.registry.asset(aid).status == Status.FAILED
        assert sale.sale(aid).state == SaleState.FAILED
        assert asset.token.totalSupply() == 0
