"""`api/openapi.json` and `api/schema.graphql`: the FastAPI app's OpenAPI document and the
strawberry schema's SDL, exactly as the running API serves them."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager

from docgen.files import ARCHITECTURE

OPENAPI = ARCHITECTURE / "api" / "openapi.json"
GRAPHQL = ARCHITECTURE / "api" / "schema.graphql"
# Settings read from the environment: cleared while the app is built, so a developer's shell
# cannot change the document (the defaults are what it describes).
SHARED_VARIABLES = ("DATABASE_URL", "REDIS_URL", "RPC_URL", "DEPLOYMENTS_DIR", "REDIS_NAMESPACE")


@contextmanager
def default_settings_environment() -> Iterator[None]:
    """Hides `API_*` and the shared URLs from the settings while inside."""
    hidden = {k: v for k, v in os.environ.items() if k.startswith("API_") or k in SHARED_VARIABLES}
    for name in hidden:
        del os.environ[name]
    try:
        yield
    finally:
        os.environ.update(hidden)


def openapi() -> str:
    """The OpenAPI document of `api.app.create_app` with default settings, as indented JSON."""
    from api.app import create_app
    from api.settings import ApiSettings

    with default_settings_environment():
        # The app only connects in its lifespan, which building the document never starts.
        app = create_app(ApiSettings(database_url="postgresql://docs@127.0.0.1:1/docs"))
        document = app.openapi()
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def graphql_sdl() -> str:
    """The GraphQL schema's SDL."""
    from api.graphql.schema import schema

    return schema.as_str().rstrip() + "\n"
