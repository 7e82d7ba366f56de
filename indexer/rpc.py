"""A small JSON-RPC client for the indexer: keep-alive HTTP, batched calls, errors classified.

Every failure becomes one of the indexer's errors: `NodeUnavailable` (retry later), `RangeTooLarge`
(split the log query), `RpcError` (the node refused the request itself).

HTTP goes through the standard library's `http.client`, over kept-alive connections that any
thread takes from a shared pool of idle ones (the prefetch thread fetches while the main thread
asks for headers). It replaced requests, which took 0.15 s of the indexer's start-up to import
(docs/architecture/scaling.md, "Start-up"). Like requests it takes a user and password from the
URL (basic auth), verifies TLS against the system's authorities (or `SSL_CERT_FILE`, or
`REQUESTS_CA_BUNDLE`), accepts gzip and, before reusing a kept-alive connection, checks that the
node has not closed it. Unlike requests it follows no redirect (a node's URL that redirects is a
configuration error, named with where it points) and does not go through `HTTP(S)_PROXY` (it says
so once, when one is set).
"""

from __future__ import annotations

import base64
import http.client
import itertools
import logging
import os
import select
import socket
import threading
import zlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson

from indexer.exceptions import (
    ConfigurationError,
    NodeBehind,
    NodeUnavailable,
    RangeTooLarge,
    RpcError,
)

log = logging.getLogger(__name__)
USER_AGENT = "energy-coownership-indexer"
_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY")

# Messages nodes use when an eth_getLogs query is too wide (geth, erigon, alchemy, infura, anvil).
_RANGE_LIMIT_HINTS = (
    "query returned more than",
    "too many",
    "block range",
    "range is too large",
    "range too large",
    "limit exceeded",
    "response size",
    "exceed maximum",
    "query timeout",
)
_RANGE_LIMIT_CODES = frozenset({-32005})
# Messages of a node asked about blocks it does not have (yet, or any more after a reorg).
_MISSING_BLOCK_HINTS = ("block height is", "blockoutofrange", "header not found", "unknown block")


class NodeTimeout(NodeUnavailable):
    """The node took longer than the request timeout."""


