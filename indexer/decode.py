"""Turns raw logs into `Event`s and raw-log rows; the one path both indexing and re-projection use."""

from __future__ import annotations

import logging
from typing import Any

import orjson

from indexer.commit_message import PublishedEvent
from indexer.projection import Event
from infra.abi import Abis

log = logging.getLogger(__name__)
UNKNOWN = "unknown"


class Decoder:
    """Decodes the logs of the followed contracts by topic0.

    Args:
        abis: The events of every followed contract kind.
        chain_id: Written into every raw-log row.
    """

    def __init__(self, abis: Abis, chain_id: int) -> None:
        self.chain_id = chain_id
        self.by_topic: dict[str, tuple[str, Any]] = {
            topic0: (spec.name, spec.codec()) for topic0, spec in abis.all_specs().items()
        }
        registry = abis.by_kind["registry"]
        self.asset_registered = next(t for t, s in registry.items() if s.name == "AssetRegistered")

    def decode(self, topics: list[str], data: str) -> tuple[str, dict[str, Any], str]:
        """(event name, arguments, arguments as JSON); `unknown` for what the ABIs do not know."""
        entry = self.by_topic.get(topics[0]) if topics else None
        if entry is None:
            return UNKNOWN, {}, "{}"
        name, codec = entry
        try:
            args, text = codec(topics, data)
            return name, args, text
        except Exception as error:  # malformed data is stored raw and skipped, never fatal
            return self.undecodable(name, error)

    def undecodable(self, name: str, error: Exception) -> tuple[str, dict[str, Any], str]:
        """What a log that does not decode as its topic says becomes: `unknown`, kept raw."""
        log.warning("undecodable log", extra={"event": name, "error": str(error)})
        return UNKNOWN, {}, "{}"


def published(e: Event, args_json: str) -> PublishedEvent:
    """An event as consumers receive it (a `raw_logs` row), with its position."""
    return PublishedEvent(
        block_number=e.block_number,
        block_hash=e.block_hash,
        log_index=e.log_index,
        tx_hash=e.tx_hash,
        tx_index=e.tx_index,
        block_timestamp=e.timestamp,
        address=e.address,
        event=e.name,
        args=orjson.Fragment(args_json),
    )
