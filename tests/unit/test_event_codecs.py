"""The event decoders (generated for one-word events, `infra.abi_decode` for the others) read every
event exactly as eth-abi encoded it; malformed data is refused with a reason."""

from __future__ import annotations

from typing import Any

import eth_abi
import orjson
import pytest
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.decode import Decoder
from infra.abi import Abis, canonical_type, event_specs
from infra.abi_decode import AbiDecodingError, decode_values

_WIDTHS = (8, 16, 32, 64, 128, 160, 248, 256)
WORD_TYPES = (
    ["address", "bool"]
    + [f"uint{n}" for n in _WIDTHS]
    + [f"int{n}" for n in _WIDTHS]
    + [f"bytes{n}" for n in (1, 4, 20, 31, 32)]
)
# Types that are not one word: their events go through the general decoder.
OTHER_TYPES = ["string", "bytes", "uint256[]", "address[]", "string[]", "bytes[]", "uint8[3]",
               "string[2]", "uint256[][]", "bytes32[2][]", "tuple", "tuple[]"]  # fmt: skip
# The struct the `tuple` types above stand for: static and dynamic members, and a nested struct.
STRUCT: list[dict[str, Any]] = [
    {"name": "id", "type": "uint256"},
    {"name": "name", "type": "string"},
    {"name": "inner", "type": "tuple",
     "components": [{"name": "who", "type": "address"}, {"name": "ok", "type": "bool"}]},
    {"name": "ids", "type": "int16[]"},
]  # fmt: skip


def parameter(name: str, kind: str) -> dict[str, Any]:
    """An ABI parameter; `tuple` kinds get the STRUCT components."""
    param: dict[str, Any] = {"name": name, "type": kind}
    if kind.startswith("tuple"):
        param["components"] = STRUCT
    return param


def value_of(kind: str, components: list[dict[str, Any]] = STRUCT) -> st.SearchStrategy[Any]:
    """Values eth-abi can encode as `kind`."""
    if kind.endswith("]"):
        element, length = kind[: kind.rindex("[")], kind[kind.rindex("[") + 1 : -1]
        values = value_of(element, components)
        if length:
            return st.lists(values, min_size=int(length), max_size=int(length))
        return st.lists(values, max_size=3)
    if kind == "tuple":
        return st.tuples(*(value_of(c["type"], c.get("components", [])) for c in components))
    if kind == "address":
        return st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
    if kind == "bool":
        return st.booleans()
    if kind.startswith("uint"):
        return st.integers(0, 2 ** int(kind[4:]) - 1)
    if kind.startswith("int"):
        bits = int(kind[3:])
        return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    if kind == "string":
        return st.text(max_size=40)
    if kind == "bytes":
        return st.binary(max_size=70)
    return st.binary(min_size=int(kind[5:]), max_size=int(kind[5:]))


def expected(kind: str, value: Any, components: list[dict[str, Any]] = STRUCT) -> Any:
    """What the indexer's conventions make of a value: lowercase addresses, bytes as 0x hex,
    structs as dicts by component name."""
    if kind.endswith("]"):
        return [expected(kind[: kind.rindex("[")], v, components) for v in value]
    if kind == "tuple":
        return {c["name"]: expected(c["type"], v, c.get("components", []))
                for c, v in zip(components, value, strict=True)}  # fmt: skip
    if kind == "address":
        return value.lower()
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


@st.composite
def events(draw: st.DrawFn, types: list[str]) -> tuple[list[dict[str, Any]], list[Any]]:
    """An event ABI (up to three indexed one-word inputs) and values for its inputs."""
    kinds = draw(st.lists(st.sampled_from(types), min_size=1, max_size=7))
    inputs: list[dict[str, Any]] = []
    indexed = 0
    for i, kind in enumerate(kinds):
        index = kind in WORD_TYPES and indexed < 3 and draw(st.booleans())
        indexed += index
        inputs.append({**parameter(f"arg{i}", kind), "indexed": index})
    values = [draw(value_of(p["type"])) for p in inputs]
    return inputs, values


def encoded(inputs: list[dict[str, Any]], values: list[Any]) -> tuple[str, list[str], str]:
    """(topic0, topics, data) as a node returns them for an emitted event."""
    signature = f"E({','.join(canonical_type(p) for p in inputs)})"
    topic0 = "0x" + keccak(text=signature).hex()
    topics = [topic0] + [
        "0x" + eth_abi.encode([p["type"]], [v]).hex()
        for p, v in zip(inputs, values, strict=True)
        if p["indexed"]
    ]
    unindexed = [(canonical_type(p), v) for p, v in zip(inputs, values, strict=True)
                 if not p["indexed"]]  # fmt: skip
    data = eth_abi.encode([t for t, _ in unindexed], [v for _, v in unindexed])
    return topic0, topics, "0x" + data.hex()


