"""Asset reads over the demo: the catalogue, each asset's figures, holders, production and
revenue, checked against the registry, the primary sale, the oracle and the share tokens."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from _stack import Replay, Views, rpc, walk
from fastapi.testclient import TestClient

YEAR = 365 * 86_400
STATUSES = ("funding", "active", "failed", "decommissioned")
SALE_OUTCOMES = {2: "funded", 3: "failed"}  # IPrimarySale.SaleState Succeeded, Failed
SORT_VALUES = {
    "registered": lambda a: a["registered_block"],
    "name": lambda a: a["name"],
    "capacity": lambda a: a["capacity_watts"],
    "funding": lambda a: a["funding"]["sold_bps"],
    "energy": lambda a: int(a["energy_wh"]),
    "revenue": lambda a: int(a["revenue_distributed"]),
}


@pytest.fixture(scope="module")
def deployed(demo_chain: tuple[str, Path]) -> dict[str, str]:
    """The demo's platform contracts by name."""
    contracts = json.loads((demo_chain[1] / "31337.json").read_text())["contracts"]
    return {name: entry["address"] for name, entry in contracts.items()}


@pytest.fixture(scope="module")
def assets(client: TestClient) -> list[dict[str, Any]]:
    """Every asset's full record."""
    listed = client.get("/assets", params={"limit": 200}).json()["data"]
    return [client.get(f"/assets/{a['asset_id']}").json() for a in listed]


def test_every_asset_agrees_with_the_registry_sale_oracle_and_token(
    client: TestClient, views: Views, deployed: dict[str, str], assets: list[dict[str, Any]]
) -> None:
    assert [a["asset_id"] for a in assets] == ["1", "2", "3", "4", "5"]
    for a in assets:
        asset_id, token = int(a["asset_id"]), a["share_token"]
        operator, status, paused, governance_paused, reserve_bps, contracts = views.call(
            "AssetRegistry", deployed["AssetRegistry"], "asset", asset_id
        )
        assert (a["operator"].lower(), a["status"], a["paused"], a["reserve_bps"]) == (
            operator, STATUSES[status], paused or governance_paused, reserve_bps)  # fmt: skip
        assert (a["paused_by_pauser"], a["paused_by_governance"]) == (paused, governance_paused)
        assert [x.lower() for x in (token, a["governance"]["governor"],
                                    a["governance"]["timelock"])] == list(contracts)  # fmt: skip
        _, state, sold, raised, terms = views.call(
            "PrimarySale", deployed["PrimarySale"], "sale", asset_id
        )
        funding = a["funding"]
        assert funding["state"] == SALE_OUTCOMES[state]
        assert (int(funding["shares_sold"]), int(funding["raised"])) == (sold, raised)
        assert (a["payment_token"]["address"].lower(), int(funding["total_shares"]),
                int(a["share_price"]), a["sale"]["start"], a["sale"]["end"],
                int(funding["min_raise"])) == terms[:6]  # fmt: skip
        assert funding["sold_bps"] == sold * 10_000 // terms[1]
        assert funding["raised_of_min_bps"] == raised * 10_000 // terms[5]
        assert int(a["total_supply"]) == views.call("ShareToken", token, "totalSupply")
        assert int(a["energy_wh"]) == views.call(
            "ProductionOracle", deployed["ProductionOracle"], "totalEnergyOf", asset_id
        )
        assert int(a["revenue"]["distributed"]) == views.call(
            "ShareToken", token, "totalRevenueDistributed"
        )
        assert int(a["revenue_per_share"]["magnified"]) == views.call(
            "ShareToken", token, "magnifiedRevenuePerShare"
        )
        assert a["transfers_active"] == views.call("ShareToken", token, "transfersActive")
        summary = next(
            s for s in client.get("/assets").json()["data"] if s["asset_id"] == a["asset_id"]
        )
        assert {key: a[key] for key in summary} == summary


