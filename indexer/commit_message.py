"""The message the indexer publishes on Redis for each commit: one schema for the publisher
(`indexer.publish`) and every reader (the API's feed hub, the benchmarks).

    {"chain_id": 31337, "status": "added" | "removed", "from_block": 120, "to_block": 121,
     "head": {"block_number": 121, "block_hash": "0x..."}, "count": 2,
     "events": [{block_number, block_hash, log_index, tx_hash, tx_index, block_timestamp,
                 address, event, args}, ...] | null,
     "hops": {"head": 1.7e9, "fetched": ..., "committed": ..., "published": ...}}

`events` are `raw_logs` rows (addresses lowercase, arguments as stored); null when the commit had
more than the publisher's limit (a backfill): readers then read the range from PostgreSQL. A
`removed` commit lists what a reorg took back, ascending, and its head is the common ancestor.
`hops` are wall-clock times (unix seconds) of the commit's way through the indexer, for latency
breakdowns: when the node's new-head notification of the last block arrived (null when the indexer
was polling), when the batch was fetched, committed and handed to Redis.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import orjson

Status = Literal["added", "removed"]
HOPS = ("head", "fetched", "committed", "published")


class MessageError(ValueError):
    """A message on the channel that does not follow the schema."""


@dataclass(frozen=True, slots=True)
class PublishedEvent:
    """One indexed log, as `raw_logs` holds it.

    `args` is the decoded arguments: a dict when read, and may be an `orjson.Fragment` of their
    stored JSON text when published (no second encoding).
    """

    block_number: int
    block_hash: str
    log_index: int
    tx_hash: str
    tx_index: int
    block_timestamp: int
    address: str
    event: str
    args: Any

    def as_row(self) -> dict[str, Any]:
        return {
            "block_number": self.block_number,
            "block_hash": self.block_hash,
            "log_index": self.log_index,
            "tx_hash": self.tx_hash,
            "tx_index": self.tx_index,
            "block_timestamp": self.block_timestamp,
            "address": self.address,
            "event": self.event,
            "args": self.args,
        }


@dataclass(frozen=True, slots=True)
class Head:
    """The indexed head after the commit."""

    block_number: int
    block_hash: str


@dataclass(slots=True)
class Hops:
    """Wall-clock times (unix seconds) of one commit's way through the indexer."""

    head: float | None = None
    fetched: float | None = None
    committed: float | None = None
    published: float | None = None


@dataclass(frozen=True, slots=True)
class CommitMessage:
    """One commit, as published on `<namespace>:<chain id>:events`."""

    chain_id: int
    status: Status
    from_block: int
    to_block: int
    head: Head
    count: int
    events: list[PublishedEvent] | None
    hops: Hops = field(default_factory=Hops)

    def encode(self) -> bytes:
        """The message's JSON (dataclasses and fragments encoded by orjson directly)."""
        return orjson.dumps(self)

    @classmethod
    def decode(cls, data: bytes | str) -> CommitMessage:
        """Parses a message read from the channel.

        Raises:
            MessageError: It is not JSON or does not follow the schema.
        """
        try:
            raw = orjson.loads(data)
            status = raw["status"]
            if status not in ("added", "removed"):
                raise MessageError(f"unknown status {status!r}")
            events = raw.get("events")
            hops = raw.get("hops") or {}
            return cls(
                chain_id=int(raw["chain_id"]),
                status=status,
                from_block=int(raw["from_block"]),
                to_block=int(raw["to_block"]),
                head=Head(int(raw["head"]["block_number"]), str(raw["head"]["block_hash"])),
                count=int(raw["count"]),
                events=None if events is None else [PublishedEvent(**e) for e in events],
                hops=Hops(**{name: hops.get(name) for name in HOPS}),
            )
        except MessageError:
            raise
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise MessageError(f"not a commit message: {error!r}") from error

    def hops_json(self) -> dict[str, float | None]:
        return asdict(self.hops)
