"""Every documented operation, fed generated input (valid and invalid) by schemathesis over the
indexed demo chain: no answer is a server error, and every answer matches the OpenAPI schema.

The app is a fresh one over the `demo_settings` database, served in-process by schemathesis
(which runs its lifespan). `/ws` (WebSocket) and `/graphql` (a schema of its own) are left out.
The run is bounded: a few examples per operation, each under a deadline.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from api.app import create_app
from api.settings import ApiSettings

EXAMPLES_PER_OPERATION = 12
DEADLINE_MS = 3_000  # one request, on a machine whose two cores other runs share
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def api_schema(demo_settings: ApiSettings) -> Any:
    """The app's own OpenAPI schema, loaded from `/openapi.json` of an app over the demo index."""
    app = create_app(demo_settings)
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
    return loaded.exclude(path_regex=r"^/(ws|graphql)(/|$)")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=DEADLINE_MS,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_operation_answers_without_server_errors_and_as_documented(case: Any) -> None:
    case.call_and_validate(checks=CHECKS)
