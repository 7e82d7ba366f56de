"""Range checks of what goes into a transaction: every value must fit its ABI type.

An amount the API computes (shares times price, listed + new shares) or a value a client gives for
a narrower type (a uint64 time, a uint8 vote, a uint48 delay) that does not fit is refused here
with the reason, as `OutOfRange`; the routes answer it with a 422. Left to the ABI encoder it
would raise deep inside a request and become a 500 that also drops the keep-alive connection.
`check_args` runs on every call the API encodes, so no builder can forget it; the amount checks
name the figures a client can act on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from infra.abi import canonical_type

MAX_UINT256 = 2**256 - 1
_INT = re.compile(r"^(u?)int(\d*)$")
_BYTES = re.compile(r"^bytes(\d+)$")
_ARRAY = re.compile(r"^(.*)\[(\d*)\]$")


class OutOfRange(ValueError):
    """A value that does not fit where it goes, with the reason in plain words.

    Args:
        reason: What does not fit, and the bound.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def bound(abi_type: str) -> tuple[int, int] | None:
    """The smallest and largest value of an integer ABI type, or None for another type."""
    match = _INT.match(abi_type)
    if match is None:
        return None
    bits = int(match.group(2) or 256)
    if match.group(1):
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def _words(low: int, high: int, abi_type: str) -> str:
    if low == 0:
        return f"a {abi_type} is at most {high} (2**{high.bit_length()} - 1)"
    return f"a {abi_type} lies from {low} to {high}"


def uint256(value: int, what: str) -> int:
    """`value` when it fits a uint256; raises OutOfRange naming `what` otherwise.

    Args:
        value: A computed amount.
        what: How the amount reads to a user ("the cost of 10 shares at 5 each").
    """
    if not 0 <= value <= MAX_UINT256:
        raise OutOfRange(f"{what} is {value}, more than a uint256 amount can be (at most "
                         f"2**256 - 1 = {MAX_UINT256}): ask for less")  # fmt: skip
    return value


def check_value(abi_type: str, value: Any, name: str) -> None:
    """Raises OutOfRange when `value` does not fit `abi_type` (a canonical type; tuples as
    `(t1,t2)`); `name` is the parameter's path for the reason."""
    array = _ARRAY.match(abi_type)
    if array is not None:
        inner, size = array.group(1), array.group(2)
        if size and len(value) != int(size):
            raise OutOfRange(f"{name} must hold exactly {size} values, not {len(value)}")
        for i, item in enumerate(value):
            check_value(inner, item, f"{name}[{i}]")
        return
    limits = bound(abi_type)
    if limits is not None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise OutOfRange(f"{name} must be an integer")
        low, high = limits
        if not low <= value <= high:
            raise OutOfRange(f"{name} is {value}, out of range: {_words(low, high, abi_type)}")
        return
    fixed = _BYTES.match(abi_type)
    if (
        fixed is not None
        and isinstance(value, bytes | bytearray)
        and len(value) != int(fixed.group(1))
    ):
        raise OutOfRange(f"{name} must be {fixed.group(1)} bytes, not {len(value)}")


def check_args(
    inputs: Sequence[Mapping[str, Any]], values: Sequence[Any], prefix: str = ""
) -> None:
    """Raises OutOfRange for the first of `values` that does not fit its ABI parameter."""
    if len(values) != len(inputs):
        raise OutOfRange(f"{len(inputs)} values are needed, not {len(values)}")
    for i, (param, value) in enumerate(zip(inputs, values, strict=True)):
        name = f"{prefix}{param.get('name') or f'arg{i}'}"
        abi_type = str(param["type"])
        if abi_type.startswith("tuple"):
            components = param.get("components", ())
            suffix = abi_type[len("tuple") :]
            if suffix:  # an array of structs
                size = _ARRAY.match("x" + suffix)
                if size is not None and size.group(2) and len(value) != int(size.group(2)):
                    raise OutOfRange(f"{name} must hold exactly {size.group(2)} values")
                for j, item in enumerate(value):
                    check_args(components, _fields(item, components), f"{name}[{j}].")
            else:
                check_args(components, _fields(value, components), f"{name}.")
        else:
            check_value(canonical_type(param), value, name)


def _fields(value: Any, components: Sequence[Mapping[str, Any]]) -> Sequence[Any]:
    if isinstance(value, Mapping):
        return [value.get(str(c.get("name"))) for c in components]
    return list(value)
