"""The operator's dashboard and pending readings, decided by the indexed assets and roles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from _stack import Views
from _wallet import (
    ADMIN,
    OPERATOR,
    SECOND_OPERATOR,
    account,
    bearer,
    meter_key,
    readings_cleanup,
    signed_reading,
)
from eth_account import Account
from fastapi.testclient import TestClient

from api.settings import ApiSettings

__all__ = ["readings_cleanup"]


@pytest.fixture(scope="module")
def contracts(demo_chain: tuple[str, Path]) -> dict[str, str]:
    named = json.loads((demo_chain[1] / "31337.json").read_text())["contracts"]
    return {name: entry["address"] for name, entry in named.items()}


def dashboard(client: TestClient, settings: ApiSettings, who: int) -> Any:
    return client.get("/operator/assets", headers=bearer(settings, account(who).address))


def last_end(database_url: str, asset_id: int) -> int:
    meter = Account.from_key(meter_key(asset_id)).address.lower()
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT max(period_end) FROM production_reports WHERE meter = %s",
                           (meter,)).fetchone()  # fmt: skip
    assert row is not None
    return int(row[0])


def test_the_dashboard_shows_the_operators_assets_as_the_contracts_do(
    client: TestClient, demo_settings: ApiSettings, views: Views, contracts: dict[str, str]
) -> None:
    answer = dashboard(client, demo_settings, OPERATOR)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["operator"] == account(OPERATOR).address and body["has_operator_role"]
    # Wind (#2) went to the second operator by a governance vote in the demo.
    assert [a["asset_id"] for a in body["assets"]] == [1, 3, 4, 5]
    for asset in body["assets"]:
        asset_id = asset["asset_id"]
        sale = views.call("PrimarySale", contracts["PrimarySale"], "sale", asset_id)
        token = views.call("AssetRegistry", contracts["AssetRegistry"], "asset", asset_id)[5][0]
        assert asset["funding"]["shares_sold"] == str(sale[2])
        assert asset["funding"]["raised"] == str(sale[3])
        assert asset["revenue"]["distributed"] == str(
            views.call("ShareToken", token, "totalRevenueDistributed")
        )
        assert asset["production"]["energy_wh"] == str(views.call(
            "ProductionOracle", contracts["ProductionOracle"], "totalEnergyOf", asset_id))  # fmt: skip
        assert asset["pending_readings"] == 0
    failed = body["assets"][-1]
    assert failed["status"] == "failed" and failed["funding"]["succeeded"] is False
    assert body["assets"][0]["production"]["active_meters"] == 1


def test_an_operator_chosen_by_governance_sees_its_asset(
    client: TestClient, demo_settings: ApiSettings
) -> None:
    body = dashboard(client, demo_settings, SECOND_OPERATOR).json()

    assert [a["asset_id"] for a in body["assets"]] == [2]
    assert body["assets"][0]["name"] == "Jutland Wind Share"


def test_an_operator_role_holder_without_assets_sees_an_empty_dashboard(
    client: TestClient, demo_settings: ApiSettings
) -> None:
    body = dashboard(client, demo_settings, ADMIN).json()

    assert body == {"operator": account(ADMIN).address, "has_operator_role": True, "assets": []}


def test_someone_who_operates_nothing_is_refused(
    client: TestClient, demo_settings: ApiSettings
) -> None:
    investor = dashboard(client, demo_settings, 7)
    readings = client.get("/operator/readings", headers=bearer(demo_settings, account(7).address))
    anonymous = client.get("/operator/assets")

    assert investor.status_code == 403 and readings.status_code == 403
    assert investor.json()["detail"] == "this account operates no asset and holds no operator role"
    assert anonymous.status_code == 401


@pytest.mark.usefixtures("readings_cleanup")
def test_pending_readings_are_the_operators_own_page_by_page(
    client: TestClient, demo_settings: ApiSettings, demo_index: tuple[str, str],
    contracts: dict[str, str],
) -> None:  # fmt: skip
    oracle, database = contracts["ProductionOracle"], demo_index[0]
    solar, hydro, wind = last_end(database, 1), last_end(database, 4), last_end(database, 2)
    bodies = [
        signed_reading(meter_key(1), oracle, asset_id=1, start=solar, end=solar + 600, wh=1),
        signed_reading(meter_key(1), oracle, asset_id=1, start=solar + 600, end=solar + 1_200,
                       wh=2),
        signed_reading(meter_key(4), oracle, asset_id=4, start=hydro, end=hydro + 600, wh=3),
        signed_reading(meter_key(2), oracle, asset_id=2, start=wind, end=wind + 600, wh=4),
    ]  # fmt: skip
    for body in bodies:
        assert client.post("/meters/readings", json=body).status_code == 201
    own = bearer(demo_settings, account(OPERATOR).address)

    first = client.get("/operator/readings?limit=2", headers=own).json()
    second = client.get(f"/operator/readings?limit=2&cursor={first['next_cursor']}",
                        headers=own).json()  # fmt: skip
    only_solar = client.get("/operator/readings?asset_id=1", headers=own).json()
    not_mine = client.get("/operator/readings?asset_id=2", headers=own)
    wind_operator = client.get("/operator/readings",
                               headers=bearer(demo_settings, account(SECOND_OPERATOR).address))  # fmt: skip
    counts = {a["asset_id"]: a["pending_readings"]
              for a in dashboard(client, demo_settings, OPERATOR).json()["assets"]}  # fmt: skip

    assert [r["energy_wh"] for r in first["data"] + second["data"]] == ["1", "2", "3"]
    assert second["next_cursor"] is None
    assert [r["energy_wh"] for r in only_solar["data"]] == ["1", "2"]
    assert not_mine.status_code == 403
    assert [r["energy_wh"] for r in wind_operator.json()["data"]] == ["4"]
    assert counts == {1: 2, 3: 0, 4: 1, 5: 0}
