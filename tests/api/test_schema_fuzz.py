"""Every documented operation, fed generated input by schemathesis over the indexed demo chain,
with ALL its checks: positive and negative data, then stateful sequences that follow the links
between operations (inferred from the responses). No answer is a server error, and every answer
matches what the OpenAPI document says (status codes, schemas, content types, headers, `Allow`,
auth); schema-valid input is accepted and schema-invalid input refused.

The app is a fresh one over the `demo_settings` database, served in-process by schemathesis
(which runs its lifespan). `/ws` (WebSocket) and `/graphql` (a schema of its own) are not in the
document. The run is bounded: a few examples per operation, each under a deadline (about two
minutes in all on the shared two-core machine).

Where "schema-valid input is accepted" cannot hold, the check is told which refusals a valid
shape can still get, operation by operation, and why:

* a `cursor` is opaque (only cursors this API made are accepted: 400), and `from_block` after
  `to_block` is a 400: GET lists may answer 400;
* the OAuth 2.0 token, revocation and introspection endpoints answer RFC 6749 errors (400) to a
  request whose form is well shaped but holds no valid code, token or client (and the demo's
  public URL, http://testserver, is not one OAuth is served over: 400 `insecure-transport`);
* a prepared transaction that the chain would refuse (the sale closed, a listing not open, no
  balance) is a documented 422 with the contract's reason, as is a sign-in message that does not
  parse or a meter reading whose signature does not verify: those POSTs may answer 422.

Everything else a valid request gets must be 2xx, 401/403 (sign-in), 404 (nothing there), 409
or 429: a 422 from a GET (a bound the document does not state) is a failure.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from api.app import create_app
from api.settings import ApiSettings

EXAMPLES_PER_OPERATION = 8
STATEFUL_EXAMPLES = 6
DEADLINE_MS = 5_000  # one request, on a machine whose two cores other runs share
VALID = ["2xx", "3xx", "401", "403", "404", "409", "429"]
STATE_DEPENDENT = "^/(tx/|auth/verify$|meters/readings$)"
OAUTH_ENDPOINTS = "^/oauth/(token|revoke|introspect|authorize)$"

CONFIG: dict[str, Any] = {
    "generation": {"mode": "all", "max-examples": EXAMPLES_PER_OPERATION, "deterministic": True},
    "operations": [
        {"include-method": "GET",
         "checks": {"positive_data_acceptance": {"expected-statuses": [*VALID, "400"]}}},
        {"include-method": "POST", "include-path-regex": STATE_DEPENDENT,
         "checks": {"positive_data_acceptance": {"expected-statuses": [*VALID, "422"]}}},
        {"include-method": "POST", "include-path-regex": OAUTH_ENDPOINTS,
         "checks": {"positive_data_acceptance": {"expected-statuses": [*VALID, "400"]}}},
    ],
}  # fmt: skip
HYPOTHESIS = settings(
    deadline=DEADLINE_MS, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)


@pytest.fixture(scope="module")
def api_schema(demo_settings: ApiSettings) -> Any:
    """The app's own OpenAPI schema, loaded from `/openapi.json` of an app over the demo index."""
    app = create_app(demo_settings)
    return schemathesis.openapi.from_asgi(
        "/openapi.json", app, config=SchemathesisConfig.from_dict(CONFIG)
    )


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(HYPOTHESIS, max_examples=EXAMPLES_PER_OPERATION)
def test_operation_answers_as_documented_with_every_check(case: Any) -> None:
    case.call_and_validate()


def test_sequences_of_operations_answer_as_documented(api_schema: Any) -> None:
    """Stateful: values one answer gives (ids, cursors, addresses) fed to the next operation."""
    machine = api_schema.as_state_machine()
    machine.run(
        settings=settings(HYPOTHESIS, max_examples=STATEFUL_EXAMPLES, stateful_step_count=6)
    )
