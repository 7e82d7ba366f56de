"""The GraphQL scalars of the read model: uint256 as decimal strings, checksummed addresses, and
integers beyond GraphQL's 32-bit `Int` (block numbers, timestamps, counts)."""

from __future__ import annotations

from typing import Any, NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from api.types import checksum, parse_address, parse_uint256

UInt256 = NewType("UInt256", int)
"""A uint256: a decimal string in both directions."""

EthAddress = NewType("EthAddress", str)
"""An address: checksummed out; in, all one case or with a valid EIP-55 checksum."""

Long = NewType("Long", int)
"""An integer that may not fit GraphQL's 32-bit `Int`."""

MAX_SAFE_INTEGER = 2**53 - 1


def _parse_long(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("a Long is a JSON integer")
    if abs(value) > MAX_SAFE_INTEGER:
        raise ValueError(f"a Long is at most {MAX_SAFE_INTEGER} in size")
    return value


SCALARS: dict[object, ScalarDefinition] = {
    UInt256: strawberry.scalar(
        name="UInt256",
        description="A uint256 as a decimal string (no sign, point or exponent).",
        serialize=str,
        parse_value=parse_uint256,
    ),
    EthAddress: strawberry.scalar(
        name="Address",
        description="An Ethereum address: EIP-55 checksummed in answers; in arguments 0x and 40"
        " hexadecimal digits, all one case or correctly checksummed.",
        serialize=checksum,
        parse_value=parse_address,
    ),
    Long: strawberry.scalar(
        name="Long",
        description="An integer up to 2^53 - 1 as a JSON number (block numbers, unix seconds,"
        " counts).",
        serialize=int,
        parse_value=_parse_long,
    ),
}
"""The schema's `scalar_map`."""
