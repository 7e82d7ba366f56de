"""The index of the demo's chain: equal to the contracts' own views, rebuilt identically from raw
logs, and unchanged by crashes, node faults, dropped database connections and a standby takeover."""

from __future__ import annotations

import logging
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from _stack import (
    FaultyNode,
    Output,
    Views,
    assert_same_state,
    checkpoint,
    count_rows,
    following,
    head,
    index,
    indexer_process,
    kill,
    rpc,
    settings_for,
)

from indexer.reproject import reproject
from indexer.store import Store
from infra import embedded
from infra.abi import Abis
from infra.database.migrate import upgrade
from infra.settings import ROOT


@pytest.fixture(scope="module")
def reference(demo_chain: tuple[str, Path], postgres_admin_url: str) -> Iterator[str]:
    """The demo chain indexed once, without interruption: what every other run must equal."""
    from _stack import Databases

    databases = Databases(postgres_admin_url)
    url = databases.create()
    index(settings_for(*demo_chain), url)
    yield url
    databases.drop_all()


def test_projection_equals_the_contract_views_for_every_asset_and_holder(
    demo_chain: tuple[str, Path], reference: str
) -> None:
    views = Views(demo_chain[0])
    with psycopg.connect(reference) as conn:
        assets = conn.execute(
            "SELECT asset_id, share_token, status, shares_sold, raised, total_supply, energy_wh,"
            " magnified_revenue_per_share, operator, reserve_bps, paused, holder_count"
            " FROM assets ORDER BY asset_id"
        ).fetchall()
        holders = conn.execute(
            "SELECT token, account, balance, claimable, claimed, votes, delegate FROM holdings"
        ).fetchall()
        followed: dict[str, str] = dict(
            conn.execute("SELECT kind, address FROM contracts").fetchall()
        )
        registry, sale, oracle = followed["registry"], followed["sale"], followed["oracle"]
    assert len(assets) == 5 and len(holders) > 40
    statuses = ("funding", "active", "failed", "decommissioned")
    for row in assets:
        (
            asset_id,
            token,
            status,
            sold,
            raised,
            supply,
            energy,
            mrps,
            operator,
            reserve,
            paused,
            count,
        ) = (int(v) if isinstance(v, Decimal) else v for v in row)
        record = views.call("PrimarySale", sale, "sale", asset_id)
        on_chain = views.call("AssetRegistry", registry, "asset", asset_id)
        assert (record[2], record[3]) == (sold, raised)
        assert views.call("ShareToken", token, "totalSupply") == supply
        assert views.call("ProductionOracle", oracle, "totalEnergyOf", asset_id) == energy
        assert views.call("ShareToken", token, "magnifiedRevenuePerShare") == mrps
        # operator, status, the pauser's and governance's pause flags, reserve
        assert (on_chain[0].lower(), statuses[on_chain[1]], on_chain[2] or on_chain[3],
                on_chain[4]) == (operator, status, paused, reserve)  # fmt: skip
        assert count == sum(1 for h in holders if h[0] == token and h[2] > 0)
    for holder in holders:
        token, account, balance, claimable, claimed, votes, delegate = (
            int(v) if isinstance(v, Decimal) else v for v in holder
        )
        assert views.call("ShareToken", token, "balanceOf", account) == balance, account
        assert views.call("ShareToken", token, "claimableRevenueOf", account) == claimable, account
        assert views.call("ShareToken", token, "claimedRevenueOf", account) == claimed, account
        assert views.call("ShareToken", token, "getVotes", account) == votes, account
        on_chain_delegate = views.call("ShareToken", token, "delegates", account).lower()
        assert on_chain_delegate == (delegate or "0x" + "0" * 40), account


def test_every_log_of_the_followed_contracts_is_stored_once(
    demo_chain: tuple[str, Path], reference: str
) -> None:
    with psycopg.connect(reference) as conn:
        addresses = [r[0] for r in conn.execute("SELECT address FROM contracts").fetchall()]
    logs = rpc(demo_chain[0], "eth_getLogs",
               {"address": addresses, "fromBlock": "0x0", "toBlock": "latest"})  # fmt: skip
    stored = count_rows(reference, "SELECT count(*) FROM raw_logs")
    assert stored == len(logs) > 500


