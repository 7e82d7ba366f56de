"""Wakes the indexer when the node has a new head, over a `newHeads` WebSocket subscription.

The subscription only shortens the wait: the indexer still polls every `poll_interval`, so a
subscription that silently stops (or a node without WebSockets) costs latency, never progress.
"""

from __future__ import annotations

import logging
import threading

import orjson
from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

log = logging.getLogger(__name__)


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

    def close(self) -> None:
        self._closed.set()

    def _run(self) -> None:
        delay = 0.5
        while not self._closed.is_set():
            try:
                with connect(self.url, open_timeout=5, close_timeout=1) as socket:
                    socket.send(orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe",
                                              "params": ["newHeads"]}))  # fmt: skip
                    delay = 0.5
                    while not self._closed.is_set():
                        try:
                            socket.recv(timeout=1.0)
                        except TimeoutError:
                            continue
                        self._new_head.set()
            except (OSError, WebSocketException, TimeoutError) as error:
                log.debug(
                    "newHeads subscription lost; polling meanwhile", extra={"error": str(error)}
                )
                self._closed.wait(delay)
                delay = min(delay * 2, 30.0)
