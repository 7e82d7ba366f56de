"""A yearly statement as CSV: one table, one row per figure or line, for a spreadsheet.

Each row is either a `total` (a figure of the asset's statement: shares at the start, revenue
earned...) or an `item` (one log: a purchase, a fill, a claim, a deposit's share, a report's
share), with the log's position and transaction. `value` is the row's amount in `unit`: shares,
the payment token's base units, or Wh; every number is an exact integer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime

from api.models.statements import AssetStatement, Statement, Trace
from api.types import checksum

COLUMNS = (
    "asset_id", "asset", "row", "figure", "value", "unit", "shares", "price_per_share", "fee",
    "counterparty", "block_number", "log_index", "tx_hash", "time_utc",
)  # fmt: skip
MEDIA_TYPE = "text/csv"

Row = dict[str, object]


def filename(statement: Statement) -> str:
    """The download's name: `statement-<account>-<year>.csv`."""
    return f"statement-{checksum(statement.account)}-{statement.year}.csv"


def _time(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _item(figure: str, value: int, unit: str, line: Trace, **more: object) -> Row:
    return {"row": "item", "figure": figure, "value": value, "unit": unit,
            "block_number": line.block_number, "log_index": line.log_index,
            "tx_hash": line.tx_hash, "time_utc": _time(line.timestamp), **more}  # fmt: skip


def _rows(section: AssetStatement) -> Iterator[Row]:
    s, t, r, e, c = (section.shares, section.trades, section.revenue, section.energy,
                     section.certificates)  # fmt: skip
    money = "payment_token_units"
    totals: list[tuple[str, int, str]] = [
        ("shares_start", s.start, "shares"), ("shares_purchased", s.purchased, "shares"),
        ("shares_refunded", s.refunded, "shares"), ("shares_bought", s.bought, "shares"),
        ("shares_sold", s.sold, "shares"), ("shares_transferred_in", s.transferred_in, "shares"),
        ("shares_transferred_out", s.transferred_out, "shares"), ("shares_end", s.end, "shares"),
        ("purchases_cost", t.purchases_cost, money), ("refunds_amount", t.refunds_amount, money),
        ("market_buys_paid", t.market_buys_paid, money),
        ("market_sells_proceeds", t.market_sells_proceeds, money),
        ("market_sells_fees", t.market_sells_fees, money),
        ("revenue_unclaimed_start", r.unclaimed_start, money),
        ("revenue_earned", r.earned, money), ("revenue_claimed", r.claimed, money),
        ("revenue_unclaimed_end", r.unclaimed_end, money),
        ("energy_attributed", e.attributed_wh, "Wh"),
        ("certificates_claimed", c.claimed_wh, "Wh"), ("certificates_retired", c.retired_wh, "Wh"),
    ]  # fmt: skip
    for figure, value, unit in totals:
        yield {"row": "total", "figure": figure, "value": value, "unit": unit}
    for p in t.purchases:
        yield _item("purchase", p.cost, money, p, shares=p.shares,
                    price_per_share=p.price_per_share, fee=p.fee)  # fmt: skip
    for f in t.refunds:
        yield _item("refund", f.amount, money, f, shares=f.shares)
    for kind, trades, buy in (("market_buy", t.market_buys, True),
                              ("market_sell", t.market_sells, False)):  # fmt: skip
        for m in trades:
            yield _item(kind, m.paid if buy else m.proceeds, money, m, shares=m.shares,
                        price_per_share=m.price_per_share, fee=m.fee,
                        counterparty=checksum(m.counterparty))  # fmt: skip
    for kind, moves in (("transfer_in", t.transfers_in), ("transfer_out", t.transfers_out)):
        for move in moves:
            yield _item(kind, move.shares, "shares", move, shares=move.shares,
                        counterparty=checksum(move.counterparty))  # fmt: skip
    for d in r.deposits:
        yield _item("revenue_deposit_share", d.earned, money, d, shares=d.shares)
    for claim in r.claims:
        yield _item("revenue_claim", claim.amount, money, claim,
                    counterparty=checksum(claim.recipient))  # fmt: skip
    for report in e.reports:
        yield _item("energy_report_share", report.attributed_wh, "Wh", report,
                    shares=report.shares)  # fmt: skip
    for kind, lines in (("certificate_claim", c.claims), ("certificate_retirement", c.retirements)):
        for line in lines:
            yield _item(kind, line.energy_wh, "Wh", line)


def render(statement: Statement) -> str:
    """The statement as CSV text (RFC 4180, CRLF line ends, a header row)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="raise")
    writer.writeheader()
    for section in statement.assets:
        for row in _rows(section):
            writer.writerow({"asset_id": section.asset_id, "asset": section.name, **row})
    return out.getvalue()
