"""Energy certificates (issue 17): each report's issuance, claims, retirements, certificate balances
per (vintage, account), and the share tokens' balance snapshots that say who holds what share of a
report, so that what each holder can claim is computed from the index alone.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

U256 = "numeric(78,0)"
EVENT_COLUMNS = (
    "chain_id bigint, block_number bigint, log_index integer, tx_hash text NOT NULL,"
    " block_timestamp bigint NOT NULL,"
)
EVENT_KEY = "PRIMARY KEY (chain_id, block_number, log_index)"


def upgrade() -> None:
    op.execute(
        f"""
        ALTER TABLE assets
            ADD COLUMN snapshot_id bigint NOT NULL DEFAULT 0,
            ADD COLUMN certified_wh {U256} NOT NULL DEFAULT 0,
            ADD COLUMN certificates_claimed_wh {U256} NOT NULL DEFAULT 0,
            ADD COLUMN certificates_retired_wh {U256} NOT NULL DEFAULT 0;
        ALTER TABLE holders ADD COLUMN snapshot_id bigint NOT NULL DEFAULT 0;
        CREATE TABLE share_snapshots (
            chain_id bigint, token text, account text, snapshot_id bigint,
            asset_id {U256} NOT NULL, balance {U256} NOT NULL, updated_block bigint NOT NULL,
            PRIMARY KEY (chain_id, token, account, snapshot_id));
        CREATE TABLE certificate_balances (
            chain_id bigint, token_id {U256}, account text, asset_id {U256} NOT NULL,
            period_start bigint NOT NULL, period_end bigint NOT NULL,
            balance {U256} NOT NULL DEFAULT 0, claimed {U256} NOT NULL DEFAULT 0,
            retired {U256} NOT NULL DEFAULT 0, updated_block bigint NOT NULL,
            PRIMARY KEY (chain_id, token_id, account));
        CREATE TRIGGER share_snapshots_journal AFTER INSERT OR UPDATE OR DELETE ON share_snapshots
            FOR EACH ROW EXECUTE FUNCTION indexer_journal();
        CREATE TRIGGER certificate_balances_journal
            AFTER INSERT OR UPDATE OR DELETE ON certificate_balances
            FOR EACH ROW EXECUTE FUNCTION indexer_journal();
        CREATE TABLE certificate_issuances ({EVENT_COLUMNS}
            report_id {U256} NOT NULL, asset_id {U256} NOT NULL, token_id {U256} NOT NULL,
            period_start bigint NOT NULL, period_end bigint NOT NULL, energy_wh {U256} NOT NULL,
            supply {U256} NOT NULL, snapshot_id bigint NOT NULL, asset_certified_wh {U256} NOT NULL,
            {EVENT_KEY});
        CREATE TABLE certificate_claims ({EVENT_COLUMNS}
            report_id {U256} NOT NULL, account text NOT NULL, token_id {U256} NOT NULL,
            asset_id {U256} NOT NULL, energy_wh {U256} NOT NULL, {EVENT_KEY});
        CREATE TABLE certificate_retirements ({EVENT_COLUMNS}
            retirement_id {U256} NOT NULL, account text NOT NULL, token_id {U256} NOT NULL,
            asset_id {U256} NOT NULL, period_start bigint NOT NULL, period_end bigint NOT NULL,
            energy_wh {U256} NOT NULL, beneficiary text NOT NULL, purpose text NOT NULL,
            location text NOT NULL, claim_hash text NOT NULL, {EVENT_KEY});
        CREATE INDEX certificate_balances_by_account ON certificate_balances (chain_id, account);
        CREATE INDEX certificate_issuances_by_asset
            ON certificate_issuances (chain_id, asset_id, block_number);
        CREATE UNIQUE INDEX certificate_issuances_by_report ON certificate_issuances (chain_id, report_id);
        CREATE INDEX certificate_claims_by_account ON certificate_claims (chain_id, account, report_id);
        CREATE UNIQUE INDEX certificate_retirements_by_id
            ON certificate_retirements (chain_id, retirement_id);
        CREATE INDEX certificate_retirements_by_asset
            ON certificate_retirements (chain_id, asset_id, block_number);
        CREATE INDEX certificate_retirements_by_account
            ON certificate_retirements (chain_id, account, block_number);
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE IF EXISTS certificate_retirements, certificate_claims, certificate_issuances,
            certificate_balances, share_snapshots;
        ALTER TABLE holders DROP COLUMN IF EXISTS snapshot_id;
        ALTER TABLE assets DROP COLUMN IF EXISTS snapshot_id, DROP COLUMN IF EXISTS certified_wh,
            DROP COLUMN IF EXISTS certificates_claimed_wh,
            DROP COLUMN IF EXISTS certificates_retired_wh;
        """
    )
