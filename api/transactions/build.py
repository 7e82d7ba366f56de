"""Preparing transactions for a wallet: contract addresses, live views, simulation, gas.

A `Plan` is what an action wants the wallet to do (calls, maybe typed data to sign first); a
`Chain` turns it into `Prepared` steps after simulating every call from the sender's address at
the latest block: the first call with `eth_call` and `eth_estimateGas`, the calls that depend on
an earlier one (a purchase after its approval) together with `eth_simulateV1`, so each sees the
previous ones' effects. A call that would revert raises `WouldRevert` in plain words; a node that
does not answer, `Unavailable` (a 422 and a 503 at the edge). Nothing is ever signed here.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from api.exceptions import InvalidInput, NotFound, Unavailable, WouldRevert
from api.models.transactions import AssetRef, Prepared, Step, TxParams
from api.node import NodeUnavailable, Reverted, RpcError, unavailable
from api.queries.transactions import asset_ref, module_addresses
from api.transactions.abi import ERC20, AbiError, Abis
from api.transactions.reverts import Money, RevertContext, decode_revert
from api.types import checksum
from infra.abi_decode import AbiDecodingError

if TYPE_CHECKING:  # api.state makes the faucet, which reads the deployments from here
    from api.state import AppState

T = TypeVar("T")
DEPENDENT_GAS_FLOOR = 30_000  # added to a dependent step's simulated gas (refunds, 63/64 rule)
EIP712_FIELDS = (("name", "string"), ("version", "string"), ("chainId", "uint256"),
                 ("verifyingContract", "address"), ("salt", "bytes32"))  # fmt: skip
PERMIT_FIELDS = (("owner", "address"), ("spender", "address"), ("value", "uint256"),
                 ("nonce", "uint256"), ("deadline", "uint256"))  # fmt: skip
_money: dict[tuple[int, str], Money] = {}


@dataclass(frozen=True)
class Platform:
    """The platform's singletons on the served chain (lowercase addresses)."""

    registry: str
    sale: str
    oracle: str
    market: str
    stablecoin: str | None


@dataclass
class Call:
    """One call for the wallet to send (or, with `returned` false, only to simulate)."""

    to: str
    data: bytes
    summary: str
    value: int = 0
    returned: bool = True


@dataclass
class Plan:
    """What an action asks of the wallet, before simulation."""

    action: str
    summary: str
    calls: list[Call]
    context: RevertContext = field(default_factory=RevertContext)
    signature: Step | None = None
    details: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=8)
def _deployments(path: str, stamp: int) -> dict[str, str]:
    contracts = json.loads(Path(path).read_text()).get("contracts", {})
    return {name: str(entry["address"]).lower() for name, entry in contracts.items()}


def deployments(directory: Path, chain_id: int) -> dict[str, str]:
    """Contract name to address from `<deployments_dir>/<chain_id>.json` (empty when absent)."""
    path = directory / f"{chain_id}.json"
    try:
        return _deployments(str(path), path.stat().st_mtime_ns)
    except (FileNotFoundError, ValueError, KeyError):
        return {}


