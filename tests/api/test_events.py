"""The raw event feed over the demo, checked against the node's own logs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from _stack import rpc, walk
from eth_utils import to_checksum_address
from fastapi.testclient import TestClient

ZERO = "0x" + "00" * 20


@pytest.fixture(scope="module")
def followed(client: TestClient, demo_chain: tuple[str, Path]) -> dict[str, str | None]:
    """Every contract the indexer follows: address -> the asset it belongs to (None: platform)."""
    contracts = json.loads((demo_chain[1] / "31337.json").read_text())["contracts"]
    found: dict[str, str | None] = {
        entry["address"]: None for name, entry in contracts.items() if name != "MockStablecoin"
    }
    for asset in client.get("/assets").json()["data"]:
        record = client.get(f"/assets/{asset['asset_id']}").json()
        for address in (record["share_token"], *record["governance"].values()):
            if isinstance(address, str) and address.startswith("0x"):
                found[address] = asset["asset_id"]
    return found


@pytest.fixture(scope="module")
def feed(client: TestClient) -> list[dict[str, Any]]:
    """The whole feed, oldest first."""
    return walk(client, "/events", limit=200)


def node_logs(url: str, **query: Any) -> list[tuple[int, int, str, str, str]]:
    logs = rpc(url, "eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest", **query})
    return [(int(log["blockNumber"], 16), int(log["logIndex"], 16), log["blockHash"],
             log["transactionHash"], to_checksum_address(log["address"])) for log in logs]  # fmt: skip


def positions(events: list[dict[str, Any]]) -> list[tuple[int, int, str, str, str]]:
    return [(e["block_number"], e["log_index"], e["block_hash"], e["tx_hash"], e["address"])
            for e in events]  # fmt: skip


def test_feed_holds_every_log_of_the_followed_contracts_in_chain_order(
    feed: list[dict[str, Any]], followed: dict[str, str | None], demo_chain: tuple[str, Path]
) -> None:
    expected = node_logs(demo_chain[0], address=list(followed))

    assert len(feed) > 400
    assert positions(feed) == expected


def test_decoded_arguments_are_the_logs_values(
    feed: list[dict[str, Any]], demo_chain: tuple[str, Path]
) -> None:
    transfers = [e for e in feed if e["event"] == "Transfer"]
    logs = {(int(log["blockNumber"], 16), int(log["logIndex"], 16)): log
            for log in rpc(demo_chain[0], "eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest",
                                                          "address": list({e["address"] for e in transfers})})}  # fmt: skip

    assert transfers
    for event in transfers:
        log = logs[(event["block_number"], event["log_index"])]
        assert event["args"] == {
            "from": "0x" + log["topics"][1][-40:],
            "to": "0x" + log["topics"][2][-40:],
            "value": str(int(log["data"], 16)),
        }
    mints = [e for e in transfers if e["args"]["from"] == ZERO]
    purchases = [e for e in feed if e["event"] == "SharesPurchased"]
    assert sorted(int(e["args"]["value"]) for e in mints) == sorted(
        int(e["args"]["shares"]) for e in purchases
    )


def test_feed_filters_by_event_address_asset_transaction_and_blocks(
    client: TestClient, feed: list[dict[str, Any]], followed: dict[str, str | None],
    demo_chain: tuple[str, Path],
) -> None:  # fmt: skip
    def filtered(**params: Any) -> list[dict[str, Any]]:
        return walk(client, "/events", params, limit=50)

    names = Counter(e["event"] for e in feed)
    assert filtered(event=["Listed", "ListingFilled"]) == [
        e for e in feed if e["event"] in ("Listed", "ListingFilled")
    ]
    assert len(filtered(event="ProposalCreated")) == names["ProposalCreated"] == 4
    market = next(a for a, asset in followed.items() if asset is None and
                  any(e["address"] == a and e["event"] == "Listed" for e in feed))  # fmt: skip
    assert filtered(address=market.lower()) == [e for e in feed if e["address"] == market]
    assert positions(filtered(address=market)) == node_logs(demo_chain[0], address=market)

    mine = filtered(asset_id=1)
    assert mine == [e for e in feed if followed.get(e["address"]) == "1"
                    or e["args"].get("assetId") == "1"]  # fmt: skip
    assert {"AssetRegistered", "SharesPurchased", "Transfer", "RevenueDeposited",
            "ProposalCreated", "ProductionReported", "Listed"} <= {e["event"] for e in mine}  # fmt: skip
    assert not any(e["args"].get("assetId") == "2" for e in mine)

    tx = next(e["tx_hash"] for e in feed if e["event"] == "ListingFilled")
    receipt = rpc(demo_chain[0], "eth_getTransactionReceipt", tx)
    followed_logs = [
        log for log in receipt["logs"] if to_checksum_address(log["address"]) in followed
    ]
    assert [(e["block_number"], e["log_index"]) for e in filtered(tx_hash=tx)] == [
        (int(log["blockNumber"], 16), int(log["logIndex"], 16)) for log in followed_logs
    ]
    assert filtered(from_block=100, to_block=120) == [
        e for e in feed if 100 <= e["block_number"] <= 120
    ]
    assert filtered(event="Transfer", from_block=300) == [
        e for e in feed if e["event"] == "Transfer" and e["block_number"] >= 300
    ]


def test_newest_first_is_the_feed_reversed(client: TestClient, feed: list[dict[str, Any]]) -> None:
    assert walk(client, "/events", {"order": "desc"}, limit=150) == feed[::-1]


def test_bad_feed_requests_are_problems(client: TestClient) -> None:
    for path in ("/events?event=Not%20An%20Event", "/events?address=0x12",
                 "/events?tx_hash=0xABC", "/events?from_block=-1", "/events?asset_id=x",
                 "/events?order=sideways", "/events?limit=201",
                 "/events?" + "&".join(["event=Transfer"] * 21)):  # fmt: skip
        answer = client.get(path)
        assert answer.status_code == 422, path
        assert answer.headers["content-type"] == "application/problem+json"
    answer = client.get("/events", params={"from_block": 10, "to_block": 5})
    assert answer.status_code == 400
    assert answer.json()["detail"] == "from_block is after to_block"
    oldest_first = client.get("/events", params={"limit": 1}).json()["next_cursor"]
    for cursor in (oldest_first, "eyJub3QiOiJhIGxpc3QifQ", "!!"):
        answer = client.get("/events", params={"order": "desc", "cursor": cursor})
        assert answer.status_code == 400, cursor
        assert answer.json()["type"].endswith("invalid-cursor")