def decode(inputs: list[dict[str, Any]], values: list[Any]) -> tuple[dict[str, Any], str, Any]:
    topic0, topics, data = encoded(inputs, values)
    spec = event_specs([{"type": "event", "name": "E", "inputs": inputs}])[topic0]
    args, text = spec.codec()(topics, data)
    return args, text, spec


@settings(max_examples=300, deadline=None)
@given(events(WORD_TYPES))
def test_a_one_word_event_decodes_as_eth_abi_encoded_it(event: Any) -> None:
    inputs, values = event
    args, _, spec = decode(inputs, values)
    assert args == {p["name"]: expected(p["type"], v) for p, v in zip(inputs, values, strict=True)}
    _, topics, data = encoded(inputs, values)
    assert spec.decoder()(topics, data) == args  # the general decoder agrees with the generated one


@settings(max_examples=150, deadline=None)
@given(events(WORD_TYPES + OTHER_TYPES))
def test_any_event_decodes_as_eth_abi_encoded_it(event: Any) -> None:
    inputs, values = event
    args, _, _ = decode(inputs, values)
    assert args == {p["name"]: expected(p["type"], v) for p, v in zip(inputs, values, strict=True)}


@settings(max_examples=300, deadline=None)
@given(events(WORD_TYPES + OTHER_TYPES))
def test_the_json_text_holds_the_arguments_with_wide_integers_as_strings(event: Any) -> None:
    inputs, values = event
    args, text, spec = decode(inputs, values)
    assert orjson.loads(text) == spec.to_json(args)
    for param in inputs:
        kind = param["type"]
        if kind.startswith(("uint", "int")) and not kind.endswith("]"):
            stored = orjson.loads(text)[param["name"]]
            wide = int(kind.lstrip("uint")) > 48
            assert stored == (str(args[param["name"]]) if wide else args[param["name"]])


def test_only_events_of_one_word_values_get_a_generated_decoder() -> None:
    flat = [{"name": "a", "type": "uint256", "indexed": True}, {"name": "b", "type": "address"}]
    dynamic = [{"name": "a", "type": "string"}]
    for inputs, generated in ((flat, True), (dynamic, False)):
        spec = next(iter(event_specs([{"type": "event", "name": "E", "inputs": inputs}]).values()))
        assert spec.codec().__name__ == ("codec" if generated else "general")


def word(value: int) -> bytes:
    return value.to_bytes(32, "big")


@pytest.mark.parametrize(
    ("kinds", "data", "reason"),
    [
        (["uint256"], b"", "past the end"),
        (["uint256", "address"], word(1) + b"\x00" * 31, "past the end"),
        (["string"], word(64), "past the end"),
        (["string"], word(32) + word(33) + b"x" * 32, "past the end"),
        (["uint256[]"], word(32) + word(2**200), "array of"),
        (["bool"], word(2), "a bool of value 2"),
        (["string"], word(32) + word(2) + b"\xff\xfe" + bytes(30), "not UTF-8"),
        (["uint8"], word(256), "does not fit a uint8"),
        (["int8"], word(128), "does not fit an int8"),
        (["int8"], word(2**256 - 129), "does not fit an int8"),
        (["address"], word(1 << 160), "non-zero padding"),
        (["bytes4"], b"\x01\x02\x03\x04\x05" + bytes(27), "non-zero padding"),
    ],
    ids=[
        "empty",
        "short word",
        "offset past the end",
        "string past the end",
        "array longer than the data",
        "bool of 2",
        "string not UTF-8",
        "uint8 of 256",
        "int8 of 128",
        "int8 of -129",
        "address with padding",
        "bytes4 with padding",
    ],
)
def test_malformed_data_is_refused_with_its_reason(kinds: list[str], data: bytes,
                                                   reason: str) -> None:  # fmt: skip
    with pytest.raises(AbiDecodingError, match=reason):
        decode_values([{"type": kind} for kind in kinds], data)


def test_a_log_that_does_not_decode_is_kept_as_unknown() -> None:
    inputs = [{"name": "note", "type": "string", "indexed": False}]
    abis = Abis({"registry": {**event_specs([{"type": "event", "name": "AssetRegistered",
                                               "inputs": []}]),
                              **event_specs([{"type": "event", "name": "E", "inputs": inputs}])}})  # fmt: skip
    topic0 = next(t for t, s in abis.by_kind["registry"].items() if s.name == "E")
    decoder = Decoder(abis, 1)
    good = "0x" + eth_abi.encode(["string"], ["sunny"]).hex()
    assert decoder.decode([topic0], good) == ("E", {"note": "sunny"}, '{"note":"sunny"}')
    assert decoder.decode([topic0], "0x" + word(32).hex()) == ("unknown", {}, "{}")