def test_payment_token_is_the_demo_stablecoin_with_its_symbol_and_decimals(
    views: Views, deployed: dict[str, str], assets: list[dict[str, Any]]
) -> None:
    stablecoin = deployed["MockStablecoin"]
    for a in assets:
        assert a["payment_token"] == {
            "address": stablecoin,
            "symbol": views.call("MockStablecoin", stablecoin, "symbol"),
            "decimals": views.call("MockStablecoin", stablecoin, "decimals"),
        }
        assert views.call("ShareToken", a["share_token"], "paymentToken") == stablecoin.lower()


def test_holders_are_every_positive_balance_of_the_share_token(
    client: TestClient, views: Views, assets: list[dict[str, Any]]
) -> None:
    for a in assets:
        token = a["share_token"]
        holders = walk(client, f"/assets/{a['asset_id']}/holders", limit=4)
        balances = [int(h["balance"]) for h in holders]

        assert len(holders) == a["holder_count"]
        assert sum(balances) == int(a["total_supply"])
        assert balances == sorted(balances, reverse=True)
        for h in holders:
            account = h["account"]
            assert int(h["balance"]) == views.call("ShareToken", token, "balanceOf", account)
            assert int(h["votes"]) == views.call("ShareToken", token, "getVotes", account)
            assert h["delegate"].lower() == views.call("ShareToken", token, "delegates", account)
            assert int(h["claimed"]) == views.call("ShareToken", token, "claimedRevenueOf", account)
            assert int(h["claimable"]) == views.call(
                "ShareToken", token, "claimableRevenueOf", account
            )
            assert h["supply_bps"] == int(h["balance"]) * 10_000 // int(a["total_supply"])


def test_revenue_per_share_is_the_accumulator_over_two_to_the_128(
    assets: list[dict[str, Any]],
) -> None:
    for a in assets:
        per_share = a["revenue_per_share"]
        exact = Fraction(int(per_share["magnified"]), 2**128)

        assert Fraction(per_share["base_units"]) == exact
        assert Fraction(per_share["tokens"]) == exact / 10**6
        # Everything distributed, spread over the supply, up to a unit of rounding per deposit.
        if a["revenue"]["deposits"]:
            spread = Fraction(int(a["revenue"]["distributed"]), int(a["total_supply"]))
            assert abs(exact - spread) < a["revenue"]["deposits"]


def test_annual_yield_is_the_trailing_year_of_revenue_against_the_share_price(
    client: TestClient, assets: list[dict[str, Any]]
) -> None:
    finalized = {e["args"]["assetId"]: e["block_timestamp"]
                 for e in walk(client, "/events", {"event": "SaleFinalized"}, limit=10)}  # fmt: skip
    for a in assets:
        found = a["annual_yield"]
        if a["funding"]["state"] == "failed":
            assert found is None
            continue
        end, start = a["indexed_at"], max(a["indexed_at"] - YEAR, finalized[a["asset_id"]])
        deposits = walk(client, f"/assets/{a['asset_id']}/revenue/deposits", limit=20)
        before = [d for d in deposits if d["block_timestamp"] <= start]
        growth = int(a["revenue_per_share"]["magnified"]) - (
            int(before[0]["magnified_revenue_per_share"]) if before else 0
        )
        bps = growth * 10_000 * YEAR // (2**128 * int(a["share_price"]) * (end - start))

        assert (found["window_start"], found["window_end"]) == (start, end)
        assert Fraction(found["revenue_per_share"]) == Fraction(growth, 2**128)
        assert found["yield_bps"] == bps > 0
        assert found["percent"] == f"{bps // 100}.{bps % 100:02d}"


@pytest.mark.parametrize("sort", [f"{sign}{key}" for key in SORT_VALUES for sign in ("", "-")])
def test_every_sort_pages_through_all_assets_in_its_order(client: TestClient, sort: str) -> None:
    whole = client.get("/assets", params={"sort": sort, "limit": 200}).json()
    paged = walk(client, "/assets", {"sort": sort}, limit=2)
    keys = [(SORT_VALUES[sort.lstrip("-")](a), int(a["asset_id"])) for a in paged]

    assert whole["next_cursor"] is None
    assert paged == whole["data"]
    assert len(paged) == 5
    assert keys == sorted(keys, reverse=sort.startswith("-"))


