"""The secondary market: listings, fills and per-asset prices.

A listing's expiry is judged at the last indexed block's time (`INDEXED_TIME`), as the market
contract judges it at a fill's block: a listing is expired from `expires_at` on.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from api.db import Database
from api.models.market import AssetPrice, Fill, Listing, ListingStatus
from api.pagination import Page, page_of
from api.queries.events import (
    INDEXED_TIME,
    Order,
    as_int,
    by_position,
    cursor_key,
    keyset,
    order_by,
)

ListingSort = Literal["newest", "oldest", "price", "-price"]
LISTING_STATUS = f"""CASE WHEN l.status = 'open' AND l.expires_at <= {INDEXED_TIME} THEN 'expired'
    ELSE l.status END"""
"""SQL for a listing's status (see `api.models.market.LISTING_STATUS_RULES`)."""


def _listing(row: dict[str, Any]) -> Listing:
    status: ListingStatus = row["status_now"]
    return Listing(
        **{name: row[name] for name in (
            "listing_id", "asset_id", "seller", "share_token", "amount", "price_per_share",
            "payment_token", "expires_at", "fee_bps", "created_block", "created_at", "tx_hash",
            "updated_block",
        )},
        remaining=0 if status in ("cancelled", "invalidated") else row["remaining"],
        filled=row["amount"] - row["remaining"],
        status=status,
    )  # fmt: skip


STORED_STATUSES = frozenset(get_args(ListingStatus)) - {"expired"}
"""The statuses the indexer stores (an expired listing is stored as open)."""


async def listings(
    db: Database,
    *,
    chain_id: int,
    asset_id: int | None = None,
    seller: str | None = None,
    status: ListingStatus | None = "open",
    sort: ListingSort = "newest",
    cursor: str | None = None,
    limit: int,
) -> Page[Listing]:
    """Listings matching the filters: open ones by default (`status=None` for all).

    Args:
        db: The index.
        chain_id: The chain.
        asset_id: Only this asset's.
        seller: Only this seller's (lowercase address).
        status: Only listings in this status; None for every status.
        sort: `newest` / `oldest` (by listing id), `price` / `-price` (then by listing id).
        cursor: `next_cursor` of the previous page.
        limit: Listings per page.

    Raises:
        InvalidCursor: The cursor is not one of this list's.
    """
    by_price = sort.endswith("price")
    columns = ("l.price_per_share", "l.listing_id") if by_price else ("l.listing_id",)
    descending = sort in ("newest", "-price")
    kind = f"listings:{sort}"
    key = cursor_key(kind, cursor, (as_int,) * len(columns))
    params: dict[str, Any] = {"chain": chain_id, "limit": limit + 1}
    where = ["l.chain_id = %(chain)s"]
    for name, value, condition in (
        ("asset", asset_id, "l.asset_id = %(asset)s"),
        ("seller", seller, "l.seller = %(seller)s"),
    ):
        if value is not None:
            params[name] = value
            where.append(condition)
    if status is not None:
        # `LISTING_STATUS` spelled as plain conditions on the stored status and the expiry, so the
        # listings of one status are an index range the planner can see (an expired listing is
        # stored as open).
        # The status is written into the statement, not passed as a parameter: the open listings'
        # index is partial (`status = 'open'`), and a generic plan (`api.db`) can only use it when
        # the statement itself says which status it reads.
        stored = "open" if status == "expired" else status
        if stored not in STORED_STATUSES:
            raise ValueError(f"unknown listing status {status!r}")
        where.append(f"l.status = '{stored}'")
        if status in ("open", "expired"):
            where.append(f"l.expires_at {'>' if status == 'open' else '<='} {INDEXED_TIME}")
    rows = await db.fetch(
        f"SELECT l.*, {LISTING_STATUS} AS status_now FROM listings l WHERE " + " AND ".join(where)
        + keyset(columns, key, params, descending=descending)
        + order_by(columns, descending=descending) + " LIMIT %(limit)s",
        params,
    )  # fmt: skip
    page = page_of(
        kind, rows, limit,
        (lambda r: (r["price_per_share"], r["listing_id"])) if by_price
        else (lambda r: (r["listing_id"],)),
    )  # fmt: skip
    return Page[Listing](data=[_listing(row) for row in page.data], next_cursor=page.next_cursor)


