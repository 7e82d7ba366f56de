"""`smart-contracts/<core|libraries|interfaces>/<Name>.md`: a page per Solidity file outside
`contracts/test/`, from the compiler's NatSpec output (`userdoc`, `devdoc`) and ABI in ape's build
(`.build/__local__.json`, made by `make compile`).

Each page lists every function, event and custom error of the file's contracts with its NatSpec,
and says where each is declared: in our sources, or inherited from OpenZeppelin. Structs and enums
have no NatSpec output from solc, so a library's types are read from its source with their `///`
comments. Roles and lifecycle are hand-written in `smart-contracts/README.md`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docgen.files import ARCHITECTURE, ROOT

CONTRACTS = ROOT / "contracts"
BUILD = ROOT / ".build" / "__local__.json"
PAGES = ARCHITECTURE / "smart-contracts"
INDEX = PAGES / "reference.md"


class BuildMissing(RuntimeError):
    """The contracts are not compiled (run `make compile`)."""


def sources() -> list[Path]:
    """Every `.sol` file of ours outside `contracts/test/` (and ape's cache)."""
    return sorted(
        p
        for p in CONTRACTS.rglob("*.sol")
        if not {"test", ".cache"} & set(p.relative_to(CONTRACTS).parts[:-1])
    )


def group_of(source: Path) -> str:
    """`interfaces`, `libraries` or `core`, from the file's folder."""
    parts = source.relative_to(CONTRACTS).parts
    return parts[0] if len(parts) > 1 and parts[0] in ("interfaces", "libraries") else "core"


def page_of(source: Path) -> Path:
    """Where a source file's page goes."""
    return PAGES / group_of(source) / f"{source.stem}.md"


def canonical(parameter: dict[str, Any]) -> str:
    """A parameter's canonical ABI type (tuples spelled out)."""
    kind = str(parameter["type"])
    if kind.startswith("tuple"):
        inner = ",".join(canonical(c) for c in parameter.get("components", []))
        return f"({inner}){kind[5:]}"
    return kind


def signature(item: dict[str, Any]) -> str:
    """`name(type,...)`, the key solc uses in userdoc and devdoc."""
    return f"{item['name']}({','.join(canonical(p) for p in item.get('inputs', []))})"


def _declared_names(text: str) -> set[str]:
    names = set(re.findall(r"\b(?:function|event|error)\s+(\w+)\s*\(", text))
    names |= set(re.findall(r"\bpublic\b[^;=(){}]*?\b(\w+)\s*(?:=[^;]*)?;", text))
    return names


@dataclass
class Entry:
    """One function, event or error with its NatSpec."""

    kind: str
    signature: str
    text: str  # the human signature
    notice: str
    details: str
    params: dict[str, str]
    returns: dict[str, str]
    ours: bool

    @property
    def documented(self) -> bool:
        """Whether it has a notice or details."""
        return bool(self.notice or self.details)


def _human(item: dict[str, Any]) -> str:
    def one(p: dict[str, Any]) -> str:
        kind = p.get("internalType") or canonical(p)
        kind = re.sub(r"^(struct|enum|contract) ", "", str(kind))
        indexed = " indexed" if p.get("indexed") else ""
        return f"{kind}{indexed} {p.get('name') or ''}".strip()

    text = f"{item.get('name', item['type'])}({', '.join(one(p) for p in item.get('inputs', []))})"
    if item["type"] == "function":
        mutability = item.get("stateMutability", "")
        if mutability and mutability != "nonpayable":
            text += f" {mutability}"
        outputs = item.get("outputs") or []
        if outputs:
            text += f" returns ({', '.join(one(p) for p in outputs)})"
    return text


def entries(contract: dict[str, Any], ours: set[str]) -> list[Entry]:
    """Every function (constructor included), event and error of a compiled contract."""
    user, dev = contract.get("userdoc") or {}, contract.get("devdoc") or {}
    found = []
    for item in contract.get("abi", []):
        kind = item["type"]
        if kind not in ("function", "event", "error", "constructor"):
            continue
        key = "constructor" if kind == "constructor" else signature(item)
        section = {
            "function": "methods",
            "constructor": "methods",
            "event": "events",
            "error": "errors",
        }[kind]
        u, d = user.get(section, {}).get(key) or {}, dev.get(section, {}).get(key) or {}
        if kind == "error":  # errors map to a list (one per declaration)
            u, d = (u[0] if u else {}), (d[0] if d else {})
        if kind == "function" and not (u or d):
            d = dev.get("stateVariables", {}).get(item["name"]) or {}
        returns = d.get("returns") or {}
        found.append(
            Entry(
                kind=kind,
                signature=key,
                text=_human(item),
                notice=str(u.get("notice") or ""),
                details=str(d.get("details") or ""),
                params=dict(d.get("params") or {}),
                returns={str(k): str(v) for k, v in returns.items()},
                ours=kind == "constructor" or item["name"] in ours,
            )
        )
    order = {"constructor": 0, "function": 1, "event": 2, "error": 3}
    return sorted(found, key=lambda e: (order[e.kind], e.signature))


def load_build() -> dict[str, Any]:
    """The compiled contract types, by name."""
    if not BUILD.exists():
        raise BuildMissing(f"{BUILD.relative_to(ROOT)} is missing: run `make compile` first")
    return dict(json.loads(BUILD.read_text())["contractTypes"])


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _types_of_library(text: str) -> list[str]:
    """A library's enums and structs with their `///` comments, as Markdown."""
    out = []
    pattern = re.compile(r"((?:[ \t]*///[^\n]*\n)+)[ \t]*(struct|enum)\s+(\w+)\s*\{(.*?)\}", re.S)
    for comments, kind, name, body in pattern.findall(text):
        lines = [re.sub(r"^\s*///\s?", "", line) for line in comments.strip().splitlines()]
        doc = " ".join(lines)
        out += [f"### {kind} {name}", ""]
        tags = re.split(r"(?=@\w+)", doc)
        params = []
        for tag in tags:
            tag = tag.strip()
            if tag.startswith("@notice"):
                out += [tag[len("@notice") :].strip(), ""]
            elif tag.startswith("@dev"):
                out += [tag[len("@dev") :].strip(), ""]
            elif tag.startswith("@param"):
                name_, _, rest = tag[len("@param") :].strip().partition(" ")
                params.append(f"- `{name_}`: {rest.strip()}")
        members = [m.strip() for m in body.strip().splitlines() if m.strip()]
        out += ["```solidity", f"{kind} {name} {{", *(f"    {m}" for m in members), "}", "```", ""]
        if params:
            out += [*params, ""]
    return out


def render_page(source: Path, build: dict[str, Any], ours: set[str]) -> str:
    """The page of one source file (without its notice)."""
    relative = source.relative_to(ROOT).as_posix()
    contracts = {n: c for n, c in build.items() if c.get("sourceId") == relative}
    out = [f"# {source.stem}", "", f"Source: [`{relative}`](../../../../{relative}). Generated from solc's NatSpec output;"
           " roles and lifecycle: [smart-contracts/README.md](../README.md). *Declared here* marks what our"
           " sources declare; the rest is inherited from OpenZeppelin.", ""]  # fmt: skip
    if not contracts:
        out += ["**Not in the build: run `make compile`.**", ""]
    for name, contract in sorted(contracts.items()):
        user, dev = contract.get("userdoc") or {}, contract.get("devdoc") or {}
        if len(contracts) > 1:
            out += [f"## {name}", ""]
        for label, text in (("", user.get("notice")), ("", dev.get("details"))):
            if text:
                out += [f"{label}{text}", ""]
        listed = entries(contract, ours)
        for kind, title in (("constructor", "Constructor"), ("function", "Functions"),
                            ("event", "Events"), ("error", "Errors")):  # fmt: skip
            members = [e for e in listed if e.kind == kind]
            if not members:
                continue
            out += [f"## {title}", ""]
            for entry in members:
                where = "declared here" if entry.ours else "inherited"
                out += [f"### `{entry.signature}`", "", f"`{entry.text}` ({where})", ""]
                if entry.notice:
                    out += [_cell(entry.notice), ""]
                if entry.details:
                    out += [_cell(entry.details), ""]
                for param, text in entry.params.items():
                    out.append(f"- `{param}`: {_cell(text)}")
                for ret, text in entry.returns.items():
                    out.append(f"- returns `{ret}`: {_cell(text)}")
                if entry.params or entry.returns:
                    out.append("")
    if group_of(source) == "libraries":
        types = _types_of_library(source.read_text())
        if types:
            out += ["## Types", "", *types]
    return "\n".join(out).rstrip() + "\n"


def our_names(source: Path) -> set[str]:
    """Names of the functions, events, errors and public variables a source file declares, with
    those of the files of ours it imports (its interface, libraries), recursively."""
    names: set[str] = set()
    seen: set[Path] = set()
    pending = [source]
    while pending:
        path = pending.pop()
        if path in seen or not path.exists():
            continue
        seen.add(path)
        text = path.read_text()
        names |= _declared_names(text)
        for imported in re.findall(r"^import\s+[^;]*?[\"']([^\"']+)[\"']", text, re.M):
            if imported.startswith("."):
                pending.append((path.parent / imported).resolve())
    return names


def undocumented() -> list[str]:
    """`File: kind signature` for each function and error of ours without NatSpec."""
    build = load_build()
    missing = []
    for source in sources():
        ours = our_names(source)
        relative = source.relative_to(ROOT).as_posix()
        for name, contract in sorted(build.items()):
            if contract.get("sourceId") != relative:
                continue
            for entry in entries(contract, ours):
                if entry.kind in ("function", "error") and entry.ours and not entry.documented:
                    missing.append(f"{relative} {name}: {entry.kind} {entry.signature}")
    return missing


def render_index(pages: list[Path]) -> str:
    """`smart-contracts/reference.md`: the generated pages by group (without its notice)."""
    out = ["# Contract reference", "",
           "A page per Solidity file outside `contracts/test/`, generated from NatSpec. Roles,"
           " lifecycle and events explained: [README.md](README.md).", ""]  # fmt: skip
    for group, title in (
        ("core", "Core contracts"),
        ("libraries", "Libraries"),
        ("interfaces", "Interfaces"),
    ):
        members = [p for p in pages if p.parent.name == group]
        if members:
            out += [f"## {title}", ""]
            out += [f"- [{p.stem}]({group}/{p.name})" for p in members]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def pages() -> dict[Path, str]:
    """Every page and the index."""
    build = load_build()
    rendered = {page_of(s): render_page(s, build, our_names(s)) for s in sources()}
    rendered[INDEX] = render_index(sorted(rendered))
    return rendered
