"""Read models the indexer keeps as it goes, so no read scans history (issue 15).

- `energy_periods`: each asset's production reports in order (`seq` = the asset's report count),
  with the share supply at the report: the periods a holder's energy is attributed over.
- `holders.energy_wh` / `reports_shared` / `energy_settled`: a running total of the energy
  attributed to the holder, settled up to period `energy_settled` each time its balance moves; a
  read adds only the periods since (its balance has been constant over them).
- Indexes that let each read route fetch only what it returns: an account's transfers, claims,
  refunds, fills, votes and listings by position; a transaction's logs; a governor's events of one
  name.

An index built before this revision gets its energy periods and running totals computed here from
its raw logs, once (the scan of every share transfer the reads no longer make).

Revision ID: 0007
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None

HOLDINGS = """
CREATE VIEW holdings AS
    SELECT h.*, div(a.magnified_revenue_per_share * h.balance + h.correction,
                    340282366920938463463374607431768211456) - h.claimed AS claimable
    FROM holders h JOIN assets a ON a.chain_id = h.chain_id AND a.asset_id = h.asset_id
"""


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE energy_periods (
            chain_id bigint, asset_id numeric(78,0), seq integer,
            energy_wh numeric(78,0) NOT NULL, total_supply numeric(78,0) NOT NULL,
            updated_block bigint NOT NULL, PRIMARY KEY (chain_id, asset_id, seq));
        CREATE TRIGGER energy_periods_journal AFTER INSERT OR UPDATE OR DELETE ON energy_periods
            FOR EACH ROW EXECUTE FUNCTION indexer_journal();
        DROP VIEW holdings;
        ALTER TABLE holders
            ADD COLUMN energy_wh numeric(78,0) NOT NULL DEFAULT 0,
            ADD COLUMN reports_shared integer NOT NULL DEFAULT 0,
            ADD COLUMN energy_settled integer NOT NULL DEFAULT 0;
        """
        + HOLDINGS
        + """;
        CREATE INDEX raw_logs_transfers_from ON raw_logs
            (chain_id, (args->>'from'), block_number, log_index) WHERE event = 'Transfer';
        CREATE INDEX raw_logs_transfers_to ON raw_logs
            (chain_id, (args->>'to'), block_number, log_index) WHERE event = 'Transfer';
        CREATE INDEX raw_logs_by_seller ON raw_logs
            (chain_id, (args->>'seller'), block_number, log_index)
            WHERE event IN ('Listed', 'ListingCancelled');
        CREATE INDEX raw_logs_by_tx ON raw_logs (chain_id, tx_hash);
        CREATE INDEX raw_logs_by_address_event ON raw_logs
            (chain_id, address, event, block_number, log_index);
        CREATE INDEX claims_by_account ON revenue_claims (chain_id, account, block_number, log_index);
        CREATE INDEX refunds_by_buyer ON refunds (chain_id, buyer, block_number, log_index);
        CREATE INDEX fills_by_buyer ON fills (chain_id, buyer, block_number, log_index);
        CREATE INDEX fills_by_seller ON fills (chain_id, seller, block_number, log_index);
        CREATE INDEX votes_by_voter ON votes (chain_id, voter, block_number, log_index);
        DROP INDEX purchases_by_buyer;
        CREATE INDEX purchases_by_buyer ON purchases (chain_id, buyer, block_number, log_index);
        DROP INDEX votes_by_proposal;
        CREATE INDEX votes_by_proposal ON votes
            (chain_id, governor, proposal_id, block_number, log_index);
        CREATE INDEX listings_by_seller ON listings (chain_id, seller, listing_id);
        CREATE INDEX listings_by_status ON listings (chain_id, status, listing_id);
        """
    )
    op.execute("SELECT set_config('indexer.block', '', true)")  # nothing here is journaled
    op.execute(BACKFILL_PERIODS)
    op.execute(BACKFILL_HOLDERS)
    op.execute(SETTLED)


ZERO = "'0x0000000000000000000000000000000000000000'"