async def fills(
    db: Database,
    *,
    chain_id: int,
    asset_id: int | None = None,
    buyer: str | None = None,
    seller: str | None = None,
    listing_id: int | None = None,
    order: Order = "desc",
    cursor: str | None = None,
    limit: int,
) -> Page[Fill]:
    """Fills by position, newest first by default; of one asset, buyer, seller or listing if given.

    Raises:
        InvalidCursor: The cursor is not one of this list's.
    """
    params: dict[str, Any] = {"chain": chain_id}
    select = (
        "SELECT listing_id, asset_id, buyer, seller, amount, price_per_share, paid, fee, remaining,"
        " block_number, log_index, block_timestamp, tx_hash FROM fills WHERE chain_id = %(chain)s"
    )
    for name, value in (("asset_id", asset_id), ("buyer", buyer), ("seller", seller),
                        ("listing_id", listing_id)):  # fmt: skip
        if value is not None:
            params[name] = value
            select += f" AND {name} = %({name})s"
    return await by_position(
        db, Fill, kind="fills", select=select, params=params, order=order, cursor=cursor,
        limit=limit,
    )  # fmt: skip


async def prices(
    db: Database,
    *,
    chain_id: int,
    asset_id: int | None = None,
    cursor: str | None = None,
    limit: int,
) -> Page[AssetPrice]:
    """Each asset's last trade and best open offer, by asset id (one asset if given).

    Raises:
        InvalidCursor: The cursor is not one of this list's.
    """
    key = cursor_key("prices", cursor, (as_int,))
    params: dict[str, Any] = {"chain": chain_id, "limit": limit + 1}
    where = "a.chain_id = %(chain)s"
    if asset_id is not None:
        params["asset"] = asset_id
        where += " AND a.asset_id = %(asset)s"
    open_listing = (
        "l.chain_id = a.chain_id AND l.asset_id = a.asset_id AND l.status = 'open'"
        f" AND l.remaining > 0 AND l.expires_at > {INDEXED_TIME}"
    )
    rows = await db.fetch(
        "SELECT a.asset_id, a.symbol, a.payment_token, a.share_price, a.last_price,"
        " a.traded_shares, f.block_number AS last_trade_block, f.block_timestamp AS last_trade_at,"
        " ask.listing_id AS best_ask_listing_id, ask.price_per_share AS best_ask,"
        " ask.remaining AS best_ask_amount,"
        f" (SELECT count(*) FROM listings l WHERE {open_listing}) AS open_listings"
        " FROM assets a"
        " LEFT JOIN LATERAL (SELECT block_number, block_timestamp FROM fills"
        "   WHERE chain_id = a.chain_id AND asset_id = a.asset_id"
        "   ORDER BY block_number DESC, log_index DESC LIMIT 1) f ON true"
        " LEFT JOIN LATERAL (SELECT l.listing_id, l.price_per_share, l.remaining FROM listings l"
        f"   WHERE {open_listing} ORDER BY l.price_per_share, l.listing_id LIMIT 1) ask ON true"
        f" WHERE {where}" + keyset(("a.asset_id",), key, params, descending=False)
        + order_by(("a.asset_id",), descending=False) + " LIMIT %(limit)s",
        params,
    )  # fmt: skip
    page = page_of("prices", rows, limit, lambda r: (r["asset_id"],))
    return Page[AssetPrice](
        data=[AssetPrice(**row) for row in page.data], next_cursor=page.next_cursor
    )
