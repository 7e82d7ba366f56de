"""The primary sale and production: purchases, refunds and production reports (append-only)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Index

from infra.database.models.columns import bigint, string, u256
from infra.database.models.events import EventRow


class Purchase(EventRow, table=True):
    __tablename__ = "purchases"
    __table_args__ = (
        Index("purchases_by_buyer", "chain_id", "buyer", "block_number", "log_index"),
    )

    asset_id: Decimal = u256()
    buyer: str = string()
    shares: Decimal = u256()
    cost: Decimal = u256()
    total_sold: Decimal = u256()
    total_raised: Decimal = u256()


class Refund(EventRow, table=True):
    __tablename__ = "refunds"
    __table_args__ = (Index("refunds_by_buyer", "chain_id", "buyer", "block_number", "log_index"),)

    asset_id: Decimal = u256()
    buyer: str = string()
    shares: Decimal = u256()
    amount: Decimal = u256()


class ProductionReport(EventRow, table=True):
    __tablename__ = "production_reports"
    __table_args__ = (Index("production_by_asset", "chain_id", "asset_id", "period_start"),)

    report_id: Decimal = u256()
    asset_id: Decimal = u256()
    meter: str = string()
    period_start: int = bigint()
    period_end: int = bigint()
    energy_wh: Decimal = u256()
    asset_total_wh: Decimal = u256()
