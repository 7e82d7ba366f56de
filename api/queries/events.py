"""Event histories paged by position: the raw feed, and each asset's production reports, revenue
deposits and claims (append-only tables, one row per log). Also what the other read queries share:
the indexed clock and keyset pages.

Every list is a keyset page: rows ordered by a unique key, the cursor holding the last key seen
(`api.pagination`). `keyset` writes the SQL condition "after this key" for ascending or descending
order; `cursor_key` decodes a cursor and checks each value's type, so a forged cursor is an
`InvalidCursor` (a 400 for the routes), never a database error.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from api.db import Database
from api.models.assets import ProductionBucket, ProductionReport, RevenueClaim, RevenueDeposit
from api.models.events import LogEvent
from api.pagination import InvalidCursor, Page, decode_cursor, page_of

M = TypeVar("M", bound=BaseModel)

Order = Literal["asc", "desc"]

INDEXED_TIME = (
    "(SELECT b.timestamp FROM blocks b WHERE b.chain_id = %(chain)s AND b.number <="
    " (SELECT c.block_number FROM checkpoints c WHERE c.chain_id = %(chain)s)"
    " ORDER BY b.number DESC LIMIT 1)"
)
"""SQL for the timestamp of the last indexed block: the "now" of every time-dependent answer
(funding windows, listing expiry, voting periods). It needs the parameter `chain`."""


def as_int(value: Any) -> int:
    """A cursor value that must be an integer (JSON number or decimal string)."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit() and len(value) <= 80:
        return int(value)
    raise ValueError(f"{value!r} is not a number")


def as_text(value: Any) -> str:
    """A cursor value that must be text."""
    if not isinstance(value, str) or len(value) > 512:
        raise ValueError(f"{value!r} is not text")
    return value


def cursor_key(
    kind: str, cursor: str | None, types: Sequence[Callable[[Any], Any]]
) -> list[Any] | None:
    """The key in `cursor` (None for the first page), each value checked by its converter.

    Raises:
        InvalidCursor: The cursor was not made by this API for the list `kind`.
    """
    if cursor is None:
        return None
    values = decode_cursor(kind, cursor, len(types))
    try:
        return [convert(value) for convert, value in zip(types, values, strict=True)]
    except ValueError as error:
        raise InvalidCursor(f"the cursor does not belong to this list ({kind})") from error


def keyset(
    columns: Sequence[str], key: Sequence[Any] | None, params: dict[str, Any], *, descending: bool
) -> str:
    """`AND (columns) > (key)` (or `<` when descending), with the key added to `params`.

    `columns` are trusted SQL expressions; an empty string when there is no key (first page).
    """
    if key is None:
        return ""
    names = []
    for i, value in enumerate(key):
        params[f"key{i}"] = value
        names.append(f"%(key{i})s")
    return f" AND ({', '.join(columns)}) {'<' if descending else '>'} ({', '.join(names)})"


def order_by(columns: Sequence[str], *, descending: bool) -> str:
    """`ORDER BY` the columns, all in one direction (what `keyset` expects)."""
    direction = " DESC" if descending else ""
    return " ORDER BY " + ", ".join(f"{column}{direction}" for column in columns)


async def by_position(
    db: Database,
    model: type[M],
    *,
    kind: str,
    select: str,
    params: dict[str, Any],
    order: Order,
    cursor: str | None,
    limit: int,
) -> Page[M]:
    """A page of rows of an append-only table, by position (`block_number`, `log_index`).

    `select` is a query ending in its `WHERE` conditions (no order, no limit).

    Raises:
        InvalidCursor: The cursor is not one of this list's.
    """
    kind = f"{kind}:{order}"
    key = cursor_key(kind, cursor, (as_int, as_int))
    params = {**params, "limit": limit + 1}
    position = ("block_number", "log_index")
    descending = order == "desc"
    rows = await db.fetch(
        select + keyset(position, key, params, descending=descending)
        + order_by(position, descending=descending) + " LIMIT %(limit)s",
        params,
    )  # fmt: skip
    page = page_of(kind, rows, limit, lambda r: (r["block_number"], r["log_index"]))
    # `Page[model]` is the class the route declares (pydantic makes each parametrisation once),
    # which FastAPI passes through. `Page[M]` is another class: FastAPI validated it again, field
    # by field, and against a union of pages (production) that cost 0.55 ms for 50 reports.
    concrete: type[Page[M]] = Page[model]  # type: ignore[valid-type]
    return concrete(data=[model(**row) for row in page.data], next_cursor=page.next_cursor)


