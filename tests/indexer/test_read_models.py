"""The read models the indexer keeps as it goes (energy periods, holders' running energy totals)
stay right through reorgs: equal to a fresh index of the final chain, whichever path (one event at
a time or summed runs of final transfers) built them, and equal to a replay of the raw logs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from _stack import assert_same_state, following, index, rpc, settings_for, state
from ape import chain
from ape.api import AccountAPI
from test_reorgs import shuffle, transfer_request

from api.queries.accounts import _HOLDINGS
from indexer.settings import IndexerSettings
from infra.database.migrate import alembic_config, sqlalchemy_url, upgrade
from scripts._lib import Asset

ZERO = "0x" + "0" * 40


@pytest.fixture
def settings(ape_rpc_url: str, platform_deployments: Path) -> IndexerSettings:
    return settings_for(ape_rpc_url, platform_deployments, reorg_window=1_000)


def replayed_energy(database_url: str, token: str) -> dict[str, tuple[int, int]]:
    """Each account's attributed energy and reports shared, replaying the raw logs in order: at
    every production report, `balance * energy // supply` for each holder (the simple way)."""
    balances: dict[str, int] = {}
    energy: dict[str, list[int]] = {}
    supply = 0
    with psycopg.connect(database_url) as conn:
        asset_id = conn.execute(
            "SELECT asset_id FROM assets WHERE share_token = %s", (token,)
        ).fetchone()[0]  # type: ignore[index]
        logs = conn.execute(
            "SELECT event, args FROM raw_logs WHERE (address = %s AND event = 'Transfer')"
            " OR (event = 'ProductionReported' AND args->>'assetId' = %s)"
            " ORDER BY block_number, log_index",
            (token, str(asset_id)),
        ).fetchall()
    for event, args in logs:
        if event == "Transfer":
            value = int(args["value"])
            if args["from"] == ZERO:
                supply += value
            else:
                balances[args["from"]] -= value
            if args["to"] == ZERO:
                supply -= value
            else:
                balances[args["to"]] = balances.get(args["to"], 0) + value
        elif supply > 0:
            for account, balance in balances.items():
                totals = energy.setdefault(account, [0, 0])
                totals[0] += balance * int(args["energyWh"]) // supply
                totals[1] += balance > 0
    return {account: (e, n) for account, (e, n) in energy.items()}


def served_energy(database_url: str, token: str, accounts: list[str]) -> dict[str, tuple[int, int]]:
    """What the portfolio query serves for each account's holding of the token."""
    found = {}
    with psycopg.connect(database_url) as conn, conn.cursor() as cur:
        for account in accounts:
            cur.execute(_HOLDINGS, {"chain": chain.chain_id, "account": account})
            names = [c.name for c in cur.description or ()]
            for row in cur.fetchall():
                holding = dict(zip(names, row, strict=True))
                if holding["share_token"] == token:
                    found[account] = (int(holding["energy_wh"]), int(holding["reports_shared"]))
    return found


def test_energy_totals_stay_equal_to_a_replay_through_reorgs(
    settings: IndexerSettings, database_url: str, new_database: Callable[[], str], asset: Asset,
    investors: list[AccountAPI], report_production: Callable[[Asset, str, int], int],
) -> None:  # fmt: skip
    holders = investors[:4]
    token = str(asset.token.address).lower()
    with following(settings, database_url) as synced:
        for round_ in range(6):
            shuffle(asset, holders, 2, seed=round_)
            report_production(asset, f"0x{0x5CA1E000 + round_:064x}", 1_000_003 + 7_919 * round_)
            synced()
            if round_ % 2:
                # Undoes the report (and the meter's registration) with the transfers before it.
                replacement = [[transfer_request(asset, holders[round_ % 4], holders[0], 3), 0]]
                rpc(settings.rpc_url, "anvil_reorg", 3, replacement)
                shuffle(asset, holders, 1, seed=round_ + 2)
                synced()
    expected = replayed_energy(database_url, token)
    assert any(total for total, _ in expected.values()), "no energy was attributed at all"
    assert served_energy(database_url, token, list(expected)) == expected
    one_by_one = new_database()
    index(settings, one_by_one)
    assert_same_state(database_url, one_by_one)
    summed_runs = new_database()
    index(settings.model_copy(update={"reorg_window": 1}), summed_runs)
    assert_same_state(database_url, summed_runs)


