"""An account's yearly statement from the index: shares, trades, revenue and energy per asset.

The year is the calendar year in UTC; a log belongs to it when its block's timestamp does. The
state "at the start" is the one after every log dated before January 1st, "at the end" after
every log of the year. Revenue follows the share token's own arithmetic (a per-share accumulator
magnified by 2**128 and each holder's correction), replayed from the account's transfers and the
asset's deposits, so each figure equals the token's views at those moments. Definitions:
docs/architecture/api/statements.md.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from api.db import Database
from api.models.statements import (
    AssetStatement,
    Certificates,
    Claim,
    Energy,
    EnergyShare,
    MarketTrade,
    Period,
    Purchase,
    Refund,
    Revenue,
    RevenueShare,
    Shares,
    Statement,
    Trades,
    Transfer,
)
from api.queries.attribution import ATTRIBUTED_REPORTS
from api.queries.statement_certificates import certificates_in_year
from api.types import ZERO_ADDRESS

MAGNITUDE = 2**128  # ShareToken's accumulator scale


class StatementYearOutOfRange(Exception):
    """A year the chain has no statement for (before its first indexed block, or not begun)."""


def year_bounds(year: int) -> tuple[int, int]:
    """January 1st of `year` and of the next year, 00:00 UTC, as Unix seconds."""
    start = datetime(year, 1, 1, tzinfo=UTC)
    return int(start.timestamp()), int(start.replace(year=year + 1).timestamp())


def _day(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


async def _check_year(db: Database, *, chain_id: int, year: int, indexed_block: int) -> int:
    """The indexed head's timestamp, after refusing a year outside the indexed chain's span."""
    first = await db.fetch_one(
        "SELECT block_number, block_timestamp FROM raw_logs WHERE chain_id = %s"
        " ORDER BY block_number, log_index LIMIT 1",
        (chain_id,),
    )
    head = await db.fetch_one(
        "SELECT number, timestamp FROM blocks WHERE chain_id = %s AND number <= %s"
        " ORDER BY number DESC LIMIT 1",
        (chain_id, indexed_block),
    )
    if first is None or head is None:
        raise StatementYearOutOfRange("nothing is indexed yet: no statement until the index has"
                                      " the platform's first block")  # fmt: skip
    start, end = year_bounds(year)
    first_year = datetime.fromtimestamp(first["block_timestamp"], UTC).year
    if end <= first["block_timestamp"]:
        raise StatementYearOutOfRange(
            f"no statement for {year}: the chain's first indexed block ({first['block_number']},"
            f" the platform's deployment) is dated {_day(first['block_timestamp'])}; the first"
            f" year with a statement is {first_year}"
        )
    if start > head["timestamp"]:
        head_year = datetime.fromtimestamp(head["timestamp"], UTC).year
        raise StatementYearOutOfRange(
            f"{year} has not begun on chain: the indexed head (block {head['number']}) is dated"
            f" {_day(head['timestamp'])}; the latest year with a statement is {head_year}"
        )
    return int(head["timestamp"])


_ASSETS = """
SELECT h.token, h.asset_id, a.name, a.symbol, a.payment_token, a.share_price
FROM holders h JOIN assets a ON a.chain_id = h.chain_id AND a.asset_id = h.asset_id
WHERE h.chain_id = %(chain)s AND h.account = %(account)s ORDER BY h.asset_id
"""
_TRANSFERS = """
SELECT l.address AS token, l.block_number, l.log_index, l.tx_hash, l.block_timestamp AS timestamp,
       l.args->>'from' AS sender, l.args->>'to' AS recipient, (l.args->>'value')::numeric AS value
FROM raw_logs l
WHERE l.chain_id = %(chain)s AND l.event = 'Transfer' AND l.address = ANY(%(tokens)s)
  AND (l.args->>'from' = %(account)s OR l.args->>'to' = %(account)s)
  AND l.block_timestamp < %(end)s
