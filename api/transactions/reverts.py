"""Revert data in plain words: every custom error of the platform's contracts and of OpenZeppelin's
that they use, `Error(string)` and `Panic(uint256)`.

Arguments are shown as people read them: amounts with the token's decimals and symbol, shares as
whole shares, times as UTC dates, addresses checksummed ("your account" for the sender). The
message table is keyed by error name; `tests/api/test_transactions.py` checks that every error of
the build output has one.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from eth_utils import keccak

from api.transactions.abi import Abis
from api.types import checksum
from infra.abi_decode import decode_values

ERROR_SELECTOR = keccak(text="Error(string)")[:4]
PANIC_SELECTOR = keccak(text="Panic(uint256)")[:4]
PANICS = {
    0x00: "a generic compiler panic", 0x01: "an assertion failed",
    0x11: "an arithmetic overflow or underflow", 0x12: "a division or modulo by zero",
    0x21: "a value out of an enum's range", 0x22: "a badly encoded storage byte array",
    0x31: "a pop from an empty array", 0x32: "an array index out of bounds",
    0x41: "too much memory allocated", 0x51: "a call to an uninitialized function",
}  # fmt: skip
SALE_STATES = ("unknown", "open", "succeeded", "failed")
STATUSES = ("funding", "active", "failed", "decommissioned")
PROPOSAL_STATES = ("pending", "active", "canceled", "defeated", "succeeded", "queued", "expired",
                   "executed")  # fmt: skip
OPERATION_STATES = ("unset", "waiting", "ready", "done")
ROLE_NAMES = {
    "0x" + "00" * 32: "the default admin role",
    **{"0x" + keccak(text=name).hex(): f"the {name.removesuffix('_ROLE').lower().replace('_', ' ')} role ({name})"
       for name in ("OPERATOR_ROLE", "METER_ADMIN_ROLE", "PAUSER_ROLE", "VERIFIER_ROLE",
                    "PROPOSER_ROLE", "EXECUTOR_ROLE", "CANCELLER_ROLE")},
}  # fmt: skip


@dataclass(frozen=True)
class Money:
    """How a token's amounts read: its symbol and decimals."""

    symbol: str
    decimals: int


SHARES = Money("shares", 0)


@dataclass(frozen=True)
class RevertContext:
    """What the words need beyond the revert data.

    Args:
        sender: The account the transaction is from (lowercase), shown as "your account".
        now: The chain's time (unix seconds), to tell a window not yet open from one closed.
        money: The action's payment token.
        erc20: The token whose own ERC-20 errors the action may meet (the payment token, or the
            share token for a share transfer).
    """

    sender: str | None = None
    now: int | None = None
    money: Money | None = None
    erc20: Money | None = None


@dataclass(frozen=True)
class DecodedRevert:
    """A revert, decoded."""

    name: str
    args: dict[str, Any]
    detail: str
    selector: str = field(default="")


def format_amount(value: int, money: Money | None) -> str:
    """`1234560000` with 6 decimals and mUSDC reads "1,234.56 mUSDC"."""
    if money is None:
        return f"{value:,} token units"
    if money.decimals == 0:
        unit = (
            money.symbol.removesuffix("s")
            if money.symbol == "shares" and value == 1
            else money.symbol
        )
        return f"{value:,} {unit}"
    whole, fraction = divmod(value, 10**money.decimals)
    digits = str(fraction).rjust(money.decimals, "0").rstrip("0").ljust(2, "0")
    return f"{whole:,}.{digits} {money.symbol}"


def format_time(timestamp: int) -> str:
    """A unix time as "2026-03-01 12:00 UTC" (seconds only when there are some)."""
    try:
        moment = datetime.fromtimestamp(timestamp, tz=UTC)
    except (OverflowError, OSError, ValueError):  # beyond year 9999
        return f"unix time {timestamp}"
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC" if moment.second else "%Y-%m-%d %H:%M UTC")


def _states(bitmap: Any, names: tuple[str, ...]) -> str:
    value = int(bitmap, 16) if isinstance(bitmap, str) else int(bitmap)
    chosen = [name for i, name in enumerate(names) if value >> i & 1]
    return " or ".join(chosen) if chosen else "another state"