def test_filters_narrow_the_catalogue(client: TestClient) -> None:
    def ids(**params: Any) -> list[str]:
        return [a["asset_id"] for a in walk(client, "/assets", params, limit=2)]

    second_operator = client.get("/assets/2").json()["operator"]
    assert ids(kind="solar") == ["1", "5"]
    assert ids(kind="hydro", status="active") == ["4"]
    assert ids(status="failed") == ["5"]
    assert ids(country="no") == ids(country="NO") == ["4"]
    assert ids(location="TELE") == ids(location="mark") == ["4"]
    assert ids(location="%") == ids(location="_") == []
    assert ids(operator=second_operator) == ids(operator=second_operator.lower()) == ["2"]
    assert ids(funding="funded") == ["1", "2", "3", "4"]
    assert ids(funding="failed") == ["5"]
    assert ids(funding="open") == ids(funding="upcoming") == []
    assert ids(kind="solar", funding="funded", sort="-energy") == ["1"]


def test_funding_state_follows_the_primary_sale_block_by_block(
    client: TestClient, views: Views, replay: Replay, deployed: dict[str, str]
) -> None:
    sale_events = walk(client, "/events", {"address": deployed["PrimarySale"]}, limit=200)
    purchases = [e["block_number"] for e in sale_events if e["event"] == "SharesPurchased"]
    endings = [e["block_number"] for e in sale_events if e["event"] == "SaleFinalized"]
    blocks = sorted({*purchases[::6], *endings, *(b - 1 for b in endings), endings[-1] + 1})
    seen = set()

    for block in blocks:
        api = replay.to(block)
        now = int(rpc(views.url, "eth_getBlockByNumber", hex(block), False)["timestamp"], 16)
        for a in api.get("/assets").json()["data"]:
            asset_id = int(a["asset_id"])
            _, state, sold, raised, terms = views.call(
                "PrimarySale", deployed["PrimarySale"], "sale", asset_id, block=block
            )
            total, start, end, minimum = terms[1], terms[3], terms[4], terms[5]
            expected = SALE_OUTCOMES.get(state) or (
                "upcoming" if now < start
                else "open" if now <= end and sold < total
                else "funded" if raised >= minimum else "failed"
            )  # fmt: skip
            assert a["funding"]["state"] == expected, f"asset {asset_id} at block {block}"
            assert (int(a["funding"]["shares_sold"]), int(a["funding"]["raised"])) == (sold, raised)
            seen.add((expected, state))

    # Open sales, decided ones awaiting finalization, and finalized ones.
    assert {("open", 1), ("funded", 1), ("failed", 1), ("funded", 2), ("failed", 3)} <= seen


def test_production_reports_add_up_to_the_oracle_totals(
    client: TestClient, views: Views, deployed: dict[str, str],
    assets: list[dict[str, Any]],
) -> None:  # fmt: skip
    for a in assets:
        reports = walk(client, f"/assets/{a['asset_id']}/production", limit=5)
        running = 0
        for r in reports:
            running += int(r["energy_wh"])
            assert int(r["asset_total_wh"]) == running
        assert running == int(a["energy_wh"]) == int(a["production"]["energy_wh"])
        assert len(reports) == a["production"]["report_count"]
    for r in walk(client, "/assets/1/production", limit=12):
        assert views.call("ProductionOracle", deployed["ProductionOracle"], "report",
                          int(r["report_id"])) == (1, r["meter"].lower(), r["period_start"],
                                                   r["period_end"], int(r["energy_wh"]))  # fmt: skip


def test_production_buckets_sum_the_reports_by_utc_month_and_day(client: TestClient) -> None:
    reports = walk(client, "/assets/2/production", limit=50)
    for bucket, label in (("month", "%Y-%m"), ("day", "%Y-%m-%d")):
        expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in reports:
            key = datetime.fromtimestamp(r["period_start"], tz=UTC).strftime(label)
            expected[key][0] += int(r["energy_wh"])
            expected[key][1] += 1
        found = walk(client, "/assets/2/production", {"bucket": bucket}, limit=5)

        assert [(b["bucket"], int(b["energy_wh"]), b["report_count"]) for b in found] == [
            (key, *sums) for key, sums in sorted(expected.items())
        ]
        for b in found:
            assert datetime.fromtimestamp(b["start"], tz=UTC).strftime(label) == b["bucket"]
        newest = walk(client, "/assets/2/production", {"bucket": bucket, "order": "desc"}, limit=5)
        assert newest == found[::-1]