def test_energy_periods_of_undone_reports_are_gone(
    settings: IndexerSettings, database_url: str, asset: Asset, investors: list[AccountAPI],
    report_production: Callable[[Asset, str, int], int],
) -> None:  # fmt: skip
    def periods() -> list[tuple[Any, ...]]:
        with psycopg.connect(database_url) as conn:
            return conn.execute(
                "SELECT seq, energy_wh FROM energy_periods WHERE asset_id = %s ORDER BY seq",
                (asset.asset_id,),
            ).fetchall()

    with following(settings, database_url) as synced:
        report_production(asset, f"0x{0x5CA1F000:064x}", 500)
        synced()
        before = periods()
        rpc(settings.rpc_url, "anvil_reorg", 2, [])  # the report's block is replaced
        shuffle(asset, investors[:4], 1)
        synced()
        after = periods()
    assert before[-1][1] == 500
    assert after == before[:-1]


# The certificates (0008) come with contracts deployed after them: an index older than 0008 has no
# certificate events to rebuild them from, so the migration adds them empty. The demo contracts
# here do take share snapshots, so those tables (and the assets' certificate totals) are left out.
CERTIFICATE_TABLES = {"assets", "share_snapshots", "certificate_balances", "certificate_issuances",
                      "certificate_claims", "certificate_retirements"}  # fmt: skip


def assets_without_certificates(database_url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn:
        columns = [str(r[0]) for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'assets'"
            " AND column_name NOT IN ('snapshot_id', 'certified_wh', 'certificates_claimed_wh',"
            " 'certificates_retired_wh') ORDER BY ordinal_position")]  # fmt: skip
        return conn.execute(f"SELECT {', '.join(columns)} FROM assets ORDER BY asset_id").fetchall()


def holders_without_energy(database_url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT chain_id, token, account, asset_id, balance, correction, claimed, delegate,"
            " votes, first_block, updated_block FROM holders ORDER BY token, account"
        ).fetchall()


def accounts_of(database_url: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        return [str(r[0]) for r in conn.execute("SELECT DISTINCT account FROM holders")]


def downgrade(database_url: str, revision: str) -> None:
    """Takes the schema back to `revision` (Alembic's own downgrade)."""
    from alembic import command
    from sqlalchemy import create_engine

    engine = create_engine(sqlalchemy_url(database_url))
    try:
        with engine.connect() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
            connection.commit()
    finally:
        engine.dispose()


def test_an_index_built_before_the_read_models_gets_them_from_its_raw_logs(
    settings: IndexerSettings, database_url: str, new_database: Callable[[], str], asset: Asset,
    investors: list[AccountAPI], report_production: Callable[[Asset, str, int], int],
) -> None:  # fmt: skip
    for round_ in range(3):
        shuffle(asset, investors[:4], 2, seed=round_)
        report_production(asset, f"0x{0x5CA1D000 + round_:064x}", 2_000_003 + 7_919 * round_)
    shuffle(asset, investors[:4], 1)
    index(settings, database_url)
    downgrade(database_url, "0003")  # the read models are gone, as in an index built before them
    upgrade(database_url)
    fresh = new_database()
    index(settings, fresh)
    # The same rows, but for how each holder's energy splits between its settled total and the
    # periods after it (the migration settles every holder up to now).
    migrated, indexed = state(database_url), state(fresh)
    for table in migrated:
        if table != "holders" and table not in CERTIFICATE_TABLES:
            assert migrated[table] == indexed[table], f"{table} differs"
    assert holders_without_energy(database_url) == holders_without_energy(fresh)
    assert assets_without_certificates(database_url) == assets_without_certificates(fresh)
    token = str(asset.token.address).lower()
    assert served_energy(database_url, token, accounts_of(fresh)) == served_energy(
        fresh, token, accounts_of(fresh)
    )
    expected = replayed_energy(database_url, token)
    assert any(total for total, _ in expected.values())
    assert served_energy(database_url, token, list(expected)) == expected
