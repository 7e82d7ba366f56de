"""Market reads over the demo: listings, fills and prices, checked against the market contract
(now, and block by block through the demo's trading)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from _stack import Replay, Views, rpc, walk
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def market_address(demo_chain: tuple[str, Path]) -> str:
    """The demo's ShareMarket address."""
    contracts = json.loads((demo_chain[1] / "31337.json").read_text())["contracts"]
    return str(contracts["ShareMarket"]["address"])


def timestamp(views: Views, block: int | str) -> int:
    tag = hex(block) if isinstance(block, int) else block
    return int(rpc(views.url, "eth_getBlockByNumber", tag, False)["timestamp"], 16)


def contract_listings(
    views: Views, market_address: str, block: int | str
) -> dict[str, dict[str, Any]]:
    """Every listing as the market holds it at `block`, with the status it has then."""
    now = timestamp(views, block)
    found = {}
    for listing_id in range(
        1, views.call("ShareMarket", market_address, "listingCount", block=block) + 1
    ):
        seller, token, asset_id, remaining, price, payment, expires_at, fee_bps = views.call(
            "ShareMarket", market_address, "listing", listing_id, block=block
        )
        found[str(listing_id)] = {
            "seller": seller, "share_token": token, "asset_id": str(asset_id),
            "remaining": str(remaining), "price_per_share": str(price),
            "payment_token": payment, "expires_at": expires_at, "fee_bps": fee_bps,
            "live": remaining > 0 and now < expires_at,
        }  # fmt: skip
    return found


def as_contract(listing: dict[str, Any]) -> dict[str, Any]:
    """A listing of the API in the contract's terms (lowercase addresses, liveness)."""
    fields = {key: listing[key] for key in ("asset_id", "remaining", "price_per_share",
                                            "expires_at", "fee_bps")}  # fmt: skip
    addresses = {key: listing[key].lower() for key in ("seller", "share_token", "payment_token")}
    return {**fields, **addresses, "live": listing["status"] == "open"}


def test_every_listing_matches_the_market_contract(
    client: TestClient, views: Views, market_address: str
) -> None:
    listings = walk(client, "/market/listings", {"status": "all"}, limit=1)
    on_chain = contract_listings(views, market_address, "latest")

    assert {lst["listing_id"]: as_contract(lst) for lst in listings} == on_chain
    assert {lst["listing_id"]: lst["status"] for lst in listings} == {
        "1": "filled", "2": "expired", "3": "filled", "4": "cancelled",
    }  # fmt: skip
    for listing in listings:
        unsold = int(listing["amount"]) - int(listing["filled"])
        assert int(listing["remaining"]) == (0 if listing["status"] == "cancelled" else unsold)
        if listing["status"] == "expired":
            assert listing["expires_at"] <= timestamp(views, "latest")
            assert listing["remaining"] == listing["amount"]


def test_listings_filter_and_sort(client: TestClient) -> None:
    def ids(**params: Any) -> list[str]:
        return [lst["listing_id"] for lst in walk(client, "/market/listings", params, limit=1)]

    assert ids() == []  # nothing open at the end of the demo
    assert ids(status="all") == ["4", "3", "2", "1"]
    assert ids(status="all", sort="oldest") == ["1", "2", "3", "4"]
    assert ids(status="all", sort="price") == ["2", "4", "3", "1"]  # 96, 99, 104, 118
    assert ids(status="all", sort="-price") == ["1", "3", "4", "2"]
    assert ids(status="filled") == ["3", "1"]
    assert ids(status="expired") == ["2"]
    assert ids(status="cancelled", asset_id=2) == ["4"]
    assert ids(status="all", asset_id=1) == ["1"]
    seller = client.get("/market/listings", params={"status": "all"}).json()["data"][0]["seller"]
    assert ids(status="all", seller=seller) == ids(status="all", seller=seller.lower()) == ["4"]


