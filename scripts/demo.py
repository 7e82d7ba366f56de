"""A year on the platform, played on a local chain.

Deploys the platform (or reuses the one in deployments/<chain_id>.json when its registry is live on
this chain), then tells a story through every contract: five primary sales (one misses its minimum
and its buyers take refunds), meters reporting twelve months of seasonal production, monthly revenue
deposits paying for those reports, holders claiming, share transfers, market listings (partial and
full fills, a cancellation, an expiry), proposals carried through voting and the timelock, and
energy certificates claimed, given and retired for named beneficiaries.

    ape run demo --network ethereum:local:foundry        # add `-v DEBUG` to see every transaction

Investors are named after their test account index ("investor 12" is accounts.test_accounts[12]).
"""

# No `from __future__ import annotations`: ape runs scripts through runpy, where dataclasses with
# string annotations cannot find their module.
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import click
from ape import accounts, chain
from ape.api import AccountAPI, ProviderAPI
from ape.cli import ConnectedProviderCommand
from ape.contracts import ContractInstance
from ape.logging import LogLevel, logger
from eth_account import Account
from eth_utils import keccak

from scripts._lib import (
    DAY,
    METER_ADMIN_ROLE,
    OPERATOR_ROLE,
    USDC,
    Asset,
    Kind,
    Platform,
    Status,
    advance_time,
    asset_params,
    load_platform,
    register_asset,
    role,
    sign_reading,
)

# ---------------------------------------------------------------------------------------------
# The story
# ---------------------------------------------------------------------------------------------

SEED = 2024  # the same story on every run
SHARE_PRICE = 100 * USDC
SALE_DAYS = 30
SALE_WAVE_GAPS = (1, 6, 7)  # days before each wave of primary purchases
MONTHS = 12
RELAY_DELAY = 2 * 3_600  # readings are relayed at 02:00 on the first of the next month
REVENUE_FEE_BPS, MARKET_FEE_BPS = 150, 50
KYC_COUNTRIES = (620, 208, 276, 578, 724, 250, 528)  # PT DK DE NO ES FR NL (ISO 3166-1 numeric)
OPERATOR_NAMES = ("Lusitania Renewables", "Nordvind Service")
CONTRACTOR_NAME = "Iberian Inverter Services"
CONTRACTOR = Account.from_key(keccak(text=CONTRACTOR_NAME)).address
AGAINST, FOR, ABSTAIN = 0, 1, 2
PROPOSAL_STATES = (
    *("pending", "active", "canceled", "defeated"),
    *("succeeded", "queued", "expired", "executed"),
)  # OpenZeppelin's IGovernor.ProposalState
PASSING_VOTES = (FOR, FOR, FOR, AGAINST, ABSTAIN, FOR)  # cast by holders ranked by balance
FAILING_VOTES = (AGAINST, FOR, AGAINST, AGAINST, ABSTAIN, FOR)
CLAIM_CHANCE, YEAR_END_CLAIM_CHANCE = 0.35, 0.7

# Share of nameplate power produced, per calendar month (January first). Storage: energy discharged.
CAPACITY_FACTORS = {
    Kind.SOLAR: (0.08, 0.11, 0.16, 0.20, 0.23, 0.25, 0.26, 0.24, 0.19, 0.14, 0.09, 0.07),
    Kind.WIND: (0.47, 0.44, 0.40, 0.32, 0.27, 0.23, 0.21, 0.24, 0.31, 0.38, 0.43, 0.46),
    Kind.HYDRO: (0.28, 0.25, 0.30, 0.48, 0.82, 0.86, 0.70, 0.58, 0.55, 0.48, 0.38, 0.30),
    Kind.STORAGE: (0.10, 0.10, 0.09, 0.08, 0.08, 0.09, 0.09, 0.08, 0.08, 0.09, 0.10, 0.10),
}


@dataclass(frozen=True)
class AssetPlan:
    """One asset of the story and how its primary sale goes."""

    key: str
    label: str
    symbol: str
    kind: Kind
    capacity_watts: int
    location: str
    total_shares: int
    min_raise_percent: int
    buyers: int
    subscribed_percent: int  # how much of the supply its buyers take; 100 sells out
    price_per_kwh: int  # stablecoin units (6 decimals) paid to owners per kWh
    reserve_bps: int = 1_000
    requires_verification: bool = False


