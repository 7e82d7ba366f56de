"""Feed topics: their canonical spelling, and which topics an event belongs to."""

from __future__ import annotations

import pytest
from eth_utils import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from api.feeds.topics import TopicError, event_topics, first_match, parse

TOKEN = "0x" + "aa" * 20
MARKET = "0x" + "bb" * 20
ALICE = "0x" + "1c" * 20
BOB = "0x" + "2d" * 20
CONTRACTS = {TOKEN: ("share_token", 4), MARKET: ("market", None)}


@given(st.integers(0, 2**256 - 1))
def test_an_asset_topic_is_spelled_without_leading_zeros(asset_id: int) -> None:
    assert parse(f"asset:{asset_id}") == f"asset:{asset_id}" == parse(parse(f"asset:{asset_id}"))


def test_an_account_topic_is_spelled_in_lowercase() -> None:
    checksummed = to_checksum_address("0x" + "ab" * 20)
    assert parse(f"account:{checksummed}") == f"account:0x{'ab' * 20}"
    assert parse(f"account:0x{'AB' * 20}") == f"account:0x{'ab' * 20}"  # all one case: no checksum
    with pytest.raises(TopicError, match="checksum"):
        parse(f"account:{checksummed.swapcase().replace('0X', '0x')}")


@pytest.mark.parametrize(
    ("topic", "reason"),
    [
        ("asset:007", "bad asset id"),
        ("asset:-1", "bad asset id"),
        (f"asset:{2**256}", "bad asset id"),
        ("account:0x12", "bad address"),
        ("prices", "unknown topic"),
        ("", "unknown topic"),
    ],
)
def test_a_topic_the_feeds_do_not_serve_is_refused_with_its_reason(topic: str, reason: str) -> None:
    with pytest.raises(TopicError, match=reason):
        parse(topic)


def test_a_transfer_belongs_to_its_asset_both_accounts_and_events() -> None:
    transfer = {
        "address": TOKEN,
        "event": "Transfer",
        "args": {"from": ALICE, "to": BOB, "value": 5},
    }
    assert event_topics(transfer, CONTRACTS) == [
        "asset:4", f"account:{ALICE}", f"account:{BOB}", "events"
    ]  # fmt: skip


def test_a_market_event_names_its_asset_and_belongs_to_the_market() -> None:
    listed = {"address": MARKET, "event": "Listed", "args": {"assetId": "9", "seller": ALICE}}
    topics = event_topics(listed, CONTRACTS)
    assert topics == ["asset:9", f"account:{ALICE}", "market", "events"]
    assert first_match(listed, CONTRACTS, ["events", "market"]) == "market"
    assert first_match(listed, CONTRACTS, ["governance", "asset:4"]) is None


def test_an_event_of_an_unfollowed_contract_still_reaches_every_event_subscriber() -> None:
    unknown = {"address": "0x" + "ee" * 20, "event": "unknown", "args": {}}
    assert event_topics(unknown, CONTRACTS) == ["events"]