def test_reindex_rebuilds_the_same_projections_from_raw_logs_alone(
    demo_chain: tuple[str, Path], reference: str, database_url: str
) -> None:
    index(settings_for(*demo_chain), database_url)
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE holders SET balance = balance + 1")  # damage the projection
        conn.execute("DELETE FROM purchases WHERE log_index % 2 = 0")
    store = Store(database_url, 31337)
    store.connect()
    try:
        replayed = reproject(store, Abis.from_build(ROOT / ".build" / "__local__.json"))
    finally:
        store.close()
    assert replayed == count_rows(reference, "SELECT count(*) FROM raw_logs")
    assert_same_state(database_url, reference)


def test_sigkill_at_many_points_of_a_backfill_ends_identical_to_an_uninterrupted_run(
    demo_chain: tuple[str, Path], reference: str, database_url: str
) -> None:
    settings = settings_for(*demo_chain, initial_range=3, max_range=3)
    last = head(demo_chain[0])
    rng = random.Random(7)
    kills, points = 0, []
    targets = sorted(rng.sample(range(10, last - 10), 12))
    for target in targets:
        process = indexer_process(settings, database_url)
        deadline = time.monotonic() + 60
        while checkpoint(database_url) < target and process.poll() is None:
            assert time.monotonic() < deadline, "the indexer made no progress"
            time.sleep(0.005)
        time.sleep(rng.random() * 0.05)  # sometimes mid-batch, sometimes between batches
        kill(process)
        kills += 1
        points.append(checkpoint(database_url))
    finisher = indexer_process(settings, database_url, until=last)
    assert finisher.wait(120) == 0, (
        finisher.stderr.read().decode()[-2000:] if finisher.stderr else ""
    )
    assert kills == 12 and points == sorted(points) and points[-1] < last
    assert_same_state(database_url, reference)


def test_node_errors_outages_and_range_limits_do_not_change_the_result(
    demo_chain: tuple[str, Path], reference: str, database_url: str
) -> None:
    node = FaultyNode(demo_chain[0], max_range=2)
    settings = settings_for(node.url, demo_chain[1], initial_range=8, max_range=8,
                            request_timeout=5)  # fmt: skip
    head(demo_chain[0])
    try:
        with following(settings, database_url) as synced:
            for mode, seconds in (("errors", 0.4), ("http500", 0.4), ("too_many", 1.0)):
                node.mode = mode
                time.sleep(seconds)
                node.mode = "up"
                time.sleep(0.2)
            node.stop()  # the node goes away...
            time.sleep(1.0)
            node.start()  # ...and comes back on the same address
            synced()
    finally:
        node.stop()
    assert node.refused_ranges > 0
    assert_same_state(database_url, reference)


def test_contracts_created_while_ranges_are_read_ahead_are_followed_without_reading_a_block_twice(
    demo_chain: tuple[str, Path], reference: str, database_url: str
) -> None:
    node = FaultyNode(demo_chain[0])
    settings = settings_for(node.url, demo_chain[1], initial_range=2, max_range=2,
                            prefetch_batches=8)  # fmt: skip
    try:
        index(settings, database_url, until=head(demo_chain[0]))
    finally:
        node.stop()
    asked: Counter[tuple[str, int]] = Counter(
        (address, block)
        for addresses, first, last in node.log_ranges
        for address in addresses
        for block in range(first, last + 1)
    )
    created = count_rows(database_url, "SELECT count(*) FROM contracts WHERE kind IN"
                         " ('share_token', 'governor', 'timelock')")  # fmt: skip
    assets = count_rows(database_url, "SELECT count(*) FROM assets")
    assert assets >= 5 and created == 3 * assets  # followed as the registry created them
    # A range that creates contracts ends at that block: the rest of it (one block here) is read
    # again with them. Nothing read ahead is thrown away.
    again = {block for (_, block), times in asked.items() if times > 1}
    assert max(asked.values()) <= 2 and len(again) <= assets * (settings.max_range - 1)
    assert_same_state(database_url, reference)


def test_dropped_database_connections_are_retried_without_loss(
    demo_chain: tuple[str, Path], reference: str, database_url: str
) -> None:
    settings = settings_for(*demo_chain, initial_range=4, max_range=4)
    head(demo_chain[0])
    name = database_url.rsplit("/", 1)[1]
    with following(settings, database_url) as synced:
        for _ in range(5):
            time.sleep(0.3)
            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                )
        synced()
    assert_same_state(database_url, reference)


