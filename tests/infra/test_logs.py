"""The log line format: ECS JSON with our fields under `energy.`, checked by the schema that the
process tests use; readable lines on a terminal."""

from __future__ import annotations

import json
import logging

import pytest
from _logs import VALIDATOR, log_documents

from infra import logs


def _line(formatter: logging.Formatter, **extra: object) -> str:
    record = logging.LogRecord("api.access", logging.INFO, __file__, 1, "GET %s", ("/x",), None)
    record.__dict__.update(extra)
    return formatter.format(record)


def test_own_fields_go_under_the_namespace_and_ecs_fields_keep_their_names() -> None:
    line = _line(logs.formatter("api", json=True), attempt=3, color_message="GET /x",
                 **{"http.response.status_code": 404})  # fmt: skip
    (document,) = log_documents([line], "api")
    assert document["message"] == "GET /x"
    assert document["log"]["logger"] == "api.access"
    assert document["energy"] == {"attempt": 3}  # uvicorn's color_message left out
    assert document["http"]["response"]["status_code"] == 404


@pytest.mark.parametrize(
    "line",
    [
        "INFO: Started server process",  # bare text
        json.dumps({"ts": "2026-01-01T00:00:00Z", "level": "info", "msg": "hi"}),  # the old format
    ],
)
def test_the_schema_refuses_what_is_not_an_ecs_line(line: str) -> None:
    with pytest.raises(AssertionError):
        log_documents([line], "indexer")


def test_the_schema_refuses_a_field_outside_the_namespace() -> None:
    document = json.loads(_line(logs.formatter("indexer", json=True)))
    document["attempt"] = 3
    assert not VALIDATOR.is_valid(document)
    document["energy"] = {"attempt": document.pop("attempt")}
    assert VALIDATOR.is_valid(document)


def test_a_terminal_gets_readable_lines() -> None:
    line = _line(logs.formatter("indexer", json=False), attempt=3)
    assert line.endswith("INFO    GET /x  attempt=3")