# Each report in order per asset, with the supply of the moment (mints minus burns before it).
BACKFILL_PERIODS = f"""
INSERT INTO energy_periods (chain_id, asset_id, seq, energy_wh, total_supply, updated_block)
SELECT chain_id, asset_id,
       row_number() OVER (PARTITION BY chain_id, asset_id ORDER BY block_number, log_index),
       energy, supply, block_number
FROM (
    SELECT s.*, sum(minted) OVER (PARTITION BY chain_id, asset_id ORDER BY block_number, log_index
                                  ROWS UNBOUNDED PRECEDING) AS supply
    FROM (
        SELECT a.chain_id, a.asset_id, l.block_number, l.log_index,
               CASE WHEN l.args->>'from' = {ZERO} THEN (l.args->>'value')::numeric ELSE 0 END
               - CASE WHEN l.args->>'to' = {ZERO} THEN (l.args->>'value')::numeric ELSE 0 END
                   AS minted,
               NULL::numeric AS energy
        FROM assets a JOIN raw_logs l ON l.chain_id = a.chain_id AND l.address = a.share_token
        WHERE l.event = 'Transfer'
        UNION ALL
        SELECT chain_id, asset_id, block_number, log_index, 0, energy_wh FROM production_reports
    ) s
) r
WHERE energy IS NOT NULL
"""

# Each holder's share of every period so far, at its balance of the moment; settled up to now.
BACKFILL_HOLDERS = """
WITH reports AS (
    SELECT chain_id, asset_id, block_number, log_index,
           row_number() OVER (PARTITION BY chain_id, asset_id ORDER BY block_number, log_index)
               AS seq
    FROM production_reports
), shares AS (
    SELECT h.chain_id, h.token, h.account,
           coalesce(sum(div(b.balance * p.energy_wh, p.total_supply)), 0) AS energy_wh,
           count(*) FILTER (WHERE b.balance > 0) AS reports_shared
    FROM holders h
    JOIN reports r ON r.chain_id = h.chain_id AND r.asset_id = h.asset_id
    JOIN energy_periods p ON p.chain_id = r.chain_id AND p.asset_id = r.asset_id AND p.seq = r.seq
    CROSS JOIN LATERAL (
        SELECT coalesce(sum(
            CASE WHEN l.args->>'to' = h.account THEN (l.args->>'value')::numeric ELSE 0 END
            - CASE WHEN l.args->>'from' = h.account THEN (l.args->>'value')::numeric ELSE 0 END
        ), 0) AS balance
        FROM raw_logs l
        WHERE l.chain_id = h.chain_id AND l.address = h.token AND l.event = 'Transfer'
          AND (l.args->>'to' = h.account OR l.args->>'from' = h.account)
          AND (l.block_number, l.log_index) < (r.block_number, r.log_index)
    ) b
    WHERE p.total_supply > 0
    GROUP BY h.chain_id, h.token, h.account
)
UPDATE holders h SET energy_wh = s.energy_wh, reports_shared = s.reports_shared
FROM shares s
WHERE s.chain_id = h.chain_id AND s.token = h.token AND s.account = h.account
"""

SETTLED = """
UPDATE holders h SET energy_settled = a.report_count FROM assets a
WHERE a.chain_id = h.chain_id AND a.asset_id = h.asset_id AND a.report_count > 0
"""


def downgrade() -> None:
    op.execute(
        """
        DROP INDEX IF EXISTS raw_logs_transfers_from, raw_logs_transfers_to, raw_logs_by_seller,
            raw_logs_by_tx, raw_logs_by_address_event, claims_by_account, refunds_by_buyer,
            fills_by_buyer, fills_by_seller, votes_by_voter, listings_by_seller,
            listings_by_status;
        DROP INDEX IF EXISTS purchases_by_buyer;
        CREATE INDEX purchases_by_buyer ON purchases (chain_id, buyer);
        DROP INDEX IF EXISTS votes_by_proposal;
        CREATE INDEX votes_by_proposal ON votes (chain_id, governor, proposal_id);
        DROP TABLE IF EXISTS energy_periods;
        DROP VIEW holdings;
        ALTER TABLE holders DROP COLUMN energy_wh, DROP COLUMN reports_shared,
            DROP COLUMN energy_settled;
        """
        + HOLDINGS
    )
