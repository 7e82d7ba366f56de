"""Energy certificates projected from logs alone: each report's issuance, the share tokens' balance
snapshots (equal to the token's `balanceOfAt`), claims, balances per vintage and account after
transfers, retirements with their proof; a re-projection gives the same rows, and a reorg that
removes a claim and a retirement leaves the index equal to a fresh index of the final chain."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from _certificates import Reporter
from _stack import Views, assert_same_state, following, index, rpc, settings_for
from ape.api import AccountAPI
from ape.contracts import ContractInstance

from indexer.settings import IndexerSettings
from scripts._lib import Asset


@pytest.fixture
def settings(ape_rpc_url: str, platform_deployments: Path) -> IndexerSettings:
    return settings_for(ape_rpc_url, platform_deployments, reorg_window=1_000)


def _rows(url: str, sql: str, *args: object) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, args).fetchall()


def _lower(account: AccountAPI) -> str:
    return str(account.address).lower()


def test_certificates_are_projected_from_logs(
    settings: IndexerSettings, database_url: str, new_database: Callable[[], str], asset: Asset,
    certificates: ContractInstance, oracle: ContractInstance, admin: AccountAPI,
    operator: AccountAPI, investors: list[AccountAPI],
) -> None:  # fmt: skip
    report = Reporter(oracle, admin, operator)
    seller, buyer, friend = investors[0], investors[4], investors[5]
    report(asset, 1_001)
    first = int(oracle.reportCount())
    asset.token.transfer(buyer, 1_000, sender=seller)  # after the first report
    report(asset, 500)
    second = int(oracle.reportCount())
    certificates.claim([first, second], sender=seller)
    vintage = int(certificates.issuance(first).id)
    certificates.safeTransferFrom(seller, friend, vintage, 100, b"", sender=seller)
    certificates.retire(vintage, 50, "Escola", "2028", "Évora, PT", sender=seller)
    retirement_id = int(certificates.retirementCount())

    index(settings, database_url)

    issued = _rows(database_url, "SELECT report_id, token_id, energy_wh, supply, snapshot_id"
                   " FROM certificate_issuances WHERE asset_id = %s ORDER BY report_id",
                   asset.asset_id)  # fmt: skip
    assert [(int(r), int(t), int(e), int(s)) for r, t, e, s, _ in issued] == [
        (first, vintage, 1_001, 10_000),
        (second, int(certificates.issuance(second).id), 500, 10_000),
    ]
    token = str(asset.token.address).lower()
    views = Views(settings.rpc_url)
    for (snapshot,) in _rows(database_url, "SELECT DISTINCT snapshot_id FROM share_snapshots"
                             " WHERE token = %s", token):  # fmt: skip
        for account, balance in _rows(database_url, "SELECT account, balance FROM share_snapshots"
                                      " WHERE token = %s AND snapshot_id = %s", token, snapshot):  # fmt: skip
            assert views.call("ShareToken", token, "balanceOfAt", account, snapshot) == balance
    rows = _rows(database_url, "SELECT account, balance, claimed, retired"
                 " FROM certificate_balances WHERE token_id = %s", vintage)  # fmt: skip
    balances = {account: (int(b), int(c), int(r)) for account, b, c, r in rows}
    assert balances == {_lower(seller): (250, 400, 50), _lower(friend): (100, 0, 0)}
    [proof] = _rows(database_url, "SELECT retirement_id, account, energy_wh, beneficiary, purpose,"
                    " location, tx_hash FROM certificate_retirements")  # fmt: skip
    assert proof[:6] == (retirement_id, _lower(seller), 50, "Escola", "2028", "Évora, PT")
    [(certified, claimed, retired)] = _rows(database_url, "SELECT certified_wh,"
        " certificates_claimed_wh, certificates_retired_wh FROM assets WHERE asset_id = %s",
        asset.asset_id)  # fmt: skip
    # The seller claimed 40 % of the first report and, with 3,000 shares left, 30 % of the second.
    assert (certified, claimed, retired) == (
        certificates.certifiedEnergyOf(asset.asset_id),
        550,
        50,
    )

    fresh = new_database()
    index(settings, fresh)
    assert_same_state(database_url, fresh)


def test_a_reorg_undoes_claims_and_retirements(
    settings: IndexerSettings, database_url: str, new_database: Callable[[], str], asset: Asset,
    certificates: ContractInstance, oracle: ContractInstance, admin: AccountAPI,
    operator: AccountAPI, investors: list[AccountAPI],
) -> None:  # fmt: skip
    report = Reporter(oracle, admin, operator)
    holder = investors[1]
    with following(settings, database_url) as synced:
        report(asset, 2_000)
        report_id = int(oracle.reportCount())
        vintage = int(certificates.issuance(report_id).id)
        synced()
        snapshot = rpc(settings.rpc_url, "evm_snapshot")
        certificates.claim([report_id], sender=holder)
        certificates.retire(vintage, 100, "Gone", "", "", sender=holder)
        asset.token.transfer(investors[6], 10, sender=holder)
        report(asset, 3_000)
        synced()
        assert _rows(database_url, "SELECT count(*) FROM certificate_retirements") == [(1,)]
        assert rpc(settings.rpc_url, "evm_revert", snapshot)
        asset.token.transfer(investors[7], 1, sender=investors[2])  # a shorter new branch
        synced()
    assert _rows(database_url, "SELECT count(*) FROM certificate_retirements") == [(0,)]
    assert _rows(database_url, "SELECT count(*) FROM certificate_balances") == [(0,)]
    assert _rows(database_url, "SELECT count(*) FROM certificate_issuances") == [(1,)]
    fresh = new_database()
    index(settings, fresh)
    assert_same_state(database_url, fresh)
