"""Strict revert and event assertions, and the plain helpers the contract tests share.

`ape.reverts(Error, **inputs)` (ape 0.8) is lenient in ways that hide mistakes: it skips inputs
whose name it does not know, and it checks nothing at all when the error bubbled up from another
contract (e.g. the share token reverting inside `PrimarySale.buy`: ape then raises a plain
`ContractLogicError` carrying the raw revert data). And `ape.reverts(contract.Error(a, b))` does not
work: building the error raises a TypeError. `reverts_with(contract.Error, a=..., b=...)` compares
raw revert data instead: the exact selector and every argument, whatever the depth and whether it
came from a transaction or a `.call()`. `assert_emitted` likewise compares every field of an event.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import ape
from ape import accounts, chain
from ape.api import AccountAPI, ReceiptAPI
from ape.contracts import ContractEvent, ContractInstance
from ape.exceptions import CustomError
from eth_abi import decode, encode
from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils import keccak, to_bytes
from ethpm_types.abi import ErrorABI

from api.meter_reading import EIP712_DOMAIN_FIELDS
from scripts._lib import DAY, Asset, advance_time

ZERO_ADDRESS = "0x" + "00" * 20


def _plain(value: Any) -> Any:
    """An account or contract as its address string; anything else unchanged."""
    address = getattr(value, "address", None)
    return str(address) if address is not None else value


def normalize(value: Any) -> Any:
    """A value as decoded data compares: accounts and contracts as lower-case addresses, sequences as lists.

    (ape decodes addresses inside event structs in lower case, and structs as lists.)
    """
    value = _plain(value)
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return value.lower()
    if isinstance(value, list | tuple):
        return [normalize(item) for item in value]
    if isinstance(value, dict):
        return {key: normalize(item) for key, item in value.items()}
    return value


# --- Custom errors -------------------------------------------------------------------------------


def _abi(error: type[CustomError]) -> ErrorABI:
    """The ABI ape attaches to each error type it generates for a contract."""
    return error.abi  # type: ignore[misc]


def encode_error(abi: ErrorABI, values: Sequence[Any]) -> bytes:
    """The revert data of the error `abi` with `values` (in order): its selector, then its arguments
    ABI-encoded. Accounts and contracts may stand for addresses."""
    types = [ipt.canonical_type for ipt in abi.inputs]
    return keccak(text=abi.selector)[:4] + encode(types, [_plain(value) for value in values])


def error_data(error: type[CustomError], **arguments: Any) -> bytes:
    """The revert data `error(**arguments)` produces.

    Raises:
        TypeError: Unless `arguments` names every argument of the error, and nothing else.
    """
    abi = _abi(error)
    names = [ipt.name or "" for ipt in abi.inputs]
    if sorted(arguments) != sorted(names):
        raise TypeError(f"{abi.name} takes {names}, not {sorted(arguments)}")
    return encode_error(abi, [arguments[name] for name in names])


def describe_revert(data: bytes, abis: Iterable[ErrorABI]) -> str:
    """Revert data as `Name(argument=value, ...)` when one of `abis` is its error, else as hex."""
    for abi in abis:
        if data[:4] == keccak(text=abi.selector)[:4]:
            try:
                values = decode([ipt.canonical_type for ipt in abi.inputs], data[4:])
            except Exception:  # the right selector with broken arguments
                break
            arguments = ", ".join(
                f"{ipt.name}={v!r}" for ipt, v in zip(abi.inputs, values, strict=True)
            )
            return f"{abi.name}({arguments})"
    return "0x" + data.hex()


# How anvil words the revert of an `eth_call` whose error it cannot name: the arguments in hex, or
# as the UTF-8 text itself when they are valid UTF-8 (and no colon at all when there are none).
_ANVIL_CALL_ERROR = re.compile(r"custom error 0x([0-9a-fA-F]{8})(?:: (.*))?\Z", re.DOTALL)


def revert_data(raised: Exception) -> bytes:
    """The raw revert data behind an ape revert exception, whether ape decoded the error or not.

    ape decodes an error it finds in a known ABI (re-encoded here). Otherwise a reverted transaction
    carries the data as hex, and a reverted call only in anvil's message; that is read from the
    provider's own error first, because ape strips the message it keeps, and with it any trailing
    whitespace of arguments worded as text.
    """
    if isinstance(raised, CustomError):
        abi = raised.abi
        return encode_error(abi, [raised.inputs[ipt.name or ""] for ipt in abi.inputs])
    message = str(getattr(raised, "revert_message", "") or "")
    if message.startswith("0x"):
        return to_bytes(hexstr=message)
    for text in (str(getattr(raised, "base_err", None) or ""), message):
        if match := _ANVIL_CALL_ERROR.search(text):
            selector, arguments = match[1], match[2] or ""
            if re.fullmatch(r"([0-9a-fA-F]{64})*", arguments):
                return bytes.fromhex(selector + arguments)
            return bytes.fromhex(selector) + arguments.encode()
    raise AssertionError(f"expected a custom error, got {raised!r}")


@contextmanager
def reverts_with(error: type[CustomError], **expected: Any) -> Iterator[None]:
    """Asserts the block reverts with exactly `error` and exactly these arguments (all of them).

    The error may come from the contract called or from one it calls, and the block may send a
    transaction or make a `.call()`.

    Args:
        error: The custom error type, from any contract whose ABI has it (`market.MarketSelfFill`).
        **expected: Every argument of the error by name; accounts and contracts may stand for addresses.
    """
    abi = _abi(error)
    wanted = error_data(error, **expected)
    with ape.reverts() as info:
        yield
    actual = revert_data(info.value)
    assert actual == wanted, (
        f"expected {describe_revert(wanted, [abi])}, got {describe_revert(actual, [abi])}"
        f" ({info.value!r})"
    )


# --- Events --------------------------------------------------------------------------------------


def emitted(receipt: ReceiptAPI, event: ContractEvent) -> list[dict[str, Any]]:
    """The arguments of each `event` the contract emitted in `receipt`, in order."""
    return [dict(log.event_arguments) for log in event.from_receipt(receipt)]


def assert_emitted(receipt: ReceiptAPI, event: ContractEvent, **fields: Any) -> None:
    """Asserts the contract emitted `event` exactly once in `receipt`, with exactly these fields."""
    logs = emitted(receipt, event)
    assert len(logs) == 1, f"expected one {event.name}, got {logs}"
    assert normalize(logs[0]) == normalize(fields), f"{event.name}: {logs[0]} != {fields}"


def assert_pause_set(receipt: ReceiptAPI, registry: Any, asset_id: int, *, by: Any,
                     pauser: bool, governance: bool) -> None:  # fmt: skip
    """Asserts one `AssetPauseSet` with the asset's two pause flags after the call, sent by `by`."""
    assert_emitted(receipt, registry.AssetPauseSet, assetId=asset_id, pausedByPauser=pauser,
                   pausedByGovernance=governance, by=by)  # fmt: skip