# fmt: off
ASSETS = (
    AssetPlan(key="solar", label="Alentejo Solar", symbol="ALSUN", kind=Kind.SOLAR,
              capacity_watts=5_000_000, location="PT:Alentejo", total_shares=35_000,
              min_raise_percent=60, buyers=14, subscribed_percent=100, price_per_kwh=55_000),
    AssetPlan(key="wind", label="Jutland Wind", symbol="JUTW", kind=Kind.WIND,
              capacity_watts=3_600_000, location="DK:Ringkobing", total_shares=47_000,
              min_raise_percent=60, buyers=12, subscribed_percent=90, price_per_kwh=62_000),
    AssetPlan(key="battery", label="Lausitz 2 MWh Battery", symbol="LSTOR", kind=Kind.STORAGE,
              capacity_watts=1_000_000, location="DE:Lausitz", total_shares=9_000,
              min_raise_percent=75, buyers=8, subscribed_percent=100, price_per_kwh=140_000,
              requires_verification=True),
    AssetPlan(key="hydro", label="Telemark Hydro", symbol="TLHY", kind=Kind.HYDRO,
              capacity_watts=1_200_000, location="NO:Telemark", total_shares=30_000,
              min_raise_percent=50, buyers=10, subscribed_percent=80, price_per_kwh=45_000,
              reserve_bps=1_500),
    # Misses its minimum raise: its buyers take refunds.
    AssetPlan(key="agri", label="Ebro Agrivoltaic", symbol="EBRO", kind=Kind.SOLAR,
              capacity_watts=8_000_000, location="ES:Aragon", total_shares=60_000,
              min_raise_percent=75, buyers=6, subscribed_percent=20, price_per_kwh=50_000),
)
# fmt: on


@dataclass(frozen=True)
class Cast:
    """Who plays which part: 0 admin, 1 operator, 2 treasury, 3 meter admin, the last account a
    second operator, everyone between them an investor."""

    test: list[AccountAPI]

    @property
    def admin(self) -> AccountAPI:
        return self.test[0]

    @property
    def operator(self) -> AccountAPI:
        return self.test[1]

    @property
    def treasury(self) -> AccountAPI:
        return self.test[2]

    @property
    def meter_admin(self) -> AccountAPI:
        return self.test[3]

    @property
    def second_operator(self) -> AccountAPI:
        return self.test[-1]

    @property
    def investors(self) -> list[AccountAPI]:
        return self.test[4:-1]

    def account(self, address: str) -> AccountAPI:
        """The test account at `address`."""
        return next(acc for acc in self.test if acc.address == address)

    def name(self, account: Any) -> str:
        """A readable name for a member of the cast or the contractor."""
        address = str(getattr(account, "address", account))
        roles = {
            self.admin.address: "the admin",
            self.operator.address: OPERATOR_NAMES[0],
            self.second_operator.address: OPERATOR_NAMES[1],
            CONTRACTOR: CONTRACTOR_NAME,
        }
        if address in roles:
            return roles[address]
        return f"investor {next(i for i, acc in enumerate(self.test) if acc.address == address)}"


class Purchase(NamedTuple):
    key: str
    buyer: AccountAPI
    shares: int
    wave: int


@dataclass
class LiveAsset:
    """An asset of the story once registered."""

    plan: AssetPlan
    asset: Asset
    status: Status = Status.FUNDING
    meter_key: str = ""
    revenue: int = 0
    owners: dict[str, AccountAPI] = field(default_factory=dict)  # everyone who ever held shares
    reports: list[int] = field(default_factory=list)  # its production reports, each certified

    def own(self, account: AccountAPI) -> None:
        self.owners[account.address] = account


@dataclass
class Story:
    """Everything the chapters share."""

    platform: Platform
    usdc: ContractInstance
    cast: Cast
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    assets: dict[str, LiveAsset] = field(default_factory=dict)
    purchases: list[Purchase] = field(default_factory=list)
    listings: dict[str, int] = field(default_factory=dict)
    approved: set[tuple[str, str]] = field(default_factory=set)
    tally: Counter[str] = field(default_factory=Counter)
    balances_before: dict[str, int] = field(default_factory=dict)  # for the summary

    def active(self) -> list[LiveAsset]:
        return [live for live in self.assets.values() if live.status == Status.ACTIVE]


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def say(message: str) -> None:
    """Prints a line of the story, dated by the chain's clock."""
    stamp = datetime.fromtimestamp(chain.blocks.head.timestamp, tz=UTC)
    click.echo(f"{stamp:%Y-%m-%d}  {message}")


def usd(amount: int) -> str:
    return f"{amount / USDC:,.2f}"


def advance_to(timestamp: int) -> None:
    """Moves the chain's clock to `timestamp` (if it is ahead)."""
    if timestamp > chain.pending_timestamp:
        advance_time(timestamp - chain.pending_timestamp)


def first_of_next_month(moment: datetime) -> datetime:
    midnight = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (midnight + timedelta(days=32)).replace(day=1)


