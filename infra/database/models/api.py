"""The API's own tables (off-chain): preferences, sessions, sign-in nonces, signed meter readings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index
from sqlmodel import SQLModel

from infra.database.models.columns import bigint, jsonb, string, timestamptz, u256


class Preferences(SQLModel, table=True):
    __tablename__ = "api_preferences"

    address: str = string(key=True)
    display_name: str | None = string(null=True)
    watchlist: list = jsonb(default="'[]'::jsonb")
    notifications: dict = jsonb(default="'{}'::jsonb")
    updated_at: datetime = timestamptz(default="now()")


class RefreshToken(SQLModel, table=True):
    __tablename__ = "api_refresh_tokens"
    __table_args__ = (
        Index("api_refresh_tokens_by_family", "family"),
        Index("api_refresh_tokens_by_access", "access_token_id"),
    )

    token_id: str = string(key=True)
    address: str = string()
    family: str = string()
    expires_at: datetime = timestamptz()
    used_at: datetime | None = timestamptz(null=True)
    revoked_at: datetime | None = timestamptz(null=True)
    created_at: datetime = timestamptz(default="now()")
    chain_id: int = bigint()
    access_token_id: str | None = string(null=True)


class RevokedToken(SQLModel, table=True):
    __tablename__ = "api_revoked_tokens"

    token_id: str = string(key=True)
    expires_at: datetime = timestamptz()


class SiweNonce(SQLModel, table=True):
    __tablename__ = "api_siwe_nonces"

    nonce: str = string(key=True)
    chain_id: int = bigint()
    expires_at: datetime = timestamptz()
    used_at: datetime | None = timestamptz(null=True)


class MeterReading(SQLModel, table=True):
    __tablename__ = "api_meter_readings"

    chain_id: int = bigint(key=True)
    asset_id: Decimal = u256()
    meter: str = string(key=True)
    period_start: int = bigint(key=True)
    period_end: int = bigint()
    energy_wh: Decimal = u256()
    signature: str = string()
    received_at: datetime = timestamptz(default="now()")