# --- Accounts, votes and permits -----------------------------------------------------------------


def impersonate(address: Any) -> AccountAPI:
    """An account sending as `address` (a contract, e.g. an asset's timelock), funded for gas."""
    address = str(_plain(address))
    chain.set_balance(address, 10**18)
    return accounts[address]


def delegate(token: ContractInstance, delegatee: Any, holder: AccountAPI) -> ReceiptAPI:
    """Calls the ERC-20 Votes `delegate(delegatee)` as `holder`.

    ape's own `ContractInstance.delegate` property (EIP-7702 and proxy delegates) hides the method.
    """
    return token.invoke_transaction("delegate", delegatee, sender=holder)


def permit_message(
    token: ContractInstance,
    owner: AccountAPI,
    spender: Any,
    value: int,
    deadline: int,
    *,
    nonce: int | None = None,
) -> SignableMessage:
    """The ERC-2612 permit typed data for the token's own EIP-712 domain, ready to sign.

    Args:
        nonce: The owner's nonce to sign for; its current one by default.
    """
    domain = token.eip712Domain()
    typed = {
        "types": {
            "EIP712Domain": EIP712_DOMAIN_FIELDS,
            "Permit": [
                {"name": "owner", "type": "address"},
                {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Permit",
        "domain": {
            "name": domain.name,
            "version": domain.version,
            "chainId": chain.chain_id,
            "verifyingContract": str(token.address),
        },
        "message": {
            "owner": str(owner.address),
            "spender": _plain(spender),
            "value": value,
            "nonce": token.nonces(owner) if nonce is None else nonce,
            "deadline": deadline,
        },
    }
    return encode_typed_data(full_message=typed)


def erc2612_permit(
    token: ContractInstance,
    owner: AccountAPI,
    spender: Any,
    value: int,
    deadline: int,
    *,
    signer: AccountAPI | None = None,
) -> tuple[int, bytes, bytes]:
    """Signs an ERC-2612 permit at the owner's current nonce.

    Args:
        signer: Whose key signs; the owner's by default (another account makes an invalid permit).

    Returns:
        `(v, r, s)` for `permit(owner, spender, value, deadline, v, r, s)`.
    """
    message = permit_message(token, owner, spender, value, deadline)
    signed = Account.sign_message(message, (signer or owner).private_key)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")


# --- Reentrancy ----------------------------------------------------------------------------------

REENTRANT_CALL = keccak(text="ReentrancyGuardReentrantCall()")[:4]


def pay_in(token: ContractInstance, payer: AccountAPI, spender: Any, amount: int) -> None:
    """Mints `amount` of a mock payment token (e.g. the hostile one) to `payer`, approved to `spender`."""
    token.mint(payer, amount, sender=payer)
    token.approve(spender, amount, sender=payer)


def assert_reentry_refused(hostile: ContractInstance) -> None:
    """Asserts the hostile token's armed call fired, and the contract refused to be reentered."""
    assert hostile.target() == ZERO_ADDRESS  # the hook fired
    assert not hostile.reentered()
    assert bytes(hostile.lastRevert()) == REENTRANT_CALL


# --- Governance ----------------------------------------------------------------------------------

# The governance settings of `asset_params`' defaults.
VOTING_DELAY = DAY
VOTING_PERIOD = 7 * DAY
TIMELOCK_DELAY = 2 * DAY


class Vote(IntEnum):
    """`GovernorCountingSimple` vote types."""

    AGAINST = 0
    FOR = 1
    ABSTAIN = 2


@dataclass(frozen=True)
class Proposal:
    """One proposal's calls and description, and the governor steps that move it along."""

    governor: ContractInstance
    targets: list[str]
    calldatas: list[bytes]
    description: str

    @property
    def values(self) -> list[int]:
        return [0] * len(self.targets)

    @property
    def description_hash(self) -> bytes:
        return keccak(text=self.description)

    @property
    def id(self) -> int:
        return self.governor.hashProposal(
            self.targets, self.values, self.calldatas, self.description_hash
        )

    def propose(self, sender: AccountAPI) -> Any:
        return self.governor.propose(
            self.targets, self.values, self.calldatas, self.description, sender=sender
        )

    def vote(self, voter: AccountAPI, support: Vote = Vote.FOR) -> Any:
        return self.governor.castVote(self.id, int(support), sender=voter)

    def queue(self, sender: AccountAPI) -> Any:
        args = (self.targets, self.values, self.calldatas, self.description_hash)
        return self.governor.queue(*args, sender=sender)

    def execute(self, sender: AccountAPI) -> Any:
        args = (self.targets, self.values, self.calldatas, self.description_hash)
        return self.governor.execute(*args, sender=sender)

    def simulate_execute(self, sender: AccountAPI) -> Any:
        """`execute` as an `eth_call` at the latest block, for reverts bubbling up from the timelock.

        Same code and state as a transaction, without ape's trace-based decoding of an error the
        governor's ABI lacks (seconds per revert); `reverts_with` decodes it instead.
        """
        args = (self.targets, self.values, self.calldatas, self.description_hash)
        return self.governor.execute.call(*args, sender=sender)


def proposal(asset: Asset, *calls: tuple[Any, bytes], description: str) -> Proposal:
    """A proposal to `asset`'s governor making `calls` (target, calldata) from its timelock."""
    return Proposal(
        governor=asset.governor,
        targets=[str(target.address) for target, _ in calls],
        calldatas=[calldata for _, calldata in calls],
        description=description,
    )


def pass_and_queue(p: Proposal, proposer: AccountAPI, voters: list[AccountAPI]) -> Any:
    """Proposes, votes for with `voters` once voting opens, queues after the vote; returns the queue tx."""
    p.propose(proposer)
    advance_time(VOTING_DELAY + 1)
    for voter in voters:
        p.vote(voter)
    advance_time(VOTING_PERIOD + 1)
    return p.queue(proposer)


def enact(p: Proposal, proposer: AccountAPI, voters: list[AccountAPI]) -> Any:
    """Takes a proposal through vote, queue and timelock delay; returns the execute tx."""
    pass_and_queue(p, proposer, voters)
    advance_time(TIMELOCK_DELAY + 1)
    return p.execute(proposer)


# --- Platform fees -------------------------------------------------------------------------------


def set_platform_fees(
    registry: ContractInstance, admin: AccountAPI, revenue_bps: int, market_bps: int, recipient: Any
) -> None:
    """Sets the platform fees and puts them in force: a rise announced by `setPlatformFees` waits
    for the registry's delay, so the clock is moved past it and the fees applied."""
    registry.setPlatformFees(revenue_bps, market_bps, recipient, sender=admin)
    pending = getattr(registry, "pendingPlatformFees", None)
    if pending is not None and pending().effectiveAt != 0:
        chain.mine(timestamp=int(pending().effectiveAt))
        registry.applyPlatformFees(sender=admin)


# --- Fuzzing budget ------------------------------------------------------------------------------


def fuzz_examples(default: int) -> int:
    """Hypothesis examples for a property or state machine: `default` in the suite, more under
    `make fuzz` (which sets FUZZ_EXAMPLES)."""
    return int(os.environ.get("FUZZ_EXAMPLES", default))
