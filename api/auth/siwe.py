"""Sign-in with Ethereum (EIP-4361): the checks a signed message must pass.

The `siwe` package parses the message; every check is made here, because its `verify` checks
the domain and nonce only when given them and never the chain id, URI or issued-at. The signature
is recovered over the exact text the wallet signed (EIP-191); when the message's address holds
code, the contract wallet is asked instead (EIP-1271 `isValidSignature`, through the node).
Nothing here is a route: a refusal is a `SignInRefused` with the reason in plain words.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak
from pydantic import ValidationError

from api.node import Node, NodeUnavailable, Reverted, RpcError
from api.settings import ApiSettings

with warnings.catch_warnings():
    # siwe builds its ABNF grammars on import, and abnf warns about their own redefinitions of
    # core rules (harmless: the parser used here is siwe's regular-expression one).
    warnings.simplefilter("ignore", UserWarning)
    from siwe import SiweMessage

STATEMENT = "Sign in to the energy co-ownership platform."
MAX_MESSAGE_CHARS = 4096
MAX_LINES = 40
MAX_LINE_CHARS = 256  # the parser's worst case grows fast with a field's length: keep it in ms
MAX_STATEMENT_CHARS = 1024
EIP1271_SELECTOR = bytes.fromhex("1626ba7e")
"""`isValidSignature(bytes32,bytes)`, which is also the magic value a wallet answers."""
EIP1271_ACCEPTED = "0x" + (EIP1271_SELECTOR + bytes(28)).hex()
"""The one answer that accepts: the magic value as an ABI `bytes4`, one 32-byte word, left-aligned
and zero-padded (what OpenZeppelin's `SignatureChecker` requires, no more and no less)."""

_HEADER = " wants you to sign in with your Ethereum account:"
_REQUIRED_LINES = ("URI: ", "Version: ", "Chain ID: ", "Nonce: ", "Issued At: ")
_NONCE = re.compile(r"^[A-Za-z0-9]{8,}$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


class SignInRefused(Exception):
    """A sign-in message or signature that is not accepted, with the reason.

    Args:
        reason: What is wrong, in words a user can act on.
        malformed: True when the input cannot be read at all (an answer of 422, else 401).
    """

    def __init__(self, reason: str, *, malformed: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.malformed = malformed


@dataclass(frozen=True)
class Expected:
    """What a sign-in message must say to be accepted here."""

    domain: str
    origin: str
    scheme: str
    chain_id: int
    max_age: timedelta
    skew: timedelta


def expected_for(settings: ApiSettings, chain_id: int) -> Expected:
    """The domain (host[:port] of the public URL), origin and chain this API signs in for."""
    url = urlsplit(settings.base_url)
    domain = url.netloc.lower()  # the settings refuse a public URL with a user part
    return Expected(
        domain=domain,
        origin=f"{url.scheme.lower()}://{domain}",
        scheme=url.scheme.lower(),
        chain_id=chain_id,
        max_age=timedelta(seconds=settings.siwe_max_age_seconds),
        skew=timedelta(seconds=settings.clock_skew_seconds),
    )


def iso(moment: datetime) -> str:
    """An RFC 3339 UTC timestamp as EIP-4361 writes it (`2024-01-01T00:00:00.000Z`)."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def template(expected: Expected, *, nonce: str, issued_at: datetime, expires_at: datetime) -> str:
    """A message ready to sign once `{address}` is replaced by the EIP-55 address."""
    return (
        f"{expected.domain}{_HEADER}\n{{address}}\n\n{STATEMENT}\n\n"
        f"URI: {expected.origin}\nVersion: 1\nChain ID: {expected.chain_id}\nNonce: {nonce}\n"
        f"Issued At: {iso(issued_at)}\nExpiration Time: {iso(expires_at)}"
    )


def parse(text: str) -> SiweMessage:
    """The message's fields; raises SignInRefused (malformed) with what is wrong.

    The text is first checked for shape and size (linear time), then parsed with the `siwe`
    package's regular expression: its ABNF parser takes seconds on a few kilobytes, which anyone
    could send, and the expression is fast once no line can be long.
    """
    problem = _shape(text)
    if problem is None:
        try:
            return SiweMessage.from_message(text, abnf=False)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
            )
            raise SignInRefused(f"the message has invalid fields: {problems}",
                                malformed=True) from error  # fmt: skip
        except ValueError:
            problem = (
                "check the layout: the address line, a blank line, an optional statement and a"
                " blank line, then the URI, Version, Chain ID, Nonce and Issued At lines (RFC 3339"
                " times), then any of Expiration Time, Not Before, Request ID and Resources"
            )
    raise SignInRefused(f"the message is not an EIP-4361 sign-in message: {problem}",
                        malformed=True)  # fmt: skip


def _shape(text: str) -> str | None:
    """The first visible reason a text cannot be a sign-in message, or None."""
    if len(text) > MAX_MESSAGE_CHARS:
        return f"it is longer than {MAX_MESSAGE_CHARS} characters"
    if "\r" in text:
        return "lines must end with LF, not CRLF"
    lines = text.split("\n")
    if len(lines) > MAX_LINES:
        return f"it has more than {MAX_LINES} lines"
    for number, line in enumerate(lines):
        limit = MAX_STATEMENT_CHARS if number == 3 else MAX_LINE_CHARS
        if len(line) > limit:
            return f"line {number + 1} is longer than {limit} characters"
    if not lines[0].endswith(_HEADER):
        return f"the first line must be '<domain>{_HEADER}'"
    if len(lines) < 2 or not _ADDRESS.match(lines[1]):
        return "the second line must be the 0x-prefixed address"
    values = {}
    for line in lines:
        for prefix in _REQUIRED_LINES:
            if line.startswith(prefix):
                values[prefix] = line[len(prefix) :]
    missing = [p.strip() for p in _REQUIRED_LINES if p not in values]
    if missing:
        return f"the {', '.join(missing)} line{'s are' if len(missing) > 1 else ' is'} missing"
    if values["Version: "] != "1":
        return f"Version must be 1, not {values['Version: ']!r}"
    if not values["Chain ID: "].isdigit():
        return "Chain ID must be a decimal number"
    if not _NONCE.match(values["Nonce: "]):
        return "Nonce must be at least 8 letters or digits"
    return None


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise SignInRefused(f"the time {value} has no offset", malformed=True)
    return moment


def check_fields(message: SiweMessage, expected: Expected, now: datetime) -> None:
    """Refuses a message for another domain, origin, chain or time (`now` is UTC-aware)."""
    if str(message.version) != "1":
        raise SignInRefused(f"the message is version {message.version}; only version 1 is known")
    if message.scheme is not None and message.scheme.lower() != expected.scheme:
        raise SignInRefused(
            f"the message is for scheme {message.scheme}, this API is served over {expected.scheme}"
        )
    if "@" in message.domain:
        raise SignInRefused(
            f"the message's domain {message.domain} has a user part before '@': a wallet may"
            f" show that part as the site; this API signs in for {expected.domain} alone"
        )
    if message.domain.lower() != expected.domain:
        raise SignInRefused(
            f"the message is for {message.domain}, this API signs in for {expected.domain}"
        )
    uri = urlsplit(message.uri)
    if "@" in uri.netloc:
        raise SignInRefused(
            f"the message's URI {message.uri} has a user part before '@': a wallet may show"
            f" that part as the site; the URI must be on {expected.origin} with no user part"
        )
    origin = f"{uri.scheme.lower()}://{uri.netloc.lower()}"
    if origin != expected.origin:
        raise SignInRefused(
            f"the message's URI {message.uri} is not on this API's origin {expected.origin}"
        )
    if message.chain_id != expected.chain_id:
        raise SignInRefused(
            f"the message is for chain {message.chain_id}, this API serves chain"
            f" {expected.chain_id}"
        )
    _check_times(message, expected, now)


def _check_times(message: SiweMessage, expected: Expected, now: datetime) -> None:
    issued = _moment(message.issued_at)
    if issued > now + expected.skew:
        raise SignInRefused(f"the message is issued in the future ({message.issued_at}); check"
                            " the device's clock")  # fmt: skip
    if issued < now - expected.max_age:
        raise SignInRefused(
            f"the message was issued at {message.issued_at}, more than"
            f" {int(expected.max_age.total_seconds())} s ago: sign a new one"
        )
    expires = message.expiration_time
    if expires is not None and _moment(expires) <= now - expected.skew:
        raise SignInRefused(f"the message expired at {expires}")
    not_before = message.not_before
    if not_before is not None and _moment(not_before) > now + expected.skew:
        raise SignInRefused(f"the message is not valid before {not_before}")


def _eip191_hash(text: str) -> bytes:
    body = text.encode()
    return keccak(b"\x19Ethereum Signed Message:\n" + str(len(body)).encode() + body)


async def check_signature(text: str, address: str, signature: bytes, node: Node) -> None:
    """Refuses unless `address` (EIP-55) signed `text`, as a key or as a contract wallet.

    Raises:
        SignInRefused: The signature is not the address's (malformed when it cannot be one).
        NodeUnavailable: The node did not answer whether the address is a contract (its URL is
            never part of the reason: it may hold a key).
    """
    signer: str | None = None
    if len(signature) == 65:
        try:
            signer = Account.recover_message(encode_defunct(text=text), signature=signature)
        except Exception:  # eth_keys raises several kinds for a signature off the curve
            signer = None
        if signer == address:
            return
    try:
        code = await node.request("eth_getCode", [address, "latest"])
    except RpcError as error:
        raise NodeUnavailable(f"the node could not read the code of {address}") from error
    if code not in ("0x", "0x0", ""):
        if await _contract_accepts(node, address, _eip191_hash(text), signature):
            return
        raise SignInRefused(f"the contract wallet {address} does not accept this signature"
                            " (EIP-1271 isValidSignature)")  # fmt: skip
    if len(signature) != 65:
        raise SignInRefused(
            f"an account's signature is 65 bytes (r, s, v); this one is {len(signature)}",
            malformed=True,
        )
    if signer is None:
        raise SignInRefused("the signature is not a valid ECDSA signature of this message")
    raise SignInRefused(
        f"the signature was made by {signer}, not by {address}: the message was changed after"
        " signing, or another account signed it"
    )


async def _contract_accepts(node: Node, address: str, digest: bytes, signature: bytes) -> bool:
    data = EIP1271_SELECTOR + abi_encode(["bytes32", "bytes"], [digest, signature])
    call = {"to": address, "data": "0x" + data.hex()}
    try:
        answer = await node.request("eth_call", [call, "latest"])
    except (Reverted, RpcError):  # the wallet reverted: it does not accept the signature
        return False
    # The whole word and its length: a contract that echoes its calldata answers the selector in
    # its first 4 bytes too, followed by the rest of the call.
    return isinstance(answer, str) and answer.lower() == EIP1271_ACCEPTED