def mint_shortfall(story: Story, account: AccountAPI, amount: int) -> None:
    """Mints what `account` lacks to hold `amount` stablecoins (the mock is an open faucet)."""
    shortfall = amount - story.usdc.balanceOf(account)
    if shortfall > 0:
        story.usdc.mint(account, shortfall, sender=account)


def approve_once(story: Story, account: AccountAPI, spender: Any) -> None:
    """Lets `spender` pull any amount of `account`'s stablecoins."""
    key = (account.address, str(spender.address))
    if key not in story.approved:
        story.usdc.approve(spender, 2**256 - 1, sender=account)
        story.approved.add(key)


def holders(live: LiveAsset) -> list[tuple[AccountAPI, int]]:
    """The investors holding shares of an asset now, largest first."""
    held = [(acc, live.asset.token.balanceOf(acc)) for acc in live.owners.values()]
    return sorted([(acc, n) for acc, n in held if n > 0], key=lambda h: -h[1])


def newcomer(story: Story, live: LiveAsset) -> AccountAPI:
    """An investor who never held shares of the asset."""
    return story.rng.choice([inv for inv in story.cast.investors if inv.address not in live.owners])


def split(total: int, parts: int, rng: random.Random) -> list[int]:
    """Splits `total` shares into `parts` uneven positive amounts."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(parts)]
    amounts = [int(total * w / sum(weights)) for w in weights]
    amounts[amounts.index(min(amounts))] += total - sum(amounts)
    return amounts


# ---------------------------------------------------------------------------------------------
# Chapter 1: the platform and its assets
# ---------------------------------------------------------------------------------------------


def platform_for(admin: AccountAPI) -> Platform:
    """The recorded platform when it is live on this chain, else a fresh deployment."""
    platform = load_platform(chain.chain_id)
    if platform is None:
        # Imported here, not at the top: `ape run` executes every script through runpy, which
        # warns when it finds scripts.deploy already imported by this one.
        from scripts.deploy import deploy_and_record

        return deploy_and_record(admin)
    if platform.stablecoin is None:
        raise click.ClickException(
            "the recorded deployment uses an existing stablecoin; the demo mints from the mock "
            "one (run `ape run deploy` without --stablecoin first)"
        )
    if not platform.registry.hasRole(role(platform.registry, "DEFAULT_ADMIN_ROLE"), admin):
        raise click.ClickException(f"{admin.address} is not the recorded platform's admin")
    click.echo(f"Reusing the platform recorded for chain {chain.chain_id}")
    return platform


def assign_roles(story: Story) -> None:
    registry, cast = story.platform.registry, story.cast
    for operator in (cast.operator, cast.second_operator):
        registry.grantRole(role(registry, OPERATOR_ROLE), operator, sender=cast.admin)
    registry.grantRole(role(registry, METER_ADMIN_ROLE), cast.meter_admin, sender=cast.admin)
    registry.setPlatformFees(REVENUE_FEE_BPS, MARKET_FEE_BPS, cast.admin, sender=cast.admin)
    say(
        f"Operators: {OPERATOR_NAMES[0]} (account 1), {OPERATOR_NAMES[1]} (account "
        f"{len(cast.test) - 1}); meter admin: account 3; platform fees {REVENUE_FEE_BPS} bps of "
        f"revenue and {MARKET_FEE_BPS} bps of market fills"
    )


def register_assets(story: Story) -> None:
    for plan in ASSETS:
        params = asset_params(
            payment_token=story.usdc,
            treasury=story.cast.treasury,
            name=f"{plan.label} Share",
            symbol=plan.symbol,
            kind=plan.kind,
            capacity_watts=plan.capacity_watts,
            location=plan.location,
            metadata_uri=f"ipfs://demo/{plan.key}",
            total_shares=plan.total_shares,
            share_price=SHARE_PRICE,
            duration=SALE_DAYS * DAY,
            min_raise=plan.total_shares * SHARE_PRICE * plan.min_raise_percent // 100,
            max_shares_per_buyer=plan.total_shares // 4,
            voting_period=5 * DAY,
            proposal_threshold=100,
            reserve_bps=plan.reserve_bps,
            requires_verification=plan.requires_verification,
        )
        live = LiveAsset(plan, register_asset(story.platform, story.cast.operator, params))
        story.assets[plan.key] = live
        say(
            f"Registered #{live.asset.asset_id} {plan.label} ({plan.kind.name.lower()}, "
            f"{plan.capacity_watts / 1e6:g} MW, {plan.location}): {plan.total_shares:,} shares "
            f"at {usd(SHARE_PRICE)}, minimum raise {plan.min_raise_percent}%"
            + (", verified holders only" if plan.requires_verification else "")
        )


# ---------------------------------------------------------------------------------------------
# Chapter 2: primary sales
# ---------------------------------------------------------------------------------------------


def plan_purchases(story: Story) -> None:
    """Decides who buys how many shares of what, and in which wave."""
    for plan in ASSETS:
        sold = plan.total_shares * plan.subscribed_percent // 100
        buyers = story.rng.sample(story.cast.investors, plan.buyers)
        for buyer, shares in zip(buyers, split(sold, plan.buyers, story.rng), strict=True):
            story.purchases.append(Purchase(plan.key, buyer, shares, story.rng.randrange(3)))


def fund_investors(story: Story) -> None:
    """Mints each investor a budget (its purchases plus savings); KYC for the battery's buyers."""
    budgets = Counter(
        {inv.address: story.rng.randrange(5_000, 40_000) * USDC for inv in story.cast.investors}
    )
    for purchase in story.purchases:
        budgets[purchase.buyer.address] += purchase.shares * SHARE_PRICE
    for investor in story.cast.investors:
        story.usdc.mint(investor, budgets[investor.address], sender=investor)
        approve_once(story, investor, story.platform.sale)
    say(
        f"Minted {usd(budgets.total())} mUSDC to {len(story.cast.investors)} investors "
        f"(from {usd(min(budgets.values()))} to {usd(max(budgets.values()))} each)"
    )
    verified = {p.buyer.address: p.buyer for p in story.purchases if p.key == "battery"}
    expires = chain.pending_timestamp + 2 * 365 * DAY
    for buyer in verified.values():
        country = story.rng.choice(KYC_COUNTRIES)
        story.platform.identity.verify(buyer, expires, country, sender=story.cast.admin)
    say(f"KYC: the {len(verified)} battery buyers verified for two years")


