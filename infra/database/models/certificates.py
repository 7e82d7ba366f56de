"""Energy certificates (0008): share balances at each report's snapshot, certificates held per
vintage, and the issuances, claims and retirements of the `EnergyCertificates` contract."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Index
from sqlmodel import SQLModel

from infra.database.models.columns import JOURNALED_TABLE, bigint, string, u256
from infra.database.models.events import EventRow


class ShareSnapshot(SQLModel, table=True):
    """An account's share balance as a report's snapshot saw it (written on its first change)."""

    __tablename__ = "share_snapshots"
    __table_args__ = JOURNALED_TABLE

    chain_id: int = bigint(key=True)
    token: str = string(key=True)
    account: str = string(key=True)
    snapshot_id: int = bigint(key=True)
    asset_id: Decimal = u256()
    balance: Decimal = u256()
    updated_block: int = bigint()


class CertificateBalance(SQLModel, table=True):
    """An account's certificates of one vintage (token id = asset, period start, period end)."""

    __tablename__ = "certificate_balances"
    __table_args__ = (
        Index("certificate_balances_by_account", "chain_id", "account"),
        JOURNALED_TABLE,
    )

    chain_id: int = bigint(key=True)
    token_id: Decimal = u256(key=True)
    account: str = string(key=True)
    asset_id: Decimal = u256()
    period_start: int = bigint()
    period_end: int = bigint()
    balance: Decimal = u256(default="0")
    claimed: Decimal = u256(default="0")
    retired: Decimal = u256(default="0")
    updated_block: int = bigint()


class CertificateIssuance(EventRow, table=True):
    __tablename__ = "certificate_issuances"
    __table_args__ = (
        Index("certificate_issuances_by_asset", "chain_id", "asset_id", "block_number"),
        Index("certificate_issuances_by_report", "chain_id", "report_id", unique=True),
    )

    report_id: Decimal = u256()
    asset_id: Decimal = u256()
    token_id: Decimal = u256()
    period_start: int = bigint()
    period_end: int = bigint()
    energy_wh: Decimal = u256()
    supply: Decimal = u256()
    snapshot_id: int = bigint()
    asset_certified_wh: Decimal = u256()


class CertificateClaim(EventRow, table=True):
    __tablename__ = "certificate_claims"
    __table_args__ = (Index("certificate_claims_by_account", "chain_id", "account", "report_id"),)

    report_id: Decimal = u256()
    account: str = string()
    token_id: Decimal = u256()
    asset_id: Decimal = u256()
    energy_wh: Decimal = u256()


class CertificateRetirement(EventRow, table=True):
    __tablename__ = "certificate_retirements"
    __table_args__ = (
        Index("certificate_retirements_by_id", "chain_id", "retirement_id", unique=True),
        Index("certificate_retirements_by_asset", "chain_id", "asset_id", "block_number"),
        Index("certificate_retirements_by_account", "chain_id", "account", "block_number"),
    )

    retirement_id: Decimal = u256()
    account: str = string()
    token_id: Decimal = u256()
    asset_id: Decimal = u256()
    period_start: int = bigint()
    period_end: int = bigint()
    energy_wh: Decimal = u256()
    beneficiary: str = string()
    purpose: str = string()
    location: str = string()
    claim_hash: str = string()
