"""Operators and meter readings: who operates what (from the indexed assets and roles), the
operator's dashboard, and the signed readings the API keeps until they are relayed on chain.

A stored reading is pending until a production report of its meter ends after the reading's
start: then it was recorded (its own report) or can no longer be (a later period was reported).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from api.db import Database
from api.models.operator import (
    Funding,
    MeterReading,
    OperatorAsset,
    OperatorStatus,
    Production,
    Revenue,
)

OPERATOR_ROLE = "0x" + keccak(text="OPERATOR_ROLE").hex()
PENDING = """NOT EXISTS (SELECT 1 FROM production_reports p WHERE p.chain_id = r.chain_id
    AND p.meter = r.meter AND p.period_end > r.period_start)"""


async def operator_status(db: Database, *, chain_id: int, address: str) -> OperatorStatus:
    """Whether `address` operates an asset, and whether it holds the registry's operator role."""
    row = await db.fetch_one(
        "SELECT EXISTS (SELECT 1 FROM assets WHERE chain_id = %(chain)s AND operator = %(who)s)"
        " AS operates, EXISTS (SELECT 1 FROM roles r JOIN contracts c ON c.chain_id = r.chain_id"
        " AND c.address = r.contract AND c.kind = 'registry' WHERE r.chain_id = %(chain)s"
        " AND r.role = %(role)s AND r.account = %(who)s AND r.active) AS has_role",
        {"chain": chain_id, "who": address, "role": OPERATOR_ROLE},
    )
    assert row is not None
    return OperatorStatus(operates_assets=row["operates"], has_operator_role=row["has_role"])


async def operated_assets(db: Database, *, chain_id: int, operator: str) -> list[OperatorAsset]:
    """The assets `operator` runs now, with funding, revenue, production and pending readings."""
    rows = await db.fetch(
        f"""SELECT a.*,
          (SELECT count(*) FROM meters m WHERE m.chain_id = a.chain_id
             AND m.asset_id = a.asset_id AND m.active) AS active_meters,
          (SELECT max(period_end) FROM production_reports p WHERE p.chain_id = a.chain_id
             AND p.asset_id = a.asset_id) AS last_period_end,
          (SELECT count(*) FROM api_meter_readings r WHERE r.chain_id = a.chain_id
             AND r.asset_id = a.asset_id AND {PENDING}) AS pending
        FROM assets a WHERE a.chain_id = %s AND a.operator = %s ORDER BY a.asset_id""",
        (chain_id, operator),
    )
    return [_operator_asset(row) for row in rows]


def _operator_asset(row: dict[str, Any]) -> OperatorAsset:
    return OperatorAsset(
        asset_id=row["asset_id"], name=row["name"], symbol=row["symbol"], kind=row["kind"],
        status=row["status"], paused=row["paused"], share_token=row["share_token"],
        payment_token=row["payment_token"], holder_count=row["holder_count"],
        funding=Funding(
            total_shares=row["total_shares"], shares_sold=row["shares_sold"], raised=row["raised"],
            min_raise=row["min_raise"], sale_start=row["sale_start"], sale_end=row["sale_end"],
            finalized=row["sale_finalized"], succeeded=row["sale_succeeded"]),
        revenue=Revenue(
            deposits=row["revenue_deposits"], gross=row["revenue_gross"],
            fees=row["revenue_fees"], reserve=row["revenue_reserve"],
            distributed=row["revenue_distributed"], claimed=row["revenue_claimed"]),
        production=Production(
            energy_wh=row["energy_wh"], report_count=row["report_count"],
            last_period_end=row["last_period_end"], active_meters=row["active_meters"]),
        pending_readings=row["pending"],
    )  # fmt: skip


def _reading(row: dict[str, Any]) -> MeterReading:
    return MeterReading(
        asset_id=row["asset_id"], meter=row["meter"], period_start=row["period_start"],
        period_end=row["period_end"], energy_wh=row["energy_wh"], signature=row["signature"],
        received_at=row["received_at"].isoformat(),
    )  # fmt: skip