"""
_DEPOSITS = """
SELECT asset_id, block_number, log_index, tx_hash, block_timestamp AS timestamp, deposit_id,
       distributed, magnified_revenue_per_share
FROM revenue_deposits
WHERE chain_id = %(chain)s AND asset_id = ANY(%(assets)s::numeric[]) AND block_timestamp < %(end)s
"""
_CLAIMS = """
SELECT asset_id, block_number, log_index, tx_hash, block_timestamp AS timestamp, amount,
       coalesce(recipient, account) AS recipient
FROM revenue_claims
WHERE chain_id = %(chain)s AND account = %(account)s AND block_timestamp < %(end)s
"""
_IN_YEAR = "block_timestamp >= %(start)s AND block_timestamp < %(end)s"
_PURCHASES = f"""
SELECT p.asset_id, p.block_number, p.log_index, p.tx_hash, p.block_timestamp AS timestamp,
       p.shares, p.cost, a.share_price
FROM purchases p JOIN assets a ON a.chain_id = p.chain_id AND a.asset_id = p.asset_id
WHERE p.chain_id = %(chain)s AND p.buyer = %(account)s AND p.{_IN_YEAR}
"""
_REFUNDS = f"""
SELECT asset_id, block_number, log_index, tx_hash, block_timestamp AS timestamp, shares, amount
FROM refunds WHERE chain_id = %(chain)s AND buyer = %(account)s AND {_IN_YEAR}
"""
_FILLS = f"""
SELECT asset_id, block_number, log_index, tx_hash, block_timestamp AS timestamp, listing_id,
       buyer, seller, amount, price_per_share, paid, fee
FROM fills
WHERE chain_id = %(chain)s AND (buyer = %(account)s OR seller = %(account)s) AND {_IN_YEAR}
"""
_ENERGY = f"""
WITH tokens AS (
    SELECT token, asset_id FROM holders WHERE chain_id = %(chain)s AND account = %(account)s
), {ATTRIBUTED_REPORTS}
SELECT * FROM attributed WHERE balance > 0 AND {_IN_YEAR}
"""
# The index keeps every block that has events (`blocks`); times grow with numbers, so the newest
# block before a moment is the last entry of `blocks_by_time` before it.
_STATE_BLOCK = """
SELECT number AS block FROM blocks WHERE chain_id = %(chain)s AND timestamp < %(at)s
ORDER BY timestamp DESC, number DESC LIMIT 1
"""


def _trace(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in ("block_number", "log_index", "tx_hash", "timestamp")}


def _position(row: dict[str, Any]) -> tuple[int, int]:
    return row["block_number"], row["log_index"]


@dataclass
class _Ledger:
    """The token's revenue state of one account, replayed log by log."""

    balance: int = 0
    correction: int = 0
    per_share: int = 0
    claimed: int = 0

    def entitlement(self) -> int:
        """claimedRevenueOf + claimableRevenueOf, as the token computes it."""
        return (self.per_share * self.balance + self.correction) // MAGNITUDE


@dataclass
class _Replay:
    """What the replay of one asset gives: the ledger at both ends and the year's lines."""

    start: _Ledger = field(default_factory=_Ledger)
    end: _Ledger = field(default_factory=_Ledger)
    deposits: list[RevenueShare] = field(default_factory=list)
    transfers_in: list[Transfer] = field(default_factory=list)
    transfers_out: list[Transfer] = field(default_factory=list)