def run_sale_waves(story: Story) -> None:
    for wave, gap in enumerate(SALE_WAVE_GAPS):
        advance_time(gap * DAY)
        bought: Counter[str] = Counter()
        for purchase in story.purchases:
            if purchase.wave == wave:
                live = story.assets[purchase.key]
                story.platform.sale.buy(live.asset.asset_id, purchase.shares, sender=purchase.buyer)
                live.own(purchase.buyer)
                bought[live.plan.symbol] += purchase.shares
                story.tally["purchases"] += 1
        say(f"Sale wave {wave + 1}: " + ", ".join(f"{n:,} {s}" for s, n in bought.items()))
        for live in story.assets.values():
            sold = story.platform.sale.sale(live.asset.asset_id).sold
            if live.status == Status.FUNDING and sold == live.plan.total_shares:
                finalize(story, live, "sold out")


def finalize(story: Story, live: LiveAsset, why: str) -> None:
    sale = story.platform.sale
    sale.finalize(live.asset.asset_id, sender=story.cast.operator)
    live.status = Status(story.platform.registry.asset(live.asset.asset_id).status)
    record = sale.sale(live.asset.asset_id)
    say(
        f"{live.plan.label} sale {why}: {record.sold:,} shares, {usd(record.raised)} raised, "
        f"asset {live.status.name}"
    )


def close_sales(story: Story) -> None:
    """Ends the other sales after their window; the failed sale's buyers (but one) take refunds."""
    sale = story.platform.sale
    advance_to(
        max(sale.sale(live.asset.asset_id).terms.end for live in story.assets.values()) + 3_600
    )
    for live in story.assets.values():
        if live.status == Status.FUNDING:
            finalize(story, live, "closed")
    for live in story.assets.values():
        if live.status == Status.FAILED:
            for buyer in list(live.owners.values())[:-1]:
                refund(story, live, buyer)


def refund(story: Story, live: LiveAsset, buyer: AccountAPI) -> None:
    amount = story.platform.sale.contributionOf(live.asset.asset_id, buyer)
    story.platform.sale.refund(live.asset.asset_id, sender=buyer)
    story.tally["refunds"] += 1
    say(f"{story.cast.name(buyer)} took a refund of {usd(amount)} from {live.plan.label}")


def late_refund(story: Story) -> None:
    live = story.assets["agri"]
    refund(story, live, list(live.owners.values())[-1])


# ---------------------------------------------------------------------------------------------
# Chapter 3: a year of production and revenue
# ---------------------------------------------------------------------------------------------


def register_meters(story: Story) -> None:
    for live in story.active():
        live.meter_key = "0x" + keccak(text=f"meter-{live.asset.asset_id}").hex()
        meter = Account.from_key(live.meter_key).address
        oracle = story.platform.oracle
        oracle.registerMeter(meter, live.asset.asset_id, sender=story.cast.meter_admin)
        say(f"Meter {meter} registered for {live.plan.label}")


