"""`api/asyncapi.yaml` (AsyncAPI 3.0.0) for the feeds at `/ws`.

Everything in it comes from the code: the protocol text from `api.routes.ws`'s docstring, the
topics from `api.feeds.topics`, the messages and their JSON schemas from the pydantic models of
`api.models.feeds` (the members of `ClientMessage` and `ServerMessage`), the settings that bound
the feed from `ApiSettings`, and the close codes from every `close(<code>, <reason>)` call in
`api/routes/ws.py` and `api/feeds/`.
"""

from __future__ import annotations

import ast
import inspect
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from docgen.files import ARCHITECTURE, ROOT

ASYNCAPI = ARCHITECTURE / "api" / "asyncapi.yaml"
SPEC_SCHEMA = ROOT / "node_modules" / "@asyncapi" / "specs" / "schemas" / "3.0.0-without-$id.json"
CLOSE_SOURCES = ("api/routes/ws.py", "api/feeds")
FEED_SETTINGS = ("ws_", "cache_")


@dataclass(frozen=True)
class CloseCode:
    """A WebSocket close the server sends: its code, its reason and where."""

    code: int
    reason: str
    where: str


def _reason_text(node: ast.expr, constants: Mapping[str, object] | None = None) -> str:
    """A close reason as written: constants verbatim, f-string parts as `{expression}` (or the
    value of a module constant they name)."""
    constants = constants or {}
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                inner = value.value
                if isinstance(inner, ast.Name) and inner.id in constants:
                    parts.append(str(constants[inner.id]))
                else:
                    parts.append("{" + ast.unparse(inner) + "}")
        return "".join(parts)
    return "{" + ast.unparse(node) + "}"


def close_codes(sources: tuple[str, ...] = CLOSE_SOURCES) -> list[CloseCode]:
    """Every `*.close(<int>, <reason>)` call in the feed's sources, by code then place."""
    files: list[Path] = []
    for source in sources:
        path = ROOT / source
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    found = []
    for path in files:
        tree = ast.parse(path.read_text())
        # A reason passed as a variable is shown as that variable's assigned text.
        assigned = {
            target.id: node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name) and isinstance(node.value, ast.Constant | ast.JoinedStr)
        }
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "close"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, int)
            ):
                argument = node.args[1] if len(node.args) > 1 else ast.Constant("")
                if isinstance(argument, ast.Name) and argument.id in assigned:
                    argument = assigned[argument.id]
                reason = _reason_text(argument, constants)
                where = f"{path.relative_to(ROOT)}"
                found.append(CloseCode(node.args[0].value, reason, where))
    return sorted(set(found), key=lambda c: (c.code, c.where, c.reason))


def topics_table() -> list[dict[str, str]]:
    """The topics as `api.feeds.topics` lists them in its docstring."""
    from api.feeds import topics

    rows = []
    for line in (topics.__doc__ or "").splitlines():
        match = re.match(r"^    (\S+)\s{2,}(.+)$", line)
        if match:
            rows.append({"topic": match.group(1), "description": match.group(2).strip()})
        elif rows and re.match(r"^\s{10,}\S", line):
            rows[-1]["description"] += " " + line.strip()
    return rows


def _members(union: Any) -> list[type[BaseModel]]:
    """The models of an `Annotated[A | B | ..., discriminator]` union."""
    inner = typing.get_args(union)[0]
    return [m for m in typing.get_args(inner) if isinstance(m, type) and issubclass(m, BaseModel)]


def _message_name(model: type[BaseModel]) -> str:
    return model.__name__[0].lower() + model.__name__[1:]


def _clean(schema: Any) -> Any:
    """Pydantic's JSON Schema as an AsyncAPI schema (draft 07): `const` is kept, nothing else
    needs changing for these models; titles pydantic derives from field names are dropped."""
    if isinstance(schema, dict):
        return {
            k: _clean(v)
            for k, v in schema.items()
            if not (k == "title" and isinstance(v, str) and "properties" not in schema)
        }
    if isinstance(schema, list):
        return [_clean(v) for v in schema]
    return schema


def _feed_settings() -> dict[str, Any]:
    from api.settings import ApiSettings

    settings = {}
    for name, field in ApiSettings.model_fields.items():
        if name.startswith("ws_"):
            settings[f"API_{name.upper()}"] = {
                "default": field.default,
                **({"description": field.description} if field.description else {}),
            }
    return settings


def document() -> dict[str, Any]:
    """The AsyncAPI document as a mapping."""
    from api.models import feeds
    from api.routes import ws

    client, server = _members(feeds.ClientMessage), _members(feeds.ServerMessage)
    models: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
        *((m, "validation") for m in client),
        *((m, "serialization") for m in server),
    ]
    _, definitions = models_json_schema(models, ref_template="#/components/schemas/{model}")
    schemas = {name: _clean(schema) for name, schema in sorted(definitions["$defs"].items())}

    def message(model: type[BaseModel]) -> dict[str, Any]:
        doc = inspect.cleandoc(model.__doc__ or "")
        return {
            "name": model.__name__,
            "title": doc.split("\n", 1)[0].rstrip("."),
            "summary": doc.split("\n\n", 1)[0].replace("\n", " "),
            "contentType": "application/json",
            "payload": {"$ref": f"#/components/schemas/{model.__name__}"},
        }

    messages = {_message_name(m): message(m) for m in (*client, *server)}
    codes = close_codes()
    topic_rows = topics_table()
    description = "\n\n".join(
        [
            inspect.cleandoc(ws.__doc__ or ""),
            "Topics:\n\n" + "\n".join(f"- `{t['topic']}`: {t['description']}" for t in topic_rows),
            "Close codes the server sends:\n\n"
            + "\n".join(f'- `{c.code}` "{c.reason}" ({c.where})' for c in codes),
        ]
    )
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Energy co-ownership feeds",
            "version": "1.0.0",
            "description": inspect.cleandoc(feeds.__doc__ or ""),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:8000",
                "protocol": "ws",
                "pathname": "/ws",
                "description": "`make run` (behind TLS elsewhere: `wss`).",
            }
        },
        "channels": {
            "feeds": {
                "address": "/ws",
                "title": "Live feeds of what the indexer commits",
                "description": description,
                "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
                "x-topics": topic_rows,
                "x-close-codes": [
                    {"code": c.code, "reason": c.reason, "source": c.where} for c in codes
                ],
                "x-settings": _feed_settings(),
            }
        },
        "operations": {
            "receiveOperation": {
                "action": "receive",
                "channel": {"$ref": "#/channels/feeds"},
                "summary": "Operations a client sends (subscribe, unsubscribe, ping).",
                "messages": [
                    {"$ref": f"#/channels/feeds/messages/{_message_name(m)}"} for m in client
                ],
            },
            "sendMessage": {
                "action": "send",
                "channel": {"$ref": "#/channels/feeds"},
                "summary": "Messages the server sends: events, heads, resume results, errors,"
                " heartbeats.",
                "messages": [
                    {"$ref": f"#/channels/feeds/messages/{_message_name(m)}"} for m in server
                ],
            },
        },
        "components": {"schemas": schemas, "messages": messages},
    }


class _Dumper(yaml.SafeDumper):
    """Writes multi-line strings as literal blocks, so descriptions read as written."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def render() -> str:
    """The text of `asyncapi.yaml` (without its notice)."""
    return yaml.dump(document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