def _duration(seconds: int) -> str:
    return f"{seconds / 86_400:g} days" if seconds >= 86_400 else f"{seconds:,} seconds"


class _Words(string.Formatter):
    """Formats `{name:kind}` fields of a message with the context's units."""

    def __init__(self, context: RevertContext) -> None:
        self.context = context

    def format_field(self, value: Any, format_spec: str) -> str:
        ctx = self.context
        formats: dict[str, Callable[[Any], str]] = {
            "address": lambda v: "your account" if v == ctx.sender else checksum(v),
            "addr": checksum,
            "money": lambda v: format_amount(v, ctx.money),
            "token": lambda v: format_amount(v, ctx.erc20 or ctx.money),
            "shares": lambda v: format_amount(v, SHARES),
            "date": format_time,
            "bps": lambda v: f"{v:,} bps ({v / 100:g}%)",
            "n": lambda v: f"{v:,}",
            "sale_state": lambda v: SALE_STATES[v] if v < len(SALE_STATES) else str(v),
            "status": lambda v: STATUSES[v] if v < len(STATUSES) else str(v),
            "proposal_state": lambda v: PROPOSAL_STATES[v] if v < len(PROPOSAL_STATES) else str(v),
            "proposal_states": lambda v: _states(v, PROPOSAL_STATES),
            "operation_states": lambda v: _states(v, OPERATION_STATES),
            "role": lambda v: ROLE_NAMES.get(v, f"the role {v}"),
            "duration": _duration,
        }
        if format_spec in formats:
            return formats[format_spec](value)
        return super().format_field(value, format_spec)


def _sale_not_open(args: Mapping[str, Any], ctx: RevertContext) -> str:
    asset, start, end = args["assetId"], args["start"], args["end"]
    if ctx.now is not None and ctx.now < start:
        return f"the funding window of asset #{asset} opens on {format_time(start)}"
    if ctx.now is not None and ctx.now > end:
        return f"the funding window of asset #{asset} closed on {format_time(end)}"
    return (f"the sale of asset #{asset} has ended (its funding window ran from "
            f"{format_time(start)} to {format_time(end)})")  # fmt: skip


def _unexpected_proposal_state(args: Mapping[str, Any], ctx: RevertContext) -> str:
    current = int(args["current"])
    name = PROPOSAL_STATES[current] if current < len(PROPOSAL_STATES) else str(current)
    expected = _states(args["expectedStates"], PROPOSAL_STATES)
    if expected == "active":
        verb = "has not started" if name == "pending" else "is over"
        return f"voting on proposal {args['proposalId']} {verb}: it is {name}"
    return f"proposal {args['proposalId']} is {name}; this needs it to be {expected}"


Message = str | Callable[[Mapping[str, Any], RevertContext], str]

