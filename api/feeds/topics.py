"""Feed topics: what a client may subscribe to, and which topics an indexed event belongs to.

    blocks               one `head` message per indexer commit
    events               every event
    market               events of the share market
    governance           events of the assets' governors and timelocks
    certificates         events of the energy certificates (issuance, claims, transfers, retirements)
    retirements          certificate retirements only (`CertificatesRetired`: the public proofs)
    asset:<id>           events naming the asset (an `assetId` argument, or a certificate id of
                         its vintages) or emitted by its share token, governor or timelock
    account:<address>    events with the address anywhere in their arguments

The same function decides for the live stream and for a replay from PostgreSQL, so a resumed
client gets exactly what it would have got live.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from api.types import MAX_UINT256, parse_address

BLOCKS = "blocks"
EVENTS = "events"
MARKET = "market"
GOVERNANCE = "governance"
CERTIFICATES = "certificates"
RETIREMENTS = "retirements"
FIXED = frozenset({BLOCKS, EVENTS, MARKET, GOVERNANCE, CERTIFICATES, RETIREMENTS})
_ASSET_ID = re.compile(r"^(0|[1-9][0-9]{0,77})$")
_KIND_TOPICS = {
    "market": MARKET, "governor": GOVERNANCE, "timelock": GOVERNANCE, "certificates": CERTIFICATES,
}  # fmt: skip

# Followed contracts: lowercase address -> (kind, asset id or None), as in the `contracts` table.
Contracts = Mapping[str, tuple[str, int | None]]


class TopicError(ValueError):
    """A topic the feeds do not serve; the message is the reason shown to the client."""


def parse(topic: str) -> str:
    """The canonical spelling of a topic (addresses lowercase, ids without leading zeros).

    Raises:
        TopicError: The topic is unknown or its argument is malformed.
    """
    if topic in FIXED:
        return topic
    name, _, argument = topic.partition(":")
    if name == "asset":
        if not _ASSET_ID.match(argument) or int(argument) > MAX_UINT256:
            raise TopicError(f"bad asset id in {topic!r}: a decimal number is expected")
        return f"asset:{int(argument)}"
    if name == "account":
        try:
            return f"account:{parse_address(argument)}"
        except ValueError as error:
            raise TopicError(f"bad address in {topic!r}: {error}") from error
    raise TopicError(
        f"unknown topic {topic!r}: use blocks, events, market, governance, certificates,"
        " retirements, asset:<id> or account:<address>"
    )


def _addresses(value: Any, found: list[str]) -> None:
    if isinstance(value, str):
        if len(value) == 42 and value.startswith("0x"):
            found.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _addresses(item, found)
    elif isinstance(value, list):
        for item in value:
            _addresses(item, found)


def _certificate_ids(args: Any) -> list[int]:
    """The certificate ids an event of the certificates contract names (`id` or `ids`)."""
    if not isinstance(args, dict):
        return []
    ids = args.get("ids") if "ids" in args else [args["id"]] if "id" in args else []
    return [int(i) for i in ids or []]


def event_topics(event: Mapping[str, Any], contracts: Contracts) -> list[str]:
    """The topics an event belongs to, most specific first (`events` always last).

    Args:
        event: A published event (`block_number`, `address`, `event`, `args`, ...).
        contracts: The followed contracts, to know an emitter's kind and asset.
    """
    topics: list[str] = []
    args = event.get("args") or {}
    kind, asset_id = contracts.get(event["address"], ("", None))
    named = args.get("assetId") if isinstance(args, dict) else None
    if named is not None:
        topics.append(f"asset:{int(named)}")
    if asset_id is not None and f"asset:{asset_id}" not in topics:
        topics.append(f"asset:{asset_id}")
    if kind == "certificates":
        for token_id in _certificate_ids(args):
            if f"asset:{token_id >> 128}" not in topics:  # a certificate id packs its asset
                topics.append(f"asset:{token_id >> 128}")
    accounts: list[str] = []
    _addresses(args, accounts)
    for account in dict.fromkeys(accounts):
        topics.append(f"account:{account}")
    if event.get("event") == "CertificatesRetired":
        topics.append(RETIREMENTS)
    group = _KIND_TOPICS.get(kind)
    if group is not None:
        topics.append(group)
    topics.append(EVENTS)
    return topics


def first_match(
    event: Mapping[str, Any], contracts: Contracts, wanted: Iterable[str]
) -> str | None:
    """The topic under which a client subscribed to `wanted` receives the event, or None."""
    chosen = set(wanted)
    for topic in event_topics(event, contracts):
        if topic in chosen:
            return topic
    return None