async def pending_readings(db: Database, *, chain_id: int, operator: str, asset_id: int | None,
                           after: tuple[int, str, int] | None,
                           limit: int) -> list[MeterReading]:  # fmt: skip
    """Pending readings of the assets `operator` runs, by asset, meter and period (up to
    `limit + 1`, after the key `after`)."""
    rows = await db.fetch(
        f"""SELECT r.* FROM api_meter_readings r JOIN assets a ON a.chain_id = r.chain_id
              AND a.asset_id = r.asset_id
            WHERE r.chain_id = %(chain)s AND a.operator = %(operator)s AND {PENDING}
              AND (%(asset)s::numeric IS NULL OR r.asset_id = %(asset)s::numeric)
              AND (%(after)s::boolean IS NOT TRUE
                   OR (r.asset_id, r.meter, r.period_start) > (%(a_id)s, %(a_meter)s, %(a_start)s))
            ORDER BY r.asset_id, r.meter, r.period_start LIMIT %(limit)s""",
        {"chain": chain_id, "operator": operator, "asset": asset_id, "after": after is not None,
         "a_id": after[0] if after else 0, "a_meter": after[1] if after else "",
         "a_start": after[2] if after else 0, "limit": limit + 1},
    )  # fmt: skip
    return [_reading(row) for row in rows]


async def stored_reading(db: Database, *, chain_id: int, meter: str,
                         period_start: int) -> dict[str, Any] | None:  # fmt: skip
    """A stored reading by its meter and start, as a row."""
    return await db.fetch_one(
        "SELECT * FROM api_meter_readings WHERE chain_id = %s AND meter = %s AND period_start = %s",
        (chain_id, meter, period_start),
    )


async def meter(db: Database, *, chain_id: int, address: str) -> dict[str, Any] | None:
    """A meter's indexed registration (asset_id, active), or None."""
    return await db.fetch_one(
        "SELECT asset_id, active FROM meters WHERE chain_id = %s AND meter = %s",
        (chain_id, address),
    )


async def indexed_time(db: Database, *, chain_id: int) -> int | None:
    """The time of the last indexed block."""
    row = await db.fetch_one(
        "SELECT b.timestamp FROM blocks b JOIN checkpoints c ON c.chain_id = b.chain_id"
        " WHERE b.chain_id = %s AND b.number <= c.block_number ORDER BY b.number DESC LIMIT 1",
        (chain_id,),
    )
    return None if row is None else int(row["timestamp"])


@dataclass(frozen=True)
class Stored:
    """What storing a reading did: `created`, `exists` (the same reading again) or `overlaps`
    (it starts before `floor`, the end of what the meter already reported or sent)."""

    outcome: str
    reading: MeterReading | None = None
    floor: int | None = None


_FLOOR = """SELECT greatest(
    (SELECT max(period_end) FROM production_reports WHERE chain_id = %(chain)s AND meter = %(meter)s),
    (SELECT max(period_end) FROM api_meter_readings WHERE chain_id = %(chain)s AND meter = %(meter)s),
    (SELECT max(block_timestamp) FROM raw_logs WHERE chain_id = %(chain)s
       AND event = 'MeterRegistered' AND args->>'meter' = %(meter)s)) AS floor"""


async def store_reading(db: Database, *, chain_id: int, asset_id: int, meter: str,
                        period_start: int, period_end: int, energy_wh: int,
                        signature: str) -> Stored:  # fmt: skip
    """Keeps a reading unless it overlaps the meter's reported or stored periods (checked and
    written under a per-meter lock, so two concurrent readings cannot both pass)."""
    values = {"chain": chain_id, "meter": meter, "asset": asset_id, "start": period_start,
              "end": period_end, "energy": energy_wh, "signature": signature}  # fmt: skip
    async with db.pool.connection() as connection, connection.transaction():
        cursor = connection.cursor()
        await cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                             (f"meter-reading:{chain_id}:{meter}",))  # fmt: skip
        await cursor.execute(
            "SELECT * FROM api_meter_readings WHERE chain_id = %(chain)s AND meter = %(meter)s"
            " AND period_start = %(start)s AND period_end = %(end)s AND energy_wh = %(energy)s"
            " AND asset_id = %(asset)s AND signature = %(signature)s",
            values,
        )
        same = await cursor.fetchone()
        if same is not None:
            return Stored("exists", _reading(same))
        await cursor.execute(_FLOOR, values)
        row = await cursor.fetchone()
        floor = None if row is None or row["floor"] is None else int(row["floor"])
        if floor is not None and period_start < floor:
            return Stored("overlaps", floor=floor)
        await cursor.execute(
            "INSERT INTO api_meter_readings (chain_id, asset_id, meter, period_start, period_end,"
            " energy_wh, signature) VALUES (%(chain)s, %(asset)s, %(meter)s, %(start)s, %(end)s,"
            " %(energy)s, %(signature)s) RETURNING *",
            values,
        )
        created = await cursor.fetchone()
        assert created is not None
        return Stored("created", _reading(created))