MESSAGES: dict[str, Message] = {
    # Primary sale
    "SaleUnknown": "asset #{assetId} has no primary sale (it is not registered)",
    "SaleNotRegistry": "only the asset registry configures sales, not {caller:address}",
    "SaleNotOpen": _sale_not_open,
    "SalePaused": "asset #{assetId} (or the whole platform) is paused: purchases are stopped",
    "SaleZeroShares": "a purchase must be of at least one share",
    "SaleNotEnoughShares": "only {available:shares} are left in this sale; you asked for {requested:shares}",
    "SaleBuyerCapExceeded": "this purchase would take {buyer:address} to {wouldHold:shares}, above the cap of {cap:shares} per buyer",
    "SaleStillRunning": "the sale of asset #{assetId} cannot end yet: its funding window is open until {end:date} and shares remain",
    "SaleAlreadyFinalized": "the sale of asset #{assetId} has already ended: it {state:sale_state}",
    "SaleNotRefundable": "the sale of asset #{assetId} has not failed: refunds are only for sales that missed their minimum raise",
    "SaleNothingToRefund": "{buyer:address} paid nothing into the sale of asset #{assetId}, or was already refunded",
    "SaleNothingToRelease": "no raise of asset #{assetId} is waiting to be paid to its treasury",
    "SaleNotAssetTimelock": "only the timelock of asset #{assetId} can redirect its raise (a governance decision), not {caller:address}",
    "SaleZeroAddress": "an address given is zero",
    "SaleNotCanceller": "only the operator of asset #{assetId} or the platform admin can cancel its sale, not {caller:address}",
    # Registry
    "RegistryUnknownAsset": "asset #{assetId} is not registered",
    "RegistryNotAssetTimelock": "only the timelock of asset #{assetId} can do this (a governance decision), not {caller:address}",
    "RegistryNotAssetOperator": "only the operator of asset #{assetId} can do this, and {caller:address} is not",
    "RegistryNotPauser": "only a pauser or the timelock of asset #{assetId} can pause or unpause it (each lifts only its own pause), not {caller:address}",
    "RegistryNotPrimarySale": "only the primary sale reports a sale's outcome, not {caller:address}",
    "RegistryModulesAlreadyConnected": "the platform modules are already connected",
    "RegistryModulesNotConnected": "the platform modules are not connected yet, so no asset can be registered",
    "RegistryZeroAddress": "an address given is zero",
    "RegistryBpsTooHigh": "{bps:bps} is above the maximum of {maxBps:bps}",
    "RegistryInvalidShares": "the share supply must be above zero and the per-buyer cap between 1 and the supply (got {totalShares:shares} with a cap of {maxSharesPerBuyer:shares})",
    "RegistryInvalidPricing": "the share price must be above zero with a full raise under 2^128 units, and the minimum raise between 1 and the full raise (got a price of {sharePrice:money} and a minimum raise of {minRaise:money})",
    "RegistryInvalidWindow": "the funding window from {start:date} to {end:date} is empty, has already closed, lasts more than a year or opens more than a year from now",
    "RegistryInvalidGovernance": "the governance settings are outside the platform's bounds (voting delay 1 hour to 30 days, voting period and timelock delay 1 to 30 days, quorum 1-50%), or the name or symbol is missing",
    "RegistryThresholdUnreachable": "a proposal threshold of {threshold:shares} could never be met: a successful sale may sell only {minSharesSold:shares}",
    "RegistryNoPendingFees": "no fee rise is waiting to be applied",
    "RegistryFeesNotYetEffective": "the announced fee rise applies only from {effectiveAt:date}",
    "RegistryPaymentTokenNotAllowed": "{token:addr} is not on the platform's list of payment tokens",
    "RegistryInvalidStatus": "asset #{assetId} is {status:status}, which does not allow this",
    # Share token
    "ShareTransfersLocked": "shares of asset #{assetId} cannot move yet: transfers open once its primary sale succeeds",
    "SharePaused": "asset #{assetId} (or the whole platform) is paused: share transfers are stopped",
    "ShareRecipientNotVerified": "{recipient:address} is not a verified holder (or the verification expired), and this asset only allows verified holders",
    "ShareNotPrimarySale": "only the primary sale mints and burns shares, not {caller:address}",
    "ShareNotRevenueDepositor": "only the asset's operator or its timelock deposits revenue, and {caller:address} is neither",
    "ShareRevenueNotAccepted": "asset #{assetId} does not take revenue now: only active or decommissioned assets do",
    "ShareNoShares": "no share exists yet to receive the revenue",
    "ShareZeroRevenue": "a revenue deposit must be more than zero",
    "ShareUnknownProductionReport": "production report #{reportId} does not exist or belongs to another asset",
    "ShareProductionAlreadyPaid": "production report #{reportId} was already paid for",
    "ShareNothingToClaim": "{account:address} has no revenue to claim",
    "ShareDelegateeNotVerified": "{delegatee:address} is not a verified holder (or the verification expired), and this asset gives votes only to verified accounts",
    "ShareZeroRecipient": "revenue cannot be paid to the zero address",
    "ShareNotCertificates": "only the energy certificates contract takes share snapshots, not {caller:address}",
    "ShareUnknownSnapshot": "share snapshot #{snapshotId} was never taken",
    "ShareNotAssetTimelock": "only the asset's timelock sweeps stranded revenue (a governance decision), not {caller:address}",
    "ShareNotStranded": "{holder:addr} can claim its own revenue: only the token, the sale, the market, the registry and the burn address can be swept",
    # Market
    "MarketUnknownShareToken": "{token:addr} is not a platform share token",
    "MarketAssetNotActive": "asset #{assetId} is not active (its sale has not succeeded, or it was decommissioned), so its shares cannot be traded",
    "MarketZeroAmount": "the number of shares must be above zero",
    "MarketZeroPrice": "the price must be above zero",
    "MarketExpiryInPast": "the expiry {expiresAt:date} is not in the future",
    "MarketListingNotOpen": "listing #{listingId} is not open (it was never listed, or was cancelled, filled or invalidated)",
    "MarketListingInvalidated": "listing #{listingId} is dead: its seller invalidated all its earlier listings",
    "MarketListingExpired": "listing #{listingId} expired on {expiresAt:date}",
    "MarketPriceAboveMax": "the listing's price of {pricePerShare:money} per share is above your maximum of {maxPricePerShare:money}",
    "MarketAmountExceedsListing": "the listing has only {remaining:shares} left; you asked for {requested:shares}",
    "MarketSellerBalanceTooLow": "the seller {seller:addr} holds only {balance:shares}; {needed:shares} are needed",
    "MarketSellerAllowanceTooLow": "{seller:address} lets the market move only {allowance:shares}; {needed:shares} are needed (approve the market for the shares first)",
    "MarketNotSeller": "only the seller {seller:addr} can cancel this listing, not {caller:address}",
    "MarketSelfFill": "a seller cannot fill its own listing #{listingId}",
    # Production oracle
    "OracleNotMeterAdmin": "only a meter admin registers and revokes meters, not {caller:address}",
    "OracleUnknownMeter": "meter {meter:addr} is not registered (or was revoked)",
    "OracleMeterAlreadyRegistered": "meter {meter:addr} is already registered for asset #{assetId}",
    "OracleMeterAssetMismatch": "meter {meter:addr} measures asset #{meterAssetId}, not asset #{readingAssetId}",
    "OracleUnknownAsset": "asset #{assetId} is not registered",
    "OracleInvalidSignature": "the signature is not meter {meter:addr}'s",
    "OracleInvalidPeriod": "the period from {periodStart:date} to {periodEnd:date} is empty or ends in the future",
    "OraclePeriodOverlaps": "the period starting {periodStart:date} overlaps what meter {meter:addr} already reported (its last period ended {lastPeriodEnd:date})",
    "OracleNotRelayer": "only the asset's operator or the meter itself relays a reading, and {caller:address} is neither",
    "OracleZeroMeter": "the meter address is zero",
    "OracleZeroCertificates": "the production oracle needs the energy certificates contract's address",
    # Energy certificates
    "CertificatesNotOracle": "only the production oracle issues certificates, not {caller:address}",
    "CertificatesAlreadyIssued": "production report #{reportId} was already certified",
    "CertificatesAssetIdTooLarge": "asset #{assetId} does not fit in a certificate id",
    "CertificatesUnknownReport": "production report #{reportId} was never certified",
    "CertificatesNothingToClaim": "{account:address} has no certificates to claim from production report #{reportId} (claimed already, or held no shares when it was accepted)",
    "CertificatesNoReports": "a claim names at least one production report",
    "CertificatesZeroEnergy": "a retirement must be of at least 1 Wh",
    "CertificatesNoBeneficiary": "a retirement names its beneficiary",
    "CertificatesAssetPaused": "asset #{assetId} (or the whole platform) is paused: its certificates cannot move (claiming and retiring still work)",
    "CertificatesRecipientNotVerified": "{recipient:address} is not a verified holder (or the verification expired), and asset #{assetId} only allows verified holders",
    "ERC1155InsufficientBalance": "{sender:address} holds only {balance:n} Wh of certificate {tokenId}; {needed:n} Wh are needed",
    "ERC1155InvalidSender": "{sender:address} cannot send certificates",
    "ERC1155InvalidReceiver": "{receiver:address} cannot receive certificates (a contract must accept ERC-1155 tokens)",
    "ERC1155MissingApprovalForAll": "{operator:address} is not approved to move {owner:address}'s certificates",
    "ERC1155InvalidApprover": "{approver:address} cannot approve an operator",
    "ERC1155InvalidOperator": "{operator:address} cannot be approved as an operator",
    "ERC1155InvalidArrayLength": "{idsLength:n} ids and {valuesLength:n} amounts: one amount per id is needed",
    # Identity registry
    "IdentityZeroAccount": "the account is the zero address",
    "IdentityExpiryInPast": "the verification expiry {expiresAt:date} is not in the future",
    "IdentityNotFound": "{account:address} has no verification to revoke",
    # Governance
    "GovernorAssetNotActive": "proposals open only once the asset's primary sale has succeeded",
    "GovernorSettingOutOfBounds": "{value:n} is outside the platform's bounds for this setting ({min:n} to {max:n})",
    "GovernorTimelockFixed": "an asset's timelock cannot be replaced",
    "GovernorAccountNotVerified": "{account:address} is not verified now, and on this asset only verified accounts propose and vote",
    "GovernorAlreadyCastVote": "{voter:address} has already voted on this proposal",
    "GovernorAlreadyQueuedProposal": "proposal {proposalId} is already queued",
    "GovernorDisabledDeposit": "the governor does not take deposits",
    "GovernorInsufficientProposerVotes": "{proposer:address} has {votes:n} votes; a proposal needs {threshold:n}",
    "GovernorInvalidProposalLength": "a proposal needs one value and one calldata per target, and at least one target (got {targets:n} targets, {values:n} values and {calldatas:n} calldatas)",
    "GovernorInvalidQuorumFraction": "a quorum of {quorumNumerator:n}/{quorumDenominator:n} is not a fraction of the supply",
    "GovernorInvalidSignature": "the vote's signature is not {voter:address}'s",
    "GovernorInvalidVoteParams": "this governor takes no vote parameters",
    "GovernorInvalidVoteType": "a vote is against (0), for (1) or abstain (2)",
    "GovernorInvalidVotingPeriod": "a voting period of {votingPeriod:n} seconds is not allowed",
    "GovernorNonexistentProposal": "proposal {proposalId} does not exist on this asset's governor",
    "GovernorNotQueuedProposal": "proposal {proposalId} is not queued",
    "GovernorOnlyExecutor": "only the asset's timelock can do this, not {account:address}",
    "GovernorQueueNotImplemented": "this governor does not queue proposals",
    "GovernorRestrictedProposer": "the description restricts who may propose it, and {proposer:address} may not",
    "GovernorUnableToCancel": "{account:address} cannot cancel proposal {proposalId}: only its proposer can, while it is pending",
    "GovernorUnexpectedProposalState": _unexpected_proposal_state,
    "TimelockInsufficientDelay": "a delay of {delay:duration} is under the timelock's minimum of {minDelay:duration}",
    "TimelockInvalidOperationLength": "an operation needs one value and one payload per target (got {targets:n} targets, {values:n} values and {payloads:n} payloads)",
    "TimelockUnauthorizedCaller": "only the timelock itself can do this, not {caller:address}",
    "TimelockDelayOutOfBounds": "a timelock delay of {delay:duration} is outside the platform's bounds ({min:duration} to {max:duration})",
    "TimelockRolesFixed": "an asset timelock's roles are fixed ({role:role} of {account:addr} cannot change): its governor alone proposes, anyone executes",
    "TimelockUnexecutedPredecessor": "operation {predecessorId} must be executed first",
    "TimelockUnexpectedOperationState": "timelock operation {operationId} is not {expectedStates:operation_states}",
    "CheckpointUnorderedInsertion": "a voting checkpoint was written out of order",
    "ERC5805FutureLookup": "voting power at {timepoint:date} is not known yet (the clock reads {clock:date})",
    "ERC6372InconsistentClock": "the token's clock and the governor's disagree",
    "VotesExpiredSignature": "the delegation signature expired on {expiry:date}",
    # ERC-20 and permits
    "ERC20InsufficientBalance": "{sender:address} holds only {balance:token}; {needed:token} are needed",
    "ERC20InsufficientAllowance": "{spender:addr} may take only {allowance:token} from this account; {needed:token} are needed (approve it first)",
    "ERC20InvalidApprover": "{approver:address} cannot approve a spender",
    "ERC20InvalidReceiver": "{receiver:address} cannot receive tokens",
    "ERC20InvalidSender": "{sender:address} cannot send tokens",
    "ERC20InvalidSpender": "{spender:address} cannot be approved as a spender",
    "ERC20ExceededSafeSupply": "the supply would reach {increasedSupply:n}, above the most votes can count ({cap:n})",
    "ERC2612ExpiredSignature": "the permit expired on {deadline:date}: sign a new one",
    "ERC2612InvalidSigner": "the permit was signed by {signer:address}, not by the owner {owner:address}",
    "InvalidAccountNonce": "the signature used a stale nonce: the current nonce of {account:address} is {currentNonce:n}",
    "ECDSAInvalidSignature": "the signature is not valid",
    "ECDSAInvalidSignatureLength": "the signature is {length:n} bytes long instead of 65",
    "ECDSAInvalidSignatureS": "the signature is malleable (its s value is too high)",
    "SafeERC20FailedOperation": "the token {token:addr} refused the transfer",
    "Blocked": "the stablecoin blocks {account:address}",
    # Access control
    "AccessControlUnauthorizedAccount": "{account:address} lacks {neededRole:role}",
    "AccessControlBadConfirmation": "renouncing a role needs the caller's own address as confirmation",
    "AccessControlEnforcedDefaultAdminDelay": "the admin transfer cannot complete before {schedule:date}",
    "AccessControlEnforcedDefaultAdminRules": "the default admin role only changes through its two-step transfer",
    "AccessControlInvalidDefaultAdmin": "{defaultAdmin:address} cannot become the default admin",
    # Plumbing
    "FailedCall": "a call made by the contract failed",
    "FailedDeployment": "deploying the asset's contracts failed",
    "InsufficientBalance": "the contract holds only {balance:n} wei; {needed:n} are needed",
    "InvalidInitialization": "the contract is already initialized",
    "NotInitializing": "the contract is not being initialized",
    "InvalidShortString": "a short string is malformed",
    "StringTooLong": "the text {str!r} is too long",
    "ReentrancyGuardReentrantCall": "a reentrant call was refused",
    "SafeCastOverflowedIntToUint": "the number {value:n} is negative where a positive one is needed",
    "SafeCastOverflowedUintDowncast": "the number {value:n} does not fit in {bits} bits",
    "SafeCastOverflowedUintToInt": "the number {value:n} is too large",
    # Test contracts
    "TransferFanNotOwner": "only the owner can fan out transfers, not {caller:address}",
    "TransferFanNothingToSend": "nothing to send to {recipients:n} recipients in {rounds:n} rounds",
    "TransferFanTransferFailed": "a transfer to {recipient:address} failed",
}


