"""No read route's query plan scans a large table from end to end, or reads much of one.

The database is seeded straight into the tables (generate_series), large enough that the planner
prefers an index whenever one exists, and ANALYZEd. Then each route's query function runs against
it through the API's own `Database`, once for each `plan_cache_mode` the API may be set to, and
PostgreSQL's `auto_explain` hands back the plan of every statement as it ran (with its row counts):
the test checks the SQL the routes really send, with their real parameters, planned as the API's
connections plan them. A plan fails when it scans a large table sequentially, or when one of its
scans of a large table reads more than `MOST_ROWS_READ` rows (those it returns and those its
filter drops): an index range that grows with the chain is as bad as a scan.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import psycopg
import pytest
from psycopg import AsyncCursor

from api.db import Database, PlanCacheMode
from api.graphql.context import Context
from api.queries import (
    accounts,
    assets,
    certificates,
    events,
    governance,
    market,
    statements,
    status,
)
from infra.database.migrate import upgrade

CHAIN = 31337
ASSETS = 20
HOLDERS = 30_000
TRANSFERS = 200_000
LARGE = 5_000  # rows from which a table counts as large (the small ones: assets, contracts...)
MOST_ROWS_READ = 2_000  # rows one scan of a large table may read for one page of an answer
SCANS = ("Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan")

SEED = """
CREATE FUNCTION pg_temp.account(i bigint) RETURNS text IMMUTABLE LANGUAGE sql
    AS $$ SELECT '0x' || lpad(to_hex(i), 40, '0') $$;
CREATE FUNCTION pg_temp.hash(seed text) RETURNS text IMMUTABLE LANGUAGE sql
    AS $$ SELECT '0x' || md5(seed) || md5('+' || seed) $$;
CREATE FUNCTION pg_temp.token(a bigint) RETURNS text IMMUTABLE LANGUAGE sql
    AS $$ SELECT '0x' || lpad(to_hex(1000000 + a), 40, 'f') $$;
INSERT INTO checkpoints (chain_id, block_number, block_hash, chain_head)
    VALUES (%(chain)s, %(blocks)s, '0xhead', %(blocks)s);
INSERT INTO blocks (chain_id, number, hash, parent_hash, timestamp, event_count, reversible)
    SELECT %(chain)s, n, pg_temp.hash(n::text), pg_temp.hash((n - 1)::text), 1700000000 + 12 * n,
        10, n > %(blocks)s - 64 FROM generate_series(0, %(blocks)s) n;
INSERT INTO assets (chain_id, asset_id, operator, share_token, governor, timelock, kind, status,
    capacity_watts, name, symbol, location, country, metadata_uri, payment_token, total_shares,
    share_price, sale_start, sale_end, min_raise, max_shares_per_buyer, treasury, voting_delay,
    voting_period, proposal_threshold, quorum_percent, timelock_delay, reserve_bps,
    requires_verification, registered_block, registered_at, updated_block, total_supply,
    holder_count, report_count, sale_finalized, sale_succeeded)
    SELECT %(chain)s, a, pg_temp.account(7), pg_temp.token(a), pg_temp.token(100 + a),
        pg_temp.token(200 + a), 'solar', 'active', 1000000, 'Asset ' || a, 'A' || a, 'pt:x', 'PT',
        '', pg_temp.account(9), 1000000, 1000, 0, 1, 1, 1000000, pg_temp.account(8), 1, 100, 0,
        4, 60, 500, false, 1, 1700000000, 1, 1000000, %(holders)s / %(assets)s, 600, true, true
    FROM generate_series(1, %(assets)s) a;
INSERT INTO contracts (chain_id, address, kind, asset_id, block_number)
    SELECT %(chain)s, pg_temp.token(a + k * 100), (ARRAY['share_token', 'governor', 'timelock'])[k + 1],
        a, 1 FROM generate_series(1, %(assets)s) a, generate_series(0, 2) k
    UNION ALL SELECT %(chain)s, pg_temp.account(5), 'market', NULL, 1;
INSERT INTO holders (chain_id, token, account, asset_id, balance, first_block, updated_block,
    energy_settled)
    SELECT %(chain)s, pg_temp.token(1 + i %% %(assets)s), pg_temp.account(i), 1 + i %% %(assets)s,
        1 + i %% 97, 1, 1 + i, i %% 600 FROM generate_series(1, %(holders)s) i;
INSERT INTO energy_periods (chain_id, asset_id, seq, energy_wh, total_supply, updated_block)
    SELECT %(chain)s, a, s, 1000 * s, 1000000, s FROM generate_series(1, %(assets)s) a,
        generate_series(1, 600) s;
