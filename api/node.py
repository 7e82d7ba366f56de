"""The API's client of the Ethereum node (web3.py's `AsyncWeb3`), for simulations and live reads.

The API reads the index for everything it shows; it asks the node only what must be current when
a wallet is about to sign (allowances, nonces, a simulation of the call). Two kinds of failure:
`NodeUnavailable` (the node did not answer, or answered nonsense: a 503 for the client) and
`Reverted` (the node ran the call and it reverted: its revert data is decoded for the client).

One `Node` per process, made with the app's state (`AppState.node`): the transaction builders reach
it through their `Chain`, sign-in asks it about contract wallets, start-up for the chain id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.types import RPCEndpoint

from api.exceptions import Unavailable

# JSON-RPC codes of a call that ran and reverted (geth/anvil use 3; some nodes -32000 + data).
_REVERT_HINTS = ("revert", "execution reverted")
_UNSUPPORTED_CODES = frozenset({-32601, -32604})


class NodeUnavailable(Exception):
    """The node did not answer in time, or not with a JSON-RPC answer."""


class RpcError(Exception):
    """The node answered the request with an error that is not a revert.

    Args:
        code: The JSON-RPC error code.
        message: The node's message.
    """

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message

    @property
    def unsupported(self) -> bool:
        """Whether the node does not know the method."""
        text = self.message.lower()
        return self.code in _UNSUPPORTED_CODES or "not supported" in text or "not found" in text


class Reverted(Exception):
    """The call reverted; `data` is its revert data (may be empty).

    Args:
        data: The revert data.
        message: The node's message.
    """

    def __init__(self, data: bytes, message: str = "execution reverted") -> None:
        super().__init__(message)
        self.data = data


def _hex_bytes(value: Any) -> bytes | None:
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            return None
    return None


def revert_data(error: dict[str, Any]) -> bytes | None:
    """The revert data in a JSON-RPC error object, or None when the error is not a revert."""
    data = error.get("data")
    if isinstance(data, dict):  # some nodes nest it: {"data": {"data": "0x..."}}
        data = data.get("data") or data.get("result")
    found = _hex_bytes(data)
    message = str(error.get("message", "")).lower()
    if found is not None and (error.get("code") == 3 or any(h in message for h in _REVERT_HINTS)):
        return found
    if any(h in message for h in _REVERT_HINTS):
        return b""
    return None


class Node:
    """The node at `url`, reached through web3.py (`AsyncWeb3` over its `AsyncHTTPProvider`).

    web3.py frames the JSON-RPC requests and answers; this class classifies the answers (a revert
    with its data, an error, a node that did not help), which web3.py's own method wrappers would
    reshape: the builders need the revert data of `eth_call`, `eth_estimateGas` and
    `eth_simulateV1` alike, as bytes.

    Args:
        url: Its HTTP JSON-RPC endpoint.
        timeout: Seconds before a request counts as unanswered.
    """

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 3.0))
        self.web3 = AsyncWeb3(AsyncHTTPProvider(url, request_kwargs={"timeout": self._timeout}))
        self._session: aiohttp.ClientSession | None = None
        self.simulate_supported: bool | None = None

    async def close(self) -> None:
        """Closes the pooled connections."""
        await self.web3.provider.disconnect()
        self._session = None

    async def _provider(self) -> AsyncHTTPProvider:
        """The provider, with a session that keeps connections alive (web3.py's default session
        opens one per request) and leaves HTTP statuses to `request`."""
        provider: AsyncHTTPProvider = self.web3.provider
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
            await provider.cache_async_session(self._session)
        return provider

    async def request(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One call; raises `Reverted`, `RpcError` or `NodeUnavailable`."""
        provider = await self._provider()
        try:
            answer: Any = await provider.make_request(RPCEndpoint(method), list(params))
        except TimeoutError as error:
            raise NodeUnavailable(f"the node did not answer {method} in time") from error
        except aiohttp.ClientResponseError as error:
            raise NodeUnavailable(f"the node answered HTTP {error.status} to {method}") from error
        except aiohttp.ClientError as error:
            raise NodeUnavailable(f"the node cannot be reached ({type(error).__name__})") from error
        except ValueError as error:
            raise NodeUnavailable(f"the node's answer to {method} is not JSON") from error
        if not isinstance(answer, dict):
            raise NodeUnavailable(f"the node's answer to {method} is not a JSON-RPC object")
        failure = answer.get("error")
        if isinstance(failure, dict):
            data = revert_data(failure)
            if data is not None:
                raise Reverted(data, str(failure.get("message", "execution reverted")))
            raise RpcError(int(failure.get("code", 0)), str(failure.get("message", "")))
        if "result" not in answer:
            raise NodeUnavailable(f"the node's answer to {method} has no result")
        return answer["result"]

    async def call(self, tx: dict[str, Any], block: str = "latest") -> bytes:
        """`eth_call`: the call's return data; raises `Reverted` with its revert data."""
        result = await self.request("eth_call", [tx, block])
        return bytes.fromhex(str(result)[2:])

    async def estimate_gas(self, tx: dict[str, Any]) -> int:
        """`eth_estimateGas`; raises `Reverted` when the call would revert."""
        return int(await self.request("eth_estimateGas", [tx]), 16)

    async def get_code(self, address: str) -> bytes:
        """`eth_getCode` at the latest block."""
        return bytes.fromhex(str(await self.request("eth_getCode", [address, "latest"]))[2:])

    async def transaction_count(self, address: str, block: str = "pending") -> int:
        """`eth_getTransactionCount` (the next nonce, counting pending transactions)."""
        return int(await self.request("eth_getTransactionCount", [address, block]), 16)

    async def chain_id(self) -> int:
        """`eth_chainId`."""
        return int(await self.request("eth_chainId"), 16)

    async def latest_block(self) -> dict[str, Any]:
        """The latest block's header (number, hash, timestamp... as hex)."""
        block = await self.request("eth_getBlockByNumber", ["latest", False])
        if not isinstance(block, dict):
            raise NodeUnavailable("the node has no latest block")
        return block

    async def simulate(
        self, calls: Sequence[dict[str, Any]], *, block: dict[str, Any]
    ) -> list[dict[str, Any]] | None:
        """Runs calls one after the other on top of `block` (`eth_simulateV1`), each seeing the
        previous ones' effects; gives each call's result (status, returnData, gasUsed), or None
        when the node does not offer the method."""
        if self.simulate_supported is False:
            return None
        overrides = {
            "number": hex(int(block["number"], 16) + 1),
            "time": hex(int(block["timestamp"], 16) + 1),
        }
        payload = {"blockStateCalls": [{"blockOverrides": overrides, "calls": list(calls)}]}
        try:
            result = await self.request("eth_simulateV1", [payload, block["hash"]])
        except RpcError as error:
            if error.unsupported:
                self.simulate_supported = False
                return None
            raise
        self.simulate_supported = True
        try:
            return list(result[0]["calls"])
        except (KeyError, IndexError, TypeError) as error:
            raise NodeUnavailable("the node's eth_simulateV1 answer has no calls") from error


def unavailable(error: NodeUnavailable | RpcError) -> Unavailable:
    """The domain error (a 503) for a node that did not help (the node's URL is never shown: it
    may hold a key)."""
    return Unavailable(f"the Ethereum node is not available: {error}; try again shortly",
                       "node-unavailable", retry_after=5)  # fmt: skip