def test_a_standby_waits_then_takes_over_when_the_leader_dies(
    demo_chain: tuple[str, Path], reference: str, database_url: str
) -> None:
    node = FaultyNode(demo_chain[0])
    leader = indexer_process(settings_for(node.url, demo_chain[1], initial_range=2, max_range=2),
                             database_url)  # fmt: skip
    try:
        while checkpoint(database_url) < 50:
            assert leader.poll() is None
            time.sleep(0.01)
        node.stop()  # the leader now retries against a node that is gone, holding its lock
        standby = indexer_process(
            settings_for(*demo_chain), database_url, until=head(demo_chain[0])
        )
        output = Output(standby)
        output.wait_for("waiting as a hot standby")
        waiting_at = checkpoint(database_url)
        time.sleep(0.5)
        assert checkpoint(database_url) == waiting_at  # a standby writes nothing
        kill(leader)
        output.wait_for("took over as the leading indexer")
        assert standby.wait(120) == 0
    finally:
        kill(leader)
        node.stop()
    assert_same_state(database_url, reference)


def test_the_command_line_defaults_to_embedded_postgres_and_redis(
    demo_chain: tuple[str, Path], reference: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(RPC_URL=demo_chain[0], DEPLOYMENTS_DIR=str(demo_chain[1]),
               INDEXER_DATA_DIR=str(tmp_path), INDEXER_USE_WEBSOCKET="false")  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "indexer", "run", "--no-progress", "--until",
         str(head(demo_chain[0]))],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "postgresql://postgres@127.0.0.1:" in done.stderr
    with embedded.postgres(None, tmp_path / "postgres") as url:
        assert_same_state(url, reference)


def test_a_large_backfill_ends_with_fresh_planner_statistics_and_a_small_one_leaves_them_to_autovacuum(
    demo_chain: tuple[str, Path], reference: str, database_url: str
) -> None:
    def analyzed(url: str) -> set[str]:
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT relname FROM pg_stat_user_tables"
                                " WHERE last_analyze IS NOT NULL").fetchall()  # fmt: skip
        return {str(r[0]) for r in rows}

    assert analyzed(reference) == set()  # the demo's few hundred events are under the default
    index(settings_for(*demo_chain, analyze_after_events=500), database_url)
    assert {"raw_logs", "holders", "assets"} <= analyzed(database_url)


def raw_logs_indexes(url: str) -> dict[str, str]:
    """raw_logs' indexes as PostgreSQL holds them: name -> definition."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT indexname, indexdef FROM pg_indexes"
                            " WHERE tablename = 'raw_logs'").fetchall()  # fmt: skip
    return {str(name): str(definition) for name, definition in rows}


def test_a_first_backfill_builds_the_raw_logs_indexes_once_caught_up_as_migrated(
    demo_chain: tuple[str, Path], database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    upgrade(database_url)
    migrated = raw_logs_indexes(database_url)

    with caplog.at_level(logging.INFO, logger="indexer.engine"):
        index(settings_for(*demo_chain), database_url)

    deferred = [r for r in caplog.records if r.getMessage().startswith("raw_logs keeps its key")]
    built = [
        r for r in caplog.records if r.getMessage() == "built raw_logs indexes after the backfill"
    ]
    assert len(deferred) == 1 and len(built) == 1
    assert sorted(built[0].__dict__["indexes"]) == sorted(set(migrated) - {"raw_logs_pkey"})
    assert raw_logs_indexes(database_url) == migrated


def test_raw_logs_indexes_missing_at_start_are_built_as_the_models_declare_them(
    demo_chain: tuple[str, Path], reference: str, caplog: pytest.LogCaptureFixture
) -> None:
    complete = raw_logs_indexes(reference)
    with psycopg.connect(reference, autocommit=True) as conn:  # a backfill stopped half-way
        conn.execute("DROP INDEX raw_logs_transfers_from, raw_logs_by_seller")

    with caplog.at_level(logging.INFO, logger="indexer.engine"):
        index(settings_for(*demo_chain), reference)

    built = [
        r for r in caplog.records if r.getMessage() == "built raw_logs indexes missing at start"
    ]
    assert [sorted(r.__dict__["indexes"]) for r in built] == [
        ["raw_logs_by_seller", "raw_logs_transfers_from"]
    ]
    assert raw_logs_indexes(reference) == complete


def test_an_indexed_database_keeps_its_raw_logs_indexes_through_a_restart(
    demo_chain: tuple[str, Path], reference: str, caplog: pytest.LogCaptureFixture
) -> None:
    complete = raw_logs_indexes(reference)

    with caplog.at_level(logging.INFO, logger="indexer.engine"):
        index(settings_for(*demo_chain), reference)

    assert not [r for r in caplog.records if "raw_logs" in r.getMessage()]
    assert raw_logs_indexes(reference) == complete
