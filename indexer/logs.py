"""Structured logs: one JSON object per line when not on a terminal, readable lines when on one."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

_STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats a record and its `extra` fields as one JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """A readable line with the `extra` fields as key=value pairs."""

    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD)
        line = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} {record.getMessage()}"
        if extra:
            line += f"  {extra}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure(level: str = "INFO", *, json: bool | None = None) -> None:
    """Sends the indexer's logs to stderr, as JSON unless stderr is a terminal."""
    handler = logging.StreamHandler(sys.stderr)
    as_json = not sys.stderr.isatty() if json is None else json
    handler.setFormatter(JsonFormatter() if as_json else TextFormatter())
    root = logging.getLogger("indexer")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
