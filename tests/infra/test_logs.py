"""The log line format: ECS JSON with our fields under `energy.`, checked by the schema that the
process tests use; readable lines on a terminal."""

from __future__ import annotations

import copy
import json
import logging
import sys

import ecs_logging
import pytest
from _logs import VALIDATOR, log_documents

from infra import logs


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord("api.access", logging.INFO, __file__, 1, "GET %s", ("/x",), None,
                               func="handle")  # fmt: skip
    record.__dict__.update(extra)
    return record


def _line(formatter: logging.Formatter, **extra: object) -> str:
    return formatter.format(_record(**extra))


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"attempt": 3, "color_message": "GET /x", "http.response.status_code": 404},
        {"url.path": "/x", "client.ip": None, "event.duration": 1_234_000},
        {"batch": {"blocks": 10, "events": None}, "note": 'h\u00e9llo \u2713 "quoted"'},
        {"http.request": "a value where the schema has an object"},
        {"processName": None},
    ],
)
def test_a_line_written_directly_is_the_line_ecs_logging_writes(extra: dict[str, object]) -> None:
    formatter = logs.EcsFormatter("api")
    record = _record(**extra)
    reference = ecs_logging.StdlibFormatter.format(formatter, copy.copy(record))
    assert formatter.format(record) == reference


def test_a_line_with_an_exception_carries_its_type_message_and_trace() -> None:
    try:
        raise ValueError("bad block")
    except ValueError:
        record = _record(exc_info=sys.exc_info())
    (document,) = log_documents([logs.formatter("indexer", json=True).format(record)], "indexer")
    assert document["error"]["type"] == "ValueError"
    assert document["error"]["message"] == "bad block"
    assert "raise ValueError" in document["error"]["stack_trace"]


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
