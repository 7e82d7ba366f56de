"""`/ws`: live feeds of what the indexer commits, with resume after a reconnect.

Protocol (message shapes in `api.models.feeds`):

1. Connect, then send `{"op": "subscribe", "topics": [...]}`. Topics: `blocks` (one `head` message
   per indexer commit), `events` (everything), `market`, `governance`, `asset:<id>`,
   `account:<address>` (see `api.feeds.topics`). The answer is `{"type": "subscribed", ...}`;
   from then on every event of those topics the indexer commits arrives once, as
   `{"type": "event", "topic", "status": "added", "event": {block_number, block_hash, log_index,
   tx_hash, tx_index, block_timestamp, address, event, args}}` (the event as `GET /events` and
   GraphQL give it), in chain order. A reorg sends `status: "removed"` for each
   event it took back (newest first), then the events of the new branch as `added`.
2. Resume: keep the position (`block_number`, `block_hash`, `log_index`) of the last message you
   handled; after a reconnect, subscribe with `"resume_from": {...}`. The server subscribes you to
   the live stream first (holding it back), replays everything after the position from PostgreSQL
   up to the indexed checkpoint, sends `{"type": "resumed", ...}`, then the held-back live
   messages the replay did not cover: no gap and no duplicate. If the position's block was
   reorged away, `removed` messages for what you had above the common block come first; if the
   server cannot reconstruct them (it started after that reorg, or the reorg was too large to
   publish), you get `{"type": "resync", "reason", "head"}`: refetch your state from the REST
   reads as of `head` or later, and carry on. More than `ws_resume_limit` events to replay is an
   error (`resume-too-far`): read them from `GET /events` and subscribe again from the last one.
   `resume_from` is accepted on a connection's first subscribe only. When the API reads from a
   replica that has not yet replayed what the live stream already passed (`api.replica`), the
   server waits for it (`API_REPLICA_WAIT_SECONDS`), then, if it is still behind, answers
   `resume-later`: subscribe again with the same `resume_from` a moment later.
3. `{"op": "unsubscribe", "topics": [...]}` and `{"op": "ping"}` (answered by `pong`). The server
   sends `{"type": "heartbeat"}` after `ws_heartbeat_seconds` of silence.

Refusals are `{"type": "error", "code", "reason"}`: an unknown topic or a malformed address
(`invalid-topic`), more than `ws_max_subscriptions` topics (`too-many-topics`), anything not a
valid operation (`invalid-message`). Abuse closes the socket with a reason: a message over
`ws_max_message_bytes` (1009), ten invalid messages (1008), more than `ws_connections_per_client`
connections from one address (1008), a client that still has `ws_queue_size` messages unsent
when the next commit arrives (4008, "too slow: N messages behind"; one commit is always queued
whole).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, WebSocket
from pydantic import TypeAdapter, ValidationError

from api.deps import State
from api.feeds import topics
from api.feeds.hub import Connection, Hub, event_body, event_text, head_text
from api.feeds.resume import removed_since
from api.models.feeds import ClientMessage, Ping, Position, Subscribe, Unsubscribe
from api.queries.feeds import MAX_LOG_INDEX, TooFarBehind, snapshot
from api.replica import ReplicaBehind, caught_up

router = APIRouter(tags=["feeds"])
REQUESTS: TypeAdapter[Subscribe | Unsubscribe | Ping] = TypeAdapter(ClientMessage)
MAX_INVALID = 10  # invalid messages before a connection is closed
RESUME_WAIT_SECONDS = 5.0  # longest wait for the hub to receive the snapshot's commit


def _error(code: str, reason: str) -> dict[str, str]:
    return {"type": "error", "code": code, "reason": reason}


@router.websocket("/ws")
async def feeds(websocket: WebSocket, state: State) -> None:
    """The live feeds (see the module for the protocol)."""
    hub = state.hub
    await websocket.accept()
    if hub is None:
        await websocket.send_text(
            orjson.dumps(_error("unavailable", "feeds are not running")).decode()
        )
        await websocket.close(1011, "feeds are not running")
        return
    client = websocket.client.host if websocket.client else "unknown"
    if not hub.admit(client):
        limit = hub.settings.ws_connections_per_client
        reason = f"too many connections from {client}: at most {limit}"
        await websocket.send_text(orjson.dumps(_error("too-many-connections", reason)).decode())
        await websocket.close(1008, reason)
        return
    connection = Connection(websocket, client, queue_size=hub.settings.ws_queue_size)
    hub.add(connection)
    try:
        await _serve(hub, connection)
    finally:
        hub.remove(connection)
        await connection.finish()


async def _serve(hub: Hub, connection: Connection) -> None:
    """Answers the client's operations until it leaves or is closed."""
    settings = hub.settings
    invalid = 0
    while not connection.closed:
        message = await connection.websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        raw: str | bytes = message.get("text") or message.get("bytes") or b""
        size = len(raw.encode()) if isinstance(raw, str) else len(raw)
        if size > settings.ws_max_message_bytes:
            connection.reply(_error("message-too-big", f"a message is at most"
                                    f" {settings.ws_max_message_bytes} bytes; this one has {size}"))  # fmt: skip
            connection.close(1009, "message too big", flush=True)
            return
        try:
            request = REQUESTS.validate_json(raw)
            accepted = await _answer(hub, connection, request)
        except ValidationError as error:
            connection.reply(_error("invalid-message", _reason(error)))
            accepted = False
        if not accepted:
            invalid += 1
            if invalid >= MAX_INVALID:
                connection.close(1008, f"{MAX_INVALID} invalid messages", flush=True)
                return


