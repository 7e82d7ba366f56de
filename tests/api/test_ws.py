"""WebSocket feeds at `/ws` on real sockets: the session's platform on ape's anvil, an indexer
following it into a database of its own and publishing on a Redis namespace of its own, and the
API served by uvicorn in separate processes (one hub each)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from _certificates import Reporter
from _stack import api_process, following, rpc, settings_for
from ape import project
from ape.api import AccountAPI
from ape.contracts import ContractInstance
from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from pydantic import TypeAdapter
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.sync.client import connect
from websockets.sync.connection import Connection as ClientConnection
from websockets.uri import parse_uri

from api.models.feeds import ServerMessage
from scripts._lib import Asset, Platform, deployments_record

TRANSFER = keccak(text="transfer(address,uint256)")[:4]
FAN = keccak(text="fan(address[],uint256)")[:4]
MESSAGES: TypeAdapter[Any] = TypeAdapter(ServerMessage)
Message = dict[str, Any]


@pytest.fixture(scope="module")
def fan(asset: Asset, investors: list[AccountAPI]) -> ContractInstance:
    """A contract that sends shares of the module's asset to many recipients in one transaction
    (5,000 shares of it, from the first two investors)."""
    found = investors[0].deploy(project.TransferFan, asset.token)
    for holder in investors[:2]:
        asset.token.transfer(found, 2_500, sender=holder)
    return found


@pytest.fixture(scope="module", autouse=True)
def _module_fixtures_first(asset: Asset, fan: ContractInstance) -> None:
    """The module's asset and fan exist before ape's first snapshot of a test."""


@pytest.fixture(scope="session")
def platform_deployments(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A deployments folder naming the test session's platform (on ape's own anvil)."""
    from ape import chain

    folder = tmp_path_factory.mktemp("ws-deployments")
    (folder / f"{chain.chain_id}.json").write_text(
        json.dumps(deployments_record(platform, chain.chain_id))
    )
    return folder


@pytest.fixture(scope="session")
def ape_rpc_url(platform: Platform) -> str:
    from ape import chain

    return str(chain.provider.uri)


@dataclass
class Stack:
    """An indexer following ape's anvil, and API processes serving its index."""

    rpc_url: str
    database_url: str
    redis_url: str
    namespace: str
    synced: Callable[..., None]
    logs_dir: Path
    servers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def api(self, *options: str, **overrides: Any) -> str:
        """Starts an API process (uvicorn `options`, settings overridden as `API_<NAME>`); returns
        its `/ws` URL."""
        env = {"DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url,
               "REDIS_NAMESPACE": self.namespace, "RPC_URL": self.rpc_url}  # fmt: skip
        env.update({f"API_{name.upper()}": str(value) for name, value in overrides.items()})
        process, url = api_process(env, self.logs_dir / f"api-{len(self.servers)}.log", *options)
        self.servers.append(process)
        return url.replace("http://", "ws://") + "/ws"

    def rows(self, after: tuple[int, int] = (-1, -1)) -> list[tuple[int, int, str]]:
        """Positions of `raw_logs` after one, in chain order."""
        with psycopg.connect(self.database_url) as conn:
            found = conn.execute(
                "SELECT block_number, log_index, block_hash FROM raw_logs"
                " WHERE (block_number, log_index) > (%s, %s) ORDER BY block_number, log_index",
                after,
            ).fetchall()
        return [(int(n), int(i), str(h)) for n, i, h in found]


