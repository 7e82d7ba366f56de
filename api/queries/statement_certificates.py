"""The certificates part of a yearly statement: the one place its figures come from."""

from __future__ import annotations

from collections.abc import Sequence

from api.db import Database
from api.models.statements import CertificateLine, Certificates

# An account's claims and retirements of the statement's assets logged in the period, one line
# per log, in chain order (index lookups: `certificate_claims_by_account`,
# `certificate_retirements_by_account`).
_LINES = """
SELECT 'claim' AS kind, c.asset_id, c.block_number, c.log_index, c.tx_hash, c.block_timestamp,
       i.period_start, i.period_end, c.energy_wh
FROM certificate_claims c
JOIN certificate_issuances i ON i.chain_id = c.chain_id AND i.report_id = c.report_id
WHERE c.chain_id = %(chain)s AND c.account = %(account)s AND c.asset_id = ANY(%(assets)s)
  AND c.block_timestamp >= %(start)s AND c.block_timestamp < %(end)s
UNION ALL
SELECT 'retirement', r.asset_id, r.block_number, r.log_index, r.tx_hash, r.block_timestamp,
       r.period_start, r.period_end, r.energy_wh
FROM certificate_retirements r
WHERE r.chain_id = %(chain)s AND r.account = %(account)s AND r.asset_id = ANY(%(assets)s)
  AND r.block_timestamp >= %(start)s AND r.block_timestamp < %(end)s
ORDER BY block_number, log_index
"""


def vintage(period_start: int, period_end: int) -> str:
    """A vintage as the statement names it: its production period, in Unix seconds."""
    return f"{period_start}-{period_end}"


async def certificates_in_year(
    db: Database, *, chain_id: int, account: str, asset_ids: Sequence[int], start: int, end: int
) -> dict[int, Certificates]:
    """Energy certificates each asset's holder `account` claimed and retired in `[start, end)`,
    from the indexed `EnergyCertificates` events (one line per log, with its transaction).

    Args:
        db: The index.
        chain_id: The chain served.
        account: The account, lowercase.
        asset_ids: The statement's assets.
        start: The period's start, Unix seconds (included).
        end: The period's end, Unix seconds (excluded).
    """
    found = {
        asset_id: Certificates(available=True, claimed_wh=0, retired_wh=0, claims=[],
                               retirements=[])
        for asset_id in asset_ids
    }  # fmt: skip
    rows = await db.fetch(_LINES, {"chain": chain_id, "account": account,
                                   "assets": list(asset_ids), "start": start, "end": end})  # fmt: skip
    for row in rows:
        section = found[int(row["asset_id"])]
        line = CertificateLine(
            block_number=row["block_number"], log_index=row["log_index"], tx_hash=row["tx_hash"],
            timestamp=row["block_timestamp"], vintage=vintage(row["period_start"], row["period_end"]),
            energy_wh=row["energy_wh"],
        )  # fmt: skip
        if row["kind"] == "claim":
            section.claims.append(line)
            section.claimed_wh += row["energy_wh"]
        else:
            section.retirements.append(line)
            section.retired_wh += row["energy_wh"]
    return found
