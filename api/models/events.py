"""Models of the raw event feed: every indexed log with its position in the chain.

`LogEvent` is the one shape of an event everywhere the API sends one: REST (`/events`), GraphQL
and the WebSocket feeds (`event_json`, from a `raw_logs` row or an event the indexer published).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.types import Address, Hash


class LogEvent(BaseModel):
    """One indexed log, decoded: where it sits in the chain, who emitted it and its arguments.

    Events are ordered by position: `block_number`, then `log_index`. Decoded arguments are as the
    indexer stored them: uint256 values as decimal strings, addresses lowercase, structs as objects.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "block_number": 131,
                    "block_hash": "0x" + "5b" * 32,
                    "log_index": 2,
                    "tx_hash": "0x" + "9e" * 32,
                    "tx_index": 0,
                    "block_timestamp": 1801447200,
                    "address": "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
                    "event": "SharesPurchased",
                    "args": {
                        "assetId": "1",
                        "buyer": "0xcd3b766ccdd6ae721141f452c550ca635964ce71",
                        "shares": "2261",
                        "cost": "226100000000",
                        "totalSold": "2261",
                        "totalRaised": "226100000000",
                    },
                }
            ]
        }
    )

    block_number: int
    block_hash: Hash
    log_index: int = Field(description="The log's index in its block.")
    tx_hash: Hash
    tx_index: int = Field(description="The transaction's index in its block.")
    block_timestamp: int = Field(description="The block's time (unix seconds).")
    address: Address = Field(description="The contract that emitted the log.")
    event: str = Field(description="The event's name (`unknown` when it could not be decoded).")
    args: dict[str, Any] = Field(description="The decoded arguments, by name.")


def event_json(row: Mapping[str, Any]) -> str:
    """The JSON of an indexed event as every transport sends it (a `LogEvent`).

    Args:
        row: A `raw_logs` row or a published event (`indexer.commit_message.PublishedEvent`'s
            fields): lowercase addresses, as indexed; the address comes out checksummed.
    """
    return LogEvent.model_validate(row).model_dump_json()
