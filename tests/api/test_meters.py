"""Meters sending signed readings: checked as the production oracle checks them, stored until the
operator relays them, refused with a reason otherwise; a stored reading relayed through
`/tx/readings/submit` is recorded on chain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from _stack import Views
from _wallet import (
    METER_ADMIN,
    OPERATOR,
    account,
    bearer,
    chain_time,
    meter_key,
    readings_cleanup,
    sandbox,
    send_steps,
    signed_reading,
)
from eth_account import Account
from fastapi.testclient import TestClient

from api.settings import ApiSettings

__all__ = ["readings_cleanup", "sandbox"]  # fixtures used below
pytestmark = pytest.mark.usefixtures("readings_cleanup")


@pytest.fixture(scope="module")
def oracle_address(demo_chain: tuple[str, Path]) -> str:
    named = json.loads((demo_chain[1] / "31337.json").read_text())["contracts"]
    return str(named["ProductionOracle"]["address"])


@pytest.fixture(scope="module")
def last_end(demo_index: tuple[str, str]) -> int:
    """End of the last period the meter of asset 1 reported in the demo."""
    meter = Account.from_key(meter_key(1)).address.lower()
    with psycopg.connect(demo_index[0]) as conn:
        row = conn.execute("SELECT max(period_end) FROM production_reports WHERE meter = %s",
                           (meter,)).fetchone()  # fmt: skip
    assert row is not None and row[0] is not None
    return int(row[0])


def reading(oracle: str, start: int, end: int, *, asset_id: int = 1, key: str | None = None,
            wh: int = 1_234_567, meter: str | None = None) -> dict[str, Any]:  # fmt: skip
    return signed_reading(key or meter_key(asset_id), oracle, asset_id=asset_id, start=start,
                          end=end, wh=wh, meter=meter)  # fmt: skip


def test_a_reading_signed_by_its_meter_is_stored_once(
    client: TestClient, oracle_address: str, last_end: int
) -> None:
    body = reading(oracle_address, last_end, last_end + 1_800)

    first = client.post("/meters/readings", json=body)
    again = client.post("/meters/readings", json=body)

    assert first.status_code == 201, first.text
    stored = first.json()
    assert stored["meter"] == Account.from_key(meter_key(1)).address
    assert (stored["asset_id"], stored["period_start"], stored["period_end"]) == (
        1, last_end, last_end + 1_800)  # fmt: skip
    assert stored["energy_wh"] == "1234567"
    assert again.status_code == 200 and again.json() == stored


def test_snake_case_fields_are_accepted_too(
    client: TestClient, oracle_address: str, last_end: int
) -> None:
    body = reading(oracle_address, last_end, last_end + 600)
    snake = {"asset_id": body["assetId"], "meter": body["meter"],
             "period_start": body["periodStart"], "period_end": body["periodEnd"],
             "energy_wh": body["energyWh"], "signature": body["signature"]}  # fmt: skip

    assert client.post("/meters/readings", json=snake).status_code == 201


def test_a_reading_signed_by_another_key_is_refused(
    client: TestClient, oracle_address: str, last_end: int
) -> None:
    meter = Account.from_key(meter_key(1)).address
    forged = reading(oracle_address, last_end, last_end + 1_800, key=meter_key(2), meter=meter)

    answer = client.post("/meters/readings", json=forged)

    assert answer.status_code == 403
    assert answer.json()["type"].endswith("/invalid-signature")
    impostor = Account.from_key(meter_key(2)).address
    assert answer.json()["detail"].startswith(
        f"the reading is signed by {impostor}, not by its meter {meter}"
    )


def test_a_reading_signed_for_another_oracle_is_refused(client: TestClient, last_end: int) -> None:
    elsewhere = reading("0x" + "ab" * 20, last_end, last_end + 1_800)

    answer = client.post("/meters/readings", json=elsewhere)

    assert answer.status_code == 403
    assert (
        "check the domain: EnergyProductionOracle version 1, chain 31337" in answer.json()["detail"]
    )


def test_a_reading_of_an_unknown_meter_is_refused(
    client: TestClient, oracle_address: str, last_end: int
) -> None:
    stranger = "0x" + "77" * 32
    answer = client.post("/meters/readings", json=reading(oracle_address, last_end, last_end + 60,
                                                              key=stranger))  # fmt: skip

    assert answer.status_code == 403
    assert answer.json()["detail"] == (
        f"meter {Account.from_key(stranger).address} is not registered"
    )


def test_a_reading_for_another_asset_than_the_meters_is_refused(
    client: TestClient, oracle_address: str, last_end: int
) -> None:
    answer = client.post("/meters/readings", json=reading(
        oracle_address, last_end, last_end + 60, asset_id=2, key=meter_key(1)))  # fmt: skip

    assert answer.status_code == 403
    assert answer.json()["detail"].endswith("measures asset #1, not asset #2")


def test_a_period_overlapping_a_reported_one_is_refused(
    client: TestClient, oracle_address: str, last_end: int
) -> None:
    answer = client.post(
        "/meters/readings", json=reading(oracle_address, last_end - 3_600, last_end)
    )

    assert answer.status_code == 409
    assert answer.json()["next_period_start"] == last_end
    assert "overlaps what meter" in answer.json()["detail"]


def test_a_period_overlapping_a_stored_one_is_refused_and_the_next_one_accepted(
    client: TestClient, oracle_address: str, last_end: int
) -> None:
    assert client.post("/meters/readings",
                       json=reading(oracle_address, last_end, last_end + 1_800)).status_code == 201  # fmt: skip

    overlapping = client.post("/meters/readings",
                              json=reading(oracle_address, last_end + 900, last_end + 2_700))  # fmt: skip
    following = client.post("/meters/readings",
                            json=reading(oracle_address, last_end + 1_800, last_end + 3_600))  # fmt: skip

    assert overlapping.status_code == 409
    assert overlapping.json()["next_period_start"] == last_end + 1_800
    assert following.status_code == 201


def test_a_period_that_is_empty_or_not_over_yet_is_refused(
    client: TestClient, oracle_address: str, demo_chain: tuple[str, Path], last_end: int
) -> None:
    now = chain_time(demo_chain[0])

    empty = client.post(
        "/meters/readings", json=reading(oracle_address, last_end + 60, last_end + 60)
    )
    future = client.post("/meters/readings", json=reading(oracle_address, last_end, now + 3_600))

    assert empty.status_code == 422 and "period is empty" in empty.json()["detail"]
    assert future.status_code == 422 and "ends in the future" in future.json()["detail"]


def test_a_signature_the_oracle_would_not_take_is_refused(
    client: TestClient, oracle_address: str, last_end: int
) -> None:
    body = reading(oracle_address, last_end, last_end + 60)
    zero_v = body | {"signature": body["signature"][:-2] + "00"}
    short = body | {"signature": body["signature"][:-2]}

    assert client.post("/meters/readings", json=zero_v).status_code == 422
    assert client.post("/meters/readings", json=short).status_code == 422


def test_the_operator_relays_a_stored_reading_on_chain(
    client: TestClient, sandbox: str, views: Views, oracle_address: str, last_end: int,
    demo_settings: ApiSettings,
) -> None:  # fmt: skip
    body = reading(oracle_address, last_end, last_end + 1_800, wh=42_000)
    assert client.post("/meters/readings", json=body).status_code == 201
    pending = client.get("/operator/readings",
                         headers=bearer(demo_settings, account(OPERATOR).address)).json()  # fmt: skip
    assert [r["period_start"] for r in pending["data"]] == [last_end]
    reports, energy = views.call("ProductionOracle", oracle_address, "reportCount"), views.call(
        "ProductionOracle", oracle_address, "totalEnergyOf", 1)  # fmt: skip
    submit = {"from": account(OPERATOR).address, "meter": body["meter"], "period_start": last_end}

    prepared = client.post("/tx/readings/submit", json=submit)
    assert prepared.status_code == 200, prepared.text
    send_steps(sandbox, account(OPERATOR), prepared.json())

    assert (
        views.call("ProductionOracle", oracle_address, "lastPeriodEnd", body["meter"])
        == last_end + 1_800
    )
    assert views.call("ProductionOracle", oracle_address, "reportCount") == reports + 1
    assert views.call("ProductionOracle", oracle_address, "totalEnergyOf", 1) == energy + 42_000


def test_relaying_by_someone_else_or_of_an_unknown_reading_is_refused(
    client: TestClient, oracle_address: str, last_end: int
) -> None:
    body = reading(oracle_address, last_end, last_end + 1_800)
    assert client.post("/meters/readings", json=body).status_code == 201
    submit = {"from": account(METER_ADMIN).address, "meter": body["meter"],
              "period_start": last_end}  # fmt: skip

    stranger = client.post("/tx/readings/submit", json=submit)
    unknown = client.post("/tx/readings/submit", json=submit | {"period_start": last_end + 1})

    assert stranger.status_code == 422 and stranger.json()["error"] == "OracleNotRelayer"
    assert stranger.json()["detail"] == ("only the asset's operator or the meter itself relays a"
                                         " reading, and your account is neither")  # fmt: skip
    assert unknown.status_code == 404