class RpcClient:
    """Talks JSON-RPC over HTTP to one node.

    Args:
        url: The node's HTTP endpoint.
        timeout: Seconds before a request counts as failed.
    """

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError as error:
            raise ConfigurationError(f"the node's URL has a bad port: {url!r}") from error
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(
                f"the node's URL must be http(s)://host[:port][/path]: {url!r}"
            )
        self.url = url
        self.timeout = timeout
        self._tls = parts.scheme == "https"
        self._host = parts.hostname
        self._port = port
        self._target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._headers = {"Content-Type": "application/json", "Accept-Encoding": "gzip",
                         "User-Agent": USER_AGENT}  # fmt: skip
        if parts.username is not None:
            secret = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            self._headers["Authorization"] = "Basic " + base64.b64encode(secret).decode()
        self._ids = itertools.count(1)
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        proxy = next((n for n in _PROXY_VARIABLES if os.environ.get(n)), None)
        if proxy is not None:
            log.warning("the indexer's node client does not use %s: it connects to %s directly",
                        proxy, self._host)  # fmt: skip

    def close(self) -> None:
        """Closes the idle connections (one in use is closed when its request ends)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """Calls one method and returns its result."""
        request = {
            "jsonrpc": "2.0",
            "id": next(self._ids),
            "method": method,
            "params": list(params),
        }
        return self._result(self._post(orjson.dumps(request)))

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Calls several methods in one HTTP request; results come back in the calls' order."""
        if not calls:
            return []
        first = next(self._ids)
        requests_ = [
            {"jsonrpc": "2.0", "id": first + i, "method": method, "params": list(params)}
            for i, (method, params) in enumerate(calls)
        ]
        for _ in range(len(calls) - 1):
            next(self._ids)
        answer = self._post(orjson.dumps(requests_))
        if not isinstance(answer, list):
            return [self._result(answer)] * len(calls) if len(calls) == 1 else self._fail(answer)
        by_id = {item.get("id"): item for item in answer}
        return [self._result(by_id.get(first + i, {})) for i in range(len(calls))]

    def block_number(self) -> int:
        """The node's head block number."""
        return int(self.call("eth_blockNumber"), 16)

    def chain_id(self) -> int:
        """The node's chain id."""
        return int(self.call("eth_chainId"), 16)

    def get_logs(
        self, addresses: Sequence[str], from_block: int, to_block: int
    ) -> list[dict[str, Any]]:
        """The logs of some contracts in an inclusive block range."""
        query = {"address": list(addresses), "fromBlock": hex(from_block), "toBlock": hex(to_block)}
        logs: list[dict[str, Any]] = self.call("eth_getLogs", [query])
        return logs

    def headers(
        self, numbers: Sequence[int], *, chunk: int = 200
    ) -> dict[int, dict[str, Any] | None]:
        """Block headers by number, fetched in batched requests; None where the node has no block."""
        found: dict[int, dict[str, Any] | None] = {}
        ordered = sorted(set(numbers))
        for start in range(0, len(ordered), chunk):
            part = ordered[start : start + chunk]
            results = self.batch([("eth_getBlockByNumber", [hex(n), False]) for n in part])
            found.update(zip(part, results, strict=True))
        return found

    def _checkout(self) -> http.client.HTTPConnection:
        """An idle connection the node has not closed, else a new one."""
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                break
            if connection.sock is not None and not _readable(connection.sock):
                return connection
            connection.close()  # idle, so only an end of stream (or junk) can be waiting
        if not self._tls:
            return http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
        import ssl

        context = ssl.create_default_context(cafile=os.environ.get("REQUESTS_CA_BUNDLE"))
        return http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout,
                                           context=context)  # fmt: skip

    def _exchange(self, connection: http.client.HTTPConnection,
                  body: bytes) -> tuple[http.client.HTTPResponse, bytes]:  # fmt: skip
        connection.request("POST", self._target, body, self._headers)
        response = connection.getresponse()
        return response, response.read()

    def _post(self, body: bytes) -> Any:
        connection = None
        try:
            connection = self._checkout()
            reused = connection.sock is not None
            try:
                response, content = self._exchange(connection, body)
            except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
                if not reused:
                    raise
                # The node closed the kept-alive connection as the request went out (the check in
                # `_checkout` can precede its FIN): it never answered, so ask once more anew.
                connection.close()
                connection = self._checkout()
                response, content = self._exchange(connection, body)
        except TimeoutError as error:
            if connection is not None:
                connection.close()
            raise NodeTimeout(f"{self.url} timed out after {self.timeout} s") from error
        except (OSError, http.client.HTTPException, UnicodeError) as error:
            if connection is not None:
                connection.close()
            raise NodeUnavailable(f"{self.url} unreachable: {error!r}") from error
        if response.will_close:
            connection.close()
        else:
            with self._lock:
                self._idle.append(connection)
        if response.getheader("Content-Encoding", "").lower() == "gzip":
            try:
                content = zlib.decompress(content, wbits=31)
            except zlib.error as error:
                raise NodeUnavailable(f"{self.url} answered a broken gzip body") from error
        status = response.status
        if 300 <= status < 400:
            raise ConfigurationError(f"{self.url} redirects (HTTP {status}) to"
                                     f" {response.getheader('Location')}: use that URL")  # fmt: skip
        if status == 429 or status >= 500:
            raise NodeUnavailable(f"{self.url} answered HTTP {status}")
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError as error:
            if status >= 400:
                raise RpcError(status, content[:200].decode(errors="replace")) from error
            raise NodeUnavailable(f"{self.url} answered something that is not JSON") from error

    @staticmethod
    def _result(answer: dict[str, Any]) -> Any:
        error = answer.get("error")
        if error is None:
            if "result" not in answer:
                raise NodeUnavailable("the node's answer has neither result nor error")
            return answer["result"]
        RpcClient._fail(answer)

    @staticmethod
    def _fail(answer: Any) -> Any:
        error = answer.get("error", {}) if isinstance(answer, dict) else {}
        code = int(error.get("code", 0)) if isinstance(error, dict) else 0
        message = str(error.get("message", answer)) if isinstance(error, dict) else str(error)
        lowered = message.lower()
        if code in _RANGE_LIMIT_CODES or any(hint in lowered for hint in _RANGE_LIMIT_HINTS):
            raise RangeTooLarge(message)
        if any(hint in lowered for hint in _MISSING_BLOCK_HINTS):
            raise NodeBehind(f"node error {code}: {message}")
        if code == -32603 or "timeout" in lowered or "timed out" in lowered or "busy" in lowered:
            raise NodeUnavailable(f"node error {code}: {message}")
        raise RpcError(code, message)


def _readable(sock: socket.socket) -> bool:
    """Whether an idle socket has something to read: the node closed it (or sent junk)."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))
