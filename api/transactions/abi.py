"""The platform's ABIs, read from ape's build output, to encode calls and decode answers and errors.

`Abis.load(build_file)` reads `.build/__local__.json` once (again only if the file changes).
Functions are looked up by contract type, name and (for overloads) number of inputs; errors by
their 4-byte selector across every contract type, so a revert raised deep in a call (a token
refusing a transfer inside a purchase) decodes as well as the called contract's own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import eth_abi
from eth_utils import keccak

from api.transactions.ranges import check_args
from infra.abi import canonical_type
from infra.abi_decode import decode_values

# Contract types standing for every ERC-20 the platform talks to (any stablecoin has these).
ERC20 = "MockStablecoin"


class AbiError(RuntimeError):
    """The build output is missing or lacks what the API needs."""


@dataclass(frozen=True)
class Function:
    """One function of a contract type."""

    name: str
    inputs: tuple[Mapping[str, Any], ...]
    outputs: tuple[Mapping[str, Any], ...]

    @property
    def input_types(self) -> list[str]:
        return [canonical_type(p) for p in self.inputs]

    @property
    def selector(self) -> bytes:
        return keccak(text=f"{self.name}({','.join(self.input_types)})")[:4]

    def encode(self, *args: Any) -> bytes:
        """The calldata of a call with `args` (structs as tuples).

        Raises:
            OutOfRange: A value does not fit its parameter's type (named in the reason).
        """
        check_args(self.inputs, args)
        return self.selector + eth_abi.encode(self.input_types, list(args))

    def decode(self, data: bytes) -> Any:
        """The return values: one value alone, several as a tuple (structs as dicts)."""
        plain = decode_values(self.outputs, data)
        return plain[0] if len(plain) == 1 else tuple(plain)


@dataclass(frozen=True)
class ErrorSpec:
    """One custom error."""

    name: str
    inputs: tuple[Mapping[str, Any], ...]

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(canonical_type(p) for p in self.inputs)})"

    @property
    def selector(self) -> bytes:
        return keccak(text=self.signature)[:4]

    def decode(self, data: bytes) -> dict[str, Any]:
        """The error's arguments by name (`arg0`... for unnamed ones)."""
        values = decode_values(self.inputs, data)
        return {
            (p.get("name") or f"arg{i}"): v
            for i, (v, p) in enumerate(zip(values, self.inputs, strict=True))
        }


class Abis:
    """Every contract type's functions, and every error by selector."""

    def __init__(self, types: Mapping[str, Mapping[str, Any]]) -> None:
        self.types = types
        self.errors: dict[bytes, ErrorSpec] = {}
        for contract in types.values():
            for item in contract.get("abi", []):
                if item.get("type") == "error":
                    spec = ErrorSpec(item["name"], tuple(item["inputs"]))
                    self.errors.setdefault(spec.selector, spec)

    @staticmethod
    def load(build_file: Path) -> Abis:
        """The ABIs of a build output (read again only when the file changed)."""
        try:
            stamp = build_file.stat().st_mtime_ns
        except FileNotFoundError as error:
            raise AbiError(f"{build_file} is missing: compile the contracts first") from error
        return _load(str(build_file), stamp)

    def function(self, contract: str, name: str, arity: int | None = None) -> Function:
        """A function of a contract type (the one with `arity` inputs when overloaded)."""
        items = [
            item
            for item in self.types.get(contract, {}).get("abi", [])
            if item.get("type") == "function"
            and item.get("name") == name
            and (arity is None or len(item["inputs"]) == arity)
        ]
        if len(items) != 1:
            raise AbiError(f"{contract}.{name} with {arity} inputs: {len(items)} matches")
        item = items[0]
        return Function(name, tuple(item["inputs"]), tuple(item.get("outputs", ())))

    def encode(self, contract: str, name: str, *args: Any) -> bytes:
        """The calldata of `contract.name(*args)`."""
        return self.function(contract, name, len(args)).encode(*args)

    def error_names(self) -> list[str]:
        """Every error's name."""
        return sorted({spec.name for spec in self.errors.values()})


@lru_cache(maxsize=4)
def _load(path: str, stamp: int) -> Abis:
    manifest = json.loads(Path(path).read_text())
    types = manifest.get("contractTypes", {})
    needed = ("AssetRegistry", "PrimarySale", "ProductionOracle", "ShareMarket", "ShareToken",
              "AssetGovernor", "EnergyCertificates", ERC20)  # fmt: skip
    missing = [name for name in needed if name not in types]
    if missing:
        raise AbiError(f"{path} lacks contract types {', '.join(missing)}")
    return Abis(types)


def encode_args(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """Plain ABI encoding (no selector)."""
    return eth_abi.encode(list(types), list(values))
