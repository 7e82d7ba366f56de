"""Energy certificates from the index: an account's holdings and claimable parts, an asset's
issuance and retirements, a retirement's proof, and an account's figures over a period (which the
yearly statement uses).

An account's part of a report is computed as the contract does (`entitlementOf`): its balance at
the share token's snapshot (`share_snapshots`, else its balance now when it has not changed since),
times the report's energy, divided by the supply then, rounded down.
"""

from __future__ import annotations

from typing import Any

from api.db import Database
from api.models.certificates import (
    AccountCertificates,
    CertificateHolding,
    CertificateYearFigures,
    ClaimableReport,
    Issuance,
    Retirement,
)
from api.pagination import Page, page_of
from api.queries.events import as_int, cursor_key, keyset, order_by

# Each report of an asset the account ever held, with the account's shares when it was accepted.
_PARTS = """
WITH mine AS (
    SELECT token, asset_id, balance FROM holders
    WHERE chain_id = %(chain)s AND account = %(account)s
), parts AS (
    SELECT i.report_id, i.token_id, i.asset_id, i.period_start, i.period_end, i.energy_wh,
           i.supply, i.block_timestamp,
           COALESCE((SELECT s.balance FROM share_snapshots s
                     WHERE s.chain_id = %(chain)s AND s.token = m.token
                       AND s.account = %(account)s AND s.snapshot_id >= i.snapshot_id
                     ORDER BY s.snapshot_id LIMIT 1), m.balance) AS shares
    FROM mine m JOIN certificate_issuances i
        ON i.chain_id = %(chain)s AND i.asset_id = m.asset_id AND i.supply > 0
)
SELECT p.*, div(p.energy_wh * p.shares, p.supply) AS entitlement_wh,
       COALESCE(c.energy_wh, 0) AS claimed_wh, a.name AS asset_name
FROM parts p
JOIN assets a ON a.chain_id = %(chain)s AND a.asset_id = p.asset_id
LEFT JOIN certificate_claims c
    ON c.chain_id = %(chain)s AND c.report_id = p.report_id AND c.account = %(account)s
"""

_RETIREMENT = """
SELECT r.retirement_id, r.account, r.token_id, r.asset_id, a.name AS asset_name, r.period_start,
       r.period_end, r.energy_wh, r.beneficiary, r.purpose, r.location, r.claim_hash,
       r.block_number, r.log_index, r.block_timestamp AS retired_at, r.tx_hash
FROM certificate_retirements r JOIN assets a ON a.chain_id = r.chain_id AND a.asset_id = r.asset_id
"""


async def claimable_parts(db: Database, *, chain_id: int, account: str) -> list[ClaimableReport]:
    """Every report the account has a part of (claimed or not), oldest first."""
    rows = await db.fetch(
        _PARTS + " WHERE p.shares > 0 ORDER BY p.report_id",
        {"chain": chain_id, "account": account},
    )
    return [
        ClaimableReport(
            **{k: row[k] for k in ClaimableReport.model_fields if k != "claimable_wh"},
            claimable_wh=row["entitlement_wh"] - row["claimed_wh"],
        )
        for row in rows
    ]


async def account_certificates(db: Database, *, chain_id: int, account: str) -> AccountCertificates:
    """The account's certificates; empty (not an error) for an unknown account."""
    parts = await claimable_parts(db, chain_id=chain_id, account=account)
    held = await db.fetch(
        "SELECT b.token_id, b.asset_id, a.name AS asset_name, b.period_start, b.period_end,"
        " b.balance AS balance_wh, b.claimed AS claimed_wh, b.retired AS retired_wh"
        " FROM certificate_balances b JOIN assets a ON a.chain_id = b.chain_id"
        " AND a.asset_id = b.asset_id WHERE b.chain_id = %s AND b.account = %s"
        " ORDER BY b.asset_id, b.period_start, b.period_end",
        (chain_id, account),
    )
    retired = await db.fetch(
        _RETIREMENT + " WHERE r.chain_id = %s AND r.account = %s"
        " ORDER BY r.block_number DESC, r.log_index DESC",
        (chain_id, account),
    )
    holdings = [CertificateHolding(**row) for row in held]
    return AccountCertificates(
        account=account,
        held_wh=sum(h.balance_wh for h in holdings),
        claimable_wh=sum(p.claimable_wh for p in parts),
        claimed_wh=sum(p.claimed_wh for p in parts),
        retired_wh=sum(h.retired_wh for h in holdings),
        holdings=holdings,
        claimable=[p for p in parts if p.claimable_wh > 0],
        retirements=[Retirement(**row) for row in retired],
    )