async def events(
    db: Database,
    *,
    chain_id: int,
    names: Sequence[str] = (),
    address: str | None = None,
    asset_id: int | None = None,
    tx_hash: str | None = None,
    from_block: int | None = None,
    to_block: int | None = None,
    order: Order = "asc",
    cursor: str | None = None,
    limit: int,
) -> Page[LogEvent]:
    """Indexed logs, oldest first (or newest first), by position.

    Args:
        db: The index.
        chain_id: The chain.
        names: Only these event names (any of them); all when empty.
        address: Only logs of this contract (lowercase).
        asset_id: Only logs of the asset's own contracts (share token, governor, timelock) and
            platform logs whose `assetId` argument is the asset.
        tx_hash: Only logs of this transaction (lowercase).
        from_block: Only logs at or after this block.
        to_block: Only logs at or before this block.
        order: `asc` (oldest first) or `desc`.
        cursor: `next_cursor` of the previous page.
        limit: Events per page.

    Raises:
        InvalidCursor: The cursor is not one of this list's.
    """
    params: dict[str, Any] = {"chain": chain_id}
    where = ["chain_id = %(chain)s"]
    # Alternatives (any event name, any of the asset's sources) become branches of a union, each
    # an index scan in chain order that stops after a page: no filter sorts the whole table.
    alternatives: list[list[str]] = []
    if names:
        alternatives.append([])
        for i, name in enumerate(dict.fromkeys(names)):
            params[f"name{i}"] = name
            alternatives[-1].append(f"event = %(name{i})s")
    if address is not None:
        params["address"] = address
        where.append("address = %(address)s")
    if asset_id is not None:
        sources = await db.fetch(
            "SELECT address FROM contracts WHERE chain_id = %(chain)s AND asset_id = %(asset)s"
            " ORDER BY address",
            {"chain": chain_id, "asset": asset_id},
        )
        params["asset_text"] = str(asset_id)
        params["asset_contracts"] = [row["address"] for row in sources]
        alternatives.append([])
        for i, row in enumerate(sources):
            params[f"source{i}"] = row["address"]
            alternatives[-1].append(f"address = %(source{i})s")
        alternatives[-1].append(
            "args ? 'assetId' AND args->>'assetId' = %(asset_text)s"
            " AND address <> ALL(%(asset_contracts)s)"
        )
    if tx_hash is not None:
        params["tx"] = tx_hash
        where.append("tx_hash = %(tx)s")
    if from_block is not None:
        params["from_block"] = from_block
        where.append("block_number >= %(from_block)s")
    if to_block is not None:
        params["to_block"] = to_block
        where.append("block_number <= %(to_block)s")
    columns = (
        "block_number, block_hash, log_index, tx_hash, tx_index, block_timestamp, address, event,"
        " args"
    )
    select = f"SELECT {columns} FROM raw_logs WHERE " + " AND ".join(where)
    if alternatives:
        descending = order == "desc"
        position = ("block_number", "log_index")
        key = cursor_key(f"events:{order}", cursor, (as_int, as_int))
        after = keyset(position, key, params, descending=descending)
        branches = " UNION ALL ".join(
            f"({select} AND {' AND '.join(chosen)}{after}"
            f"{order_by(position, descending=descending)} LIMIT %(limit)s)"
            for chosen in itertools.product(*alternatives)
        )
        select = f"SELECT * FROM ({branches}) AS chosen WHERE true"
    return await by_position(
        db, LogEvent, kind="events", params=params, order=order, cursor=cursor, limit=limit,
        select=select,
    )  # fmt: skip


def _period(params: dict[str, Any], start: int | None, end: int | None) -> str:
    conditions = ""
    if start is not None:
        params["start"] = start
        conditions += " AND period_start >= %(start)s"
    if end is not None:
        params["end"] = end
        conditions += " AND period_start < %(end)s"
    return conditions


