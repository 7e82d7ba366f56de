"""What preparing a transaction reads from the index: assets' contracts, the platform's modules,
the shares a seller has on open listings."""

from __future__ import annotations

from api.db import Database
from api.models.transactions import AssetRef


async def asset_ref(db: Database, *, chain_id: int, asset_id: int) -> AssetRef | None:
    """An indexed asset's contracts and sale terms, or None when the index does not know it."""
    row = await db.fetch_one(
        "SELECT asset_id, operator, share_token, governor, payment_token, share_price, name,"
        " symbol FROM assets WHERE chain_id = %s AND asset_id = %s",
        (chain_id, asset_id),
    )
    return None if row is None else AssetRef(**row)


async def module_addresses(db: Database, *, chain_id: int) -> dict[str, str]:
    """The platform's singletons the indexer follows, by kind (registry, sale, oracle, market)."""
    rows = await db.fetch(
        "SELECT kind, address FROM contracts WHERE chain_id = %s AND asset_id IS NULL",
        (chain_id,),
    )
    return {row["kind"]: row["address"] for row in rows}


async def listed_shares(
    db: Database, *, chain_id: int, seller: str, share_token: str, now: int
) -> int:
    """Shares a seller offers on open, unexpired listings of one token (the market's allowance
    must cover them all for every listing to be fillable)."""
    row = await db.fetch_one(
        "SELECT coalesce(sum(remaining), 0) AS listed FROM listings WHERE chain_id = %s"
        " AND seller = %s AND share_token = %s AND status = 'open' AND expires_at > %s",
        (chain_id, seller, share_token, now),
    )
    return int(row["listed"]) if row else 0
