"""Checks the log lines a process printed against `deploy/logging/log-line.schema.json`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA = json.loads(
    (
        Path(__file__).resolve().parents[1] / "deploy" / "logging" / "log-line.schema.json"
    ).read_text()
)
VALIDATOR = Draft202012Validator(SCHEMA)


def log_documents(lines: Iterable[str], service: str) -> list[dict[str, Any]]:
    """Every non-empty line parsed; fails on the first that is not JSON, breaks the schema or
    names another service."""
    documents = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            document = json.loads(line)
        except json.JSONDecodeError as error:
            raise AssertionError(f"line {number} is not JSON: {line!r}") from error
        problems = [e.message for e in VALIDATOR.iter_errors(document)]
        assert not problems, f"line {number} breaks the log schema: {problems}: {line!r}"
        assert document["service"]["name"] == service, line
        documents.append(document)
    assert documents, "no log line at all"
    return documents
