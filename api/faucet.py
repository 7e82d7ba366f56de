"""The test-money tap of a local chain: mock stablecoins (mUSDC) for a new wallet.

The server signs nothing. On a local development node (anvil, or Hardhat's), the node itself
sends the mint: the faucet impersonates an address of its own with the node's dev methods
(`anvil_impersonateAccount`, `anvil_setBalance` for its gas) and calls the platform's
`MockStablecoin.mint(to, amount)`, which anyone may call, by `eth_sendTransaction` from it. The
node signs nothing either (an impersonated account has no key); only a dev node accepts that.

A chain is local when all of these hold, else the faucet is refused with the reason:
- the served chain id is a development one (31337, 1337) and the node reports the same id;
- the node answers its dev methods (`anvil_nodeInfo`, or `hardhat_metadata`);
- the chain's deployments record names the platform's `MockStablecoin`.

Per address: one tap per `INTERVAL_SECONDS` (shared through Redis when there is one), and none for
an address that already holds `CAP` or more. An address short of gas gets it topped up to
`GAS_TOP_UP` wei with `anvil_setBalance`, so that a brand-new wallet can pay for its transactions.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import eth_abi
import redis.asyncio as aioredis
from eth_utils import keccak
from redis.exceptions import RedisError

from api.node import Node, NodeUnavailable, Reverted, RpcError
from api.transactions.build import deployments
from infra.settings import LOCAL_CHAIN_IDS

DECIMALS = 6
AMOUNT = 10_000 * 10**DECIMALS  # one tap: 10,000 mUSDC
CAP = 100_000 * 10**DECIMALS  # no tap for an address holding this much or more
INTERVAL_SECONDS = 60
GAS_TOP_UP = 10**18  # 1 test ETH
# The faucet's own sender, with no key: keccak256("energy-coownership faucet")[12:].
FAUCET_ADDRESS = "0x" + keccak(text="energy-coownership faucet")[12:].hex()
_MINT = keccak(text="mint(address,uint256)")[:4]
_BALANCE_OF = keccak(text="balanceOf(address)")[:4]


class FaucetRefused(Exception):
    """The faucet does not tap, for the reason given.

    Args:
        status: The HTTP status that says why (403 not here, 409 over the cap, 429 too soon).
        reason: In words a user can act on.
        retry_after: Seconds to wait, for a 429.
    """

    def __init__(self, status: int, reason: str, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class Availability:
    """Whether this chain has a faucet: the dev method prefix and the stablecoin when it does,
    else the reason."""

    dev_prefix: str | None
    stablecoin: str | None
    reason: str | None

    @property
    def available(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class Tap:
    """What one tap did."""

    address: str
    token: str
    amount: int
    balance: int
    transaction_hash: str
    gas_topped_up: bool


async def _dev_prefix(node: Node) -> str | None:
    """`anvil` or `hardhat` when the node answers that node's dev methods, else None."""
    for prefix, method in (("anvil", "anvil_nodeInfo"), ("hardhat", "hardhat_metadata")):
        try:
            await node.request(method)
            return prefix
        except (RpcError, Reverted):
            continue
    return None