def energy_wh(story: Story, plan: AssetPlan, start: datetime, end: datetime) -> int:
    """A month's production: nameplate x hours x the month's capacity factor, +/- 10% weather."""
    hours = (end - start).total_seconds() / 3_600
    factor = CAPACITY_FACTORS[plan.kind][start.month - 1] * story.rng.uniform(0.9, 1.1)
    return int(plan.capacity_watts * hours * factor)


def report_month(story: Story, start: datetime, end: datetime) -> None:
    """Each meter signs the month's reading; the operator relays it and deposits its revenue."""
    advance_to(int(end.timestamp()) + RELAY_DELAY)
    registry = story.platform.registry
    produced = {live.plan.key: energy_wh(story, live.plan, start, end) for live in story.active()}
    operators = {
        key: story.cast.account(registry.operatorOf(story.assets[key].asset.asset_id))
        for key in produced
    }
    income: Counter[str] = Counter()  # each operator's electricity sales, settled off chain
    for key, wh in produced.items():
        income[operators[key].address] += wh * story.assets[key].plan.price_per_kwh // 1_000
    for address, amount in income.items():
        mint_shortfall(story, story.cast.account(address), amount)
    for key, wh in produced.items():
        deposit_for_reading(story, story.assets[key], operators[key], wh, (start, end))


def deposit_for_reading(
    story: Story, live: LiveAsset, operator: AccountAPI, wh: int, period: tuple[datetime, datetime]
) -> None:
    oracle, token = story.platform.oracle, live.asset.token
    reading, signature = sign_reading(
        oracle,
        live.meter_key,
        asset_id=live.asset.asset_id,
        period_start=int(period[0].timestamp()),
        period_end=int(period[1].timestamp()),
        energy_wh=wh,
    )
    receipt = oracle.submitReading(reading, signature, sender=operator)
    report_id = oracle.ProductionReported.from_receipt(receipt)[0].reportId
    live.reports.append(report_id)
    revenue = wh * live.plan.price_per_kwh // 1_000
    approve_once(story, operator, token)
    token.depositRevenue(revenue, report_id, sender=operator)
    live.revenue += revenue
    story.tally["reports"] += 1
    say(
        f"{live.plan.label}: {wh / 1e6:,.1f} MWh in {period[0]:%B} (report #{report_id}), "
        f"{usd(revenue)} deposited by {story.cast.name(operator)}"
    )


def claims(story: Story, chance: float) -> None:
    """Some holders (and past holders) claim what they are owed."""
    for live in story.active():
        paid = []
        for owner in live.owners.values():
            if story.rng.random() < chance and (owed := live.asset.token.claimableRevenueOf(owner)):
                live.asset.token.claimRevenue(sender=owner)
                paid.append(owed)
        story.tally["claims"] += len(paid)
        if paid:
            who = "1 holder" if len(paid) == 1 else f"{len(paid)} holders"
            say(f"{live.plan.label}: {who} claimed {usd(sum(paid))}")


def gift(story: Story, key: str, shares: int) -> None:
    """The largest holder gives shares to a relative new to the asset."""
    live = story.assets[key]
    giver, receiver = holders(live)[0][0], newcomer(story, live)
    live.asset.token.transfer(receiver, shares, sender=giver)
    live.own(receiver)
    story.tally["transfers"] += 1
    say(f"{story.cast.name(giver)} gave {shares} {live.plan.symbol} to {story.cast.name(receiver)}")


# ---------------------------------------------------------------------------------------------
# Energy certificates: each report became certificates for the holders of that moment
# ---------------------------------------------------------------------------------------------


def claim_certificates(story: Story, key: str, count: int) -> None:
    """The largest holders of an asset claim their part of every report so far."""
    live, certificates = story.assets[key], story.platform.certificates
    for owner, _ in holders(live)[:count]:
        owed = {r: certificates.claimableOf(owner, r) for r in live.reports}
        owed = {r: wh for r, wh in owed.items() if wh}
        if not owed:
            continue
        certificates.claim(list(owed), sender=owner)
        story.tally["certificate claims"] += 1
        say(f"{story.cast.name(owner)} claimed {sum(owed.values()) / 1e6:,.2f} MWh of"
            f" {live.plan.label} certificates ({len(owed)} vintages)")  # fmt: skip


def vintage_of(story: Story, key: str, month: int) -> int:
    """The certificate id of an asset's `month`-th report (from 1)."""
    return int(story.platform.certificates.issuance(story.assets[key].reports[month - 1]).id)


