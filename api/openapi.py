"""The OpenAPI document, told what only the settings know.

FastAPI writes the document from the routes' declarations, which are fixed at import time; the
largest page (`API_MAX_PAGE_SIZE`) is a setting, so every `limit` parameter gets its `maximum`
here, and a client (or a schema-driven fuzzer) reads the bound the API enforces.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from api.settings import ApiSettings


def _bound_limit(schema: dict[str, Any], maximum: int) -> None:
    for branch in schema.get("anyOf", [schema]):
        if branch.get("type") == "integer":
            branch["maximum"] = maximum


def install(app: FastAPI, settings: ApiSettings) -> None:
    """Makes `app.openapi()` add the settings' bounds to the document it builds once."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            for operations in document.get("paths", {}).values():
                for operation in operations.values():
                    for parameter in operation.get("parameters", []):
                        if parameter.get("in") == "query" and parameter.get("name") == "limit":
                            _bound_limit(parameter.get("schema", {}), settings.max_page_size)
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]
