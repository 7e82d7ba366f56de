"""Wakes the indexer when the node has a new head, over a `newHeads` WebSocket subscription.

The subscription only shortens the wait: the indexer still polls every `poll_interval`, so a
subscription that silently stops (or a node without WebSockets) costs latency, never progress.
The wall-clock time each head's notification arrived is kept (the first hop of a commit's latency
breakdown, `indexer.commit_message.Hops`), and so is the header it carries: following the head,
the indexer takes the head's number and header from the notification instead of asking the node
again (`eth_blockNumber`, `eth_getBlockByNumber`), and `RangeFetcher.complete` still checks them
against the logs' block hashes and one another.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Any

import orjson
from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

log = logging.getLogger(__name__)
KEPT_ARRIVALS = 256  # heads whose arrival time is remembered


def websocket_url(rpc_url: str) -> str:
    """The WebSocket endpoint of an HTTP JSON-RPC URL (same host, port and path)."""
    if rpc_url.startswith("https://"):
        return "wss://" + rpc_url[len("https://") :]
    if rpc_url.startswith("http://"):
        return "ws://" + rpc_url[len("http://") :]
    return rpc_url


class HeadWatcher:
    """A thread subscribed to the node's new heads.

    Args:
        rpc_url: The node's HTTP (or WebSocket) URL.
    """

    def __init__(self, rpc_url: str) -> None:
        self.url = websocket_url(rpc_url)
        self._new_head = threading.Event()
        self._arrivals: OrderedDict[int, float] = OrderedDict()
        self._headers: dict[int, dict[str, Any]] = {}  # the notified header of each kept arrival
        self._fresh: int | None = None  # the newest head notified since `fresh_head` last asked
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="new-heads", daemon=True)
        self._thread.start()

    def wait(self, timeout: float, stop: threading.Event) -> None:
        """Returns at the next new head, after `timeout` seconds, or when `stop` is set."""
        deadline = timeout
        step = min(0.05, timeout)
        while deadline > 0 and not stop.is_set():
            if self._new_head.wait(step):
                break
            deadline -= step
        self._new_head.clear()

    def arrived(self, number: int) -> float | None:
        """When the notification of block `number` arrived (unix seconds), if it did."""
        with self._lock:
            return self._arrivals.get(number)

    def header(self, number: int) -> dict[str, Any] | None:
        """The header of block `number` as the node last notified it, if it did recently."""
        with self._lock:
            return self._headers.get(number)

    def fresh_head(self) -> int | None:
        """The number of the newest head notified since the last call, if one was."""
        with self._lock:
            fresh, self._fresh = self._fresh, None
            return fresh

    def latest(self) -> float | None:
        """When the last notification arrived (unix seconds), if any did."""
        with self._lock:
            return next(reversed(self._arrivals.values()), None)

    def close(self) -> None:
        self._closed.set()

    def _note(self, raw: str | bytes) -> None:
        now = time.time()
        try:
            header = orjson.loads(raw)["params"]["result"]
            number = int(header["number"], 16)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return  # the subscription's confirmation, or a node's oddity: still a wake-up
        with self._lock:
            self._arrivals[number] = now  # a reorg's new block at the same height: the latest
            self._arrivals.move_to_end(number)
            self._fresh = number
            if isinstance(header, dict) and {"hash", "parentHash", "timestamp"} <= header.keys():
                self._headers[number] = header
            else:
                self._headers.pop(number, None)
            while len(self._arrivals) > KEPT_ARRIVALS:
                gone, _ = self._arrivals.popitem(last=False)
                self._headers.pop(gone, None)

    def _run(self) -> None:
        delay = 0.5
        while not self._closed.is_set():
            try:
                with connect(self.url, open_timeout=5, close_timeout=1) as socket:
                    socket.send(orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe",
                                              "params": ["newHeads"]}))  # fmt: skip
                    log.info("following the node's new heads", extra={"url": self.url})
                    delay = 0.5
                    while not self._closed.is_set():
                        try:
                            raw = socket.recv(timeout=1.0)
                        except TimeoutError:
                            continue
                        self._note(raw)
                        self._new_head.set()
            except (OSError, WebSocketException, TimeoutError) as error:
                log.debug(
                    "newHeads subscription lost; polling meanwhile", extra={"error": str(error)}
                )
                self._closed.wait(delay)
                delay = min(delay * 2, 30.0)
