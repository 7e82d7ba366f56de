"""Event signatures and decoders, built from the compiled contract types in ape's build output.

Addresses come out lowercase (`0x` + 40 hex digits), integers as Python ints, fixed bytes as `0x` hex,
structs as dicts keyed by component name. Events whose data holds only one-word static values are
decoded by slicing the hex, which is several times faster than the general ABI decoder
(`infra.abi_decode`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from eth_hash.auto import keccak

from infra.abi_decode import decode_values
from infra.exceptions import ConfigurationError

# The contract types whose events the indexer follows, by the kind of contract they deploy as.
CONTRACT_TYPES = {
    "registry": "AssetRegistry",
    "identity": "IdentityRegistry",
    "sale": "PrimarySale",
    "oracle": "ProductionOracle",
    "market": "ShareMarket",
    "certificates": "EnergyCertificates",
    "share_token": "ShareToken",
    "governor": "AssetGovernor",
    "timelock": "AssetTimelock",
}
# The deployments file's names for the platform's own contracts.
DEPLOYED_KINDS = {name: kind for kind, name in CONTRACT_TYPES.items()}
JSON_SAFE_BITS = 48  # integers wider than this are written to JSON as decimal strings


def canonical_type(param: Mapping[str, Any]) -> str:
    """The ABI type string of a parameter, with tuples spelled out."""
    kind: str = param["type"]
    if kind.startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def _word_decoder(kind: str) -> Any:
    """A decoder of one 64-hex-digit word for a static elementary type, or None."""
    if kind.endswith("]") or kind.startswith("tuple") or kind in ("string", "bytes"):
        return None
    if kind == "address":
        return lambda word: "0x" + word[24:]
    if kind == "bool":
        return lambda word: word[-1] != "0"
    if kind.startswith("uint"):
        return lambda word: int(word, 16)
    if kind.startswith("int"):
        bits = 256

        def signed(word: str) -> int:
            value = int(word, 16)
            return value - (1 << bits) if value >= 1 << (bits - 1) else value

        return signed
    if kind.startswith("bytes") and kind != "bytes":
        size = int(kind[5:])
        return lambda word: "0x" + word[: 2 * size]
    return None


def _json_safe(value: Any, param: Mapping[str, Any]) -> Any:
    """A decoded value ready for JSON: wide integers become decimal strings."""
    kind: str = param["type"]
    if kind.endswith("]"):
        element = dict(param, type=kind[: kind.rindex("[")])
        return [_json_safe(item, element) for item in value]
    if kind == "tuple":
        return {c["name"]: _json_safe(value[c["name"]], c) for c in param["components"]}
    if kind.startswith(("uint", "int")):
        bits = int(kind.lstrip("uint") or 256)
        return str(value) if bits > JSON_SAFE_BITS else value
    return value


@dataclass(frozen=True)
class EventSpec:
    """One event: its name, signature hash and how to decode its topics and data."""

    name: str
    topic0: str
    inputs: tuple[Mapping[str, Any], ...]

    @property
    def indexed(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(p for p in self.inputs if p.get("indexed"))

    @property
    def unindexed(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(p for p in self.inputs if not p.get("indexed"))

    def decoder(self) -> Any:
        """A function (topics, data) -> dict of arguments, for any event (`infra.abi_decode`)."""
        topic_decoders = [
            (p["name"], _word_decoder(p["type"]) or (lambda word: "0x" + word))
            for p in self.indexed
        ]
        unindexed = self.unindexed

        def general(topics: list[str], data: str) -> dict[str, Any]:
            args = {
                name: decode(topics[i + 1][2:]) for i, (name, decode) in enumerate(topic_decoders)
            }
            values = decode_values(unindexed, bytes.fromhex(data[2:]))
            for param, value in zip(unindexed, values, strict=True):
                args[param["name"]] = value
            return args

        return general

    def to_json(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments in the form stored as JSON (wide integers as strings)."""
        return {p["name"]: _json_safe(args[p["name"]], p) for p in self.inputs}

    def codec(self) -> Any:
        """A function (topics, data) -> (arguments, arguments as JSON text).

        Events made only of one-word values get a function generated for them, which slices the
        hex in place (several times faster than the general decoder); the others decode with
        `infra.abi_decode` and encode with orjson.
        """
        flat = _flat_codec(self)
        if flat is not None:
            return flat
        decode = self.decoder()

        def general(topics: list[str], data: str) -> tuple[dict[str, Any], str]:
            args = decode(topics, data)
            return args, orjson.dumps(self.to_json(args)).decode()

        return general