async def issuances(
    db: Database, *, chain_id: int, asset_id: int, cursor: str | None = None, limit: int
) -> Page[Issuance]:
    """The asset's certified reports, newest first.

    Raises:
        InvalidCursor: The cursor is not one of this list's.
    """
    key = cursor_key("certificate-issuances", cursor, (as_int, as_int))
    params: dict[str, Any] = {"chain": chain_id, "asset": asset_id, "limit": limit + 1}
    columns = ("i.block_number", "i.log_index")
    rows = await db.fetch(
        "SELECT i.report_id, i.token_id, i.asset_id, a.name AS asset_name, i.period_start,"
        " i.period_end, i.energy_wh, i.supply, i.asset_certified_wh, i.block_number, i.log_index,"
        " i.block_timestamp, i.tx_hash, COALESCE((SELECT sum(c.energy_wh) FROM certificate_claims c"
        " WHERE c.chain_id = i.chain_id AND c.report_id = i.report_id), 0) AS claimed_wh"
        " FROM certificate_issuances i JOIN assets a ON a.chain_id = i.chain_id"
        " AND a.asset_id = i.asset_id WHERE i.chain_id = %(chain)s AND i.asset_id = %(asset)s"
        + keyset(columns, key, params, descending=True) + order_by(columns, descending=True)
        + " LIMIT %(limit)s",
        params,
    )  # fmt: skip
    page = page_of("certificate-issuances", rows, limit,
                   lambda r: (r["block_number"], r["log_index"]))  # fmt: skip
    return Page[Issuance](data=[Issuance(**r) for r in page.data], next_cursor=page.next_cursor)


async def asset_retirements(
    db: Database, *, chain_id: int, asset_id: int, cursor: str | None = None, limit: int
) -> Page[Retirement]:
    """The asset's retirements, newest first.

    Raises:
        InvalidCursor: The cursor is not one of this list's.
    """
    key = cursor_key("certificate-retirements", cursor, (as_int, as_int))
    params: dict[str, Any] = {"chain": chain_id, "asset": asset_id, "limit": limit + 1}
    columns = ("r.block_number", "r.log_index")
    rows = await db.fetch(
        _RETIREMENT + " WHERE r.chain_id = %(chain)s AND r.asset_id = %(asset)s"
        + keyset(columns, key, params, descending=True) + order_by(columns, descending=True)
        + " LIMIT %(limit)s",
        params,
    )  # fmt: skip
    page = page_of("certificate-retirements", rows, limit,
                   lambda r: (r["block_number"], r["log_index"]))  # fmt: skip
    return Page[Retirement](data=[Retirement(**r) for r in page.data], next_cursor=page.next_cursor)


async def retirement(db: Database, *, chain_id: int, retirement_id: int) -> Retirement | None:
    """One retirement's proof, or None when there is no such retirement (yet)."""
    row = await db.fetch_one(
        _RETIREMENT + " WHERE r.chain_id = %s AND r.retirement_id = %s", (chain_id, retirement_id)
    )
    return None if row is None else Retirement(**row)


async def certificate_figures(
    db: Database, *, chain_id: int, account: str, start: int, end: int
) -> list[CertificateYearFigures]:
    """Per asset, the account's certificate figures over [start, end) (unix seconds): its parts of
    the reports accepted then, what it claimed and what it retired then, with the transactions.
    Assets without any figure in the period are left out."""
    params = {"chain": chain_id, "account": account, "start": start, "end": end}
    parts = await db.fetch(
        "SELECT asset_id, sum(entitlement_wh) AS wh FROM (" + _PARTS + ") x"
        " WHERE block_timestamp >= %(start)s AND block_timestamp < %(end)s GROUP BY asset_id",
        params,
    )
    claims = await db.fetch(
        "SELECT asset_id, energy_wh, tx_hash FROM certificate_claims WHERE chain_id = %(chain)s"
        " AND account = %(account)s AND block_timestamp >= %(start)s"
        " AND block_timestamp < %(end)s ORDER BY block_number, log_index",
        params,
    )
    retired = await db.fetch(
        "SELECT asset_id, energy_wh, tx_hash FROM certificate_retirements"
        " WHERE chain_id = %(chain)s AND account = %(account)s AND block_timestamp >= %(start)s"
        " AND block_timestamp < %(end)s ORDER BY block_number, log_index",
        params,
    )
    figures: dict[int, CertificateYearFigures] = {}

    def of(asset_id: int) -> CertificateYearFigures:
        return figures.setdefault(asset_id, CertificateYearFigures(
            asset_id=asset_id, attributed_wh=0, claimed_wh=0, retired_wh=0, claim_txs=[],
            retirement_txs=[],
        ))  # fmt: skip

    for row in parts:
        of(row["asset_id"]).attributed_wh += row["wh"]
    for row in claims:
        figure = of(row["asset_id"])
        figure.claimed_wh += row["energy_wh"]
        if row["tx_hash"] not in figure.claim_txs:
            figure.claim_txs.append(row["tx_hash"])
    for row in retired:
        figure = of(row["asset_id"])
        figure.retired_wh += row["energy_wh"]
        figure.retirement_txs.append(row["tx_hash"])
    return [figures[k] for k in sorted(figures)]