async def production_reports(
    db: Database,
    *,
    chain_id: int,
    asset_id: int,
    start: int | None = None,
    end: int | None = None,
    order: Order = "asc",
    cursor: str | None = None,
    limit: int,
) -> Page[ProductionReport]:
    """The asset's production reports by position, those whose period starts in [start, end).

    Raises:
        InvalidCursor: The cursor is not one of this list's.
    """
    params: dict[str, Any] = {"chain": chain_id, "asset": asset_id}
    return await by_position(
        db, ProductionReport, kind="production", params=params, order=order, cursor=cursor,
        limit=limit,
        select="SELECT report_id, meter, period_start, period_end, energy_wh, asset_total_wh,"
        " block_number, log_index, block_timestamp, tx_hash FROM production_reports"
        " WHERE chain_id = %(chain)s AND asset_id = %(asset)s" + _period(params, start, end),
    )  # fmt: skip


Bucket = Literal["day", "month"]
BUCKET_LABELS = {"day": "YYYY-MM-DD", "month": "YYYY-MM"}


async def production_buckets(
    db: Database,
    *,
    chain_id: int,
    asset_id: int,
    bucket: Bucket,
    start: int | None = None,
    end: int | None = None,
    order: Order = "asc",
    cursor: str | None = None,
    limit: int,
) -> Page[ProductionBucket]:
    """The asset's energy summed per UTC day or month: a report counts wholly in the bucket its
    period starts in. Only reports whose period starts in [start, end).

    Raises:
        InvalidCursor: The cursor is not one of this list's.
    """
    kind = f"production-{bucket}:{order}"
    key = cursor_key(kind, cursor, (as_int,))
    params: dict[str, Any] = {"chain": chain_id, "asset": asset_id, "unit": bucket,
                              "label": BUCKET_LABELS[bucket], "limit": limit + 1}  # fmt: skip
    descending = order == "desc"
    rows = await db.fetch(
        "SELECT start, to_char(to_timestamp(start) AT TIME ZONE 'UTC', %(label)s) AS bucket,"
        " energy_wh, report_count FROM (SELECT extract(epoch FROM date_trunc(%(unit)s,"
        " to_timestamp(period_start) AT TIME ZONE 'UTC'))::bigint AS start,"
        " sum(energy_wh) AS energy_wh, count(*) AS report_count FROM production_reports"
        " WHERE chain_id = %(chain)s AND asset_id = %(asset)s" + _period(params, start, end)
        + " GROUP BY 1) buckets WHERE true" + keyset(("start",), key, params, descending=descending)
        + order_by(("start",), descending=descending) + " LIMIT %(limit)s",
        params,
    )  # fmt: skip
    page = page_of(kind, rows, limit, lambda r: (r["start"],))
    return Page[ProductionBucket](
        data=[ProductionBucket(**row) for row in page.data], next_cursor=page.next_cursor
    )


async def revenue_deposits(
    db: Database,
    *,
    chain_id: int,
    asset_id: int,
    order: Order = "desc",
    cursor: str | None = None,
    limit: int,
) -> Page[RevenueDeposit]:
    """The asset's revenue deposits by position (newest first by default).

    Raises:
        InvalidCursor: The cursor is not one of this list's.
    """
    return await by_position(
        db, RevenueDeposit, kind="deposits", params={"chain": chain_id, "asset": asset_id},
        order=order, cursor=cursor, limit=limit,
        select="SELECT deposit_id, depositor, production_report_id, gross, fee, reserve,"
        " distributed, magnified_revenue_per_share, block_number, log_index, block_timestamp,"
        " tx_hash FROM revenue_deposits WHERE chain_id = %(chain)s AND asset_id = %(asset)s",
    )  # fmt: skip


async def revenue_claims(
    db: Database,
    *,
    chain_id: int,
    asset_id: int,
    account: str | None = None,
    order: Order = "desc",
    cursor: str | None = None,
    limit: int,
) -> Page[RevenueClaim]:
    """The asset's revenue claims by position (newest first by default), of one account if given.

    Raises:
        InvalidCursor: The cursor is not one of this list's.
    """
    params: dict[str, Any] = {"chain": chain_id, "asset": asset_id}
    select = (
        "SELECT account, amount, total_claimed, block_number, log_index, block_timestamp, tx_hash"
        " FROM revenue_claims WHERE chain_id = %(chain)s AND asset_id = %(asset)s"
    )
    if account is not None:
        params["account"] = account
        select += " AND account = %(account)s"
    return await by_position(
        db, RevenueClaim, kind="claims", params=params, order=order, cursor=cursor, limit=limit,
        select=select,
    )  # fmt: skip
