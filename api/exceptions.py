"""The API's domain errors: raised below the routes (transaction builders, the node client, request
models), mapped once to problem+json (`api.problems.install`) and once to GraphQL errors
(`api.graphql.context.user_errors`).

Each carries `detail` (in words a user can act on) and `reason`, a machine-readable slug that is the
problem's `type` (after the docs' base URL) and the GraphQL error's `code`. Its class gives the
HTTP status.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ApiError(Exception):
    """The root of the API's domain errors.

    Args:
        detail: What went wrong, in words a user can act on.
        reason: A short slug naming it (`not-found`, `invalid-permit`...); the class's default.
        extra: More members of the answer (the decoded revert: `error`, `args`, `step`).
        retry_after: Seconds after which trying again may work (a `Retry-After` header).
    """

    status: ClassVar[int] = 500
    default_reason: ClassVar[str] = "internal-error"

    def __init__(self, detail: str, reason: str | None = None, *,
                 extra: dict[str, Any] | None = None, retry_after: int | None = None) -> None:  # fmt: skip
        super().__init__(detail)
        self.detail = detail
        self.reason = reason or self.default_reason
        self.extra = extra or {}
        self.retry_after = retry_after


class InvalidQuery(ApiError):
    """A read's parameters contradict each other (a range that ends before it starts)."""

    status = 400
    default_reason = "invalid-range"


class Forbidden(ApiError):
    """The caller may not do this."""

    status = 403
    default_reason = "forbidden"


class NotFound(ApiError):
    """What the request names does not exist."""

    status = 404
    default_reason = "not-found"


class Conflict(ApiError):
    """The request contradicts what is already stored."""

    status = 409
    default_reason = "conflict"


class InvalidInput(ApiError):
    """The input is well-formed but cannot be acted on (a value out of range, a bad signature)."""

    status = 422
    default_reason = "invalid-request"


class WouldRevert(InvalidInput):
    """The transaction would revert; `extra` holds the contract's error (`error`, `args`, `step`)."""

    default_reason = "transaction-would-revert"


class Unavailable(ApiError):
    """Something the API depends on does not answer, or is not set up yet (the node, the
    contracts' build output, the platform's deployment)."""

    status = 503
    default_reason = "unavailable"
