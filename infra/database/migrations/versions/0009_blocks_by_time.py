"""The newest indexed block before a moment, found by an index (issue 15): an account statement
asks for the block at the start and at the end of its year, and walking `blocks` down from the
head cost every block indexed since that moment.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX blocks_by_time ON blocks (chain_id, timestamp, number)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS blocks_by_time")
