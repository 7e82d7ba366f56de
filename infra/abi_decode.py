"""ABI decoding of any parameter list, straight into the platform's plain values.

The indexer decodes events whose data is not one-word values (strings, bytes, arrays, structs) and
the API decodes call results and revert data with this one decoder. Values come out as the rest of
the platform writes them: integers as Python ints, addresses as lowercase `0x` hex, `bytes` and
`bytesN` as `0x` hex, strings as text, arrays as lists, structs as dicts by component name.

It replaced eth-abi's decoder, which gave the same values (and refuses the same malformed data)
but took about 0.4 s to import in the indexer, at the first asset's `AssetRegistered` log
(measured alone in the project's venv, see docs/architecture/scaling.md). Encoding stays with
eth-abi.

Data is read as the ABI specification lays it out: a list of parameters is a head of one slot
per parameter (the value itself when it is static, else the byte offset of its tail, counted from
the start of the list) followed by the tails; `bytes` and `string` are a length word and the
padded content; `T[]` is a length word and then `length` values of `T` laid out as a list; `T[k]`
and structs are lists of `k` values of `T` and of their components.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Param = Mapping[str, Any]
WORD = 32


class AbiDecodingError(ValueError):
    """The data is not an ABI encoding of the parameters asked for (too short, offsets or lengths
    pointing past its end, a value wider than its type or with dirty padding, a boolean that is
    neither 0 nor 1, text that is not UTF-8): as strict as eth-abi's default decoder."""


def decode_values(params: Sequence[Param], data: bytes) -> list[Any]:
    """The values of `params` (ABI JSON parameters: `type`, and `components` for structs) encoded
    in `data`; bytes after the encoding are ignored.

    Raises:
        AbiDecodingError: `data` does not hold such an encoding.
    """
    try:
        return _list(params, data, 0)
    except UnicodeDecodeError as error:
        raise AbiDecodingError(f"a string is not UTF-8: {error.reason}") from error


def _element(param: Param) -> tuple[Param, int | None]:
    """An array's element parameter and its fixed length (None for `T[]`)."""
    kind: str = param["type"]
    bracket = kind.rindex("[")
    length = kind[bracket + 1 : -1]
    return {**param, "type": kind[:bracket]}, int(length) if length else None


def _is_dynamic(param: Param) -> bool:
    kind: str = param["type"]
    if kind in ("bytes", "string") or kind.endswith("[]"):
        return True
    if kind.endswith("]"):
        return _is_dynamic(_element(param)[0])
    if kind == "tuple":
        return any(_is_dynamic(c) for c in param["components"])
    return False


def _head_size(param: Param) -> int:
    """Bytes a static parameter takes in place (a dynamic one takes one offset word)."""
    if _is_dynamic(param):
        return WORD
    kind: str = param["type"]
    if kind.endswith("]"):
        element, length = _element(param)
        return (length or 0) * _head_size(element)
    if kind == "tuple":
        return sum(_head_size(c) for c in param["components"])
    return WORD


def _word(data: bytes, at: int) -> int:
    if at < 0 or at + WORD > len(data):
        raise AbiDecodingError(f"a word at byte {at} lies past the end of {len(data)} bytes")
    return int.from_bytes(data[at : at + WORD], "big")


def _list(params: Sequence[Param], data: bytes, start: int) -> list[Any]:
    """Values laid out as a parameter list beginning at byte `start`."""
    values = []
    head = start
    for param in params:
        if _is_dynamic(param):
            values.append(_value(param, data, start + _word(data, head)))
            head += WORD
        else:
            values.append(_value(param, data, head))
            head += _head_size(param)
    return values


def _value(param: Param, data: bytes, at: int) -> Any:
    """The value of `param` whose encoding begins at byte `at`."""
    kind: str = param["type"]
    if kind.endswith("]"):
        element, length = _element(param)
        if length is None:
            length = _word(data, at)
            at += WORD
            if length > (len(data) - at) // WORD:  # every element takes a word at least
                raise AbiDecodingError(f"an array of {length} values in {len(data)} bytes")
        return _list([element] * length, data, at)
    if kind == "tuple":
        components = param["components"]
        return {c["name"]: v for c, v in zip(components, _list(components, data, at), strict=True)}
    if kind in ("bytes", "string"):
        size = _word(data, at)
        if size > len(data) - at - WORD:
            raise AbiDecodingError(f"{size} bytes of {kind} past the end of {len(data)} bytes")
        content = data[at + WORD : at + WORD + size]
        return content.decode() if kind == "string" else "0x" + content.hex()
    word = _word(data, at)
    if kind.startswith("uint"):
        if word >> _bits(kind, 4):
            raise AbiDecodingError(f"{word} does not fit a {kind}")
        return word
    if kind.startswith("int"):
        value = word - (1 << 256) if word >> 255 else word
        half = 1 << (_bits(kind, 3) - 1)
        if not -half <= value < half:
            raise AbiDecodingError(f"{value} does not fit an {kind}")
        return value
    if kind == "address":
        if word >> 160:
            raise AbiDecodingError("an address with non-zero padding")
        return "0x" + data[at + 12 : at + WORD].hex()
    if kind == "bool":
        if word > 1:
            raise AbiDecodingError(f"a bool of value {word}")
        return word == 1
    if kind.startswith("bytes") and kind[5:].isdigit():
        size = int(kind[5:])
        if any(data[at + size : at + WORD]):
            raise AbiDecodingError(f"a {kind} with non-zero padding")
        return "0x" + data[at : at + size].hex()
    raise AbiDecodingError(f"cannot decode ABI type {kind!r}")


def _bits(kind: str, prefix: int) -> int:
    """The width of `uintN` / `intN` (256 when N is left out)."""
    return int(kind[prefix:] or 256)