def test_fills_add_up_to_the_listings_and_the_assets_trades(client: TestClient) -> None:
    fills = walk(client, "/market/fills", limit=1)
    listings = {lst["listing_id"]: lst for lst in walk(client, "/market/listings",
                                                      {"status": "all"}, limit=10)}  # fmt: skip

    assert len(fills) == 3
    assert [(f["block_number"], f["log_index"]) for f in fills] == sorted(
        ((f["block_number"], f["log_index"]) for f in fills), reverse=True
    )
    for fill in fills:
        listing = listings[fill["listing_id"]]
        assert int(fill["paid"]) == int(fill["amount"]) * int(fill["price_per_share"])
        assert int(fill["fee"]) == int(fill["paid"]) * listing["fee_bps"] // 10_000
        assert fill["seller"] == listing["seller"]
        assert fill["price_per_share"] == listing["price_per_share"]
    for listing_id, listing in listings.items():
        sold = sum(int(f["amount"]) for f in fills if f["listing_id"] == listing_id)
        assert sold == int(listing["filled"])
    for asset in client.get("/assets").json()["data"]:
        mine = [f for f in fills if f["asset_id"] == asset["asset_id"]]
        asset_detail = client.get(f"/assets/{asset['asset_id']}").json()
        assert sum(int(f["amount"]) for f in mine) == int(asset_detail["traded_shares"])
        assert walk(client, "/market/fills", {"asset_id": asset["asset_id"]}) == mine
    buyer, seller = fills[0]["buyer"], fills[0]["seller"]
    assert walk(client, "/market/fills", {"buyer": buyer}) == [
        f for f in fills if f["buyer"] == buyer
    ]
    assert walk(client, "/market/fills", {"seller": seller.lower()}) == [
        f for f in fills if f["seller"] == seller
    ]
    assert walk(client, "/market/fills", {"listing_id": 1}) == [
        f for f in fills if f["listing_id"] == "1"
    ]
    assert walk(client, "/market/fills", {"order": "asc"}) == fills[::-1]


def test_prices_give_each_assets_last_trade(client: TestClient) -> None:
    prices = walk(client, "/market/prices", limit=2)
    fills = walk(client, "/market/fills", limit=10)

    assert [p["asset_id"] for p in prices] == ["1", "2", "3", "4", "5"]
    for price in prices:
        last = next((f for f in fills if f["asset_id"] == price["asset_id"]), None)
        assert price["last_price"] == (last and last["price_per_share"])
        assert price["last_trade_block"] == (last and last["block_number"])
        assert price["share_price"] == "100000000"
        assert (price["best_ask"], price["open_listings"]) == (None, 0)
    assert walk(client, "/market/prices", {"asset_id": 3}) == [prices[2]]


def test_listing_status_and_best_ask_follow_the_market_block_by_block(
    client: TestClient, views: Views, market_address: str, replay: Replay
) -> None:
    trades = walk(client, "/events", {"address": market_address}, limit=50)
    expiries = [lst["expires_at"] for lst in walk(client, "/market/listings", {"status": "all"})]
    later = walk(client, "/events", {"from_block": trades[0]["block_number"]}, limit=200)
    after_expiry = [
        next(e["block_number"] for e in later if e["block_timestamp"] >= at) for at in expiries
        if any(e["block_timestamp"] >= at for e in later)
    ]  # fmt: skip
    blocks = sorted({b for e in trades for b in (e["block_number"] - 1, e["block_number"])}
                    | set(after_expiry))  # fmt: skip
    seen = set()

    for block in blocks:
        api = replay.to(block)
        on_chain = contract_listings(views, market_address, block)
        listings = walk(api, "/market/listings", {"status": "all"}, limit=10)
        assert {lst["listing_id"]: as_contract(lst) for lst in listings} == on_chain, block
        for price in walk(api, "/market/prices", limit=10):
            live = [(int(lst["price_per_share"]), int(i), lst["remaining"])
                    for i, lst in on_chain.items()
                    if lst["asset_id"] == price["asset_id"] and lst["live"]]  # fmt: skip
            best = min(live, default=None)
            assert price["open_listings"] == len(live)
            assert (price["best_ask"], price["best_ask_listing_id"], price["best_ask_amount"]) == (
                (str(best[0]), str(best[1]), best[2]) if best else (None, None, None)
            ), block
        seen |= {lst["status"] for lst in listings}

    assert seen == {"open", "expired", "filled", "cancelled"}


def test_bad_market_requests_are_problems(client: TestClient) -> None:
    for path in ("/market/listings?status=sold", "/market/listings?sort=cheapest",
                 "/market/listings?seller=0xabc", "/market/fills?listing_id=0",
                 "/market/fills?buyer=someone", "/market/fills?order=up",
                 "/market/prices?asset_id=-2", "/market/prices?limit=0"):  # fmt: skip
        assert client.get(path).status_code == 422, path
    by_price = client.get(
        "/market/listings", params={"status": "all", "sort": "price", "limit": 1}
    ).json()["next_cursor"]
    for path, cursor in (("/market/listings?status=all&sort=newest", by_price),
                         ("/market/fills", by_price), ("/market/prices", "%%%")):  # fmt: skip
        answer = client.get(path, params={"cursor": cursor})
        assert answer.status_code == 400, path
        assert answer.headers["content-type"] == "application/problem+json"