def _replay(account: str, start: int, transfers: list[dict[str, Any]],
            deposits: list[dict[str, Any]], claims: list[dict[str, Any]],
            fills: list[dict[str, Any]]) -> _Replay:  # fmt: skip
    """Replays one asset's logs up to the year's end (the token's `_update`, `_distribute` and
    `_claim`), noting the state when the year starts and the lines of the year."""
    market = {(f["tx_hash"], f["seller"], f["buyer"], f["amount"]) for f in fills}
    events = sorted(
        [("transfer", t) for t in transfers] + [("deposit", d) for d in deposits]
        + [("claim", c) for c in claims],
        key=lambda item: _position(item[1]),
    )  # fmt: skip
    ledger, out, started = _Ledger(), _Replay(), False
    for kind, row in events:
        if not started and row["timestamp"] >= start:
            out.start, started = _Ledger(**vars(ledger)), True
        if kind == "deposit":
            before = ledger.entitlement()
            ledger.per_share = row["magnified_revenue_per_share"]
            if started and ledger.balance > 0:
                out.deposits.append(RevenueShare(
                    **_trace(row), deposit_id=row["deposit_id"], distributed=row["distributed"],
                    shares=ledger.balance, earned=ledger.entitlement() - before,
                ))  # fmt: skip
        elif kind == "claim":
            ledger.claimed += row["amount"]
        else:
            value, sender, recipient = row["value"], row["sender"], row["recipient"]
            correction = ledger.per_share * value
            if sender == account:
                ledger.balance -= value
                ledger.correction += correction
            if recipient == account:
                ledger.balance += value
                ledger.correction -= correction
            moved = (row["tx_hash"], sender, recipient, value)
            if started and ZERO_ADDRESS not in (sender, recipient) and moved not in market:
                line = Transfer(**_trace(row), shares=value,
                                counterparty=recipient if sender == account else sender)  # fmt: skip
                (out.transfers_out if sender == account else out.transfers_in).append(line)
    if not started:
        out.start = _Ledger(**vars(ledger))
    out.end = ledger
    return out


async def account_statement(
    db: Database, *, chain_id: int, account: str, year: int, indexed_block: int
) -> Statement:
    """The yearly statement of `account` (lowercase) at the indexed block.

    Raises:
        StatementYearOutOfRange: The year is before the chain's first indexed block, or has not
            begun at the indexed head.
    """
    head_time = await _check_year(db, chain_id=chain_id, year=year, indexed_block=indexed_block)
    start, end = year_bounds(year)
    params: dict[str, Any] = {"chain": chain_id, "account": account, "start": start, "end": end}
    assets = await db.fetch(_ASSETS, params)
    params["tokens"] = [a["token"] for a in assets]
    params["assets"] = [str(a["asset_id"]) for a in assets]
    reads = await asyncio.gather(*(db.fetch(sql, params) for sql in (
        _TRANSFERS, _DEPOSITS, _CLAIMS, _PURCHASES, _REFUNDS, _FILLS, _ENERGY)))  # fmt: skip
    transfers, deposits, claims, purchases, refunds, fills, energy = reads
    first, last = await asyncio.gather(
        db.fetch_one(_STATE_BLOCK, {**params, "at": start}),
        db.fetch_one(_STATE_BLOCK, {**params, "at": end}),
    )
    certificates = await certificates_in_year(
        db,
        chain_id=chain_id,
        account=account,
        asset_ids=[a["asset_id"] for a in assets],
        start=start,
        end=end,
    )

    def of(
        rows: list[dict[str, Any]], asset: dict[str, Any], key: str = "asset_id"
    ) -> list[dict[str, Any]]:
        wanted = asset["token"] if key == "token" else asset["asset_id"]
        return sorted((r for r in rows if r[key] == wanted), key=_position)

    statements = []
    for asset in assets:
        asset_fills = of(fills, asset)
        replay = _replay(account, start, of(transfers, asset, "token"), of(deposits, asset),
                         of(claims, asset), asset_fills)  # fmt: skip
        in_year_claims = [c for c in of(claims, asset) if c["timestamp"] >= start]
        section = _asset_statement(
            account, asset, replay, purchases=of(purchases, asset), refunds=of(refunds, asset),
            fills=asset_fills, claims=in_year_claims, energy=of(energy, asset),
            certificates=certificates[asset["asset_id"]],
        )  # fmt: skip
        if _has_figures(section):
            statements.append(section)
    return Statement(
        account=account, year=year, indexed_block=indexed_block, assets=statements,
        period=Period(start=start, end=end, complete=head_time >= end,
                      start_state_block=first["block"] if first else None,
                      end_state_block=last["block"] if last else None),
    )  # fmt: skip