INSERT INTO production_reports (chain_id, block_number, log_index, tx_hash, block_timestamp,
    report_id, asset_id, meter, period_start, period_end, energy_wh, asset_total_wh)
    SELECT %(chain)s, s, a, pg_temp.hash(('r' || s || a)::text), 1700000000 + 12 * s, s * 100 + a, a,
        pg_temp.account(3), 1600000000 + 3600 * s, 1600003600 + 3600 * s, 1000, 1000 * s
    FROM generate_series(1, %(assets)s) a, generate_series(1, 600) s;
INSERT INTO raw_logs (chain_id, block_number, log_index, block_hash, tx_hash, tx_index, address,
    event, topics, data, args, block_timestamp)
    SELECT %(chain)s, i / 10, i %% 10, pg_temp.hash((i / 10)::text), pg_temp.hash(i::text), 0,
        pg_temp.token(1 + i %% %(assets)s), 'Transfer', '{}', '0x',
        jsonb_build_object('from', pg_temp.account(i %% %(holders)s),
                           'to', pg_temp.account((i * 7 + 1) %% %(holders)s), 'value', '5'),
        1700000000 + 12 * (i / 10)
    FROM generate_series(0, %(transfers)s - 1) i;
INSERT INTO raw_logs (chain_id, block_number, log_index, block_hash, tx_hash, tx_index, address,
    event, topics, data, args, block_timestamp)
    SELECT %(chain)s, i / 10, 10 + i %% 10, pg_temp.hash((i / 10)::text), pg_temp.hash(('m' || i)::text), 0,
        pg_temp.account(5), (ARRAY['Listed', 'ListingFilled', 'ListingCancelled'])[1 + i %% 3],
        '{}', '0x', jsonb_build_object('seller', pg_temp.account(i %% %(holders)s),
            'assetId', (1 + i %% %(assets)s)::text, 'listingId', i::text, 'amount', '1',
            'pricePerShare', '1000'), 1700000000 + 12 * (i / 10)
    FROM generate_series(0, %(transfers)s / 10 - 1) i;
INSERT INTO listings (chain_id, listing_id, seller, asset_id, share_token, amount, remaining,
    price_per_share, payment_token, expires_at, fee_bps, status, created_block, created_at,
    tx_hash, updated_block)
    SELECT %(chain)s, i, pg_temp.account(i %% %(holders)s), 1 + i %% %(assets)s,
        pg_temp.token(1 + i %% %(assets)s), 10, 10, 1000 + i %% 50, pg_temp.account(9),
        2000000000, 50, (ARRAY['open', 'filled', 'cancelled', 'filled'])[1 + i %% 4], i / 10,
        1700000000, pg_temp.hash(('l' || i)::text), i / 10
    FROM generate_series(1, 20000) i;
INSERT INTO fills (chain_id, block_number, log_index, tx_hash, block_timestamp, listing_id,
    asset_id, buyer, seller, amount, price_per_share, paid, fee, remaining)
    SELECT %(chain)s, i / 10, 20 + i %% 10, pg_temp.hash(('f' || i)::text), 1700000000 + 12 * (i / 10), i,
        1 + i %% %(assets)s, pg_temp.account((i * 3) %% %(holders)s),
        pg_temp.account(i %% %(holders)s), 1, 1000, 1000, 5, 0
    FROM generate_series(1, 20000) i;
INSERT INTO revenue_claims (chain_id, block_number, log_index, tx_hash, block_timestamp,
    asset_id, token, account, amount, total_claimed)
    SELECT %(chain)s, i / 10, 30 + i %% 10, pg_temp.hash(('c' || i)::text), 1700000000 + 12 * (i / 10),
        1 + i %% %(assets)s, pg_temp.token(1 + i %% %(assets)s),
        pg_temp.account(i %% %(holders)s), 100, 100 FROM generate_series(1, 100000) i;
INSERT INTO purchases (chain_id, block_number, log_index, tx_hash, block_timestamp, asset_id,
    buyer, shares, cost, total_sold, total_raised)
    SELECT %(chain)s, i / 10, 40 + i %% 10, pg_temp.hash(('p' || i)::text), 1700000000, 1 + i %% %(assets)s,
        pg_temp.account(i %% %(holders)s), 10, 10000, i, i FROM generate_series(1, 50000) i;
INSERT INTO revenue_deposits (chain_id, block_number, log_index, tx_hash, block_timestamp,
    asset_id, token, deposit_id, depositor, production_report_id, gross, fee, reserve,
    distributed, magnified_revenue_per_share)
    SELECT %(chain)s, s * 10, 50 + a, pg_temp.hash(('d' || s || a)::text), 1700000000 + 120 * s, a,
        pg_temp.token(a), s, pg_temp.account(7), 0, 100, 1, 1, 98, s
    FROM generate_series(1, %(assets)s) a, generate_series(1, 600) s;
