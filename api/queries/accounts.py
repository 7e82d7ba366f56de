"""An account's portfolio and history, from the indexed tables and the raw share transfers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from api.db import Database
from api.models.accounts import (
    HISTORY_KINDS,
    HistoryItem,
    HistoryKind,
    Holding,
    PaymentTotals,
    Portfolio,
)
from api.models.market import Listing
from api.pagination import Page, page_of
from api.queries.events import as_int, cursor_key
from api.queries.market import listings
from api.types import ZERO_ADDRESS

SHARE_DECIMALS = 9  # places of `share_of_supply`
HISTORY = "account-history"
LISTINGS_PER_READ = 500

# Energy attributable to the account, per asset: the holder's running total the indexer settles
# each time its balance moves (`holders.energy_wh`), plus the periods reported since, over which its
# balance has not moved. Index lookups only: the holder rows, then a range of `energy_periods`.
_HOLDINGS = """
SELECT h.asset_id, a.name, a.symbol, a.status, h.token AS share_token, a.payment_token,
       h.balance, a.total_supply, a.last_price, a.share_price, h.claimable, h.claimed, h.votes,
       h.delegate, h.first_block, h.updated_block,
       h.energy_wh + coalesce(e.energy_wh, 0) AS energy_wh,
       h.reports_shared + coalesce(e.reports_shared, 0) AS reports_shared