def _trade(row: dict[str, Any], *, buy: bool) -> MarketTrade:
    return MarketTrade(
        **_trace(row), listing_id=row["listing_id"], shares=row["amount"],
        price_per_share=row["price_per_share"], paid=row["paid"], fee=row["fee"],
        proceeds=row["paid"] - row["fee"], counterparty=row["seller"] if buy else row["buyer"],
    )  # fmt: skip


def _asset_statement(account: str, asset: dict[str, Any], replay: _Replay, *,
                     purchases: list[dict[str, Any]], refunds: list[dict[str, Any]],
                     fills: list[dict[str, Any]], claims: list[dict[str, Any]],
                     energy: list[dict[str, Any]], certificates: Certificates
                     ) -> AssetStatement:  # fmt: skip
    bought = [_trade(f, buy=True) for f in fills if f["buyer"] == account]
    sold = [_trade(f, buy=False) for f in fills if f["seller"] == account]
    trades = Trades(
        purchases=[Purchase(**_trace(p), shares=p["shares"], price_per_share=p["share_price"],
                            cost=p["cost"], fee=0) for p in purchases],
        refunds=[Refund(**_trace(r), shares=r["shares"], amount=r["amount"]) for r in refunds],
        market_buys=bought, market_sells=sold,
        transfers_in=replay.transfers_in, transfers_out=replay.transfers_out,
        purchases_cost=sum(p["cost"] for p in purchases),
        refunds_amount=sum(r["amount"] for r in refunds),
        market_buys_paid=sum(t.paid for t in bought),
        market_sells_proceeds=sum(t.proceeds for t in sold),
        market_sells_fees=sum(t.fee for t in sold),
    )  # fmt: skip
    shares = Shares(
        start=replay.start.balance, end=replay.end.balance,
        purchased=sum(p.shares for p in trades.purchases),
        refunded=sum(r.shares for r in trades.refunds),
        bought=sum(t.shares for t in bought), sold=sum(t.shares for t in sold),
        transferred_in=sum(t.shares for t in replay.transfers_in),
        transferred_out=sum(t.shares for t in replay.transfers_out),
    )  # fmt: skip
    start, end = replay.start, replay.end
    revenue = Revenue(
        unclaimed_start=start.entitlement() - start.claimed,
        earned=end.entitlement() - start.entitlement(),
        claimed=end.claimed - start.claimed,
        unclaimed_end=end.entitlement() - end.claimed,
        deposits=replay.deposits,
        claims=[Claim(**_trace(c), amount=c["amount"], recipient=c["recipient"]) for c in claims],
    )  # fmt: skip
    reports = [
        EnergyShare(**_trace({**r, "timestamp": r["block_timestamp"]}), report_id=r["report_id"],
                    period_start=r["period_start"], period_end=r["period_end"],
                    report_wh=r["report_wh"], shares=r["balance"], supply=r["supply"],
                    attributed_wh=r["attributed_wh"])
        for r in energy
    ]  # fmt: skip
    return AssetStatement(
        asset_id=asset["asset_id"], name=asset["name"], symbol=asset["symbol"],
        share_token=asset["token"], payment_token=asset["payment_token"], shares=shares,
        trades=trades, revenue=revenue,
        energy=Energy(attributed_wh=sum(r.attributed_wh for r in reports), reports=reports),
        certificates=certificates,
    )  # fmt: skip


def _has_figures(section: AssetStatement) -> bool:
    """Whether the asset has anything to state for the year (else it is left out)."""
    t, r = section.trades, section.revenue
    lines = (t.purchases, t.refunds, t.market_buys, t.market_sells, t.transfers_in,
             t.transfers_out, r.deposits, r.claims, section.energy.reports,
             section.certificates.claims, section.certificates.retirements)  # fmt: skip
    amounts = (section.shares.start, section.shares.end, r.unclaimed_start, r.unclaimed_end)
    return any(lines) or any(amounts)