class Faucet:
    """The tap of one API process. Which chain it serves is found once, on first use.

    Args:
        node: The node client.
        redis: Shared per-address timing (None: this process only).
        prefix: Of the Redis keys (namespace and chain).
        enabled: False refuses every tap (`API_FAUCET=false`).
    """

    def __init__(
        self, node: Node, redis: aioredis.Redis | None, prefix: str, *, enabled: bool = True
    ) -> None:
        self.node = node
        self.enabled = enabled
        self.redis = redis
        self.prefix = f"{prefix}:faucet:"
        self._availability: Availability | None = None
        self._last_tap: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def availability(self, chain_id: int, deployments_dir: Path) -> Availability:
        """Whether the served chain is local (checked once; a node that does not answer is asked
        again next time)."""
        if self._availability is None:
            self._availability = await self._check(chain_id, deployments_dir)
        return self._availability

    async def _check(self, chain_id: int, deployments_dir: Path) -> Availability:
        if not self.enabled:
            return Availability(None, None, "the faucet is turned off (API_FAUCET=false)")
        if chain_id not in LOCAL_CHAIN_IDS:
            return Availability(None, None, f"chain {chain_id} is not a local development chain")
        node_chain = await self.node.chain_id()  # NodeUnavailable propagates: not cached
        if node_chain != chain_id:
            return Availability(
                None, None, f"the node serves chain {node_chain}, not the API's chain {chain_id}"
            )
        prefix = await _dev_prefix(self.node)
        if prefix is None:
            return Availability(None, None, "the node is not a development node (anvil, Hardhat)")
        stablecoin = deployments(deployments_dir, chain_id).get("MockStablecoin")
        if stablecoin is None:
            return Availability(
                None, None, "this chain's stablecoin is not the platform's MockStablecoin"
            )
        return Availability(prefix, stablecoin.lower(), None)

    async def balance(self, token: str, address: str) -> int:
        """`token.balanceOf(address)`."""
        data = _BALANCE_OF + eth_abi.encode(["address"], [address])
        result = await self.node.call({"to": token, "data": "0x" + data.hex()})
        return int.from_bytes(result[:32], "big") if len(result) >= 32 else 0

    async def tap(self, availability: Availability, address: str) -> Tap:
        """Mints `AMOUNT` mUSDC to `address` (lowercase); raises `FaucetRefused`."""
        if not availability.available:
            raise FaucetRefused(403, f"no faucet here: {availability.reason}")
        assert availability.stablecoin is not None and availability.dev_prefix is not None
        token, dev = availability.stablecoin, availability.dev_prefix
        held = await self.balance(token, address)
        if held >= CAP:
            raise FaucetRefused(
                409, f"{address} already holds {held / 10**DECIMALS:,.2f} mUSDC, at or above the"
                f" faucet's cap of {CAP / 10**DECIMALS:,.0f}"
            )  # fmt: skip
        await self._claim_interval(address)
        async with self._lock:  # one impersonated sender: one mint at a time in this process
            topped = await self._top_up_gas(dev, address)
            await self.node.request(f"{dev}_impersonateAccount", [FAUCET_ADDRESS])
            try:
                await self.node.request(f"{dev}_setBalance", [FAUCET_ADDRESS, hex(GAS_TOP_UP)])
                data = _MINT + eth_abi.encode(["address", "uint256"], [address, AMOUNT])
                tx_hash = await self.node.request(
                    "eth_sendTransaction",
                    [{"from": FAUCET_ADDRESS, "to": token, "data": "0x" + data.hex()}],
                )
            finally:
                await self.node.request(f"{dev}_stopImpersonatingAccount", [FAUCET_ADDRESS])
            await self._mined(str(tx_hash))
        return Tap(address, token, AMOUNT, await self.balance(token, address), str(tx_hash),
                   topped)  # fmt: skip

    async def _top_up_gas(self, dev: str, address: str) -> bool:
        balance = int(await self.node.request("eth_getBalance", [address, "latest"]), 16)
        if balance >= GAS_TOP_UP // 10:
            return False
        await self.node.request(f"{dev}_setBalance", [address, hex(GAS_TOP_UP)])
        return True

    async def _mined(self, tx_hash: str, timeout: float = 30) -> None:
        """Waits for the mint's receipt (a local node mines at once, or every few seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            receipt = await self.node.request("eth_getTransactionReceipt", [tx_hash])
            if isinstance(receipt, dict):
                if int(str(receipt.get("status", "0x0")), 16) != 1:
                    raise NodeUnavailable(f"the faucet's mint {tx_hash} reverted")
                return
            await asyncio.sleep(0.2)
        raise NodeUnavailable(f"the faucet's mint {tx_hash} was not mined in {timeout:.0f} s")

    async def _claim_interval(self, address: str) -> None:
        """Counts a tap for `address`; raises a 429 when it had one less than
        `INTERVAL_SECONDS` ago."""
        if self.redis is not None:
            key = f"{self.prefix}{address}"
            try:
                if await self.redis.set(key, "1", nx=True, ex=INTERVAL_SECONDS):
                    return
                wait = max(int(await self.redis.ttl(key)), 1)
            except RedisError:
                wait = None
            else:
                raise FaucetRefused(
                    429, f"one tap per address every {INTERVAL_SECONDS} s: try again in {wait} s",
                    retry_after=wait,
                )  # fmt: skip
        now = time.monotonic()
        last = self._last_tap.get(address)
        if last is not None and now - last < INTERVAL_SECONDS:
            wait = int(INTERVAL_SECONDS - (now - last)) + 1
            raise FaucetRefused(
                429, f"one tap per address every {INTERVAL_SECONDS} s: try again in {wait} s",
                retry_after=wait,
            )  # fmt: skip
        self._last_tap[address] = now
