"""The initial schema: raw logs, blocks, checkpoint, reorg journal and the domain tables.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

U256 = "numeric(78,0)"

# Tables rows of which change in place: a trigger journals every change made while the indexer
# marks the block being written as reversible, so a reorg can undo it.
MUTABLE = {
    "platform": "chain_id bigint PRIMARY KEY, paused boolean NOT NULL DEFAULT false,"
    " revenue_fee_bps integer, market_fee_bps integer, fee_recipient text,"
    " primary_sale text, production_oracle text, share_market text",
    "payment_tokens": "chain_id bigint, token text, allowed boolean NOT NULL,"
    " PRIMARY KEY (chain_id, token)",
    "assets": f"""chain_id bigint, asset_id {U256}, operator text NOT NULL, share_token text NOT NULL,
        governor text NOT NULL, timelock text NOT NULL, kind text NOT NULL, status text NOT NULL,
        capacity_watts bigint NOT NULL, name text NOT NULL, symbol text NOT NULL,
        location text NOT NULL, country text NOT NULL, metadata_uri text NOT NULL,
        payment_token text NOT NULL, total_shares {U256} NOT NULL, share_price {U256} NOT NULL,
        sale_start bigint NOT NULL, sale_end bigint NOT NULL, min_raise {U256} NOT NULL,
        max_shares_per_buyer {U256} NOT NULL, treasury text NOT NULL, voting_delay bigint NOT NULL,
        voting_period bigint NOT NULL, proposal_threshold {U256} NOT NULL,
        quorum_percent integer NOT NULL, timelock_delay bigint NOT NULL, reserve_bps integer NOT NULL,
        requires_verification boolean NOT NULL, paused boolean NOT NULL DEFAULT false,
        shares_sold {U256} NOT NULL DEFAULT 0, raised {U256} NOT NULL DEFAULT 0,
        refunded_shares {U256} NOT NULL DEFAULT 0, refunded_amount {U256} NOT NULL DEFAULT 0,
        sale_finalized boolean NOT NULL DEFAULT false, sale_succeeded boolean,
        raise_deferred {U256} NOT NULL DEFAULT 0, transfers_active boolean NOT NULL DEFAULT false,
        total_supply {U256} NOT NULL DEFAULT 0, holder_count integer NOT NULL DEFAULT 0,
        magnified_revenue_per_share {U256} NOT NULL DEFAULT 0,
        revenue_deposits integer NOT NULL DEFAULT 0, revenue_gross {U256} NOT NULL DEFAULT 0,
        revenue_fees {U256} NOT NULL DEFAULT 0, revenue_reserve {U256} NOT NULL DEFAULT 0,
        revenue_distributed {U256} NOT NULL DEFAULT 0, revenue_claimed {U256} NOT NULL DEFAULT 0,
        energy_wh {U256} NOT NULL DEFAULT 0, report_count integer NOT NULL DEFAULT 0,
        last_price {U256}, traded_shares {U256} NOT NULL DEFAULT 0,
        registered_block bigint NOT NULL, registered_at bigint NOT NULL,
        updated_block bigint NOT NULL, PRIMARY KEY (chain_id, asset_id)""",
    "holders": f"""chain_id bigint, token text, account text, asset_id {U256} NOT NULL,
        balance {U256} NOT NULL DEFAULT 0, correction {U256} NOT NULL DEFAULT 0,
        claimed {U256} NOT NULL DEFAULT 0, delegate text, votes {U256} NOT NULL DEFAULT 0,
        first_block bigint NOT NULL, updated_block bigint NOT NULL,
        PRIMARY KEY (chain_id, token, account)""",
    "meters": f"""chain_id bigint, meter text, asset_id {U256} NOT NULL, active boolean NOT NULL,
        updated_block bigint NOT NULL, PRIMARY KEY (chain_id, meter)""",
    "listings": f"""chain_id bigint, listing_id {U256}, seller text NOT NULL, asset_id {U256} NOT NULL,
        share_token text NOT NULL, amount {U256} NOT NULL, remaining {U256} NOT NULL,
        price_per_share {U256} NOT NULL, payment_token text NOT NULL, expires_at bigint NOT NULL,
        fee_bps integer NOT NULL, status text NOT NULL, created_block bigint NOT NULL,
        created_at bigint NOT NULL, tx_hash text NOT NULL, updated_block bigint NOT NULL,
        PRIMARY KEY (chain_id, listing_id)""",
    "proposals": f"""chain_id bigint, governor text, proposal_id {U256}, asset_id {U256} NOT NULL,
        proposer text NOT NULL, targets jsonb NOT NULL, "values" jsonb NOT NULL,
        calldatas jsonb NOT NULL, description text NOT NULL, vote_start bigint NOT NULL,
        vote_end bigint NOT NULL, for_votes {U256} NOT NULL DEFAULT 0,
        against_votes {U256} NOT NULL DEFAULT 0, abstain_votes {U256} NOT NULL DEFAULT 0,
        voter_count integer NOT NULL DEFAULT 0, lifecycle text NOT NULL, eta bigint,
        created_block bigint NOT NULL, created_at bigint NOT NULL, tx_hash text NOT NULL,
        updated_block bigint NOT NULL, PRIMARY KEY (chain_id, governor, proposal_id)""",
    "identities": """chain_id bigint, account text, verified boolean NOT NULL, expires_at bigint,
        country integer, verifier text, updated_block bigint NOT NULL,
        PRIMARY KEY (chain_id, account)""",
    "roles": """chain_id bigint, contract text, role text, account text, active boolean NOT NULL,
        updated_block bigint NOT NULL, PRIMARY KEY (chain_id, contract, role, account)""",
}

# Tables that only grow, one row per log (or block): a reorg deletes the rows above the ancestor.
EVENT_COLUMNS = "chain_id bigint, block_number bigint, log_index integer, tx_hash text NOT NULL,"
EVENT_KEY = "PRIMARY KEY (chain_id, block_number, log_index)"
APPEND_ONLY = {
    "purchases": f"asset_id {U256} NOT NULL, buyer text NOT NULL, shares {U256} NOT NULL,"
    f" cost {U256} NOT NULL, total_sold {U256} NOT NULL, total_raised {U256} NOT NULL,",
    "refunds": f"asset_id {U256} NOT NULL, buyer text NOT NULL, shares {U256} NOT NULL,"
    f" amount {U256} NOT NULL,",
    "revenue_deposits": f"asset_id {U256} NOT NULL, token text NOT NULL, deposit_id {U256} NOT NULL,"
    f" depositor text NOT NULL, production_report_id {U256} NOT NULL, gross {U256} NOT NULL,"
    f" fee {U256} NOT NULL, reserve {U256} NOT NULL, distributed {U256} NOT NULL,"
    f" magnified_revenue_per_share {U256} NOT NULL,",
    "revenue_claims": f"asset_id {U256} NOT NULL, token text NOT NULL, account text NOT NULL,"
    f" amount {U256} NOT NULL, total_claimed {U256} NOT NULL,",
    "production_reports": f"report_id {U256} NOT NULL, asset_id {U256} NOT NULL, meter text NOT NULL,"
    f" period_start bigint NOT NULL, period_end bigint NOT NULL, energy_wh {U256} NOT NULL,"
    f" asset_total_wh {U256} NOT NULL,",
    "votes": f"governor text NOT NULL, asset_id {U256} NOT NULL, proposal_id {U256} NOT NULL,"
    f" voter text NOT NULL, support smallint NOT NULL, weight {U256} NOT NULL, reason text NOT NULL,",
    "fills": f"listing_id {U256} NOT NULL, asset_id {U256} NOT NULL, buyer text NOT NULL,"
    f" seller text NOT NULL, amount {U256} NOT NULL, price_per_share {U256} NOT NULL,"
    f" paid {U256} NOT NULL, fee {U256} NOT NULL, remaining {U256} NOT NULL,",
}

JOURNAL_FUNCTION = """
CREATE FUNCTION indexer_journal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    block text := current_setting('indexer.block', true);
BEGIN
    IF block IS NULL OR block = '' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO undo_log (block_number, table_name, op, new_row)
        VALUES (block::bigint, TG_TABLE_NAME, 'I', to_jsonb(NEW));
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO undo_log (block_number, table_name, op, old_row, new_row)
        VALUES (block::bigint, TG_TABLE_NAME, 'U', to_jsonb(OLD), to_jsonb(NEW));
    ELSE
        INSERT INTO undo_log (block_number, table_name, op, old_row)
        VALUES (block::bigint, TG_TABLE_NAME, 'D', to_jsonb(OLD));
    END IF;
    RETURN NULL;