@pytest.fixture
def stack(ape_rpc_url: str, platform_deployments: Path, database_url: str, redis_url: str,
          tmp_path: Path) -> Iterator[Stack]:  # fmt: skip
    """The indexer follows the node's new heads over WebSocket (taking each head's number and
    header from its notification) and publishes commits of more than five events as ranges only,
    so the hubs read those back from PostgreSQL (both paths are taken in every test that sends
    several blocks)."""
    namespace = f"ws-{uuid.uuid4().hex[:8]}"
    settings = settings_for(ape_rpc_url, platform_deployments, redis_namespace=namespace,
                            reorg_window=1_000, poll_interval=0.02, publish_limit=5,
                            use_websocket=True)  # fmt: skip
    with following(settings, database_url, redis_url) as synced:
        synced()
        found = Stack(ape_rpc_url, database_url, redis_url, namespace, synced, tmp_path)
        try:
            yield found
        finally:
            pool = rpc(ape_rpc_url, "txpool_status")
            assert pool == {"pending": "0x0", "queued": "0x0"}, f"left unmined: {pool}"
            for process in found.servers:
                process.terminate()
            for process in found.servers:
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()


# -- a client ----------------------------------------------------------------------------------


def send(ws: ClientConnection, message: Any) -> None:
    ws.send(message if isinstance(message, str) else json.dumps(message))


