"""What the contracts' hardening (issue 12) adds to the index: the two pause flags, a cancelled sale,
an announced fee rise, a claim's recipient, and each seller's listing nonce with the listings it
invalidates.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE assets
            ADD COLUMN paused_by_pauser boolean NOT NULL DEFAULT false,
            ADD COLUMN paused_by_governance boolean NOT NULL DEFAULT false,
            ADD COLUMN sale_cancelled boolean NOT NULL DEFAULT false;
        ALTER TABLE platform
            ADD COLUMN pending_revenue_fee_bps integer,
            ADD COLUMN pending_market_fee_bps integer,
            ADD COLUMN pending_fees_effective_at bigint;
        ALTER TABLE revenue_claims ADD COLUMN recipient text;
        CREATE TABLE market_sellers (
            chain_id bigint, seller text, listing_nonce numeric(78,0) NOT NULL DEFAULT 0,
            open_listings jsonb NOT NULL DEFAULT '[]', updated_block bigint NOT NULL,
            PRIMARY KEY (chain_id, seller));
        CREATE TRIGGER market_sellers_journal AFTER INSERT OR UPDATE OR DELETE ON market_sellers
            FOR EACH ROW EXECUTE FUNCTION indexer_journal();
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE IF EXISTS market_sellers;
        ALTER TABLE revenue_claims DROP COLUMN IF EXISTS recipient;
        ALTER TABLE platform DROP COLUMN IF EXISTS pending_revenue_fee_bps,
            DROP COLUMN IF EXISTS pending_market_fee_bps,
            DROP COLUMN IF EXISTS pending_fees_effective_at;
        ALTER TABLE assets DROP COLUMN IF EXISTS paused_by_pauser,
            DROP COLUMN IF EXISTS paused_by_governance, DROP COLUMN IF EXISTS sale_cancelled;
        """
    )