def give_certificates(story: Story, key: str, wh: int) -> None:
    """The largest holder gives certificates of the first vintage to someone new to the asset."""
    live, certificates = story.assets[key], story.platform.certificates
    giver = holders(live)[0][0]
    receiver = next(i for i in story.cast.investors if i.address not in live.owners)
    vintage = vintage_of(story, key, 1)
    certificates.safeTransferFrom(giver, receiver, vintage, wh, b"", sender=giver)
    story.tally["certificate transfers"] += 1
    say(f"{story.cast.name(giver)} gave {wh / 1e6:,.2f} MWh of {live.plan.label} certificates to"
        f" {story.cast.name(receiver)}")  # fmt: skip


RETIREMENTS = (  # (asset, holder rank, share of its first vintage, beneficiary, purpose, location)
    ("solar", 0, 2, "Escola Básica n.º 1 de Évora", "2028 electricity consumption", "Évora, PT"),
    ("wind", 0, 3, "Aarhus Bicycle Cooperative", "Workshop electricity, Q1 2028", "Aarhus, DK"),
)


def retire_certificates(story: Story) -> None:
    """Holders retire certificates for a beneficiary: each retirement is a public proof."""
    certificates = story.platform.certificates
    for key, rank, fraction, beneficiary, purpose, location in RETIREMENTS:
        live = story.assets[key]
        holder = holders(live)[rank][0]
        vintage = vintage_of(story, key, 1)
        wh = certificates.balanceOf(holder, vintage) // fraction
        if not wh:
            continue
        certificates.retire(vintage, wh, beneficiary, purpose, location, sender=holder)
        story.tally["certificate retirements"] += 1
        say(f"{story.cast.name(holder)} retired {wh / 1e6:,.2f} MWh of {live.plan.label}"
            f" certificates for {beneficiary} (proof #{certificates.retirementCount()})")  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Chapter 4: the secondary market
# ---------------------------------------------------------------------------------------------


def list_shares(story: Story, key: str, rank: int, shares: int, price: int, days: int) -> None:
    """The holder ranked `rank` offers `shares` at `price` for `days` (remembered under `key`)."""
    live, market = story.assets[key], story.platform.market
    seller, token = holders(live)[rank][0], live.asset.token
    token.approve(market, token.allowance(seller, market) + shares, sender=seller)
    receipt = market.list(token, shares, price, chain.pending_timestamp + days * DAY, sender=seller)
    story.listings[key] = market.Listed.from_receipt(receipt)[0].listingId
    story.tally["listings"] += 1
    say(
        f"{story.cast.name(seller)} listed {shares} {live.plan.symbol} at {usd(price)} for "
        f"{days} days (listing #{story.listings[key]})"
    )


def fill(story: Story, key: str, buyer: AccountAPI, shares: int) -> None:
    market, listing_id = story.platform.market, story.listings[key]
    price = market.listing(listing_id).pricePerShare
    mint_shortfall(story, buyer, shares * price)
    approve_once(story, buyer, market)
    market.fill(listing_id, shares, price, sender=buyer)
    story.assets[key].own(buyer)
    left = market.listing(listing_id).remaining
    story.tally["fills"] += 1
    say(
        f"{story.cast.name(buyer)} bought {shares} from listing #{listing_id} "
        f"({'filled' if left == 0 else f'{left} left'})"
    )


def open_listings(story: Story) -> None:
    list_shares(story, "solar", 2, 600, 118 * USDC, 60)
    fill(story, "solar", newcomer(story, story.assets["solar"]), 250)
    list_shares(story, "hydro", 1, 400, 96 * USDC, 14)


def finish_listings(story: Story) -> None:
    fill(story, "solar", newcomer(story, story.assets["solar"]), 350)
    hydro = story.platform.market.listing(story.listings["hydro"])
    if hydro.remaining and hydro.expiresAt <= chain.blocks.head.timestamp:
        story.tally["expired"] += 1
        say(f"Listing #{story.listings['hydro']} expired with {hydro.remaining} TLHY unsold")


def battery_and_wind_listings(story: Story) -> None:
    list_shares(story, "battery", 0, 200, 104 * USDC, 15)
    fill(story, "battery", holders(story.assets["battery"])[-1][0], 200)  # holders are verified
    list_shares(story, "wind", 1, 300, 99 * USDC, 90)


def cancel_wind_listing(story: Story) -> None:
    listing_id = story.listings["wind"]
    seller = story.cast.account(story.platform.market.listing(listing_id).seller)
    story.platform.market.cancel(listing_id, sender=seller)
    story.tally["cancelled"] += 1
    say(f"{story.cast.name(seller)} cancelled listing #{listing_id} after the operator change")


