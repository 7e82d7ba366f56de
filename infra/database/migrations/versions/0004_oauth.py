"""The OAuth 2.0 authorization server's tables: registered clients, authorization codes, the
tokens issued to apps (one row per access token, with its rotating refresh token), and the apps
each holder has authorised.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE api_oauth_clients (
            client_id text PRIMARY KEY, chain_id bigint NOT NULL, name text NOT NULL,
            secret_hash text, redirect_uris jsonb NOT NULL DEFAULT '[]',
            scopes jsonb NOT NULL DEFAULT '[]', grant_types jsonb NOT NULL DEFAULT '[]',
            rate_limit_per_minute integer NOT NULL, created_by text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(), revoked_at timestamptz);
        CREATE TABLE api_oauth_codes (
            code_hash text PRIMARY KEY, client_id text NOT NULL, address text NOT NULL,
            redirect_uri text NOT NULL, scope text NOT NULL, code_challenge text NOT NULL,
            code_challenge_method text NOT NULL, expires_at timestamptz NOT NULL,
            used_at timestamptz);
        CREATE TABLE api_oauth_tokens (
            token_id text PRIMARY KEY, chain_id bigint NOT NULL, client_id text NOT NULL,
            address text, scope text NOT NULL, family text NOT NULL, refresh_hash text UNIQUE,
            issued_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz NOT NULL,
            refresh_expires_at timestamptz, used_at timestamptz, revoked_at timestamptz);
        CREATE INDEX api_oauth_tokens_by_family ON api_oauth_tokens (family);
        CREATE INDEX api_oauth_tokens_by_grant ON api_oauth_tokens (client_id, address);
        CREATE TABLE api_oauth_grants (
            chain_id bigint NOT NULL, address text NOT NULL, client_id text NOT NULL,
            scope text NOT NULL, granted_at timestamptz NOT NULL DEFAULT now(),
            last_used_at timestamptz, revoked_at timestamptz,
            PRIMARY KEY (chain_id, address, client_id));
        """
    )


def downgrade() -> None:
    op.execute(
        "DROP TABLE IF EXISTS api_oauth_grants, api_oauth_tokens, api_oauth_codes,"
        " api_oauth_clients"
    )
