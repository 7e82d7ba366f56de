"""One hub per API process: the indexer's commits in from Redis, topic messages out to sockets.

    indexer --commit--> PostgreSQL
            --publish--> Redis `<namespace>:<chain>:events` --> Hub (each API process)
                                                                 |  topics of each event
                                                                 v
                                               Connection queue (bounded) --> writer --> socket

The message is parsed once (`indexer.commit_message`), each event serialised once
(`api.models.events.event_json`, the shape REST and GraphQL send) and each message encoded and
framed once per topic (`api.feeds.frames`); each connection then gets the commit's messages for
its topics in one write to its socket, or on its queue when earlier messages still wait there;
a connection still holding more than `ws_queue_size` messages when the next commit comes is closed
(4008, "too slow: N messages behind") and never delays the others. A commit published as a range only (over the indexer's `publish_limit`) is read back from
`raw_logs`. Commits the hub missed (Redis was down, a publish failed: the next message does not
start where the last ended) are read from PostgreSQL too; if that is impossible (the chain changed
under the gap, or too much is missing) every client is told to resync. Without Redis the hub
follows the indexed checkpoint the same way.

Every message gets a sequence number and the indexed head it leads to, so a resuming connection
can tell which of the messages it buffered its PostgreSQL snapshot already covers.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections import Counter, defaultdict, deque
from typing import Any

import orjson
import redis.asyncio as aioredis
from fastapi import WebSocket
from redis.exceptions import RedisError

from api import metrics
from api.feeds import topics
from api.feeds.frames import Outgoing, SocketWriter
from api.feeds.resume import Removal
from api.models.events import event_json
from api.queries import feeds as queries
from api.queries.feeds import Point, TooFarBehind, snapshot
from api.replica import caught_up
from api.state import AppState
from indexer import publish
from indexer.commit_message import CommitMessage

log = logging.getLogger(__name__)

Position = tuple[int, int]  # (block number, log index)
Hops = dict[str, float | None]  # hop name -> unix seconds (`ws_hops`)
HEARTBEAT = Outgoing(orjson.dumps({"type": "heartbeat"}).decode())


def event_body(event: dict[str, Any]) -> orjson.Fragment:
    """An event (a `raw_logs` row or a published one) serialised once, to embed in messages."""
    return orjson.Fragment(event_json(event))


def event_text(topic: str, status: str, body: orjson.Fragment, hops: Hops | None = None) -> str:
    """An `event` message, encoded (`body` from `event_body`)."""
    message: dict[str, Any] = {"type": "event", "topic": topic, "status": status, "event": body}
    if hops is not None:
        message["hops"] = hops
    return orjson.dumps(message).decode()


def head_text(status: str, first: int, last: int, head: Point, count: int,
              hops: Hops | None = None) -> str:  # fmt: skip
    """A `head` message (topic `blocks`), encoded."""
    message: dict[str, Any] = {"type": "head", "status": status, "from_block": first,
                               "to_block": last, **head.as_json(), "count": count}  # fmt: skip
    if hops is not None:
        message["hops"] = hops
    return orjson.dumps(message).decode()


class Connection:
    """One client socket: its topics, its queue and the task that writes it out.

    A message goes straight to the socket (`api.feeds.frames`) when nothing is queued before it
    and the socket can take it; otherwise it waits in the queue for the connection's writer task,
    which sends through the ASGI server and waits for a backed-up client. The queue's bound is
    checked where a commit starts: a client still holding more than `queue_size` messages of
    earlier commits when the next one arrives is too slow and is closed. One commit is always
    queued whole, however large, so a burst (a reorg, a catch-up) never cuts a client that keeps
    reading; memory stays bounded by the bound plus one commit.

    Args:
        websocket: The accepted socket.
        client: The client's address (connections are capped per address).
        queue_size: Messages of earlier commits left unsent before the client counts as too slow.
    """

    def __init__(self, websocket: WebSocket, client: str, *, queue_size: int) -> None:
        self.websocket = websocket
        self.client = client
        self.topics: set[str] = set()
        self.queue: asyncio.Queue[Outgoing | tuple[int, str]] = asyncio.Queue()
        self.queue_size = queue_size
        # While resuming: (sequence number, position, message) of live messages held back.
        self.buffer: list[tuple[int, Position | None, Outgoing]] | None = None
        self.closed = False
        self.subscribed_once = False
        self._socket = SocketWriter.of(websocket.scope)
        self._sending = False  # the writer task has a message in hand
        self._admitted = -1  # the commit being queued: it goes in whole
        self._flushing = False
        self.last_sent = asyncio.get_running_loop().time()
        self._tasks: list[asyncio.Task[None]] = [asyncio.create_task(self._writer())]

    def push(self, seq: int, position: Position | None, message: Outgoing) -> bool:
        """Sends or queues a live message of commit `seq` (see `push_all`); True when it was
        written to the socket at once."""
        return self.push_all(seq, [(position, message)]) == 1

    def push_all(self, seq: int, messages: list[tuple[Position | None, Outgoing]]) -> int:
        """Sends or queues live messages of commit `seq`, in order, in one write when the socket
        can take them (held back while resuming); closes a client whose backlog of earlier
        commits is over the bound. Returns how many were written to the socket at once."""
        if self.closed:
            return 0
        backlog = self.queue.qsize() if self.buffer is None else len(self.buffer)
        if seq != self._admitted:
            if backlog >= self.queue_size:
                self.too_slow(backlog)
                return 0
            self._admitted = seq
        if self.buffer is not None:
            self.buffer.extend((seq, position, message) for position, message in messages)
            return 0
        if len(messages) == 1:
            return int(self._send(messages[0][1]))
        if self._write(b"".join(message.frame for _, message in messages)):
            return len(messages)
        for _, message in messages:
            self.queue.put_nowait(message)
        return 0

    def reply(self, message: dict[str, Any] | str | Outgoing) -> None:
        """Sends an answer to the client."""
        if not self.closed:
            if isinstance(message, dict):
                message = orjson.dumps(message).decode()
            self._send(message if isinstance(message, Outgoing) else Outgoing(message))

    async def put(self, text: str) -> None:
        """Sends a replayed message, waiting for room (a replay goes at the client's pace)."""
        while not self.closed and self.queue.qsize() >= self.queue_size:
            await asyncio.sleep(0.01)
        if not self.closed:
            self._send(Outgoing(text))

    def _send(self, message: Outgoing) -> bool:
        """Writes to the socket when nothing waits before it, else queues for the writer task."""
        if self._write(message.frame):
            return True
        self.queue.put_nowait(message)
        return False

    def _write(self, frames: bytes) -> bool:
        """Writes frames straight to the socket if nothing waits before them and it can take
        them."""
        if (
            self._socket is not None
            and not self._sending
            and self.queue.empty()
            and self._socket.write(frames)
        ):
            self.last_sent = asyncio.get_running_loop().time()
            return True
        return False

    def too_slow(self, behind: int) -> None:
        metrics.WS_DROPPED.inc()
        log.info("closing a slow feed client", extra={"client": self.client, "behind": behind})
        self.close(4008, f"too slow: {behind} messages behind")

    def close(self, code: int, reason: str, *, flush: bool = False) -> None:
        """Closes the socket with a code and a reason (at most once): at once, or after what is
        queued when `flush`."""
        if self.closed:
            return
        self.closed = True
        if flush:
            self.queue.put_nowait((code, reason[:120]))
            self._flushing = True
            return
        self._tasks[0].cancel()
        self._tasks.append(asyncio.create_task(self._close(code, reason[:120])))

    async def finish(self) -> None:
        """Ends the connection's tasks once its reader is done."""
        self.closed = True
        writer = self._tasks[0]
        if self._flushing:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(writer), 5)
        writer.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):  # the client may be gone already
            await self.websocket.close(code, reason)

    async def _writer(self) -> None:
        loop = asyncio.get_running_loop()
        send = self.websocket.send_text
        count = metrics.WS_MESSAGES.labels(path="queued").inc
        try:
            while True:
                message = await self.queue.get()
                if isinstance(message, tuple):
                    await self.websocket.close(*message)
                    return
                self._sending = True
                await send(message.text)
                self._sending = False
                count()
                self.last_sent = loop.time()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the client went away; the reader sees it and cleans up
            log.debug("feed write failed", extra={"client": self.client, "error": repr(error)})
            self.closed = True


