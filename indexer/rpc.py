"""A small JSON-RPC client for the indexer: keep-alive HTTP, batched calls, errors classified.

Every failure becomes one of the indexer's errors: `NodeUnavailable` (retry later), `RangeTooLarge`
(split the log query), `RpcError` (the node refused the request itself).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import orjson
import requests

from indexer.exceptions import NodeBehind, NodeUnavailable, RangeTooLarge, RpcError

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
        self.url = url
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers["Content-Type"] = "application/json"
        self._ids = itertools.count(1)

    def close(self) -> None:
        """Closes the pooled connections."""
        self._session.close()

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

    def _post(self, body: bytes) -> Any:
        try:
            response = self._session.post(self.url, data=body, timeout=self.timeout)
        except requests.Timeout as error:
            raise NodeTimeout(f"{self.url} timed out after {self.timeout} s") from error
        except requests.RequestException as error:
            raise NodeUnavailable(f"{self.url} unreachable: {error}") from error
        if response.status_code == 429 or response.status_code >= 500:
            raise NodeUnavailable(f"{self.url} answered HTTP {response.status_code}")
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as error:
            if response.status_code >= 400:
                raise RpcError(response.status_code, response.text[:200]) from error
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