def _json_arg(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return checksum(value)
    if isinstance(value, list):
        return [_json_arg(v) for v in value]
    return value


def describe(name: str, args: Mapping[str, Any], context: RevertContext) -> str:
    """The plain words for error `name` with decoded `args`."""
    message = MESSAGES.get(name)
    if message is None:
        shown = ", ".join(f"{k}={v}" for k, v in args.items())
        return f"the contract refused with {name}({shown})"
    if callable(message):
        return message(args, context)
    return _Words(context).format(message, **args)


def decode_revert(abis: Abis, data: bytes, context: RevertContext) -> DecodedRevert:
    """The revert `data` as a name, JSON-ready arguments and plain words."""
    if len(data) < 4:
        return DecodedRevert("Revert", {}, "the transaction would revert without giving a reason")
    selector, body = data[:4], data[4:]
    try:
        if selector == ERROR_SELECTOR:
            (reason,) = decode_values([{"type": "string"}], body)
            return DecodedRevert("Error", {"reason": reason}, f"the contract refused: {reason}",
                                 "0x" + selector.hex())  # fmt: skip
        if selector == PANIC_SELECTOR:
            (code,) = decode_values([{"type": "uint256"}], body)
            words = PANICS.get(code, f"panic code {code:#x}")
            return DecodedRevert("Panic", {"code": str(code)},
                                 f"the contract stopped on {words}", "0x" + selector.hex())  # fmt: skip
        spec = abis.errors.get(selector)
        if spec is not None:
            args = spec.decode(body)
            return DecodedRevert(spec.name, {k: _json_arg(v) for k, v in args.items()},
                                 describe(spec.name, args, context), "0x" + selector.hex())  # fmt: skip
    except (ValueError, KeyError, IndexError):  # AbiDecodingError is a ValueError
        pass
    return DecodedRevert(
        "Unknown", {"data": "0x" + data.hex()},
        f"the transaction would revert with an error this API does not know (0x{selector.hex()})",
        "0x" + selector.hex(),
    )  # fmt: skip