def receive(ws: ClientConnection, timeout: float = 20, *, heartbeats: bool = False) -> Message:
    """The next message, checked against the documented shapes (heartbeats skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        message: Message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        MESSAGES.validate_python(message)
        if heartbeats or message["type"] != "heartbeat":
            return message


def subscribe(ws: ClientConnection, topics: list[str], resume_from: Message | None = None) -> None:
    request: Message = {"op": "subscribe", "topics": topics}
    if resume_from is not None:
        request["resume_from"] = resume_from
    send(ws, request)
    answer = receive(ws)
    assert answer["type"] == "subscribed", answer


def until(
    ws: ClientConnection, done: Callable[[Message], bool], timeout: float = 30
) -> list[Message]:
    """Every message up to and including the first that `done` accepts."""
    found: list[Message] = []
    deadline = time.monotonic() + timeout
    while True:
        found.append(receive(ws, max(0.1, deadline - time.monotonic())))
        if done(found[-1]):
            return found


def position(message: Message) -> Message:
    event = message["event"]
    return {k: event[k] for k in ("block_number", "block_hash", "log_index")}


def key(message: Message) -> tuple[int, int, str]:
    event = message["event"]
    return event["block_number"], event["log_index"], event["block_hash"]


def events(messages: list[Message], status: str = "added") -> list[Message]:
    return [m for m in messages if m["type"] == "event" and m["status"] == status]


def head_at(number: int) -> Callable[[Message], bool]:
    return lambda m: m["type"] == "head" and m["status"] == "added" and m["block_number"] >= number


def transfer_request(asset: Asset, sender: AccountAPI, recipient: AccountAPI,
                     shares: int) -> Message:  # fmt: skip
    data = TRANSFER + encode(["address", "uint256"], [recipient.address, shares])
    return {"from": sender.address, "to": str(asset.token.address), "data": "0x" + data.hex(),
            "gas": hex(300_000)}  # fmt: skip


def tip_block(stack: Stack) -> int:
    return int(rpc(stack.rpc_url, "eth_blockNumber"), 16)


def send_and_mine(stack: Stack, request: Message) -> None:
    """Sends a transaction and waits for its receipt (anvil answers `eth_sendTransaction` before
    mining a heavy one; one left pending when ape restores its snapshot is mined on top of the
    restored chain, which anvil then serves with a head past its last block)."""
    tx_hash = rpc(stack.rpc_url, "eth_sendTransaction", request)
    deadline = time.monotonic() + 30
    while rpc(stack.rpc_url, "eth_getTransactionReceipt", tx_hash) is None:
        assert time.monotonic() < deadline, f"{tx_hash} was not mined"
        time.sleep(0.01)


# -- tests -------------------------------------------------------------------------------------


def test_live_events_arrive_once_with_their_positions_under_the_matching_topic(
    stack: Stack, asset: Asset, investors: list[AccountAPI], stranger: AccountAPI
) -> None:
    url = stack.api()
    holders = investors[:4]
    with connect(url) as everything, connect(url) as holder, connect(url) as of_asset, \
            connect(url) as bystander:  # fmt: skip
        subscribe(everything, ["events", "blocks"])
        subscribe(holder, [f"account:{holders[1].address}", "events"])
        subscribe(of_asset, [f"asset:{asset.asset_id}", "governance"])
        subscribe(bystander, [f"account:{stranger.address}", "market"])
        receipt = asset.token.transfer(holders[1], 5, sender=holders[0])
        stack.synced()

        seen = until(everything, head_at(receipt.block_number))
        by_holder = until(holder, lambda m: m["type"] == "event" and
                          m["event"]["tx_hash"] == receipt.txn_hash and m["event"]["event"] == "Transfer")  # fmt: skip
        by_asset = until(
            of_asset, lambda m: m["type"] == "event" and m["event"]["event"] == "Transfer"
        )
        send(bystander, {"op": "ping"})
        assert receive(bystander) == {"type": "pong"}  # nothing of the transfer came before

    with psycopg.connect(stack.database_url) as conn:
        rows = conn.execute(
            "SELECT block_number, log_index, block_hash, tx_hash, tx_index, block_timestamp,"
            " address, event, args FROM raw_logs WHERE tx_hash = %s ORDER BY log_index",
            (receipt.txn_hash,),
        ).fetchall()  # fmt: skip
    mine = [m for m in events(seen) if m["event"]["tx_hash"] == receipt.txn_hash]
    fields = ("block_number", "log_index", "block_hash", "tx_hash", "tx_index", "block_timestamp",
              "address", "event", "args")  # fmt: skip
    assert [tuple(m["event"][name] for name in fields) for m in mine] == [
        (*row[:6], to_checksum_address(row[6]), *row[7:]) for row in rows
    ]
    assert all(m["topic"] == "events" for m in mine)
    assert seen[-1]["block_hash"] == mine[0]["event"]["block_hash"]
    transfer = by_holder[-1]
    assert transfer["topic"] == f"account:{holders[1].address.lower()}"
    assert transfer["event"]["args"]["value"] == "5"
    assert by_asset[-1]["topic"] == f"asset:{asset.asset_id}"
    assert key(by_asset[-1]) == key(transfer)
    assert len({key(m) for m in events(by_holder)}) == len(events(by_holder))
    # These clients negotiated compression (the websockets client offers it, as browsers do); the
    # live messages reached them written straight to their sockets, uncompressed.
    assert direct_messages(url) > 0


def direct_messages(ws_url: str) -> float:
    """`api_ws_messages_total{path="direct"}` of the API process behind `ws_url`."""
    text = requests.get(ws_url.replace("ws://", "http://").removesuffix("/ws") + "/metrics",
                        timeout=10).text  # fmt: skip
    found = re.search(r'^api_ws_messages_total\{path="direct"\} (\S+)$', text, re.MULTILINE)
    return 0.0 if found is None else float(found.group(1))


def test_resuming_across_reconnects_while_blocks_are_committed_loses_and_repeats_nothing(
    stack: Stack, asset: Asset, investors: list[AccountAPI]
) -> None:
    url = stack.api()
    holders = investors[:4]
    done = threading.Event()
    failures: list[BaseException] = []

    def generate() -> None:
        try:
            for i in range(60):
                send_and_mine(stack, transfer_request(asset, holders[i % 4], holders[(i + 1) % 4],
                                                      1 + i % 3))  # fmt: skip
        except BaseException as error:
            failures.append(error)
        finally:
            done.set()

    got: list[Message] = []
    with connect(url) as ws:
        subscribe(ws, ["events"])
        threading.Thread(target=generate, daemon=True).start()
        while len(got) < 5:
            got += events([receive(ws)])
    reconnects = 0
    while not done.is_set() or reconnects < 3:
        with connect(url) as ws:
            subscribe(ws, ["events"], resume_from=position(got[-1]))
            reconnects += 1
            for _ in range(3 + reconnects % 7):  # leave at different points of the replay
                try:
                    got += events([receive(ws, timeout=2)])
                except TimeoutError:
                    break
    assert not failures
    stack.synced()
    with connect(url) as ws:
        subscribe(ws, ["events"], resume_from=position(got[-1]))
        tail = until(ws, lambda m: m["type"] == "resumed")
        got += events(tail)
        send(ws, {"op": "ping"})
        assert receive(ws) == {"type": "pong"}  # nothing after the replay: it reached the tip

    first = got[0]["event"]
    expected = [(first["block_number"], first["log_index"], first["block_hash"])]
    expected += stack.rows((first["block_number"], first["log_index"]))
    assert reconnects >= 3
    assert [key(m) for m in got] == expected
    assert len(expected) > 60


def test_a_reorg_sends_removed_events_live_and_to_a_client_resuming_from_the_lost_block(
    stack: Stack, asset: Asset, investors: list[AccountAPI]
) -> None:
    url = stack.api()
    holders = investors[:4]
    with connect(url) as watcher:
        subscribe(watcher, ["events", "blocks"])
        with connect(url) as leaver:
            subscribe(leaver, [f"asset:{asset.asset_id}"])
            receipt = asset.token.transfer(holders[1], 5, sender=holders[0])
            stack.synced()
            had = until(
                leaver, lambda m: m["type"] == "event" and m["event"]["event"] == "Transfer"
            )
        lost = [m for m in events(until(watcher, head_at(receipt.block_number)))
                if m["event"]["block_number"] == receipt.block_number]  # fmt: skip

        rpc(stack.rpc_url, "anvil_reorg", 1, [])  # the block with the transfer is replaced
        later = asset.token.transfer(holders[2], 3, sender=holders[3])
        stack.synced()
        after = until(watcher, head_at(later.block_number))

    removed = events(after, "removed")
    assert [key(m) for m in removed] == [key(m) for m in reversed(lost)]
    assert [m["event"]["tx_hash"] for m in removed] == [receipt.txn_hash] * len(lost)
    heads = [m for m in after if m["type"] == "head"]
    assert heads[0]["status"] == "removed"
    assert heads[0]["block_number"] == receipt.block_number - 1
    assert after.index(removed[-1]) < after.index(events(after)[0])
    assert any(m["event"]["tx_hash"] == later.txn_hash for m in events(after))

    with connect(url) as back:
        subscribe(back, [f"asset:{asset.asset_id}"], resume_from=position(had[-1]))
        replay = until(back, lambda m: m["type"] == "resumed")
    gone = events(replay, "removed")
    assert [key(m) for m in gone] == [key(m) for m in reversed(events(had))
                                      if m["event"]["block_number"] == receipt.block_number]  # fmt: skip
    assert replay[-1]["removed"] == len(gone) > 0
    assert replay.index(gone[-1]) < replay.index(events(replay)[0])
    assert {m["event"]["tx_hash"] for m in events(replay)} == {later.txn_hash}

    # A process started after the reorg never saw what it removed: the client must resync.
    with connect(stack.api()) as elsewhere:
        subscribe(elsewhere, [f"asset:{asset.asset_id}"], resume_from=position(had[-1]))
        told = until(elsewhere, lambda m: m["type"] == "resumed")
    assert [m["type"] for m in told] == ["resync", "resumed"]
    assert "no longer on the indexed chain" in told[0]["reason"]
    assert told[0]["head"] == told[1]["head"] and told[1]["replayed"] == 0


def test_two_api_processes_each_deliver_every_event(
    stack: Stack, asset: Asset, investors: list[AccountAPI]
) -> None:
    first, second = stack.api(), stack.api()
    holders = investors[:4]
    start = stack.rows()[-1]
    with connect(first) as one, connect(second) as two:
        subscribe(one, ["events", "blocks"])
        subscribe(two, ["events", "blocks"])
        for i in range(4):
            asset.token.transfer(holders[(i + 1) % 4], 1, sender=holders[i % 4])
        stack.synced()
        end = tip_block(stack)
        by_one = [key(m) for m in events(until(one, head_at(end)))]
        by_two = [key(m) for m in events(until(two, head_at(end)))]
    expected = stack.rows(start[:2])
    assert len(expected) >= 4
    assert by_one == by_two == expected


class SilentClient:
    """A WebSocket client on a plain socket that reads nothing until asked: the kernel's buffers
    fill, then the server's queue for it (the websockets client would keep reading frames). Its
    receive buffer is made small, so that the kernels hold tens of kilobytes, not megabytes."""

    def __init__(self, url: str) -> None:
        self.protocol = ClientProtocol(parse_uri(url))
        host, port = url.split("/")[2].split(":")
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4_096)
        self.socket.connect((host, int(port)))
        self.protocol.send_request(self.protocol.connect())
        self._flush()
        self.messages: list[Message] = []
        while self.protocol.state is not State.OPEN:
            self.protocol.receive_data(self.socket.recv(65_536))
            self._take()

    def send(self, message: Message) -> None:
        self.protocol.send_text(json.dumps(message).encode())
        self._flush()

    def drain(self) -> tuple[int | None, str]:
        """Reads everything the server sent until its close frame (for at most a minute): (close
        code, reason)."""
        self.socket.settimeout(30)
        deadline = time.monotonic() + 60
        while self.protocol.close_rcvd is None and time.monotonic() < deadline:
            data = self.socket.recv(65_536)
            if not data:
                break
            self.protocol.receive_data(data)
            self._take()
        self.socket.close()
        close = self.protocol.close_rcvd
        return (None, "") if close is None else (close.code, close.reason)

    def _take(self) -> None:
        for event in self.protocol.events_received():
            if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                self.messages.append(json.loads(bytes(event.data)))

    def _flush(self) -> None:
        self.socket.sendall(b"".join(self.protocol.data_to_send()))


def test_a_slow_consumer_is_closed_with_the_reason_while_a_fast_one_keeps_receiving(
    stack: Stack, fan: ContractInstance, investors: list[AccountAPI]
) -> None:
    # uvicorn's own keepalive would close the silent client first (it answers no ping).
    url = stack.api("--ws-ping-interval", "600", ws_queue_size=300)
    recipients = ["0x" + keccak(b"ws-slow" + i.to_bytes(2, "big"))[12:].hex() for i in range(100)]
    stack.synced()
    start = stack.rows()[-1]
    slow = SilentClient(url)
    slow.send({"op": "subscribe", "topics": ["events"]})
    with connect(url, ping_interval=None, max_queue=None) as fast:  # it reads all it is sent
        subscribe(fast, ["events", "blocks"])
        last = [10**18]  # the block to read up to, once known
        got: list[Message] = []

        def read() -> None:
            """Reads until a head at or past `last[0]` (which may arrive before it is known)."""
            seen, deadline = -1, time.monotonic() + 120
            while seen < last[0] and time.monotonic() < deadline:
                try:
                    message = receive(fast, timeout=1)
                except TimeoutError:
                    continue
                got.append(message)
                if message["type"] == "head":
                    seen = max(seen, message["block_number"])

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        # 200 transfers a transaction, each a `Transfer` and one or two vote events: 24
        # transactions make over 9,000 events, more than the kernels' socket buffers and the
        # slow client's queue hold, in commits larger than the queue's bound.
        call = FAN + encode(["address[]", "uint256"], [recipients, 2])
        for _ in range(24):
            send_and_mine(stack, {"from": investors[0].address, "to": str(fan.address),
                                  "data": "0x" + call.hex(), "gas": hex(25_000_000)})  # fmt: skip
        stack.synced()
        last[0] = tip_block(stack)
        reader.join(120)
        assert not reader.is_alive()
        got = events(got)
    code, reason = slow.drain()
    assert code == 4008
    assert reason.startswith("too slow: ") and reason.endswith(" messages behind")
    assert slow.messages[0]["type"] == "subscribed"
    cut = events(slow.messages)
    assert len(cut) < len(got)
    assert [key(m) for m in cut] == [key(m) for m in got[: len(cut)]]
    assert [key(m) for m in got] == stack.rows(start[:2])
    assert len(got) >= 9_000
    metrics = requests.get(url.replace("ws://", "http://").replace("/ws", "/metrics"), timeout=5)
    assert "api_ws_slow_closed_total 1.0" in metrics.text


def test_bad_messages_get_error_replies_and_abuse_closes_the_connection(
    stack: Stack, investors: list[AccountAPI]
) -> None:
    url = stack.api(ws_max_subscriptions=3, ws_max_message_bytes=512, ws_resume_limit=2,
                    ws_connections_per_client=3, ws_heartbeat_seconds=0.3)  # fmt: skip
    checksummed = investors[0].address
    wrong_case = checksummed[:2] + checksummed[2:].swapcase()
    refused = {
        json.dumps({"op": "subscribe", "topics": ["weather"]}): ("invalid-topic", "unknown topic"),
        json.dumps({"op": "subscribe", "topics": ["account:0x1234"]}): ("invalid-topic", "bad address"),
        json.dumps({"op": "subscribe", "topics": [f"account:{wrong_case}"]}): ("invalid-topic", "checksum"),
        json.dumps({"op": "subscribe", "topics": ["asset:-1"]}): ("invalid-topic", "bad asset id"),
        json.dumps({"op": "subscribe", "topics": ["events", "blocks", "market", "governance"]}):
            ("too-many-topics", "at most 3 topics"),
        json.dumps({"op": "dance"}): ("invalid-message", "op must be one of"),
        "not json": ("invalid-message", "JSON"),
        json.dumps({"op": "subscribe", "topics": ["events"],
                    "resume_from": {"block_number": 1, "block_hash": "0x12", "log_index": 0}}):
            ("invalid-message", "resume_from.block_hash"),
    }  # fmt: skip
    rows = stack.rows()
    with connect(url) as ws:
        assert receive(ws, timeout=5, heartbeats=True) == {"type": "heartbeat"}
        for message, (code, words) in refused.items():
            send(ws, message)
            answer = receive(ws)
            assert answer["type"] == "error" and answer["code"] == code, (message, answer)
            assert words in answer["reason"], (message, answer)
        earliest = {"block_number": rows[0][0], "block_hash": rows[0][2], "log_index": rows[0][1]}
        send(ws, {"op": "subscribe", "topics": ["events"], "resume_from": earliest})
        answer = receive(ws)
        assert answer["code"] == "resume-too-far" and "GET /events" in answer["reason"]
        subscribe(ws, ["events", f"account:{checksummed}"])
        send(ws, {"op": "subscribe", "topics": ["blocks"], "resume_from": earliest})
        assert "first subscribe" in receive(ws)["reason"]
        send(ws, {"op": "unsubscribe", "topics": ["events"]})
        assert receive(ws) == {"type": "unsubscribed",
                               "topics": [f"account:{checksummed.lower()}"]}  # fmt: skip
        send(ws, {"op": "ping"})
        assert receive(ws) == {"type": "pong"}  # still open after all of that

        with connect(url) as second, connect(url) as third, connect(url) as fourth:
            answer = receive(fourth)
            assert answer["code"] == "too-many-connections"
            with pytest.raises(ConnectionClosed) as closed:
                fourth.recv(timeout=5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
            assert "too many connections" in closed.value.rcvd.reason
            send(second, "x" * 600)
            assert receive(second)["code"] == "message-too-big"
            with pytest.raises(ConnectionClosed) as closed:
                second.recv(timeout=5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
            for _ in range(10):
                send(third, {"op": "nonsense"})
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    assert receive(third)["type"] == "error"
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


def test_an_event_has_one_shape_live_in_a_replay_and_in_a_rest_page(
    stack: Stack, asset: Asset, investors: list[AccountAPI]
) -> None:
    url = stack.api()
    base = url.removeprefix("ws://").removesuffix("/ws")
    start = rpc(stack.rpc_url, "eth_getBlockByNumber", "latest", False)
    with connect(url) as live:
        subscribe(live, ["events", "blocks"])
        for shares in (1, 2, 3):
            send_and_mine(stack, transfer_request(asset, investors[0], investors[1], shares))
        stack.synced()
        last = tip_block(stack)
        streamed = events(until(live, head_at(last)))
    first = int(start["number"], 16) + 1
    page = requests.get(f"http://{base}/events", params={"from_block": first, "to_block": last,
                                                         "limit": 200}, timeout=30).json()  # fmt: skip
    with connect(url) as resumed:
        subscribe(resumed, ["events"], resume_from={"block_number": first - 1,
                                                    "block_hash": start["hash"]})  # fmt: skip
        replayed = events(until(resumed, lambda m: m["type"] == "resumed"))

    rest = page["data"]
    assert len(rest) >= 3 and page["next_cursor"] is None
    assert [m["event"] for m in streamed] == rest
    assert [m["event"] for m in replayed if m["event"]["block_number"] <= last] == rest
    assert rest[0]["address"] == to_checksum_address(rest[0]["address"])
    assert {"tx_index", "block_timestamp"} <= set(rest[0])


def test_the_first_rest_read_after_a_commit_never_gets_the_previous_blocks_cached_answer(
    stack: Stack, asset: Asset, investors: list[AccountAPI]
) -> None:
    base = stack.api().replace("ws://", "http://").removesuffix("/ws")
    holder = investors[1]

    def balance() -> int:
        body = requests.get(f"{base}/accounts/{holder.address}", timeout=30).json()
        return sum(int(h["balance"]) for h in body["holdings"] if h["asset_id"] == str(asset.asset_id)
                   or h["asset_id"] == asset.asset_id)  # fmt: skip

    for shares in (1, 2, 3, 4):
        before = balance()
        assert balance() == before  # now cached in the API process for the indexed block
        send_and_mine(stack, transfer_request(asset, investors[0], holder, shares))
        stack.synced()
        assert balance() == before + shares


def test_a_retirement_is_announced_under_the_retirements_topic_and_its_asset(
    stack: Stack, asset: Asset, investors: list[AccountAPI], certificates: ContractInstance,
    oracle: ContractInstance, admin: AccountAPI, operator: AccountAPI,
) -> None:  # fmt: skip
    url = stack.api()
    holder = investors[0]
    with connect(url) as proofs, connect(url) as of_asset:
        subscribe(proofs, ["retirements"])
        subscribe(of_asset, [f"asset:{asset.asset_id}"])
        Reporter(oracle, admin, operator)(asset, 10_000)
        report_id = int(oracle.reportCount())
        vintage = int(certificates.issuance(report_id).id)
        certificates.claim([report_id], sender=holder)
        receipt = certificates.retire(vintage, 100, "Feed café", "Lights", "PT", sender=holder)
        stack.synced()
        announced = until(proofs, lambda m: m["type"] == "event")[-1]
        by_asset = until(of_asset, lambda m: m["type"] == "event"
                         and m["event"]["event"] == "CertificatesRetired")[-1]  # fmt: skip
    assert announced["topic"] == "retirements"
    assert announced["event"]["event"] == "CertificatesRetired"
    assert announced["event"]["tx_hash"] == receipt.txn_hash
    assert announced["event"]["args"]["beneficiary"] == "Feed café"
    assert by_asset["topic"] == f"asset:{asset.asset_id}"
    assert key(by_asset) == key(announced)
