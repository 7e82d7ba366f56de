"""Assets: the list with its filters and sorts, one asset's record and figures, its holders,
production and revenue.

The funding state and the yield depend on time: "now" is the last indexed block's timestamp
(`INDEXED_TIME`), so an answer is the same whenever it is asked at the same indexed block.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from api.db import Database
from api.models.assets import (
    AnnualYield,
    AssetDetail,
    AssetSummary,
    FundingProgress,
    FundingState,
    Governance,
    Holder,
    Kind,
    PaymentToken,
    ProductionTotals,
    RevenuePerShare,
    RevenueTotals,
    SaleTerms,
    Status,
)
from api.pagination import Page, page_of
from api.queries.events import INDEXED_TIME, as_int, as_text, cursor_key, keyset, order_by

MAGNITUDE_BITS = 128
YEAR = 365 * 86_400
AssetSort = Literal[
    "registered", "-registered", "name", "-name", "capacity", "-capacity", "funding", "-funding",
    "energy", "-energy", "revenue", "-revenue",
]  # fmt: skip
SORT_COLUMNS = {
    "registered": "a.registered_block",
    "name": "a.name",
    "capacity": "a.capacity_watts",
    "funding": "div(a.shares_sold * 10000, a.total_shares)",
    "energy": "a.energy_wh",
    "revenue": "a.revenue_distributed",
}
"""What each sort orders by (then by asset id): `funding` is the share of the supply sold, in basis
points; `revenue` is the revenue distributed to holders."""

FUNDING = f"""CASE
    WHEN a.sale_finalized THEN CASE WHEN a.sale_succeeded THEN 'funded' ELSE 'failed' END
    WHEN {INDEXED_TIME} < a.sale_start THEN 'upcoming'
    WHEN a.shares_sold < a.total_shares AND {INDEXED_TIME} <= a.sale_end THEN 'open'
    WHEN a.raised >= a.min_raise THEN 'funded'
    ELSE 'failed' END"""
"""SQL for an asset's funding state (see `api.models.assets.FUNDING_RULES`)."""


@dataclass(frozen=True)
class TokenInfo:
    """What the deployment record says of a payment token."""

    symbol: str | None
    decimals: int | None


KNOWN_TOKENS = {"MockStablecoin": TokenInfo("mUSDC", 6)}
"""Payment tokens deployed by the platform's scripts, by their name in the deployment record."""


@lru_cache(maxsize=16)
def _read_book(path: Path, modified: float) -> dict[str, TokenInfo]:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    book: dict[str, TokenInfo] = {}
    contracts = record.get("contracts") if isinstance(record, dict) else None
    for name, entry in (contracts or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("address"), str):
            continue
        decimals = entry.get("decimals")
        if name in KNOWN_TOKENS:
            book[entry["address"].lower()] = KNOWN_TOKENS[name]
        elif name == "Stablecoin" or isinstance(decimals, int):
            symbol = entry.get("symbol")
            book[entry["address"].lower()] = TokenInfo(
                symbol if isinstance(symbol, str) else None,
                decimals if isinstance(decimals, int) else None,
            )
    return book


def token_book(deployments_dir: Path, chain_id: int) -> dict[str, TokenInfo]:
    """Payment tokens named in the chain's deployment record (`<dir>/<chain_id>.json`).

    The platform's mock stablecoin is known (mUSDC, 6 decimals); another entry tells its own
    `symbol` and `decimals` when it has them. Re-read when the file changes; empty without one.
    """
    path = deployments_dir / f"{chain_id}.json"
    try:
        modified = os.stat(path).st_mtime
    except OSError:
        return {}
    return _read_book(path, modified)


def decimal_string(value: int, scale: int) -> str:
    """`value / 10**scale` written out exactly, without trailing zeros."""
    sign, digits = ("-", str(-value)) if value < 0 else ("", str(value))
    if scale <= 0:
        return sign + digits + "0" * -scale
    digits = digits.rjust(scale + 1, "0")
    whole, fraction = digits[:-scale], digits[-scale:].rstrip("0")
    return sign + whole + ("." + fraction if fraction else "")


def per_share(magnified: int, decimals: int = 0) -> str:
    """`magnified / 2**128 / 10**decimals`, exactly (x / 2**128 = x * 5**128 / 10**128)."""
    return decimal_string(magnified * 5**MAGNITUDE_BITS, MAGNITUDE_BITS + decimals)


def _payment_token(address: str, tokens: dict[str, TokenInfo]) -> PaymentToken:
    info = tokens.get(address, TokenInfo(None, None))
    return PaymentToken(address=address, symbol=info.symbol, decimals=info.decimals)