FROM holdings h
JOIN assets a ON a.chain_id = h.chain_id AND a.asset_id = h.asset_id
LEFT JOIN LATERAL (
    SELECT sum(div(h.balance * p.energy_wh, p.total_supply)) AS energy_wh,
           count(*) AS reports_shared
    FROM energy_periods p
    WHERE p.chain_id = h.chain_id AND p.asset_id = h.asset_id AND p.seq > h.energy_settled
      AND p.total_supply > 0 AND h.balance > 0
) e ON true
WHERE h.chain_id = %(chain)s AND h.account = %(account)s
ORDER BY h.asset_id
"""


def share_of(balance: int, supply: int) -> str:
    """`balance / supply` as a decimal fraction rounded down to `SHARE_DECIMALS` places."""
    scaled = balance * 10**SHARE_DECIMALS // supply if supply else 0
    whole, fraction = divmod(scaled, 10**SHARE_DECIMALS)
    return f"{whole}.{fraction:0{SHARE_DECIMALS}d}"


def _holding(row: dict[str, Any]) -> Holding:
    traded = row["last_price"] is not None
    price = row["last_price"] if traded else row["share_price"]
    return Holding(
        asset_id=row["asset_id"], name=row["name"], symbol=row["symbol"], status=row["status"],
        share_token=row["share_token"], payment_token=row["payment_token"],
        balance=row["balance"], total_supply=row["total_supply"],
        share_of_supply=share_of(row["balance"], row["total_supply"]),
        price_per_share=price, price_source="last_trade" if traded else "sale_price",
        value=row["balance"] * price, claimable=row["claimable"], claimed=row["claimed"],
        energy_wh=row["energy_wh"], reports_shared=row["reports_shared"], votes=row["votes"],
        delegate=row["delegate"] if row["delegate"] not in (None, ZERO_ADDRESS) else None,
        first_block=row["first_block"], updated_block=row["updated_block"],
    )  # fmt: skip


def _totals(holdings: Sequence[Holding]) -> list[PaymentTotals]:
    totals: dict[str, PaymentTotals] = {}
    for h in holdings:
        total = totals.setdefault(
            h.payment_token,
            PaymentTotals(payment_token=h.payment_token, value=0, claimable=0, claimed=0),
        )
        total.value += h.value
        total.claimable += h.claimable
        total.claimed += h.claimed
    return [totals[token] for token in sorted(totals)]


async def account_portfolio(
    db: Database, *, chain_id: int, address: str, indexed_block: int, listings: bool = True
) -> Portfolio:
    """Everything `address` (lowercase) holds; an empty portfolio for an unknown address.

    Args:
        db: The index.
        chain_id: The chain served.
        address: The account, lowercase.
        indexed_block: The indexed block the answer is for (reported back).
        listings: Whether to read its open listings (GraphQL leaves them out unless asked for).
    """
    holdings_rows = db.fetch(_HOLDINGS, {"chain": chain_id, "account": address})
    if listings:
        rows, offers = await asyncio.gather(
            holdings_rows, _open_listings(db, chain_id=chain_id, seller=address)
        )
    else:
        rows, offers = await holdings_rows, []
    holdings = [_holding(row) for row in rows]
    return Portfolio(
        address=address,
        indexed_block=indexed_block,
        holdings=holdings,
        listings=offers,
        totals=_totals(holdings),
    )


async def _open_listings(db: Database, *, chain_id: int, seller: str) -> list[Listing]:
    found: list[Listing] = []
    cursor = None
    while True:
        page = await listings(db, chain_id=chain_id, seller=seller, status="open", sort="oldest",
                              cursor=cursor, limit=LISTINGS_PER_READ)  # fmt: skip
        found += page.data
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


# One branch per kind of history item, each giving the same columns for one log of the chain.
_COLUMNS = (
    "kind, block_number, log_index, tx_hash, timestamp, asset_id, shares, amount,"
    " price_per_share, fee, counterparty, listing_id, proposal_id, support"
)
_NULLS = "NULL::numeric"
_FILL_TRANSFER = (
    "EXISTS (SELECT 1 FROM fills f WHERE f.chain_id = l.chain_id"
    " AND f.block_number = l.block_number AND f.tx_hash = l.tx_hash"
    " AND f.seller = l.args->>'from' AND f.buyer = l.args->>'to'"
    " AND f.amount = (l.args->>'value')::numeric)"
)
_TRANSFERS = (
    "SELECT {kind}, l.block_number, l.log_index, l.tx_hash, l.block_timestamp, c.asset_id,"
    " (l.args->>'value')::numeric, {n}, {n}, {n}, l.args->>'{other}', {n}, {n}, NULL"
    " FROM raw_logs l JOIN contracts c ON c.chain_id = l.chain_id AND c.address = l.address"
    " AND c.kind = 'share_token' WHERE l.chain_id = %(chain)s AND l.event = 'Transfer'"
    " AND {condition} AND NOT " + _FILL_TRANSFER
)
_MARKET = (
    "SELECT l.block_number, l.log_index, l.tx_hash, l.block_timestamp, l.args"
    " FROM raw_logs l JOIN contracts c ON c.chain_id = l.chain_id AND c.address = l.address"
    " AND c.kind = 'market' WHERE l.chain_id = %(chain)s AND l.event = '{event}'"
    " AND l.args->>'seller' = %(account)s"
)
_BRANCHES: dict[HistoryKind, str] = {
    "purchase": f"SELECT 'purchase', block_number, log_index, tx_hash, block_timestamp, asset_id,"
    f" shares, cost, {_NULLS}, {_NULLS}, NULL, {_NULLS}, {_NULLS}, NULL FROM purchases"
    " WHERE chain_id = %(chain)s AND buyer = %(account)s",
    "refund": f"SELECT 'refund', block_number, log_index, tx_hash, block_timestamp, asset_id,"
    f" shares, amount, {_NULLS}, {_NULLS}, NULL, {_NULLS}, {_NULLS}, NULL FROM refunds"
    " WHERE chain_id = %(chain)s AND buyer = %(account)s",
    "claim": f"SELECT 'claim', block_number, log_index, tx_hash, block_timestamp, asset_id,"
    f" {_NULLS}, amount, {_NULLS}, {_NULLS}, NULL, {_NULLS}, {_NULLS}, NULL FROM revenue_claims"
    " WHERE chain_id = %(chain)s AND account = %(account)s",
    "transfer_in": _TRANSFERS.format(
        kind="'transfer_in'", n=_NULLS, other="from",
        condition=f"l.args->>'to' = %(account)s"
        f" AND l.args->>'from' NOT IN (%(account)s, '{ZERO_ADDRESS}')",
    ),
    "transfer_out": _TRANSFERS.format(
        kind="'transfer_out'", n=_NULLS, other="to",
        condition=f"l.args->>'from' = %(account)s AND l.args->>'to' <> '{ZERO_ADDRESS}'",
    ),
    "market_buy": "SELECT 'market_buy', block_number, log_index, tx_hash, block_timestamp,"
    " asset_id, amount, paid, price_per_share, fee, seller, listing_id, NULL::numeric, NULL"
    " FROM fills WHERE chain_id = %(chain)s AND buyer = %(account)s",
    "market_sell": "SELECT 'market_sell', block_number, log_index, tx_hash, block_timestamp,"
    " asset_id, amount, paid, price_per_share, fee, buyer, listing_id, NULL::numeric, NULL"
    " FROM fills WHERE chain_id = %(chain)s AND seller = %(account)s",
    "listing_created": "SELECT 'listing_created', m.block_number, m.log_index, m.tx_hash,"
    " m.block_timestamp, (m.args->>'assetId')::numeric, (m.args->>'amount')::numeric,"
    f" {_NULLS}, (m.args->>'pricePerShare')::numeric, {_NULLS}, NULL,"
    f" (m.args->>'listingId')::numeric, {_NULLS}, NULL FROM ("
    + _MARKET.format(event="Listed") + ") m",
    "listing_cancelled": "SELECT 'listing_cancelled', m.block_number, m.log_index, m.tx_hash,"
    f" m.block_timestamp, li.asset_id, li.remaining, {_NULLS}, li.price_per_share, {_NULLS},"
    f" NULL, li.listing_id, {_NULLS}, NULL FROM (" + _MARKET.format(event="ListingCancelled")
    + ") m JOIN listings li ON li.chain_id = %(chain)s"
    " AND li.listing_id = (m.args->>'listingId')::numeric",
    "vote": "SELECT 'vote', block_number, log_index, tx_hash, block_timestamp, asset_id, weight,"
    f" {_NULLS}, {_NULLS}, {_NULLS}, NULL, {_NULLS}, proposal_id,"
    " (ARRAY['against', 'for', 'abstain'])[support + 1] FROM votes"
    " WHERE chain_id = %(chain)s AND voter = %(account)s",
}  # fmt: skip


async def account_history(
    db: Database,
    *,
    chain_id: int,
    address: str,
    kinds: Sequence[HistoryKind] = (),
    asset_id: int | None = None,
    cursor: str | None = None,
    limit: int,
) -> Page[HistoryItem]:
    """What happened to `address`, newest first, one page at a time.

    Args:
        db: The index.
        chain_id: The chain served.
        address: The account, lowercase.
        kinds: Only these kinds of item (all when empty).
        asset_id: Only items of this asset.
        cursor: `next_cursor` of the previous page.
        limit: Items per page.

    Raises:
        InvalidCursor: The cursor is not one of this list's.
    """
    params: dict[str, Any] = {"chain": chain_id, "account": address, "limit": limit + 1}
    where = []
    key = cursor_key(HISTORY, cursor, (as_int, as_int))
    if key is not None:
        where.append("(block_number, log_index) < (%(block)s, %(log_index)s)")
        params.update(block=key[0], log_index=key[1])
    if asset_id is not None:
        where.append("asset_id = %(asset)s")
        params["asset"] = asset_id
    # Each branch is ordered and limited by itself (an index scan by account and position that
    # stops after a page), so a page costs the same however long the account's history is.
    condition = f" WHERE {' AND '.join(where)}" if where else ""
    branches = " UNION ALL ".join(
        f"(SELECT * FROM ({_BRANCHES[kind]}) AS branch ({_COLUMNS}){condition}"
        f" ORDER BY block_number DESC, log_index DESC LIMIT %(limit)s)"
        for kind in (kinds or HISTORY_KINDS)
    )
    sql = (
        f"SELECT * FROM ({branches}) AS history"
        " ORDER BY block_number DESC, log_index DESC LIMIT %(limit)s"
    )
    rows = await db.fetch(sql, params)
    items = [HistoryItem(**row) for row in rows]
    return page_of(HISTORY, items, limit, lambda item: (item.block_number, item.log_index))