INSERT INTO proposals (chain_id, governor, proposal_id, asset_id, proposer, targets, "values",
    calldatas, description, vote_start, vote_end, lifecycle, created_block, created_at, tx_hash,
    updated_block)
    SELECT %(chain)s, pg_temp.token(100 + 1 + i %% %(assets)s), i, 1 + i %% %(assets)s,
        pg_temp.account(i), '[]', '[]', '[]', 'p' || i, 1700000000, 1700100000, 'created', i,
        1700000000, pg_temp.hash(('g' || i)::text), i FROM generate_series(1, 500) i;
INSERT INTO votes (chain_id, block_number, log_index, tx_hash, block_timestamp, governor,
    asset_id, proposal_id, voter, support, weight, reason)
    SELECT %(chain)s, i / 10, 60 + i %% 10, pg_temp.hash(('v' || i)::text), 1700000000,
        pg_temp.token(100 + 1 + (i %% 500) %% %(assets)s), 1 + (i %% 500) %% %(assets)s,
        i %% 500, pg_temp.account(i %% %(holders)s), i %% 3, 10, ''
    FROM generate_series(1, 50000) i;
"""


# Every statement's plan, with its actual row counts, sent to the client as a NOTICE.
AUTO_EXPLAIN = (
    " -c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0"
    " -c auto_explain.log_analyze=on -c auto_explain.log_timing=off"
    " -c auto_explain.log_level=notice -c auto_explain.log_format=json"
)
PLAN_CACHE_MODES: tuple[PlanCacheMode, ...] = ("force_generic_plan", "auto")  # the default first


class CountingCursor(AsyncCursor[Any]):
    """Counts the reads it executes: each must come back with its plan."""

    reads: ClassVar[int] = 0

    async def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        if str(query).lstrip().upper().startswith(("SELECT", "WITH")):
            CountingCursor.reads += 1
        return await super().execute(query, params, **kwargs)


def explained(notice: str) -> tuple[str, Any] | None:
    """(statement, plan) of an `auto_explain` notice; None for any other notice."""
    _, marker, body = notice.partition("plan:\n")
    if not marker:
        return None
    found = json.loads(body)
    return str(found["Query Text"]), found["Plan"]


def faults(plan: Any, large: set[str]) -> Iterator[str]:
    """What a plan does wrong on the `large` tables: sequential scans, scans reading too much."""
    if isinstance(plan, list):
        for item in plan:
            yield from faults(item, large)
    elif isinstance(plan, dict):
        table = plan.get("Relation Name")
        if plan.get("Node Type") in SCANS and table in large:
            read = plan.get("Actual Loops", 1) * (
                plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)
                + plan.get("Rows Removed by Index Recheck", 0)
            )  # fmt: skip
            if plan["Node Type"] == "Seq Scan":
                yield f"a sequential scan of {table}"
            elif read > MOST_ROWS_READ:
                yield f"{plan['Node Type']} of {table} reading {read:,} rows"
        for value in plan.values():
            if isinstance(value, list | dict):
                yield from faults(value, large)


@pytest.fixture(scope="module")
def seeded(postgres_admin_url: str) -> Iterator[tuple[str, set[str]]]:
    """A migrated database seeded with a platform's worth of rows: (URL, its large tables)."""
    from _stack import Databases

    databases = Databases(postgres_admin_url)
    url = databases.create()
    upgrade(url)
    with psycopg.connect(url, autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
        conn.execute(
            SEED,
            {"chain": CHAIN, "assets": ASSETS, "holders": HOLDERS, "transfers": TRANSFERS,
             "blocks": TRANSFERS // 10},
        )  # fmt: skip
        conn.execute("ANALYZE")
        large = {
            str(name)
            for (name,) in conn.execute(
                "SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples >= %s", (LARGE,)
            )
        }
    yield url, large
    databases.drop_all()


def holder(i: int) -> str:
    return "0x" + f"{i:x}".rjust(40, "0")


class _State:
    """What the GraphQL context reads from the app state."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.chain_id = CHAIN

        class _Settings:
            deployments_dir = Path("/nonexistent")

        self.settings = _Settings()


def routes(db: Database) -> dict[str, Callable[[], Awaitable[Any]]]:
    """Each read route's query functions, called as the route calls them."""
    someone, busy = holder(12_345), holder(7)
    page: dict[str, Any] = {"chain_id": CHAIN, "limit": 50}

    async def deep_holders() -> Any:
        first = await assets.holders(db, asset_id=3, **page)
        for _ in range(5):
            first = await assets.holders(db, asset_id=3, cursor=first.next_cursor, **page)
        return first

    async def history_page_two() -> Any:
        first = await accounts.account_history(db, address=busy, **page)
        return await accounts.account_history(db, address=busy, cursor=first.next_cursor, **page)

    async def graphql_portfolio() -> Any:
        context = Context(_State(db))  # type: ignore[arg-type]
        found = await accounts.account_portfolio(db, chain_id=CHAIN, address=someone,
                                                 indexed_block=1)  # fmt: skip
        return await asyncio.gather(*(context.assets.load(h.asset_id) for h in found.holdings))

    return {
        "/assets": lambda: assets.list_assets(db, tokens={}, **page),
        "/assets/{id}": lambda: assets.get_asset(db, chain_id=CHAIN, asset_id=3, tokens={}),
        "/assets/{id}/holders": lambda: assets.holders(db, asset_id=3, **page),
        "/assets/{id}/holders deep": deep_holders,
        "/assets/{id}/production": lambda: events.production_reports(db, asset_id=3, **page),
        "/assets/{id}/production?bucket=month": lambda: events.production_buckets(
            db, asset_id=3, bucket="month", **page
        ),
        "/assets/{id}/revenue/deposits": lambda: events.revenue_deposits(db, asset_id=3, **page),
        "/assets/{id}/revenue/claims": lambda: events.revenue_claims(db, asset_id=3, **page),
        "/accounts/{address}": lambda: accounts.account_portfolio(
            db, chain_id=CHAIN, address=someone, indexed_block=1
        ),
        "/accounts/{address}/history": lambda: accounts.account_history(db, address=busy, **page),
        "/accounts/{address}/history page 2": history_page_two,
        "/accounts/{address}/history?asset_id": lambda: accounts.account_history(
            db, address=busy, asset_id=8, **page
        ),
        "/events": lambda: events.events(db, **page),
        "/events?from_block": lambda: events.events(db, from_block=15_000, **page),
        "/events?order=desc": lambda: events.events(db, order="desc", **page),
        "/events?event": lambda: events.events(db, names=["Listed", "ListingCancelled"], **page),
        "/events?address": lambda: events.events(
            db, address="0x" + f"{1_000_003:x}".rjust(40, "f"), **page
        ),
        "/events?asset_id": lambda: events.events(db, asset_id=4, **page),
        "/events?tx_hash": lambda: events.events(db, tx_hash="0x" + "ab" * 16, **page),
        "/market/listings": lambda: market.listings(db, **page),
        "/market/listings?asset_id&sort=price": lambda: market.listings(
            db, asset_id=5, sort="price", **page
        ),
        "/market/fills": lambda: market.fills(db, **page),
        "/proposals/{id}/votes": lambda: governance.votes(db, asset_id=2, proposal_id=1, **page),
        "/governance/proposals?asset_id": lambda: governance.proposals(db, asset_id=2, **page),
        "/governance/proposals/{a}/{p}": lambda: governance.proposal(
            db, chain_id=CHAIN, asset_id=2, proposal_id=1
        ),
        "/accounts/{address}/statement": lambda: statements.account_statement(
            db, chain_id=CHAIN, account=busy, year=2023, indexed_block=TRANSFERS // 10
        ),
        "/accounts/{address}/certificates": lambda: certificates.account_certificates(
            db, chain_id=CHAIN, account=busy
        ),
        "/status": lambda: status.chain_status(db, chain_id=CHAIN, head=None),
        "graphql portfolio": graphql_portfolio,
    }


ROUTES = list(routes(None).keys())  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", PLAN_CACHE_MODES)
@pytest.mark.parametrize("route", ROUTES)
def test_no_read_route_scans_or_reads_much_of_a_large_table(
    seeded: tuple[str, set[str]], route: str, mode: PlanCacheMode
) -> None:
    url, large = seeded
    assert {"raw_logs", "holders", "revenue_claims", "fills", "votes"} <= large

    async def plans() -> list[tuple[str, Any]]:
        db = Database(url, size=1, plan_cache_mode=mode)
        kwargs = db.pool.kwargs
        assert isinstance(kwargs, dict)
        kwargs["options"] += AUTO_EXPLAIN
        kwargs["cursor_factory"] = CountingCursor
        await db.open()
        notices: list[str] = []
        try:
            async with db.pool.connection() as connection:  # the pool's one connection
                connection.add_notice_handler(lambda n: notices.append(n.message_primary or ""))
                modes = await connection.execute("SHOW plan_cache_mode")
                assert await modes.fetchone() == {"plan_cache_mode": mode}
                notices.clear()
                CountingCursor.reads = 0
            await routes(db)[route]()
        finally:
            await db.close()
        return [plan for notice in notices if (plan := explained(notice)) is not None]

    found = asyncio.run(plans())
    assert found, "the route ran no query"
    assert len(found) == CountingCursor.reads, "a read came back without its plan"
    for sql, plan in found:
        wrong = sorted(set(faults(plan, large)))
        assert not wrong, f"{route}: {'; '.join(wrong)}:\n{sql}\n{json.dumps(plan)[:3000]}"
