"""The certificates part of a yearly statement: the one place its figures come from."""

from __future__ import annotations

from collections.abc import Sequence

from api.db import Database
from api.models.statements import Certificates


async def certificates_in_year(
    db: Database, *, chain_id: int, account: str, asset_ids: Sequence[int], start: int, end: int
) -> dict[int, Certificates]:
    """Energy certificates each asset's holder `account` claimed and retired in `[start, end)`.

    Certificates arrive with the certificates contract (ERC-1155, keyed by asset and vintage),
    which this platform does not have yet: until then no certificate exists, so every asset gets
    `available=False` and zero figures. When the contract and its indexed tables exist, this
    function reads them (claims and retirements of `account` logged in the period, one line per
    log) and nothing else in the statement changes.

    Args:
        db: The index (unused until certificates are indexed).
        chain_id: The chain served.
        account: The account, lowercase.
        asset_ids: The statement's assets.
        start: The period's start, Unix seconds (included).
        end: The period's end, Unix seconds (excluded).
    """
    del db, chain_id, account, start, end
    return {
        asset_id: Certificates(
            available=False, claimed_wh=0, retired_wh=0, claims=[], retirements=[]
        )
        for asset_id in asset_ids
    }
