"""The API's settings: one object, read from `API_*` variables and the shared URLs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from api.db import PlanCacheMode
from api.proxies import parse_networks
from infra.settings import ROOT


class ApiSettings(BaseSettings):
    """Everything the API can be told.

    `DATABASE_URL`, `REDIS_URL`, `RPC_URL` and `DEPLOYMENTS_DIR` are shared with the indexer and
    the scripts, so they are read without the prefix; everything else is `API_<NAME>`. Secrets
    have no default outside development.
    """

    model_config = SettingsConfigDict(env_prefix="API_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    public_url: str | None = Field(
        default=None, description="The URL people open (SIWE domain and URI); host:port if unset."
    )
    hsts_seconds: int = Field(
        default=0,
        ge=0,
        description="Strict-Transport-Security max-age, sent only when public_url is https (0: off).",
    )
    faucet: bool = Field(
        default=True,
        description="Offer test mUSDC at POST /faucet on a local development chain (never others).",
    )
    wallet_rpc_url: str | None = Field(
        default=None, description="The RPC URL the dApp page asks wallets to add for the chain."
    )
    rpc_url: str = Field(
        default="http://127.0.0.1:8545", validation_alias=AliasChoices("RPC_URL", "API_RPC_URL")
    )
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "API_DATABASE_URL")
    )
    database_read_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_READ_URL", "API_DATABASE_READ_URL"),
        description="A streaming replica (hot standby) of DATABASE_URL to serve reads from; writes"
        " (sign-in, preferences, meter readings) still go to DATABASE_URL. Unset: everything"
        " reads DATABASE_URL.",
    )
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "API_REDIS_URL")
    )
    redis_namespace: str = Field(
        default="platform",
        validation_alias=AliasChoices("REDIS_NAMESPACE", "API_REDIS_NAMESPACE"),
        description="Prefix of every Redis key and channel, shared with the indexer.",
    )
    deployments_dir: Path = Field(
        default=ROOT / "deployments",
        validation_alias=AliasChoices("DEPLOYMENTS_DIR", "API_DEPLOYMENTS_DIR"),
    )
    build_file: Path = ROOT / ".build" / "__local__.json"
    data_dir: Path = ROOT / ".data"
    chain_id: int | None = Field(
        default=None, description="The chain served; read from the index or the node if unset."
    )

    # Sign-in and tokens.
    jwt_secret: SecretStr | None = Field(
        default=None, description="HMAC key of the access tokens, at least 32 bytes."
    )
    jwt_issuer: str = "energy-coownership"
    jwt_audience: str = "energy-coownership-api"
    access_token_seconds: int = Field(default=900, ge=30)
    refresh_token_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    siwe_nonce_seconds: int = Field(default=300, ge=10)
    siwe_max_age_seconds: int = Field(
        default=600, ge=10, description="Oldest issued-at accepted for a sign-in message."
    )
    clock_skew_seconds: int = Field(default=30, ge=0)

    # OAuth 2.0 for third-party apps (api.oauth).
    oauth_code_seconds: int = Field(
        default=60, ge=5, le=600, description="Lifetime of an authorization code (single use)."
    )
    oauth_refresh_token_seconds: int = Field(
        default=30 * 24 * 3600, ge=60, description="Lifetime of an app's refresh token."
    )
    oauth_client_rate_limit_per_minute: int = Field(
        default=6000, ge=1, description="A registered client's own limit, unless set per client."
    )

    # Limits.
    page_size: int = Field(default=50, ge=1)
    max_page_size: int = Field(default=200, ge=1)
    rate_limit_per_minute: int = Field(default=1200, ge=1, description="Requests per IP.")
    rate_limit_per_address_per_minute: int = Field(default=600, ge=1)
    ws_connections_per_client: int = Field(default=16, ge=1)
    ws_max_subscriptions: int = Field(default=32, ge=1)
    ws_queue_size: int = Field(default=1024, ge=1)
    ws_max_message_bytes: int = Field(default=16_384, ge=256)
    ws_heartbeat_seconds: float = Field(default=15.0, gt=0)
    ws_resume_limit: int = Field(
        default=10_000, ge=1, description="Most events replayed to one resuming client."
    )
    ws_hops: bool = Field(
        default=False,
        description="Add `hops` (when the commit's head notification arrived, was fetched,"
        " committed, published, received and dispatched here) to live feed messages, for latency"
        " breakdowns.",
    )
    graphql_max_depth: int = Field(default=8, ge=1)
    graphql_max_complexity: int = Field(default=500, ge=1)

    # Transactions prepared for wallets (simulated on the node, never signed here).
    rpc_timeout_seconds: float = Field(default=10.0, gt=0, description="Per node request.")
    gas_margin_percent: int = Field(
        default=25, ge=0, le=500, description="Added to each gas estimate."
    )
    permit_seconds: int = Field(
        default=3600, ge=60, description="Default validity of a permit to sign."
    )

    # Reads.
    cache_seconds: int = Field(default=60, ge=1)
    head_poll_seconds: float = Field(default=0.25, gt=0)
    ready_max_lag_blocks: int = Field(default=50, ge=0)
    cors_origins: list[str] = Field(default_factory=list)
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="CIDRs of reverse proxies whose X-Forwarded-For names the client (comma"
        " separated); empty: none, the TCP peer is the client for limits and caps.",
    )
    db_pool_size: int = Field(default=8, ge=1)
    db_statement_timeout_ms: int = Field(
        default=5_000, ge=1, description="PostgreSQL statement_timeout of the API's statements."
    )
    db_pool_timeout_seconds: float = Field(
        default=5.0, gt=0, description="Longest wait of a request for a database connection."
    )
    db_plan_cache_mode: PlanCacheMode = Field(
        default="force_generic_plan",
        description="PostgreSQL plan_cache_mode of the API's connections. Generic plans are made"
        " once per statement and connection; `auto` plans most reads again for their parameters,"
        " which cost more PostgreSQL time than running them. tests/api/test_query_plans.py checks"
        " the plans each mode gives.",
    )
    db_primary_pool_size: int = Field(
        default=4,
        ge=1,
        description="Connections kept to DATABASE_URL for writes when reads go"
        " to DATABASE_READ_URL.",
    )
    replica_wait_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Longest wait for the read replica to replay what the"
        " primary committed, before a feed resume is told to retry (DATABASE_READ_URL only).",
    )
    db_request_budget_ms: int = Field(
        default=10_000, ge=1, description="Wall time after which a request starts no statement."
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [
                part for part in (p.strip() for p in text.split(",")) if part]  # fmt: skip
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        parse_networks(value)
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url_is_an_origin(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = urlsplit(value)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise ValueError("API_PUBLIC_URL must be an http:// or https:// URL")
        if "@" in url.netloc:
            raise ValueError("API_PUBLIC_URL must not have a user part (user@host): sign-in"
                             " messages name its host, and a wallet would show the user part")  # fmt: skip
        return value

    @model_validator(mode="after")
    def _secrets_outside_development(self) -> ApiSettings:
        if self.jwt_secret is not None and len(self.jwt_secret.get_secret_value().encode()) < 32:
            raise ValueError("API_JWT_SECRET must be at least 32 bytes")
        if self.environment != "development" and self.jwt_secret is None:
            raise ValueError("API_JWT_SECRET is required outside development")
        return self

    @property
    def base_url(self) -> str:
        """Where people reach the API (and the dApp page)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
