"""Messages of the WebSocket feeds at `/ws` (see `api.routes.ws` for the whole protocol).

Every frame is one JSON object of text. The client sends *operations* (`op`), the server sends
*messages* (`type`). The client's operations are validated with these models; the server's
messages are built as plain dicts on the hot path (one encoding shared by every subscriber) and
have exactly the shapes below, which tests check them against.

Client to server:

    {"op": "subscribe", "topics": ["asset:1", "account:0x..."],
     "resume_from": {"block_number": 120, "block_hash": "0x...", "log_index": 3}}   # optional
    {"op": "unsubscribe", "topics": ["asset:1"]}
    {"op": "ping"}

Server to client:

    {"type": "subscribed", "topics": [...]}            the connection's topics after a subscribe
    {"type": "unsubscribed", "topics": [...]}          the same after an unsubscribe
    {"type": "event", "topic": "asset:1", "status": "added" | "removed", "event": {...}}
                                                       the event as REST gives it (`LogEvent`)
    {"type": "head", "status": "added" | "removed", "from_block", "to_block", "block_number",
     "block_hash", "count"}                            one per indexer commit (topic `blocks`)
    {"type": "resumed", "replayed": 12, "removed": 0, "head": {"block_number", "block_hash"}}
    {"type": "resync", "reason": "...", "head": {...} | null}
    {"type": "heartbeat"}                              after `ws_heartbeat_seconds` of silence
    {"type": "pong"}
    {"type": "error", "code": "invalid-topic", "reason": "..."}
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.models.events import LogEvent
from api.types import Hash

Topic = Annotated[str, Field(max_length=128, examples=["asset:1", "account:0x70997970c518..."])]


class Position(BaseModel):
    """Where a message sits in the indexed chain: its block and its log's index in the block.

    Positions order every event (`block_number`, then `log_index`). A `head` message's position has
    `log_index: null`, meaning "the whole block". The hash tells on which branch the block was seen.
    """

    model_config = ConfigDict(extra="forbid")

    block_number: int = Field(ge=0)
    block_hash: Hash
    log_index: int | None = Field(default=None, ge=0)


class Subscribe(BaseModel):
    """Adds topics to the connection; on a connection's first subscribe, `resume_from` replays
    everything after a position before the live stream."""

    model_config = ConfigDict(extra="forbid")

    op: Literal["subscribe"]
    topics: list[Topic] = Field(min_length=1)
    resume_from: Position | None = None


class Unsubscribe(BaseModel):
    """Removes topics from the connection (unknown ones are ignored)."""

    model_config = ConfigDict(extra="forbid")

    op: Literal["unsubscribe"]
    topics: list[Topic] = Field(min_length=1)


class Ping(BaseModel):
    """Asks for a `pong` (the server also sends heartbeats on its own)."""

    model_config = ConfigDict(extra="forbid")

    op: Literal["ping"]


ClientMessage = Annotated[Subscribe | Unsubscribe | Ping, Field(discriminator="op")]


class Hops(BaseModel):
    """When the commit passed each hop, in unix seconds (sent only with `API_WS_HOPS=true`): the
    node's new-head notification reached the indexer (null when it was polling), the indexer had
    fetched, committed and published it on Redis, this API process received it and dispatched
    it to its sockets."""

    head: float | None
    fetched: float | None
    committed: float | None
    published: float | None
    received: float
    dispatched: float


class EventMessage(BaseModel):
    """An event of a subscribed topic, added to the chain or removed from it by a reorg.

    A connection receives each event once, under the first of its topics that matches, in this
    order: `asset:<id>`, `account:<address>`, `market` / `governance`, `events`. Removed events
    come newest first, right after the reorg, before the events of the new branch.
    """

    type: Literal["event"]
    topic: str
    status: Literal["added", "removed"]
    event: LogEvent
    hops: Hops | None = None


class HeadMessage(BaseModel):
    """One indexer commit (topic `blocks`): the blocks it added or removed and the new head."""

    type: Literal["head"]
    status: Literal["added", "removed"]
    from_block: int
    to_block: int
    block_number: int = Field(description="The indexed head after the commit.")
    block_hash: Hash
    count: int = Field(description="Events the commit added or removed (all topics).")
    hops: Hops | None = None


class Head(BaseModel):
    """A block of the indexed chain."""

    block_number: int
    block_hash: Hash


class Resumed(BaseModel):
    """The replay after `resume_from` is complete; live messages follow."""

    type: Literal["resumed"]
    replayed: int = Field(description="Events sent from the index after the position.")
    removed: int = Field(description="`removed` events sent first (the position was reorged).")
    head: Head | None = Field(description="The indexed head the replay reached.")


class Resync(BaseModel):
    """What was sent before cannot be corrected event by event (a reorg the server cannot
    reconstruct): refetch the state you keep from the REST reads, as of `head` or later; the live
    stream continues after `head`."""

    type: Literal["resync"]
    reason: str
    head: Head | None


class Subscribed(BaseModel):
    """The connection's topics after a subscribe (or an unsubscribe, with type `unsubscribed`)."""

    type: Literal["subscribed", "unsubscribed"]
    topics: list[str]


class Heartbeat(BaseModel):
    """Sent after `ws_heartbeat_seconds` without any other message."""

    type: Literal["heartbeat"]


class Pong(BaseModel):
    """The answer to a `ping`."""

    type: Literal["pong"]


ErrorCode = Literal[
    "invalid-message", "invalid-topic", "too-many-topics", "message-too-big", "resume-too-far",
    "resume-later", "too-many-connections", "unavailable",
]  # fmt: skip


class ErrorMessage(BaseModel):
    """Something the client sent was refused; `reason` says why in words."""

    type: Literal["error"]
    code: ErrorCode
    reason: str


ServerMessage = Annotated[
    EventMessage | HeadMessage | Resumed | Resync | Subscribed | Heartbeat | Pong | ErrorMessage,
    Field(discriminator="type"),
]
