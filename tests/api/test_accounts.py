"""Account portfolios and histories over the demo, checked against the share tokens' own views
(now and at each production report's block) and against the market and event lists."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from _stack import Views, walk
from eth_utils import to_checksum_address
from fastapi.testclient import TestClient

ZERO = "0x" + "0" * 40
NOBODY = "0x000000000000000000000000000000000000dEaD"
KINDS = {
    "purchase", "refund", "claim", "transfer_in", "transfer_out", "market_buy", "market_sell",
    "listing_created", "listing_cancelled", "vote",
}  # fmt: skip


@pytest.fixture(scope="module")
def assets(client: TestClient) -> list[dict[str, Any]]:
    return walk(client, "/assets", limit=50)


@pytest.fixture(scope="module")
def holders(client: TestClient, assets: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Every current holder (checksummed) of every asset, by asset id, from `/assets/{id}/holders`."""
    return {
        a["asset_id"]: [h["account"] for h in walk(client, f"/assets/{a['asset_id']}/holders",
                                                   limit=50)]
        for a in assets
    }  # fmt: skip


@pytest.fixture(scope="module")
def ever_held(client: TestClient, assets: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Every account that ever received shares of each asset (its share token's Transfer events)."""
    found: dict[str, set[str]] = {}
    for a in assets:
        transfers = walk(client, "/events", {"event": "Transfer", "address": a["share_token"]},
                         limit=200)  # fmt: skip
        found[a["asset_id"]] = {t["args"]["to"] for t in transfers} - {ZERO}
    return found


@pytest.fixture(scope="module")
def portfolios(client: TestClient, ever_held: dict[str, set[str]]) -> dict[str, dict[str, Any]]:
    """The portfolio of every account that ever held shares, by lowercase address."""
    accounts = set().union(*ever_held.values())
    return {account: client.get(f"/accounts/{account}").json() for account in accounts}


@pytest.fixture(scope="module")
def deployed_oracle(demo_chain: tuple[str, Path]) -> str:
    contracts = json.loads((demo_chain[1] / "31337.json").read_text())["contracts"]
    return str(contracts["ProductionOracle"]["address"])


def holding(portfolio: dict[str, Any], asset_id: str) -> dict[str, Any]:
    return next(h for h in portfolio["holdings"] if h["asset_id"] == asset_id)


def test_every_holder_figure_equals_the_share_token_views(
    client: TestClient, views: Views, assets: list[dict[str, Any]], holders: dict[str, list[str]]
) -> None:
    checked = 0
    for a in assets:
        token = a["share_token"]
        for account in holders[a["asset_id"]]:
            answer = client.get(f"/accounts/{account}")
            assert answer.status_code == 200, answer.text
            h = holding(answer.json(), a["asset_id"])
            assert h["share_token"] == token
            assert int(h["balance"]) == views.call("ShareToken", token, "balanceOf", account)
            assert int(h["claimable"]) == views.call(
                "ShareToken", token, "claimableRevenueOf", account
            )
            assert int(h["claimed"]) == views.call("ShareToken", token, "claimedRevenueOf", account)
            assert int(h["votes"]) == views.call("ShareToken", token, "getVotes", account)
            delegate = views.call("ShareToken", token, "delegates", account)
            assert h["delegate"] == (None if delegate == ZERO else to_checksum_address(delegate))
            assert int(h["total_supply"]) == views.call("ShareToken", token, "totalSupply")
            checked += 1
    assert checked > 40


def test_energy_is_the_holders_share_of_each_report_at_the_reports_block(
    client: TestClient,
    views: Views,
    assets: list[dict[str, Any]],
    ever_held: dict[str, set[str]],
    portfolios: dict[str, dict[str, Any]],
) -> None:
    for a in assets:
        token, asset_id = a["share_token"], a["asset_id"]
        reports = walk(client, f"/assets/{asset_id}/production", limit=200)
        supplies = {
            r["block_number"]: views.call("ShareToken", token, "totalSupply",
                                          block=r["block_number"])
            for r in reports
        }  # fmt: skip
        for account in ever_held[asset_id]:
            expected, shared = 0, 0
            for r in reports:
                block = r["block_number"]
                balance = views.call("ShareToken", token, "balanceOf", account, block=block)
                expected += balance * int(r["energy_wh"]) // supplies[block]
                shared += balance > 0
            h = holding(portfolios[account], asset_id)
            assert (int(h["energy_wh"]), h["reports_shared"]) == (expected, shared), account


def test_energy_of_all_holders_adds_up_to_the_asset_energy_within_rounding(
    client: TestClient,
    views: Views,
    assets: list[dict[str, Any]],
    ever_held: dict[str, set[str]],
    portfolios: dict[str, dict[str, Any]],
    deployed_oracle: str,
) -> None:
    reported = 0
    for a in assets:
        energy = views.call(
            "ProductionOracle", deployed_oracle, "totalEnergyOf", int(a["asset_id"])
        )
        shares = [holding(portfolios[acc], a["asset_id"]) for acc in ever_held[a["asset_id"]]]
        attributed = sum(int(h["energy_wh"]) for h in shares)
        # Each report rounds down once per holder with a share of it: less than 1 Wh each.
        slack = sum(h["reports_shared"] for h in shares)
        assert attributed <= energy
        assert energy - attributed < max(slack, 1)
        reported += energy
    assert reported > 0


def test_value_uses_the_last_trade_price_else_the_sale_price(
    client: TestClient, portfolios: dict[str, dict[str, Any]]
) -> None:
    prices = {p["asset_id"]: p for p in walk(client, "/market/prices", limit=50)}
    sources: Counter[str] = Counter()
    for portfolio in portfolios.values():
        totals: dict[str, list[int]] = {}
        for h in portfolio["holdings"]:
            price = prices[h["asset_id"]]
            traded = price["last_price"] is not None
            assert h["price_source"] == ("last_trade" if traded else "sale_price")
            assert h["price_per_share"] == (price["last_price"] if traded else price["share_price"])
            assert int(h["value"]) == int(h["balance"]) * int(h["price_per_share"])
            sources[h["price_source"]] += 1
            sums = totals.setdefault(h["payment_token"], [0, 0, 0])
            for i, name in enumerate(("value", "claimable", "claimed")):
                sums[i] += int(h[name])
        assert {
            t["payment_token"]: [int(t["value"]), int(t["claimable"]), int(t["claimed"])]
            for t in portfolio["totals"]
        } == totals
    assert sources["last_trade"] > 0 and sources["sale_price"] > 0


def test_open_listings_are_the_sellers_open_market_listings(
    client: TestClient, portfolios: dict[str, dict[str, Any]]
) -> None:
    for account, portfolio in portfolios.items():
        listed = walk(client, "/market/listings", {"seller": account, "status": "open"}, limit=50)
        assert sorted(portfolio["listings"], key=lambda x: int(x["listing_id"])) == sorted(
            listed, key=lambda x: int(x["listing_id"])
        )


def test_history_pages_concatenate_to_the_whole_list_without_duplicates(
    client: TestClient, portfolios: dict[str, dict[str, Any]]
) -> None:
    kinds: Counter[str] = Counter()
    for account in portfolios:
        whole = client.get(f"/accounts/{account}/history", params={"limit": 200}).json()
        assert whole["next_cursor"] is None
        paged = walk(client, f"/accounts/{account}/history", limit=3)
        assert paged == whole["data"]
        positions = [(item["block_number"], item["log_index"]) for item in paged]
        assert positions == sorted(set(positions), reverse=True)
        kinds.update(item["kind"] for item in paged)
    assert set(kinds) == KINDS
    assert kinds["purchase"] == 50 and kinds["refund"] == 6 and kinds["claim"] == 83
    assert kinds["market_buy"] == kinds["market_sell"] == 3
    assert kinds["transfer_in"] == kinds["transfer_out"] == 2  # fills are not counted again
    assert (kinds["listing_created"], kinds["listing_cancelled"], kinds["vote"]) == (4, 1, 24)


def test_history_filters_by_kind_and_asset(
    client: TestClient, portfolios: dict[str, dict[str, Any]]
) -> None:
    account = max(
        portfolios, key=lambda acc: len(client.get(f"/accounts/{acc}/history").json()["data"])
    )
    whole = walk(client, f"/accounts/{account}/history", limit=200)
    kinds = ["claim", "purchase"]
    assert walk(client, f"/accounts/{account}/history", {"kind": kinds}, limit=2) == [
        item for item in whole if item["kind"] in kinds
    ]
    asset_id = whole[-1]["asset_id"]
    only = walk(client, f"/accounts/{account}/history", {"asset_id": asset_id}, limit=2)
    assert only == [item for item in whole if item["asset_id"] == asset_id]
    assert len(only) < len(whole)


def test_fills_appear_in_the_buyers_and_sellers_histories(client: TestClient) -> None:
    fills = walk(client, "/market/fills", limit=50)
    assert fills
    for fill in fills:
        for account, kind, other in ((fill["buyer"], "market_buy", fill["seller"]),
                                     (fill["seller"], "market_sell", fill["buyer"])):  # fmt: skip
            items = walk(client, f"/accounts/{account}/history", {"kind": kind}, limit=50)
            item = next(i for i in items if i["block_number"] == fill["block_number"]
                        and i["log_index"] == fill["log_index"])  # fmt: skip
            assert (item["counterparty"], item["shares"], item["amount"], item["listing_id"]) == (
                other, fill["amount"], fill["paid"], fill["listing_id"])  # fmt: skip


def test_an_address_with_nothing_has_an_empty_portfolio(client: TestClient) -> None:
    answer = client.get(f"/accounts/{NOBODY}")

    assert answer.status_code == 200
    body = answer.json()
    assert (body["address"], body["holdings"], body["listings"], body["totals"]) == (
        NOBODY, [], [], [])  # fmt: skip
    assert client.get(f"/accounts/{NOBODY}/history").json() == {"data": [], "next_cursor": None}


def test_lowercase_and_checksummed_addresses_give_the_same_portfolio(
    client: TestClient, holders: dict[str, list[str]]
) -> None:
    account = holders["1"][0]

    assert (
        client.get(f"/accounts/{account}").json()
        == client.get(f"/accounts/{account.lower()}").json()
    )


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/accounts/0x8626F6940e2eb28930eFb4CeF49B2d1F2C9C1199", "checksum"),
        ("/accounts/0x1234", "40 hexadecimal digits"),
        ("/accounts/not-an-address/history", "40 hexadecimal digits"),
        (f"/accounts/{NOBODY}/history?kind=gift", "kind"),
        (f"/accounts/{NOBODY}/history?asset_id=-1", "asset_id"),
        (f"/accounts/{NOBODY}/history?limit=100000", "limit"),
    ],
)
def test_bad_input_is_refused_with_the_reason(client: TestClient, path: str, reason: str) -> None:
    answer = client.get(path)

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert reason in answer.json()["detail"]


def test_a_forged_history_cursor_is_a_400(client: TestClient) -> None:
    answer = client.get(f"/accounts/{NOBODY}/history", params={"cursor": "bm90LWEtY3Vyc29y"})

    assert answer.status_code == 400
    assert answer.json()["type"].endswith("invalid-cursor")
