"""Field types shared by the API's models: addresses, uint256 amounts, hashes.

Inputs: an address is 0x and 40 hex digits, either all one case or with a valid EIP-55 checksum;
it is kept lowercase inside (as the indexer stores it). Outputs are checksummed. A uint256 travels
as a decimal string both ways, so no client loses precision to a float.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any

from eth_utils import to_checksum_address
from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema

MAX_UINT256 = 2**256 - 1
ZERO_ADDRESS = "0x" + "0" * 40  # lowercase, as the index stores addresses
MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer a JSON number carries exactly everywhere (times and sizes given as numbers;
a larger documented bound reads as a float and no longer says what is accepted)."""
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_HASH = re.compile(r"^0x[0-9a-f]{64}$")
_DECIMAL = re.compile(r"^(0|[1-9][0-9]{0,77})$")


@lru_cache(maxsize=65_536)
def checksum(address: str) -> str:
    """The EIP-55 spelling of an address."""
    return to_checksum_address(address)


def parse_address(value: str) -> str:
    """A valid address, lowercase; raises ValueError with the reason otherwise."""
    if not isinstance(value, str) or not _ADDRESS.match(value):
        raise ValueError("an address is 0x followed by 40 hexadecimal digits")
    body = value[2:]
    if body != body.lower() and body != body.upper() and checksum(value.lower()) != value:
        raise ValueError(f"bad EIP-55 checksum; did you mean {checksum(value.lower())}?")
    return value.lower()


def parse_uint256(value: Any) -> int:
    """A uint256 given as a decimal string (ints are accepted from JSON too)."""
    if isinstance(value, bool):
        raise ValueError("an amount is a decimal string of digits")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DECIMAL.match(value):
        number = int(value)
    else:
        raise ValueError("an amount is a decimal string of digits, without sign, point or exponent")
    if not 0 <= number <= MAX_UINT256:
        raise ValueError("an amount must fit in 256 bits")
    return number


_ADDRESS_SCHEMA = {"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$",
                   "example": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"}  # fmt: skip
_ADDRESS_IN_SCHEMA = {
    "type": "string", "pattern": "^0x([0-9a-f]{40}|[0-9A-F]{40})$",
    "description": "0x and 40 hexadecimal digits, all one case; mixed case is accepted too when"
    " it is a valid EIP-55 checksum (any other mixing is refused with the right spelling).",
    "example": "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
}  # fmt: skip
_UINT_SCHEMA = {"type": "string", "pattern": "^(0|[1-9][0-9]{0,77})$", "example": "1000000"}

AddressIn = Annotated[str, AfterValidator(parse_address), WithJsonSchema(_ADDRESS_IN_SCHEMA)]
"""An address given by a client; lowercase after validation."""

Address = Annotated[
    str, PlainSerializer(checksum, return_type=str), WithJsonSchema(_ADDRESS_SCHEMA)
]
"""An address sent to a client, checksummed."""

Uint256In = Annotated[int, BeforeValidator(parse_uint256), WithJsonSchema(_UINT_SCHEMA)]
"""A uint256 given by a client as a decimal string."""

Uint256 = Annotated[int, PlainSerializer(str, return_type=str), WithJsonSchema(_UINT_SCHEMA)]
"""A uint256 sent to a client as a decimal string."""

Hash = Annotated[str, Field(pattern=_HASH.pattern, examples=["0x" + "ab" * 32])]
"""A 32-byte hash, lowercase hex."""