END
$$;
"""


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE checkpoints (
            chain_id bigint PRIMARY KEY, block_number bigint NOT NULL, block_hash text NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now());
        CREATE TABLE blocks (
            chain_id bigint, number bigint, hash text NOT NULL, parent_hash text NOT NULL,
            timestamp bigint NOT NULL, event_count integer NOT NULL DEFAULT 0,
            reversible boolean NOT NULL, PRIMARY KEY (chain_id, number));
        CREATE TABLE raw_logs (
            chain_id bigint, block_number bigint, log_index integer, block_hash text NOT NULL,
            tx_hash text NOT NULL, tx_index integer NOT NULL, address text NOT NULL,
            event text NOT NULL, topics text[] NOT NULL, data text NOT NULL, args jsonb NOT NULL,
            block_timestamp bigint NOT NULL, PRIMARY KEY (chain_id, block_number, log_index));
        CREATE TABLE contracts (
            chain_id bigint, address text, kind text NOT NULL, asset_id numeric(78,0),
            block_number bigint NOT NULL, PRIMARY KEY (chain_id, address));
        CREATE TABLE reorgs (
            id bigserial PRIMARY KEY, chain_id bigint NOT NULL,
            detected_at timestamptz NOT NULL DEFAULT now(), ancestor_block bigint NOT NULL,
            old_head_block bigint NOT NULL, old_head_hash text NOT NULL, depth integer NOT NULL,
            removed_events integer NOT NULL);
        CREATE TABLE undo_log (
            id bigserial PRIMARY KEY, block_number bigint NOT NULL, table_name text NOT NULL,
            op char(1) NOT NULL, old_row jsonb, new_row jsonb);
        CREATE INDEX undo_log_by_block ON undo_log (block_number);
        """
    )
    op.execute(JOURNAL_FUNCTION)
    for table, columns in MUTABLE.items():
        op.execute(f"CREATE TABLE {table} ({columns})")
        op.execute(
            f"CREATE TRIGGER {table}_journal AFTER INSERT OR UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION indexer_journal()"
        )
    for table, columns in APPEND_ONLY.items():
        op.execute(
            f"CREATE TABLE {table} ({EVENT_COLUMNS} block_timestamp bigint NOT NULL,"
            f" {columns} {EVENT_KEY})"
        )
    op.execute(
        """
        CREATE INDEX holders_by_account ON holders (chain_id, account);
        CREATE INDEX holders_by_balance ON holders (chain_id, asset_id, balance DESC);
        CREATE INDEX listings_open ON listings (chain_id, asset_id, price_per_share)
            WHERE status = 'open';
        CREATE INDEX production_by_asset ON production_reports (chain_id, asset_id, period_start);
        CREATE INDEX purchases_by_buyer ON purchases (chain_id, buyer);
        CREATE INDEX votes_by_proposal ON votes (chain_id, governor, proposal_id);
        CREATE INDEX fills_by_asset ON fills (chain_id, asset_id, block_number);
        CREATE INDEX deposits_by_asset ON revenue_deposits (chain_id, asset_id, block_number);
        CREATE VIEW holdings AS
            SELECT h.*, div(a.magnified_revenue_per_share * h.balance + h.correction,
                            340282366920938463463374607431768211456) - h.claimed AS claimable
            FROM holders h JOIN assets a ON a.chain_id = h.chain_id AND a.asset_id = h.asset_id;
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS holdings")
    for table in (*APPEND_ONLY, *MUTABLE):
        op.execute(f"DROP TABLE IF EXISTS {table}")
    op.execute(
        "DROP TABLE IF EXISTS undo_log, reorgs, contracts, raw_logs, blocks, checkpoints;"
        " DROP FUNCTION IF EXISTS indexer_journal()"
    )