# ---------------------------------------------------------------------------------------------
# Chapter 5: governance
# ---------------------------------------------------------------------------------------------


def propose_and_run(
    story: Story, key: str, calls: list[tuple[Any, bytes]], text: str, votes: tuple[int, ...]
) -> None:
    """Carries a proposal through voting delay, vote, queue, timelock delay and execution."""
    live = story.assets[key]
    governor, ranked = live.asset.governor, [holder for holder, _ in holders(live)]
    args = ([str(target.address) for target, _ in calls], [0] * len(calls), [c for _, c in calls])
    proposal_id = governor.hashProposal(*args, keccak(text=text))
    governor.propose(*args, text, sender=ranked[0])
    say(f"{live.plan.label}: {story.cast.name(ranked[0])} proposed “{text}”")
    advance_time(governor.votingDelay() + 1)
    for voter, support in zip(ranked, votes, strict=False):
        governor.castVote(proposal_id, support, sender=voter)
    against, in_favour, abstain = governor.proposalVotes(proposal_id)
    advance_time(governor.votingPeriod() + 1)
    outcome = PROPOSAL_STATES[governor.state(proposal_id)]
    say(f"  {in_favour:,} shares for, {against:,} against, {abstain:,} abstaining: {outcome}")
    if outcome != "succeeded":
        story.tally["proposals defeated"] += 1
        return
    governor.queue(*args, keccak(text=text), sender=ranked[0])
    advance_time(live.asset.timelock.getMinDelay() + 1)
    governor.execute(*args, keccak(text=text), sender=ranked[0])
    story.tally["proposals executed"] += 1
    say(f"  queued, then {PROPOSAL_STATES[governor.state(proposal_id)]} after the timelock delay")


def pay_contractor(story: Story) -> None:
    """Solar: pay a repair from the maintenance reserve the timelock holds."""
    reserve = story.usdc.balanceOf(story.assets["solar"].asset.timelock)
    amount = reserve * 6 // 10 // (100 * USDC) * (100 * USDC)
    call = story.usdc.transfer.encode_input(CONTRACTOR, amount)
    text = f"Replace two string inverters: pay {usd(amount)} mUSDC to {CONTRACTOR_NAME}"
    propose_and_run(story, "solar", [(story.usdc, call)], text, PASSING_VOTES)


def change_wind_operator(story: Story) -> None:
    registry, live = story.platform.registry, story.assets["wind"]
    call = registry.setOperator.encode_input(live.asset.asset_id, story.cast.second_operator)
    text = f"Hand operations of {live.plan.label} to {OPERATOR_NAMES[1]}"
    propose_and_run(story, "wind", [(registry, call)], text, PASSING_VOTES)


def release_hydro_reserve(story: Story) -> None:
    """Hydro: the timelock's own deposits reach holders whole (no fee, no reserve)."""
    token = story.assets["hydro"].asset.token
    amount = story.usdc.balanceOf(story.assets["hydro"].asset.timelock) // 2
    calls = [
        (story.usdc, story.usdc.approve.encode_input(token, amount)),
        (token, token.depositRevenue.encode_input(amount, 0)),
    ]
    text = f"Release half the reserve ({usd(amount)} mUSDC) to holders after the spring flood"
    propose_and_run(story, "hydro", calls, text, PASSING_VOTES)


def raise_solar_reserve(story: Story) -> None:
    registry = story.platform.registry
    call = registry.setReserveBps.encode_input(story.assets["solar"].asset.asset_id, 2_000)
    text = "Raise the maintenance reserve to 20%"
    propose_and_run(story, "solar", [(registry, call)], text, FAILING_VOTES)


# ---------------------------------------------------------------------------------------------
# The year, the summary and the command
# ---------------------------------------------------------------------------------------------

# What happens after each month's reports (month 1 = the first month of production).
SCHEDULE: dict[int, list[Callable[[Story], None]]] = {
    1: [lambda story: gift(story, "solar", 250)],
    2: [open_listings],
    3: [lambda story: claims(story, CLAIM_CHANCE), finish_listings, late_refund],
    4: [
        pay_contractor,
        lambda story: claim_certificates(story, "solar", 3),
        lambda story: claim_certificates(story, "wind", 2),
    ],
    5: [battery_and_wind_listings, lambda story: give_certificates(story, "solar", 1_000_000)],
    6: [change_wind_operator, cancel_wind_listing, lambda story: claims(story, CLAIM_CHANCE)],
    7: [lambda story: gift(story, "wind", 120)],
    8: [release_hydro_reserve],
    9: [raise_solar_reserve, lambda story: claims(story, CLAIM_CHANCE)],
    10: [retire_certificates],
    12: [lambda story: claims(story, YEAR_END_CLAIM_CHANCE)],
}