def _signed(value: int) -> int:
    return value - (1 << 256) if value >= 1 << 255 else value


def _word_source(kind: str, text: str, offset: int) -> str | None:
    """Python source decoding the 64-hex-digit word at `offset` of the string named `text`, or None
    for a type that is not one word (arrays among them: `uint256[]` is not a `uint256`)."""
    if kind.endswith("]"):
        return None
    end = offset + 64
    if kind == "address":
        return f'"0x" + {text}[{offset + 24}:{end}]'
    if kind == "bool":
        return f'{text}[{end - 1}] != "0"'
    if kind.startswith("uint"):
        return f"int({text}[{offset}:{end}], 16)"
    if kind.startswith("int"):
        return f"_signed(int({text}[{offset}:{end}], 16))"
    if kind.startswith("bytes") and kind[5:].isdigit():
        return f'"0x" + {text}[{offset}:{offset + 2 * int(kind[5:])}]'
    return None


def _json_source(kind: str, variable: str) -> str:
    if kind == "bool":
        return f'("true" if {variable} else "false")'
    if kind.startswith(("uint", "int")):
        wide = int(kind.lstrip("uint") or 256) > JSON_SAFE_BITS
        return f"'\"' + str({variable}) + '\"'" if wide else f"str({variable})"
    return f"'\"' + {variable} + '\"'"


def _flat_codec(spec: EventSpec) -> Any:
    """Generates the codec of an event whose values are all one word, or gives None."""
    lines, fields, json_parts = [], [], []
    topic, word = 1, 0
    for i, param in enumerate(spec.inputs):
        kind = param["type"]
        if param.get("indexed"):
            source = _word_source(kind, f"topics[{topic}]", 2)
            topic += 1
        else:
            source = _word_source(kind, "data", 2 + 64 * word)
            word += 1
        if source is None or not str(param["name"]).isidentifier():
            return None
        lines.append(f"    a{i} = {source}")
        fields.append(f'"{param["name"]}": a{i}')
        json_parts.append(f"'\"{param['name']}\":' + {_json_source(kind, f'a{i}')}")
    body = " + ',' + ".join(json_parts) if json_parts else "''"
    source = "\n".join(
        ["def codec(topics, data):", *lines,
         f"    return {{{', '.join(fields)}}}, '{{' + {body} + '}}'"]
    )  # fmt: skip
    namespace: dict[str, Any] = {"_signed": _signed}
    exec(compile(source, f"<codec {spec.name}>", "exec"), namespace)
    return namespace["codec"]


def event_specs(abi: Iterable[Mapping[str, Any]]) -> dict[str, EventSpec]:
    """The events of one ABI by topic0 (lowercase hex with `0x`)."""
    specs: dict[str, EventSpec] = {}
    for item in abi:
        if item.get("type") != "event" or item.get("anonymous"):
            continue
        signature = f"{item['name']}({','.join(canonical_type(p) for p in item['inputs'])})"
        topic0 = "0x" + keccak(signature.encode()).hex()
        specs[topic0] = EventSpec(item["name"], topic0, tuple(item["inputs"]))
    return specs


@dataclass(frozen=True)
class Abis:
    """The events of every followed contract kind."""

    by_kind: dict[str, dict[str, EventSpec]]

    @classmethod
    def from_build(cls, build_file: Path) -> Abis:
        """Reads ape's build output (`.build/__local__.json`)."""
        try:
            manifest = json.loads(build_file.read_text())
        except FileNotFoundError as error:
            raise ConfigurationError(
                f"{build_file} is missing: compile the contracts first (`make compile`)"
            ) from error
        types = manifest.get("contractTypes", {})
        missing = [name for name in CONTRACT_TYPES.values() if name not in types]
        if missing:
            raise ConfigurationError(f"{build_file} lacks contract types {', '.join(missing)}")
        return cls({kind: event_specs(types[name]["abi"]) for kind, name in CONTRACT_TYPES.items()})

    def all_specs(self) -> dict[str, EventSpec]:
        """Every followed event by topic0."""
        merged: dict[str, EventSpec] = {}
        for specs in self.by_kind.values():
            merged.update(specs)
        return merged