def _summary_fields(row: dict[str, Any], tokens: dict[str, TokenInfo]) -> dict[str, Any]:
    total, minimum = row["total_shares"], row["min_raise"]
    funding_state: FundingState = row["funding_state"]
    kind: Kind = row["kind"]
    status: Status = row["status"]
    return {
        **{name: row[name] for name in (
            "asset_id", "name", "symbol", "capacity_watts", "location", "country", "operator",
            "share_token", "share_price", "holder_count", "energy_wh", "revenue_distributed",
            "last_price", "paused", "paused_by_pauser", "paused_by_governance", "registered_block",
            "registered_at",
        )},
        "kind": kind,
        "status": status,
        "payment_token": _payment_token(row["payment_token"], tokens),
        "funding": FundingProgress(
            state=funding_state, shares_sold=row["shares_sold"], total_shares=total,
            sold_bps=row["shares_sold"] * 10_000 // total if total else 0, raised=row["raised"],
            min_raise=minimum, raised_of_min_bps=row["raised"] * 10_000 // minimum if minimum else 0,
        ),
    }  # fmt: skip


async def list_assets(
    db: Database,
    *,
    chain_id: int,
    tokens: dict[str, TokenInfo],
    kind: Kind | None = None,
    status: Status | None = None,
    country: str | None = None,
    location: str | None = None,
    operator: str | None = None,
    funding: FundingState | None = None,
    sort: AssetSort = "registered",
    cursor: str | None = None,
    limit: int,
) -> Page[AssetSummary]:
    """Assets matching every filter given, in the order asked.

    Args:
        db: The index.
        chain_id: The chain.
        tokens: Known payment tokens (`token_book`).
        kind: Only this kind.
        status: Only this status.
        country: Only this country code (any case).
        location: Only locations containing this text (any case).
        operator: Only assets run by this operator (lowercase address).
        funding: Only assets whose sale is in this state.
        sort: A key of `SORT_COLUMNS`, `-` first for descending; ties by asset id.
        cursor: `next_cursor` of the previous page.
        limit: Assets per page.

    Raises:
        InvalidCursor: The cursor is not one of this list's (or was made for another sort).
    """
    descending = sort.startswith("-")
    column = SORT_COLUMNS[sort.lstrip("-")]
    kind_name = f"assets:{sort}"
    key = cursor_key(kind_name, cursor, (as_text if sort.endswith("name") else as_int, as_int))
    params: dict[str, Any] = {"chain": chain_id, "limit": limit + 1}
    where = ["a.chain_id = %(chain)s"]
    for name, value, condition in (
        ("kind", kind, "a.kind = %(kind)s"),
        ("status", status, "a.status = %(status)s"),
        ("country", country and country.upper(), "a.country = %(country)s"),
        ("location", location and _like(location), "a.location ILIKE %(location)s"),
        ("operator", operator, "a.operator = %(operator)s"),
        ("funding", funding, f"({FUNDING}) = %(funding)s"),
    ):
        if value is not None:
            params[name] = value
            where.append(condition)
    columns = (column, "a.asset_id")
    rows = await db.fetch(
        f"SELECT a.*, {FUNDING} AS funding_state, {column} AS sort_value FROM assets a WHERE "
        + " AND ".join(where) + keyset(columns, key, params, descending=descending)
        + order_by(columns, descending=descending) + " LIMIT %(limit)s",
        params,
    )  # fmt: skip
    page = page_of(kind_name, rows, limit, lambda r: (r["sort_value"], r["asset_id"]))
    return Page[AssetSummary](
        data=[AssetSummary(**_summary_fields(row, tokens)) for row in page.data],
        next_cursor=page.next_cursor,
    )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def asset_exists(db: Database, *, chain_id: int, asset_id: int) -> bool:
    """Whether the asset was registered."""
    row = await db.fetch_one(
        "SELECT 1 FROM assets WHERE chain_id = %s AND asset_id = %s", (chain_id, asset_id)
    )
    return row is not None


async def get_asset(
    db: Database, *, chain_id: int, asset_id: int, tokens: dict[str, TokenInfo]
) -> AssetDetail | None:
    """One asset with its funding, production, revenue and yield figures; None if unknown."""
    found = await get_assets(db, chain_id=chain_id, asset_ids=[asset_id], tokens=tokens)
    return found.get(asset_id)