def _reason(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    if first["type"] in ("union_tag_not_found", "union_tag_invalid"):
        return "op must be one of subscribe, unsubscribe, ping"
    where = ".".join(str(part) for part in first["loc"][1:]) or "message"
    return f"{where}: {first['msg']}"


async def _answer(hub: Hub, connection: Connection,
                  request: Subscribe | Unsubscribe | Ping) -> bool:  # fmt: skip
    """Carries out one operation; False when it was refused (the error is already queued)."""
    if isinstance(request, Ping):
        connection.reply({"type": "pong"})
        return True
    try:
        names = {topics.parse(name) for name in request.topics}
    except topics.TopicError as error:
        connection.reply(_error("invalid-topic", str(error)))
        return False
    if isinstance(request, Unsubscribe):
        hub.unsubscribe(connection, names)
        connection.reply({"type": "unsubscribed", "topics": sorted(connection.topics)})
        return True
    most = hub.settings.ws_max_subscriptions
    if len(connection.topics | names) > most:
        connection.reply(_error("too-many-topics", f"at most {most} topics per connection; this"
                                f" would make {len(connection.topics | names)}"))  # fmt: skip
        return False
    if request.resume_from is None:
        hub.subscribe(connection, names)
        connection.subscribed_once = True
        connection.reply({"type": "subscribed", "topics": sorted(connection.topics)})
        return True
    if connection.subscribed_once:
        connection.reply(_error("invalid-message", "resume_from is accepted on the first subscribe"
                                " of a connection only"))  # fmt: skip
        return False
    connection.subscribed_once = True
    await _resume(hub, connection, names, request.resume_from)
    return True


async def _resume(hub: Hub, connection: Connection, names: set[str], position: Position) -> None:
    """Subscribes live (held back), replays from PostgreSQL, then releases what the replay did not
    cover (see the module)."""
    state, settings = hub.state, hub.settings
    connection.buffer = []
    hub.subscribe(connection, names)
    since = hub.seq
    try:  # the snapshot below must hold every commit the hub had received by `since`
        await caught_up(state.db, state.primary, timeout=settings.replica_wait_seconds)
    except ReplicaBehind as error:
        hub.unsubscribe(connection, names)
        connection.buffer = None
        connection.subscribed_once = False
        connection.reply(_error("resume-later", f"{error.reason}: subscribe again with the same"
                                " resume_from in a moment"))  # fmt: skip
        return

    def keep(event: dict[str, Any]) -> str | None:
        return topics.first_match(event, hub.contracts, names)

    resync: str | None = None
    removed: list[dict[str, Any]] = []
    replay: list[tuple[str, dict[str, Any]]] = []
    try:
        async with snapshot(state.db, state.chain_id) as snap:
            head = await snap.checkpoint()
            on_chain = await snap.on_chain(position.block_number, position.block_hash, head)
            covered = since if head is None else await hub.seq_of(head, since, RESUME_WAIT_SECONDS)
            after: tuple[int, int] | None = (
                position.block_number,
                MAX_LOG_INDEX if position.log_index is None else position.log_index,
            )
            if not on_chain:
                seen = [r for r in hub.removals if covered is None or r.seq <= covered]
                known = removed_since(position.block_number, position.block_hash,
                                      position.log_index, seen)  # fmt: skip
                if known is None:
                    resync = (f"block {position.block_number} ({position.block_hash}) is no longer"
                              " on the indexed chain and what it held cannot be listed")  # fmt: skip
                    after = None
                else:
                    removed, common = known
                    after = (common, MAX_LOG_INDEX)
            if after is not None and head is not None:
                replay = await snap.events(after, head.block_number, keep=keep,
                                           limit=settings.ws_resume_limit)  # fmt: skip
    except TooFarBehind:
        hub.unsubscribe(connection, names)
        connection.buffer = None
        connection.subscribed_once = False
        connection.reply(_error("resume-too-far", f"more than {settings.ws_resume_limit} events to"
                                f" replay after block {position.block_number}: read them from"
                                " GET /events, then subscribe again from the last one"))  # fmt: skip
        return
    connection.reply({"type": "subscribed", "topics": sorted(connection.topics)})
    sent_removed = 0
    for event in removed:
        topic = keep(event)
        if topic is not None:
            await connection.put(event_text(topic, "removed", event_body(event)))
            sent_removed += 1
    last = (-1, -1)
    for topic, event in replay:
        await connection.put(event_text(topic, "added", event_body(event)))
        last = (event["block_number"], event["log_index"])
    head_json = None if head is None else head.as_json()
    if resync is not None:
        await connection.put(orjson.dumps({"type": "resync", "reason": resync,
                                           "head": head_json}).decode())  # fmt: skip
    if (
        topics.BLOCKS in names
        and head is not None
        and (after is None or head.block_number > after[0])
    ):
        first = position.block_number if after is None else after[0] + 1
        await connection.put(head_text("added", first, head.block_number, head, len(replay)))
    await connection.put(orjson.dumps({"type": "resumed", "replayed": len(replay),
                                       "removed": sent_removed, "head": head_json}).decode())  # fmt: skip
    held, connection.buffer = connection.buffer or [], None
    for seq, at, message in held:
        if covered is not None and seq <= covered:
            continue
        if covered is None and at is not None and at <= last:
            continue  # the snapshot's commit never reached this hub: positions decide
        connection.push(seq, at, message)
