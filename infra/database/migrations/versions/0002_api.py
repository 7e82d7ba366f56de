"""What the API adds: the node's head on the checkpoint, read indexes, and the API's own tables.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE checkpoints ADD COLUMN chain_head bigint;
        CREATE INDEX raw_logs_by_address ON raw_logs (chain_id, address, block_number, log_index);
        CREATE INDEX raw_logs_by_event ON raw_logs (chain_id, event, block_number, log_index);
        CREATE INDEX raw_logs_by_asset_arg ON raw_logs
            (chain_id, (args->>'assetId'), block_number, log_index) WHERE args ? 'assetId';
        CREATE INDEX claims_by_asset ON revenue_claims (chain_id, asset_id, block_number, log_index);
        CREATE TABLE api_preferences (
            address text PRIMARY KEY, display_name text, watchlist jsonb NOT NULL DEFAULT '[]',
            notifications jsonb NOT NULL DEFAULT '{}', updated_at timestamptz NOT NULL DEFAULT now());
        CREATE TABLE api_refresh_tokens (
            token_id text PRIMARY KEY, address text NOT NULL, family text NOT NULL,
            expires_at timestamptz NOT NULL, used_at timestamptz, revoked_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(), chain_id bigint NOT NULL,
            access_token_id text);
        CREATE INDEX api_refresh_tokens_by_family ON api_refresh_tokens (family);
        CREATE INDEX api_refresh_tokens_by_access ON api_refresh_tokens (access_token_id);
        CREATE TABLE api_revoked_tokens (
            token_id text PRIMARY KEY, expires_at timestamptz NOT NULL);
        CREATE TABLE api_siwe_nonces (
            nonce text PRIMARY KEY, chain_id bigint NOT NULL, expires_at timestamptz NOT NULL,
            used_at timestamptz);
        CREATE TABLE api_meter_readings (
            chain_id bigint NOT NULL, asset_id numeric(78,0) NOT NULL, meter text NOT NULL,
            period_start bigint NOT NULL, period_end bigint NOT NULL,
            energy_wh numeric(78,0) NOT NULL, signature text NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (chain_id, meter, period_start));
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE IF EXISTS api_siwe_nonces, api_meter_readings, api_revoked_tokens,
            api_refresh_tokens, api_preferences;
        DROP INDEX IF EXISTS raw_logs_by_address, raw_logs_by_event, raw_logs_by_asset_arg,
            claims_by_asset;
        ALTER TABLE checkpoints DROP COLUMN IF EXISTS chain_head;
        """
    )