async def get_assets(
    db: Database, *, chain_id: int, asset_ids: Sequence[int], tokens: dict[str, TokenInfo]
) -> dict[int, AssetDetail]:
    """Several assets (as `get_asset`) in one query, by id; unknown ids are left out."""
    rows = await db.fetch(
        f"""WITH base AS (
            SELECT a.*, {FUNDING} AS funding_state, {INDEXED_TIME} AS now,
                (SELECT block_number FROM checkpoints WHERE chain_id = %(chain)s) AS indexed_block,
                (SELECT r.block_timestamp FROM raw_logs r WHERE r.chain_id = %(chain)s
                    AND r.event = 'SaleFinalized' AND r.args->>'assetId' = a.asset_id::text
                    ORDER BY r.block_number, r.log_index LIMIT 1) AS finalized_at
            FROM assets a WHERE a.chain_id = %(chain)s AND a.asset_id = ANY(%(assets)s::numeric[]))
        SELECT base.*, GREATEST(base.now - %(year)s, base.finalized_at) AS window_start,
            COALESCE((SELECT d.magnified_revenue_per_share FROM revenue_deposits d
                WHERE d.chain_id = %(chain)s AND d.asset_id = base.asset_id
                    AND d.block_timestamp <= GREATEST(base.now - %(year)s, base.finalized_at)
                ORDER BY d.block_number DESC, d.log_index DESC LIMIT 1), 0) AS window_accumulator
        FROM base""",
        {"chain": chain_id, "assets": list(asset_ids), "year": YEAR},
    )
    return {row["asset_id"]: _detail(row, tokens) for row in rows}


def _detail(row: dict[str, Any], tokens: dict[str, TokenInfo]) -> AssetDetail:
    token = _payment_token(row["payment_token"], tokens)
    magnified = row["magnified_revenue_per_share"]
    return AssetDetail(
        **_summary_fields(row, tokens),
        **{name: row[name] for name in (
            "metadata_uri", "reserve_bps", "requires_verification", "transfers_active",
            "total_supply", "traded_shares", "updated_block", "indexed_block",
        )},
        indexed_at=row["now"] or 0,
        sale=SaleTerms(
            start=row["sale_start"], end=row["sale_end"],
            max_shares_per_buyer=row["max_shares_per_buyer"], treasury=row["treasury"],
            finalized=row["sale_finalized"], succeeded=row["sale_succeeded"],
            refunded_shares=row["refunded_shares"], refunded_amount=row["refunded_amount"],
            raise_deferred=row["raise_deferred"], cancelled=row["sale_cancelled"],
        ),
        governance=Governance(**{name: row[name] for name in (
            "governor", "timelock", "voting_delay", "voting_period", "proposal_threshold",
            "quorum_percent", "timelock_delay",
        )}),
        production=ProductionTotals(energy_wh=row["energy_wh"], report_count=row["report_count"]),
        revenue=RevenueTotals(
            deposits=row["revenue_deposits"], gross=row["revenue_gross"],
            fees=row["revenue_fees"], reserve=row["revenue_reserve"],
            distributed=row["revenue_distributed"], claimed=row["revenue_claimed"],
            unclaimed=row["revenue_distributed"] - row["revenue_claimed"],
        ),
        revenue_per_share=RevenuePerShare(
            magnified=magnified, base_units=per_share(magnified),
            tokens=None if token.decimals is None else per_share(magnified, token.decimals),
        ),
        annual_yield=_annual_yield(row),
    )  # fmt: skip


def _annual_yield(row: dict[str, Any]) -> AnnualYield | None:
    """The trailing-year yield (see `AnnualYield`), or None before the sale succeeded."""
    start, end = row["window_start"], row["now"]
    if not row["sale_succeeded"] or start is None or end is None or end <= start:
        return None
    growth = row["magnified_revenue_per_share"] - row["window_accumulator"]
    bps = growth * 10_000 * YEAR // (2**MAGNITUDE_BITS * row["share_price"] * (end - start))
    return AnnualYield(
        window_start=start,
        window_end=end,
        revenue_per_share=per_share(growth),
        yield_bps=bps,
        percent=f"{bps // 100}.{bps % 100:02d}",
    )


async def holders(
    db: Database, *, chain_id: int, asset_id: int, cursor: str | None = None, limit: int
) -> Page[Holder]:
    """The asset's holders (balance above zero), largest first, ties by address.

    Raises:
        InvalidCursor: The cursor is not one of this list's.
    """
    key = cursor_key("holders", cursor, (as_int, as_text))
    params: dict[str, Any] = {"chain": chain_id, "asset": asset_id, "limit": limit + 1}
    columns = ("h.balance", "h.account")
    rows = await db.fetch(
        "SELECT h.account, h.balance, h.votes, h.delegate, h.claimed, h.claimable, h.first_block,"
        " a.total_supply FROM holdings h JOIN assets a ON a.chain_id = h.chain_id"
        " AND a.asset_id = h.asset_id WHERE h.chain_id = %(chain)s AND h.asset_id = %(asset)s"
        " AND h.balance > 0" + keyset(columns, key, params, descending=True)
        + order_by(columns, descending=True) + " LIMIT %(limit)s",
        params,
    )  # fmt: skip
    page = page_of("holders", rows, limit, lambda r: (r["balance"], r["account"]))
    return Page[Holder](
        data=[
            Holder(
                **{k: v for k, v in row.items() if k != "total_supply"},
                supply_bps=row["balance"] * 10_000 // row["total_supply"]
                if row["total_supply"]
                else 0,
            )
            for row in page.data
        ],
        next_cursor=page.next_cursor,
    )