class Chain:
    """The served chain as one request sees it.

    Args:
        state: The app's state (settings, index, chain id, the node client).
    """

    def __init__(self, state: AppState) -> None:
        self.state = state
        self.node = state.node
        self.chain_id = state.chain_id
        self._platform: Platform | None = None

    @cached_property
    def abis(self) -> Abis:
        """The contracts' ABIs (a 503 when the build output is missing)."""
        try:
            return Abis.load(self.state.settings.build_file)
        except AbiError as error:
            raise Unavailable(str(error), "not-configured") from error

    async def rpc(self, awaitable: Awaitable[T]) -> T:
        """Awaits a node request; a node that does not help becomes a 503."""
        try:
            return await awaitable
        except (NodeUnavailable, RpcError) as error:
            raise unavailable(error) from error

    async def platform(self) -> Platform:
        """The platform's addresses: the deployments file, else the index."""
        if self._platform is None:
            named = deployments(self.state.settings.deployments_dir, self.chain_id)
            indexed = await module_addresses(self.state.db, chain_id=self.chain_id)
            pick = {kind: named.get(name) or indexed.get(kind) for kind, name in (
                ("registry", "AssetRegistry"), ("sale", "PrimarySale"),
                ("oracle", "ProductionOracle"), ("market", "ShareMarket"))}  # fmt: skip
            missing = [kind for kind, address in pick.items() if address is None]
            if missing:
                raise Unavailable("the platform's contracts are not known on this chain yet"
                                  f" (no {', '.join(missing)})", "not-deployed")  # fmt: skip
            stablecoin = named.get("MockStablecoin") or named.get("Stablecoin")
            self._platform = Platform(**{k: str(v) for k, v in pick.items()},
                                      stablecoin=stablecoin)  # fmt: skip
        return self._platform

    async def view(self, contract: str, address: str, function: str, *args: Any,
                   context: RevertContext | None = None) -> Any:  # fmt: skip
        """A view's value now; a revert becomes a 422 in plain words."""
        spec = self.abis.function(contract, function, len(args))
        tx = {"to": address, "data": "0x" + spec.encode(*args).hex()}
        try:
            return spec.decode(await self.rpc(self.node.call(tx)))
        except Reverted as error:
            raise self.revert_problem(error.data, context or RevertContext(), None) from error
        except AbiDecodingError as error:  # no contract there, or not this kind (a client's input)
            raise InvalidInput(
                f"{checksum(address)} does not answer {function}() as "
                f"{'an ERC-20 token' if contract == ERC20 else 'the ' + contract} would: is it the"
                " right contract?",
                "not-a-contract",
            ) from error

    async def asset(self, asset_id: int) -> AssetRef:
        """An asset's contracts: from the index, else (just registered) from the chain."""
        found = await asset_ref(self.state.db, chain_id=self.chain_id, asset_id=asset_id)
        if found is not None:
            return found
        platform = await self.platform()
        count = await self.view("AssetRegistry", platform.registry, "assetCount")
        if not 1 <= asset_id <= count:
            raise NotFound(f"asset #{asset_id} is not registered")
        record = await self.view("AssetRegistry", platform.registry, "asset", asset_id)
        sale = await self.view("PrimarySale", platform.sale, "sale", asset_id)
        token = record["contracts"]["shareToken"]
        return AssetRef(
            asset_id=asset_id, operator=record["operator"], share_token=token,
            governor=record["contracts"]["governor"], payment_token=sale["terms"]["paymentToken"],
            share_price=sale["terms"]["sharePrice"],
            name=await self.view("ShareToken", token, "name"),
            symbol=await self.view("ShareToken", token, "symbol"),
        )  # fmt: skip

    async def money(self, token: str) -> Money:
        """How a token's amounts read (its symbol and decimals), cached per process."""
        key = (self.chain_id, token)
        if key not in _money:
            symbol = await self.view(ERC20, token, "symbol")
            decimals = await self.view(ERC20, token, "decimals")
            _money[key] = Money(symbol, decimals)
        return _money[key]

    async def now(self) -> int:
        """The latest block's time."""
        block = await self.rpc(self.node.latest_block())
        return int(block["timestamp"], 16)

    def revert_problem(self, data: bytes, context: RevertContext, step: int | None) -> WouldRevert:
        """The domain error (a 422) of a call that would revert."""
        decoded = decode_revert(self.abis, data, context)
        extra: dict[str, Any] = {"error": decoded.name, "args": decoded.args}
        if step is not None:
            extra["step"] = step
        return WouldRevert(decoded.detail, extra=extra)

    async def permit_typed_data(self, token: str, *, owner: str, spender: str, value: int,
                                deadline: int) -> dict[str, Any]:  # fmt: skip
        """The EIP-712 typed data of an EIP-2612 permit (domain read with EIP-5267)."""
        spec = self.abis.function(ERC20, "eip712Domain")
        try:
            answer = await self.rpc(
                self.node.call({"to": token, "data": "0x" + spec.encode().hex()})
            )
            fields, name, version, chain_id, verifying, salt, _ = spec.decode(answer)
            bits = int(fields, 16)
        except (Reverted, AbiDecodingError):  # no EIP-5267: OpenZeppelin's default domain
            name, version, chain_id, verifying, salt = (
                await self.view(ERC20, token, "name"),
                "1",
                self.chain_id,
                token,
                None,
            )
            bits = 0b01111
        values = {"name": name, "version": version, "chainId": chain_id,
                  "verifyingContract": verifying, "salt": salt}  # fmt: skip
        used = [(n, t) for i, (n, t) in enumerate(EIP712_FIELDS) if bits >> i & 1]
        nonce = await self.view(ERC20, token, "nonces", owner)
        message = {"owner": owner, "spender": spender, "value": str(value),
                   "nonce": str(nonce), "deadline": str(deadline)}  # fmt: skip
        return {
            "types": {
                "EIP712Domain": [{"name": n, "type": t} for n, t in used],
                "Permit": [{"name": n, "type": t} for n, t in PERMIT_FIELDS],
            },
            "primaryType": "Permit",
            "domain": {n: values[n] for n, _ in used},
            "message": message,
        }

    def _gas(self, estimate: int, *, dependent: bool) -> str:
        margin = estimate * (100 + self.state.settings.gas_margin_percent) // 100
        return hex(margin + (DEPENDENT_GAS_FLOOR if dependent else 0))

    async def prepare(self, plan: Plan, sender: str) -> Prepared:
        """Simulates the plan's calls from `sender` and gives the wallet its steps."""
        block = await self.rpc(self.node.latest_block())
        number = int(block["number"], 16)
        context = replace(plan.context, sender=sender, now=int(block["timestamp"], 16))
        txs = [{"from": sender, "to": c.to, "data": "0x" + c.data.hex(), "value": hex(c.value)}
               for c in plan.calls]  # fmt: skip
        gas: list[str | None] = [None] * len(txs)
        if txs:
            try:
                await self.rpc(self.node.call(txs[0], hex(number)))
                gas[0] = self._gas(await self.rpc(self.node.estimate_gas(txs[0])), dependent=False)
            except Reverted as error:
                raise self.revert_problem(error.data, context, 0) from error
        if len(txs) > 1:
            results = await self.rpc(self.node.simulate(txs, block=block))
            for i, result in enumerate(results or []):
                if int(str(result.get("status", "0x1")), 16) == 0:
                    data = bytes.fromhex(str(result.get("returnData", "0x"))[2:])
                    raise self.revert_problem(data, context, i)
                if i > 0:
                    gas[i] = self._gas(int(str(result["gasUsed"]), 16), dependent=True)
        steps = [] if plan.signature is None else [plan.signature]
        chain_hex = hex(self.chain_id)
        for call, tx, limit in zip(plan.calls, txs, gas, strict=True):
            if call.returned:
                params = TxParams.model_validate(
                    {"from": sender, "to": call.to, "data": tx["data"], "value": tx["value"],
                     "chainId": chain_hex, "gas": limit})  # fmt: skip
                steps.append(Step(kind="transaction", method="eth_sendTransaction",
                                  summary=call.summary, params=params))  # fmt: skip
        return Prepared(action=plan.action, summary=plan.summary, chain_id=self.chain_id,
                        block=number, steps=steps, details=plan.details)  # fmt: skip
