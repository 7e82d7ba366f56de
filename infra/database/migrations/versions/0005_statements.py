"""Yearly statements: the addresses an account lets read its statements (an accountant's, say),
and the index that finds whose statements an address may read. (The indexes that find an account's
claims and fills come with 0007, which the statements share with the account's history.)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE api_preferences ADD COLUMN statement_viewers jsonb NOT NULL DEFAULT '[]';
        CREATE INDEX api_preferences_by_statement_viewer ON api_preferences
            USING gin (statement_viewers);
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP INDEX IF EXISTS api_preferences_by_statement_viewer;
        ALTER TABLE api_preferences DROP COLUMN IF EXISTS statement_viewers;
        """
    )
