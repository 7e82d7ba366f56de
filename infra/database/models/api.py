"""The API's own tables (off-chain): preferences, sessions, sign-in nonces, signed meter readings,
and the OAuth 2.0 apps with their codes, tokens and grants."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import SQLModel

from infra.database.models.columns import bigint, integer, jsonb, string, timestamptz, u256


class Preferences(SQLModel, table=True):
    __tablename__ = "api_preferences"
    __table_args__ = (
        Index("api_preferences_by_statement_viewer", "statement_viewers", postgresql_using="gin"),
    )

    address: str = string(key=True)
    display_name: str | None = string(null=True)
    watchlist: list = jsonb(default="'[]'::jsonb")
    notifications: dict = jsonb(default="'{}'::jsonb")
    statement_viewers: list = jsonb(default="'[]'::jsonb")
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


# -- OAuth 2.0 (0004): registered apps, their codes and tokens, and what each holder granted ------


class OAuthClient(SQLModel, table=True):
    __tablename__ = "api_oauth_clients"

    client_id: str = string(key=True)
    chain_id: int = bigint()
    name: str = string()
    secret_hash: str | None = string(null=True)
    redirect_uris: list = jsonb(default="'[]'::jsonb")
    scopes: list = jsonb(default="'[]'::jsonb")
    grant_types: list = jsonb(default="'[]'::jsonb")
    rate_limit_per_minute: int = integer()
    created_by: str = string()
    created_at: datetime = timestamptz(default="now()")
    revoked_at: datetime | None = timestamptz(null=True)


class OAuthCode(SQLModel, table=True):
    __tablename__ = "api_oauth_codes"

    code_hash: str = string(key=True)
    client_id: str = string()
    address: str = string()
    redirect_uri: str = string()
    scope: str = string()
    code_challenge: str = string()
    code_challenge_method: str = string()
    expires_at: datetime = timestamptz()
    used_at: datetime | None = timestamptz(null=True)


class OAuthToken(SQLModel, table=True):
    __tablename__ = "api_oauth_tokens"
    __table_args__ = (
        Index("api_oauth_tokens_by_family", "family"),
        Index("api_oauth_tokens_by_grant", "client_id", "address"),
        UniqueConstraint("refresh_hash"),
    )

    token_id: str = string(key=True)
    chain_id: int = bigint()
    client_id: str = string()
    address: str | None = string(null=True)
    scope: str = string()
    family: str = string()
    refresh_hash: str | None = string(null=True)
    issued_at: datetime = timestamptz(default="now()")
    expires_at: datetime = timestamptz()
    refresh_expires_at: datetime | None = timestamptz(null=True)
    used_at: datetime | None = timestamptz(null=True)
    revoked_at: datetime | None = timestamptz(null=True)


class OAuthGrant(SQLModel, table=True):
    __tablename__ = "api_oauth_grants"

    chain_id: int = bigint(key=True)
    address: str = string(key=True)
    client_id: str = string(key=True)
    scope: str = string()
    granted_at: datetime = timestamptz(default="now()")
    last_used_at: datetime | None = timestamptz(null=True)
    revoked_at: datetime | None = timestamptz(null=True)
