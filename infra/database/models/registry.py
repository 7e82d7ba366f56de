"""The registry's state: the platform's settings, payment tokens, assets, identities, roles, meters.

Every table here is changed in place and journaled (see `columns.JOURNALED`).
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import SQLModel

from infra.database.models.columns import (
    JOURNALED_TABLE,
    bigint,
    boolean,
    integer,
    string,
    u256,
)


class Platform(SQLModel, table=True):
    __tablename__ = "platform"
    __table_args__ = JOURNALED_TABLE

    chain_id: int = bigint(key=True)
    paused: bool = boolean(default="false")
    revenue_fee_bps: int | None = integer(null=True)
    market_fee_bps: int | None = integer(null=True)
    fee_recipient: str | None = string(null=True)
    primary_sale: str | None = string(null=True)
    production_oracle: str | None = string(null=True)
    share_market: str | None = string(null=True)
    pending_revenue_fee_bps: int | None = integer(null=True)
    pending_market_fee_bps: int | None = integer(null=True)
    pending_fees_effective_at: int | None = bigint(null=True)


class PaymentToken(SQLModel, table=True):
    __tablename__ = "payment_tokens"
    __table_args__ = JOURNALED_TABLE

    chain_id: int = bigint(key=True)
    token: str = string(key=True)
    allowed: bool = boolean()


class Asset(SQLModel, table=True):
    __tablename__ = "assets"
    __table_args__ = JOURNALED_TABLE

    chain_id: int = bigint(key=True)
    asset_id: Decimal = u256(key=True)
    operator: str = string()
    share_token: str = string()
    governor: str = string()
    timelock: str = string()
    kind: str = string()
    status: str = string()
    capacity_watts: int = bigint()
    name: str = string()
    symbol: str = string()
    location: str = string()
    country: str = string()
    metadata_uri: str = string()
    payment_token: str = string()
    total_shares: Decimal = u256()
    share_price: Decimal = u256()
    sale_start: int = bigint()
    sale_end: int = bigint()
    min_raise: Decimal = u256()
    max_shares_per_buyer: Decimal = u256()
    treasury: str = string()
    voting_delay: int = bigint()
    voting_period: int = bigint()
    proposal_threshold: Decimal = u256()
    quorum_percent: int = integer()
    timelock_delay: int = bigint()
    reserve_bps: int = integer()
    requires_verification: bool = boolean()
    paused: bool = boolean(default="false")
    shares_sold: Decimal = u256(default="0")
    raised: Decimal = u256(default="0")
    refunded_shares: Decimal = u256(default="0")
    refunded_amount: Decimal = u256(default="0")
    sale_finalized: bool = boolean(default="false")
    sale_succeeded: bool | None = boolean(null=True)
    raise_deferred: Decimal = u256(default="0")
    transfers_active: bool = boolean(default="false")
    total_supply: Decimal = u256(default="0")
    holder_count: int = integer(default="0")
    magnified_revenue_per_share: Decimal = u256(default="0")
    revenue_deposits: int = integer(default="0")
    revenue_gross: Decimal = u256(default="0")
    revenue_fees: Decimal = u256(default="0")
    revenue_reserve: Decimal = u256(default="0")
    revenue_distributed: Decimal = u256(default="0")
    revenue_claimed: Decimal = u256(default="0")
    energy_wh: Decimal = u256(default="0")
    report_count: int = integer(default="0")
    last_price: Decimal | None = u256(null=True)
    traded_shares: Decimal = u256(default="0")
    registered_block: int = bigint()
    registered_at: int = bigint()
    updated_block: int = bigint()
    paused_by_pauser: bool = boolean(default="false")
    paused_by_governance: bool = boolean(default="false")
    sale_cancelled: bool = boolean(default="false")
    # Energy certificates (0008): the share snapshot of the last report, and the asset's totals.
    snapshot_id: int = bigint(default="0")
    certified_wh: Decimal = u256(default="0")
    certificates_claimed_wh: Decimal = u256(default="0")
    certificates_retired_wh: Decimal = u256(default="0")


class Identity(SQLModel, table=True):
    __tablename__ = "identities"
    __table_args__ = JOURNALED_TABLE

    chain_id: int = bigint(key=True)
    account: str = string(key=True)
    verified: bool = boolean()
    expires_at: int | None = bigint(null=True)
    country: int | None = integer(null=True)
    verifier: str | None = string(null=True)
    updated_block: int = bigint()


class Role(SQLModel, table=True):
    __tablename__ = "roles"
    __table_args__ = JOURNALED_TABLE

    chain_id: int = bigint(key=True)
    contract: str = string(key=True)
    role: str = string(key=True)
    account: str = string(key=True)
    active: bool = boolean()
    updated_block: int = bigint()


class Meter(SQLModel, table=True):
    __tablename__ = "meters"
    __table_args__ = JOURNALED_TABLE

    chain_id: int = bigint(key=True)
    meter: str = string(key=True)
    asset_id: Decimal = u256()
    active: bool = boolean()
    updated_block: int = bigint()
