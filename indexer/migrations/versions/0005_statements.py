"""Yearly statements: the addresses an account lets read its statements (an accountant's, say),
and the indexes that find an account's claims and fills without reading every row.

Revision ID: 0005
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE api_preferences ADD COLUMN statement_viewers jsonb NOT NULL DEFAULT '[]';
        CREATE INDEX api_preferences_by_statement_viewer ON api_preferences
            USING gin (statement_viewers);
        CREATE INDEX claims_by_account ON revenue_claims (chain_id, account, block_number);
        CREATE INDEX fills_by_buyer ON fills (chain_id, buyer, block_number);
        CREATE INDEX fills_by_seller ON fills (chain_id, seller, block_number);
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP INDEX IF EXISTS api_preferences_by_statement_viewer, claims_by_account, fills_by_buyer,
            fills_by_seller;
        ALTER TABLE api_preferences DROP COLUMN IF EXISTS statement_viewers;
        """
    )