Outbox = dict[Connection, list[tuple[Position | None, Outgoing]]]  # a commit's messages, by socket


class Hub:
    """Fans the indexer's commits out to the process's WebSocket connections.

    Args:
        state: The API's state (settings, database, chain).
    """

    def __init__(self, state: AppState) -> None:
        self.state = state
        self.settings = state.settings
        self.channel = publish.channel(state.chain_id, self.settings.redis_namespace)
        self.contracts: dict[str, tuple[str, int | None]] = {}
        self.by_topic: dict[str, set[Connection]] = defaultdict(set)
        self.connections: set[Connection] = set()
        self.per_client: Counter[str] = Counter()
        self.seq = 0
        self.last_head: Point | None = None
        self.heads: deque[tuple[int, Point]] = deque(maxlen=4096)
        self.removals: deque[Removal] = deque(maxlen=256)
        self._changed = asyncio.Event()
        self._pubsub: Any = None
        self._redis: aioredis.Redis | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Task[Any]] = set()

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribes to the channel, then reads where the index is, then starts listening."""
        # What exists by now (modules, routers, models, pools) lives as long as the process:
        # frozen, full collections stop walking it. With 1,000 feed connections open, each full
        # collection took 250-300 ms and held every message back by as much; 100 ms after this.
        gc.freeze()
        if self.settings.redis_url is not None:
            await self._subscribe()
        await self._load_contracts()
        async with snapshot(self.state.db, self.state.chain_id) as snap:
            self.last_head = await snap.checkpoint()
        if self.last_head is not None:
            self.heads.append((0, self.last_head))
        follow = self._listen() if self.settings.redis_url is not None else self._poll()
        self._tasks = [asyncio.create_task(follow, name="feed-hub"),
                       asyncio.create_task(self._heartbeats(), name="feed-heartbeats")]  # fmt: skip

    async def stop(self) -> None:
        for task in [*self._tasks, *self._background]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RedisError, OSError):
                await task
        for connection in list(self.connections):
            connection.close(1001, "the server is shutting down")
        await self._unsubscribe()

    # -- connections ---------------------------------------------------------------------------

    def admit(self, client: str) -> bool:
        """Counts a new connection from a client address; False when it has too many."""
        if self.per_client[client] >= self.settings.ws_connections_per_client:
            return False
        self.per_client[client] += 1
        return True

    def add(self, connection: Connection) -> None:
        self.connections.add(connection)
        metrics.WS_CONNECTIONS.inc()

    def remove(self, connection: Connection) -> None:
        """Forgets a connection (its topics, its count); safe to call twice."""
        if connection not in self.connections:
            return
        self.connections.discard(connection)
        self.unsubscribe(connection, set(connection.topics))
        self.per_client[connection.client] -= 1
        if self.per_client[connection.client] <= 0:
            del self.per_client[connection.client]
        metrics.WS_CONNECTIONS.dec()

    def subscribe(self, connection: Connection, names: set[str]) -> None:
        for name in names:
            self.by_topic[name].add(connection)
        connection.topics |= names

    def unsubscribe(self, connection: Connection, names: set[str]) -> None:
        for name in names & connection.topics:
            subscribers = self.by_topic.get(name)
            if subscribers is not None:
                subscribers.discard(connection)
                if not subscribers:
                    del self.by_topic[name]
        connection.topics -= names

    async def seq_of(self, head: Point, since: int, timeout: float) -> int | None:
        """The last message (numbered `since` or later) that led the index to `head`, waiting for
        it to arrive; None after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = [seq for seq, point in self.heads if seq >= since and point == head]
            if found:
                return max(found)
            left = deadline - loop.time()
            if left <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    def resync_all(self, reason: str, head: Point | None) -> None:
        """Tells every client to refetch its state (what it has cannot be corrected in place)."""
        log.warning("feed clients told to resync", extra={"reason": reason})
        text = orjson.dumps({"type": "resync", "reason": reason,
                             "head": None if head is None else head.as_json()}).decode()  # fmt: skip
        message = Outgoing(text)
        for connection in list(self.connections):
            connection.push(self.seq, None, message)

    # -- following the indexer -----------------------------------------------------------------

    async def _subscribe(self) -> bool:
        assert self.settings.redis_url is not None
        try:
            self._redis = aioredis.Redis.from_url(self.settings.redis_url,
                                                  socket_connect_timeout=2,
                                                  health_check_interval=10)  # fmt: skip
            self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            await self._pubsub.subscribe(self.channel)
            return True
        except (RedisError, OSError) as error:
            log.warning("feeds cannot subscribe to Redis", extra={"error": str(error)})
            await self._unsubscribe()
            return False

    async def _unsubscribe(self) -> None:
        pubsub, client, self._pubsub, self._redis = self._pubsub, self._redis, None, None
        with contextlib.suppress(Exception):
            if pubsub is not None:
                await pubsub.aclose()
            if client is not None:
                await client.aclose()

    async def _listen(self) -> None:
        delay = 0.2
        while True:
            if self._pubsub is None:
                if not await self._subscribe():
                    await asyncio.sleep(delay)
                    delay = min(5.0, delay * 2)
                    continue
                await self._guarded(self._catch_up(None))  # what was published meanwhile
            delay = 0.2
            try:
                async for message in self._pubsub.listen():
                    if message.get("type") == "message":
                        received = time.time()
                        await self._guarded(self._handle(message["data"], received))
            except (RedisError, OSError) as error:
                log.warning("feeds lost Redis; reconnecting", extra={"error": str(error)})
                await self._unsubscribe()

    async def _poll(self) -> None:
        """Without Redis: reads each new checkpoint's range from PostgreSQL."""
        head = self.state.head
        while True:
            changed = head.changed
            await changed.wait()
            await self._guarded(self._catch_up(None))

    async def _guarded(self, work: Any) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception as error:  # one bad message or a database hiccup must not stop the hub
            log.exception("feed hub failed on a commit")
            self.resync_all(f"the feed server lost track of the index ({error})", self.last_head)

    async def _handle(self, data: bytes, received: float) -> None:
        """One commit from Redis: its events as published, read back only when it came as a
        range (or after a gap)."""
        message = CommitMessage.decode(data)
        head = Point(message.head.block_number, message.head.block_hash)
        last = self.last_head
        events = None if message.events is None else [e.as_row() for e in message.events]
        if message.status == "added":
            if last is not None and message.to_block <= last.block_number:
                return  # published before this hub read the checkpoint
            gap = last is not None and message.from_block > last.block_number + 1
            if gap or events is None:  # read from PostgreSQL: a replica must have it first
                state = self.state
                await caught_up(state.db, state.primary, timeout=self.settings.replica_wait_seconds)
            if gap:
                await self._catch_up(message.from_block - 1)
            if events is None:
                events = await self._read_range(message.from_block, head)
        if events is not None and any(e["address"] not in self.contracts for e in events):
            await self._load_contracts()
        hops = None
        if self.settings.ws_hops:
            hops = {**message.hops_json(), "received": received, "dispatched": None}
        self._commit(message.status, message.from_block, message.to_block, head, events,
                     message.count, hops, head_time=message.hops.head)  # fmt: skip

    async def _read_range(self, first: int, head: Point) -> list[dict[str, Any]]:
        """A commit's events from `raw_logs` (it was published as a range); none if the chain has
        changed since (its removal and the new branch will follow)."""
        async with snapshot(self.state.db, self.state.chain_id) as snap:
            if not await snap.on_chain(head.block_number, head.block_hash, await snap.checkpoint()):
                return []
            found = await snap.events((first, -1), head.block_number, keep=lambda e: "events",
                                      limit=10**9)  # fmt: skip
        return [event for _, event in found]

    async def _catch_up(self, upto: int | None) -> None:
        """Dispatches what the index committed after the last head seen (up to block `upto`)."""
        last = self.last_head
        async with snapshot(self.state.db, self.state.chain_id) as snap:
            checkpoint = await snap.checkpoint()
            if checkpoint is None or checkpoint == last:
                return
            if last is not None and not await snap.on_chain(last.block_number, last.block_hash,
                                                            checkpoint):  # fmt: skip
                self._record(checkpoint)
                self.resync_all("the chain was reorganized while the feed server was not"
                                " following it", checkpoint)  # fmt: skip
                return
            end = checkpoint.block_number if upto is None else min(upto, checkpoint.block_number)
            first = 0 if last is None else last.block_number + 1
            if end < first:
                return
            end_hash = await snap.block_hash(end) if end != checkpoint.block_number else None
            target = checkpoint if end_hash is None else Point(end, end_hash)
            try:
                found = await snap.events((first, -1), end, keep=lambda e: "events",
                                          limit=self.settings.ws_resume_limit)  # fmt: skip
            except TooFarBehind:
                self._record(target)
                self.resync_all("the feed server missed too many events", target)
                return
        log.info("feed hub caught up from PostgreSQL", extra={"from": first, "to": end})
        events = [event for _, event in found]
        await self._load_contracts()
        self._commit("added", first, target.block_number, target, events, len(events))

    def _record(self, head: Point) -> int:
        self.seq += 1
        self.heads.append((self.seq, head))
        self.last_head = head
        self._changed.set()
        self._changed = asyncio.Event()
        return self.seq

    def _commit(self, status: str, first: int, last: int, head: Point,
                events: list[dict[str, Any]] | None, count: int,
                hops: Hops | None = None, *, head_time: float | None = None) -> None:  # fmt: skip
        """Numbers a commit and dispatches it (no awaiting from here on: buffering connections
        see either all of it or none)."""
        if hops is not None:
            hops["dispatched"] = time.time()
        seq = self._record(head)
        if status == "removed":
            self.removals.append(Removal(seq, head.block_number, events))
            if events is None:
                self.resync_all(f"a reorg removed {count} events above block {head.block_number},"
                                " too many to list", head)  # fmt: skip
                events = []
            events = events[::-1]
        # The outbox's lists live only through the writes; a collection that ran meanwhile would
        # move them to the old generation, and a full collection of a process holding 1,000
        # sockets stopped every feed for 130-150 ms about once in 40 commits.
        collecting = gc.isenabled()
        gc.disable()
        try:
            written = self._fan_out(seq, status, first, last, head, events or [], count, hops)
        finally:
            if collecting:
                gc.enable()
        self._fanned_out(seq, status, written, head_time, events)

    def _fan_out(self, seq: int, status: str, first: int, last: int, head: Point,
                 events: list[dict[str, Any]], count: int, hops: Hops | None) -> int:  # fmt: skip
        """Writes a commit's messages to each subscriber in one write (or queues them); how many
        were written at once."""
        outbox: Outbox = defaultdict(list)
        for event in events:
            self._address(status, event, hops, outbox)
        subscribers = self.by_topic.get(topics.BLOCKS)
        if subscribers:
            message = Outgoing(head_text(status, first, last, head, count, hops))
            for connection in subscribers:
                outbox[connection].append((None, message))
        return sum(connection.push_all(seq, messages) for connection, messages in outbox.items())

    def _fanned_out(self, seq: int, status: str, written: int, head_time: float | None,
                    events: list[dict[str, Any]] | None) -> None:  # fmt: skip
        """Counts a commit's messages written at once, and times its way from the node's head
        notification to the last of them (the feed's latency; with `ws_hops`, each commit's times
        go to the Redis list `<channel>:written` too, for `make bench-feed`)."""
        if not written:
            return
        now = time.time()
        metrics.WS_MESSAGES.labels(path="direct").inc(written)
        if head_time is None:
            return
        metrics.FEED_WRITTEN.observe(now - head_time)
        if self.settings.ws_hops and self._redis is not None:
            record = {"seq": seq, "status": status, "head": head_time, "written": now,
                      "sockets": written,
                      "tx_hash": events[0]["tx_hash"] if events else None}  # fmt: skip
            task = asyncio.create_task(self._note_written(orjson.dumps(record)))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _note_written(self, record: bytes) -> None:
        if self._redis is not None:
            await self._redis.rpush(f"{self.channel}:written", record)

    def _address(self, status: str, event: dict[str, Any], hops: Hops | None,
                 outbox: Outbox) -> None:  # fmt: skip
        """Adds an event's message to the outbox of every connection of its topics (once each,
        under the first of its topics the connection follows)."""
        targets: dict[Connection, str] = {}
        by_topic = self.by_topic
        for name in topics.event_topics(event, self.contracts):
            subscribers = by_topic.get(name)
            if subscribers:
                for connection in subscribers:
                    targets.setdefault(connection, name)
        if not targets:
            return
        messages: dict[str, Outgoing] = {}
        body = event_body(event)
        position = (event["block_number"], event["log_index"])
        for connection, name in targets.items():
            message = messages.get(name)
            if message is None:
                message = messages[name] = Outgoing(event_text(name, status, body, hops))
            outbox[connection].append((position, message))

    async def _load_contracts(self) -> None:
        self.contracts = await queries.contracts(self.state.db, chain_id=self.state.chain_id)

    async def _heartbeats(self) -> None:
        every = self.settings.ws_heartbeat_seconds
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(1.0, every / 4))
            now = loop.time()
            for connection in list(self.connections):
                if now - connection.last_sent >= every and connection.queue.empty():
                    connection.last_sent = now
                    connection.reply(HEARTBEAT)