def test_production_time_range_keeps_the_reports_starting_inside_it(client: TestClient) -> None:
    reports = walk(client, "/assets/3/production", limit=50)
    start, end = reports[3]["period_start"], reports[7]["period_start"]

    inside = walk(client, "/assets/3/production", {"start": start, "end": end}, limit=3)
    assert inside == reports[3:7]
    months = walk(client, "/assets/3/production", {"bucket": "month", "start": start, "end": end})
    assert sum(int(m["energy_wh"]) for m in months) == sum(int(r["energy_wh"]) for r in inside)
    assert (
        client.get("/assets/3/production", params={"start": end, "end": start}).status_code == 400
    )


def test_revenue_deposits_and_claims_add_up_to_the_token_totals(
    client: TestClient, views: Views, assets: list[dict[str, Any]]
) -> None:
    for a in assets:
        path, token = f"/assets/{a['asset_id']}/revenue", a["share_token"]
        deposits = walk(client, path + "/deposits", limit=10)
        claims = walk(client, path + "/claims", limit=10)
        revenue = a["revenue"]

        assert len(deposits) == revenue["deposits"]
        for name, column in (("gross", "gross"), ("fees", "fee"), ("reserve", "reserve"),
                             ("distributed", "distributed")):  # fmt: skip
            assert sum(int(d[column]) for d in deposits) == int(revenue[name])
        assert [int(d["deposit_id"]) for d in deposits] == list(range(len(deposits), 0, -1))
        if deposits:
            assert deposits[0]["magnified_revenue_per_share"] == a["revenue_per_share"]["magnified"]
        assert sum(int(c["amount"]) for c in claims) == int(revenue["claimed"])
        latest: dict[str, int] = {}
        for c in reversed(claims):
            latest[c["account"]] = int(c["total_claimed"])
        for account, total in latest.items():
            assert views.call("ShareToken", token, "claimedRevenueOf", account) == total
            mine = walk(client, path + "/claims", {"account": account.lower()}, limit=3)
            assert mine == [c for c in claims if c["account"] == account]
        assert walk(client, path + "/claims", {"order": "asc"}, limit=10) == claims[::-1]


def test_unknown_assets_and_bad_requests_are_problems(client: TestClient) -> None:
    for path in ("/assets/99", "/assets/99/holders", "/assets/99/production",
                 "/assets/99/production?bucket=day", "/assets/99/revenue/deposits",
                 "/assets/99/revenue/claims", "/assets/99/proposals"):  # fmt: skip
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["detail"] == "no asset 99 is registered"
    assert client.get("/assets/5/holders").json() == {"data": [], "next_cursor": None}
    for path in ("/assets/abc", "/assets/-1", "/assets?limit=0", "/assets?limit=100000",
                 "/assets?sort=price", "/assets?kind=coal", "/assets?funding=soon",
                 "/assets?country=PRT", "/assets?operator=0x12", "/assets?location=",
                 "/assets/1/production?bucket=week", "/assets/1/production?start=-1",
                 "/assets/1/revenue/claims?account=nope", "/assets/1/proposals?state=won"):  # fmt: skip
        answer = client.get(path)
        assert answer.status_code == 422, path
        assert answer.json()["detail"], path
    by_name = client.get("/assets", params={"sort": "name", "limit": 1}).json()["next_cursor"]
    for path, cursor in (("/assets", "not-a-cursor"), ("/assets?sort=energy", by_name),
                         ("/assets/1/holders", by_name)):  # fmt: skip
        answer = client.get(path, params={"cursor": cursor})
        assert answer.status_code == 400, path
        assert answer.json()["type"].endswith("invalid-cursor")
