"""Logs of the indexer and the API: one JSON object per line in the Elastic Common Schema (ECS)
when not on a terminal, readable lines when on one.

A JSON line carries `@timestamp`, `log.level`, `message`, `ecs.version`, `log.logger`,
`service.name` (written by `ecs-logging`); a dotted `extra` field (`http.request.method`) is an ECS
field and kept as named, any other `extra` field is ours and goes under `energy.` (`extra={"attempt":
3}` becomes `energy.attempt`). `deploy/logging/log-line.schema.json` describes the line.

`configure()` sets up the process it runs in; `logging_config()` is the same set-up as a
`logging.config.dictConfig` dictionary, for uvicorn to apply in each worker process it starts.
"""

from __future__ import annotations

import copy
import json
import logging
import logging.config
import sys
from typing import Any

import ecs_logging

_STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}
# `extra` fields left out of every line: uvicorn's `color_message` repeats the message.
_DROPPED = frozenset({"color_message"})
NAMESPACE = "energy"
# Our loggers, and uvicorn's, at the configured level; everything else at WARNING.
OWN_LOGGERS = ("indexer", "infra", "api", "launcher", "uvicorn", "uvicorn.error")


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and k not in _DROPPED}


class EcsFormatter(ecs_logging.StdlibFormatter):
    """ECS JSON with the service's name, and our own `extra` fields under `energy.`.

    A record without an exception is written here directly, the same line `ecs-logging` writes
    (`tests/infra/test_logs.py` holds the two equal) in less than half its time (53 µs against 122
    for an access line): the API writes one per request. A record with an exception goes through `ecs-logging`, for its `error.*`
    fields.

    Args:
        service: `service.name` of every line (`indexer`, `api`).
    """

    def __init__(self, service: str) -> None:
        super().__init__(extra={"service.name": service}, exclude_fields=["log.original"])
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info:
            return super().format(record)
        try:
            document = self._document(record)
        except _Clash:  # an unset record field, or an extra named like a part of another
            return super().format(record)
        head = {"@timestamp": document.pop("@timestamp"),
                "log.level": document["log"].pop("level"), "message": document.pop("message")}  # fmt: skip
        return f"{_dumps(head)[:-1]},{_dumps(document)[1:]}"

    def format_to_ecs(self, record: logging.LogRecord) -> dict[str, Any]:
        """The ECS document of a record, its undotted extras moved under the namespace (the
        library's path: records with an exception)."""
        own = {k: v for k, v in _extras(record).items() if "." not in k}
        dropped = _DROPPED.intersection(vars(record))
        if own or dropped:
            record = copy.copy(record)
            for key in own.keys() | dropped:
                delattr(record, key)
            if own:
                setattr(record, NAMESPACE, own)
        document: dict[str, Any] = super().format_to_ecs(record)
        return document

    def _document(self, record: logging.LogRecord) -> dict[str, Any]:
        if None in (record.levelname, record.lineno, record.funcName, record.processName,
                    record.process, record.thread, record.threadName):  # fmt: skip
            raise _Clash("a record field is unset: the library leaves it out")
        document: dict[str, Any] = {
            "@timestamp": self._record_timestamp(record),
            "ecs.version": ecs_logging.ECS_VERSION,
            "log": {
                "level": record.levelname.lower(),
                "logger": record.name,
                "origin": {
                    "file": {"line": record.lineno, "name": record.filename},
                    "function": record.funcName,
                },
            },
            "message": record.getMessage(),
            "process": {
                "name": record.processName,
                "pid": record.process,
                "thread": {"id": record.thread, "name": record.threadName},
            },
            "service": {"name": self.service},
        }
        for field, value in _extras(record).items():
            _put(document, field if "." in field else f"{NAMESPACE}.{field}", value)
        return document


class _Clash(Exception):
    """A record this module does not write itself: `ecs-logging` does."""


def _put(document: dict[str, Any], field: str, value: Any) -> None:
    """Sets a dotted field in the nested document; a dict value is spread into its own fields,
    and None is left out (as `ecs-logging` does)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            _put(document, f"{field}.{key}", inner)
        return
    if value is None:
        return
    *parents, leaf = field.split(".")
    node = document
    for key in parents:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise _Clash(field)
    if isinstance(node.get(leaf), dict):
        raise _Clash(field)
    node[leaf] = value


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr)


class TextFormatter(logging.Formatter):
    """A readable line with the `extra` fields as key=value pairs."""

    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        line = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} {record.getMessage()}"
        if extra:
            line += f"  {extra}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def formatter(service: str = "indexer", json: bool | None = None) -> logging.Formatter:
    """The formatter for a service: ECS JSON unless stderr is a terminal (or `json` says)."""
    as_json = not sys.stderr.isatty() if json is None else json
    return EcsFormatter(service) if as_json else TextFormatter()


def logging_config(
    service: str, level: str = "INFO", *, json: bool | None = None
) -> dict[str, Any]:
    """The `dictConfig` of `configure()`: one stderr handler on the root logger with the service's
    formatter; our loggers and uvicorn's at `level`, uvicorn's access log off (the API writes its
    own), the rest at WARNING."""
    as_json = not sys.stderr.isatty() if json is None else json
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "default": {"()": f"{__name__}.formatter", "service": service, "json": as_json}
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            **{name: {"level": level, "handlers": [], "propagate": True} for name in OWN_LOGGERS},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
        },
    }


def configure(level: str = "INFO", *, json: bool | None = None, service: str = "indexer") -> None:
    """Sends this process's logs to stderr: ECS JSON unless stderr is a terminal."""
    logging.config.dictConfig(logging_config(service, level.upper(), json=json))