def run_year(story: Story) -> None:
    start = first_of_next_month(datetime.fromtimestamp(chain.pending_timestamp, tz=UTC))
    for month in range(1, MONTHS + 1):
        end = first_of_next_month(start)
        report_month(story, start, end)
        for chapter in SCHEDULE.get(month, []):
            chapter(story)
        start = end


def summarize(story: Story, started: float, first_block: int) -> None:
    row = "{:<22}{:<8}{:>8}{:>15}{:>8}{:>8}{:>13}{:>13}{:>11}".format
    click.echo("\nSummary (amounts in mUSDC)")
    click.echo(
        row("asset", "status", "sold", "raised", "holders", "MWh", "revenue", "claimed", "reserve")
    )
    for live in story.assets.values():
        asset_id, token = live.asset.asset_id, live.asset.token
        record = story.platform.sale.sale(asset_id)
        mwh = story.platform.oracle.totalEnergyOf(asset_id) / 1e6
        claimed = sum(token.claimedRevenueOf(owner) for owner in live.owners.values())
        reserve = story.usdc.balanceOf(live.asset.timelock)
        sold, raised, revenue = f"{record.sold:,}", usd(record.raised), usd(live.revenue)
        cells = (live.plan.label, live.status.name, sold, raised, len(holders(live)), f"{mwh:,.0f}")
        click.echo(row(*cells, revenue, usd(claimed), usd(reserve)))
    n = story.tally
    click.echo(
        f"Activity: {n['purchases']} purchases, {n['refunds']} refunds, {n['reports']} signed "
        f"reports each paid by a deposit, {n['claims']} claims, {n['transfers']} transfers, "
        f"{n['listings']} listings ({n['fills']} fills, {n['cancelled']} cancelled, "
        f"{n['expired']} expired), {n['proposals executed'] + n['proposals defeated']} proposals "
        f"({n['proposals executed']} executed, {n['proposals defeated']} defeated)"
    )
    certificates = story.platform.certificates
    certified = sum(
        certificates.certifiedEnergyOf(live.asset.asset_id) for live in story.assets.values()
    )
    click.echo(
        f"Energy certificates: {certified / 1e6:,.0f} MWh certified, "
        f"{n['certificate claims']} claims, {n['certificate transfers']} transfers, "
        f"{n['certificate retirements']} retirements (proofs #1-#{certificates.retirementCount()})"
    )
    head, earned = chain.blocks.head, story.usdc.balanceOf
    fees = earned(story.cast.admin) - story.balances_before[story.cast.admin.address]
    repair = earned(CONTRACTOR) - story.balances_before[CONTRACTOR]
    click.echo(f"Platform fees earned: {usd(fees)}; paid to {CONTRACTOR_NAME}: {usd(repair)}")
    click.echo(
        f"Blocks {first_block}-{head.number}, chain clock now "
        f"{datetime.fromtimestamp(head.timestamp, tz=UTC):%Y-%m-%d}, "
        f"{time.monotonic() - started:.0f} s"
    )


def _local_only(ctx: click.Context, param: click.Parameter, provider: ProviderAPI) -> ProviderAPI:
    """Refuses a live network before connecting to it."""
    if not provider.network.is_local:
        raise click.BadParameter(
            f"the demo mints mock stablecoins and moves the chain's clock, so it runs only on a "
            f"local network, not {provider.network.choice}. Try --network ethereum:local:foundry.",
            ctx=ctx,
            param=param,
        )
    return provider


@click.command(
    cls=ConnectedProviderCommand, network_callback=_local_only, short_help="Play a year locally"
)
def cli() -> None:
    """Deploys (or reuses) the platform on a local chain and plays a year of activity on it."""
    started, first_block = time.monotonic(), chain.blocks.head.number + 1
    if logger.level >= LogLevel.INFO:
        logger.set_level(LogLevel.WARNING)  # a line per transaction would drown the story
    if len(accounts.test_accounts) < 20:
        raise click.ClickException("the demo needs 20+ test accounts (test.number_of_accounts)")
    cast = Cast(list(accounts.test_accounts))
    platform = platform_for(cast.admin)
    assert platform.stablecoin is not None  # platform_for checked
    story = Story(platform=platform, usdc=platform.stablecoin, cast=cast)
    for address in (cast.admin.address, CONTRACTOR):
        story.balances_before[address] = story.usdc.balanceOf(address)
    assign_roles(story)
    register_assets(story)
    plan_purchases(story)
    fund_investors(story)
    run_sale_waves(story)
    close_sales(story)
    register_meters(story)
    run_year(story)
    summarize(story, started, first_block)
