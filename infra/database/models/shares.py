"""Share tokens: holders (journaled), revenue deposits and claims (append-only)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Index
from sqlalchemy import text as sql
from sqlmodel import SQLModel

from infra.database.models.columns import JOURNALED_TABLE, bigint, integer, string, u256
from infra.database.models.events import EventRow


class Holder(SQLModel, table=True):
    __tablename__ = "holders"
    __table_args__ = (
        Index("holders_by_account", "chain_id", "account"),
        Index("holders_by_balance", "chain_id", "asset_id", sql("balance DESC")),
        JOURNALED_TABLE,
    )

    chain_id: int = bigint(key=True)
    token: str = string(key=True)
    account: str = string(key=True)
    asset_id: Decimal = u256()
    balance: Decimal = u256(default="0")
    correction: Decimal = u256(default="0")
    claimed: Decimal = u256(default="0")
    delegate: str | None = string(null=True)
    votes: Decimal = u256(default="0")
    first_block: int = bigint()
    updated_block: int = bigint()
    # Energy attributed so far (read models, 0007): settled each time the balance moves.
    energy_wh: Decimal = u256(default="0")
    reports_shared: int = integer(default="0")
    energy_settled: int = integer(default="0")
    snapshot_id: int = bigint(default="0")  # the last share snapshot its balance was written to


class EnergyPeriod(SQLModel, table=True):
    """One production report of an asset in order, with the share supply of that moment."""

    __tablename__ = "energy_periods"
    __table_args__ = JOURNALED_TABLE

    chain_id: int = bigint(key=True)
    asset_id: Decimal = u256(key=True)
    seq: int = integer(key=True)
    energy_wh: Decimal = u256()
    total_supply: Decimal = u256()
    updated_block: int = bigint()


class RevenueDeposit(EventRow, table=True):
    __tablename__ = "revenue_deposits"
    __table_args__ = (Index("deposits_by_asset", "chain_id", "asset_id", "block_number"),)

    asset_id: Decimal = u256()
    token: str = string()
    deposit_id: Decimal = u256()
    depositor: str = string()
    production_report_id: Decimal = u256()
    gross: Decimal = u256()
    fee: Decimal = u256()
    reserve: Decimal = u256()
    distributed: Decimal = u256()
    magnified_revenue_per_share: Decimal = u256()


class RevenueClaim(EventRow, table=True):
    __tablename__ = "revenue_claims"
    __table_args__ = (
        Index("claims_by_asset", "chain_id", "asset_id", "block_number", "log_index"),
        Index("claims_by_account", "chain_id", "account", "block_number", "log_index"),
    )

    asset_id: Decimal = u256()
    token: str = string()
    account: str = string()
    amount: Decimal = u256()
    total_claimed: Decimal = u256()
    recipient: str | None = string(null=True)
