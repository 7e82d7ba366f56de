"""Energy attributable to an account: its share of each production report of the assets it holds.

The one place this is computed; the portfolio sums it over every report, a yearly statement lists
the reports of its year. `ATTRIBUTED_REPORTS` is SQL to put after a `tokens (token, asset_id)`
common table expression naming the account's share tokens; it takes `%(chain)s` and
`%(account)s` (lowercase) and defines `attributed`, one row per report of those assets:

    asset_id, block_number, log_index, tx_hash, block_timestamp, report_id, period_start,
    period_end, report_wh, balance, supply, attributed_wh

One stream per asset of its share transfers that move the account's balance or the supply (mints
and burns) and of its production reports, in log order; running sums over the stream give balance
and supply at each report, exactly (within its block too). A report while the supply is zero
counts for nobody, so it has no row.
"""

from __future__ import annotations

from api.types import ZERO_ADDRESS

ATTRIBUTED_REPORTS = f"""
stream AS (
    SELECT t.asset_id, l.block_number, l.log_index,
           (CASE WHEN l.args->>'to' = %(account)s THEN (l.args->>'value')::numeric ELSE 0 END
            - CASE WHEN l.args->>'from' = %(account)s THEN (l.args->>'value')::numeric ELSE 0 END)
               AS held,
           (CASE WHEN l.args->>'from' = '{ZERO_ADDRESS}' THEN (l.args->>'value')::numeric ELSE 0 END
            - CASE WHEN l.args->>'to' = '{ZERO_ADDRESS}' THEN (l.args->>'value')::numeric ELSE 0 END)
               AS minted,
           NULL::numeric AS energy, NULL::text AS tx_hash, NULL::bigint AS block_timestamp,
           NULL::numeric AS report_id, NULL::bigint AS period_start, NULL::bigint AS period_end
    FROM tokens t JOIN raw_logs l ON l.chain_id = %(chain)s AND l.address = t.token
    WHERE l.event = 'Transfer'
      AND (l.args->>'from' IN (%(account)s, '{ZERO_ADDRESS}')
           OR l.args->>'to' IN (%(account)s, '{ZERO_ADDRESS}'))
    UNION ALL
    SELECT r.asset_id, r.block_number, r.log_index, 0, 0, r.energy_wh, r.tx_hash,
           r.block_timestamp, r.report_id, r.period_start, r.period_end
    FROM tokens t JOIN production_reports r ON r.chain_id = %(chain)s AND r.asset_id = t.asset_id
), running AS (
    SELECT asset_id, block_number, log_index, tx_hash, block_timestamp, report_id, period_start,
           period_end, energy, sum(held) OVER w AS balance, sum(minted) OVER w AS supply
    FROM stream
    WINDOW w AS (PARTITION BY asset_id ORDER BY block_number, log_index
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
), attributed AS (
    SELECT asset_id, block_number, log_index, tx_hash, block_timestamp, report_id, period_start,
           period_end, energy AS report_wh, balance, supply,
           div(balance * energy, supply) AS attributed_wh
    FROM running WHERE energy IS NOT NULL AND supply > 0
)"""
