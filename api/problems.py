"""Errors as RFC 9457 problem details (`application/problem+json`).

Routes and dependencies raise `Problem` (an HTTPException) with a status, a plain-words `detail`
and a short `type` slug; code below them raises the domain errors of `api.exceptions`, answered
here the same way (their class gives the status, their `reason` the slug); validation errors list
each bad field with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from psycopg.errors import QueryCanceled
from psycopg_pool import PoolTimeout
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from api.db import DatabaseBusy
from api.exceptions import ApiError

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://docs.energy-coownership.example/problems/"


class ProblemDetail(BaseModel):
    """An error, as RFC 9457 describes it."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


class Problem(HTTPException):
    """An error answer with a reason: raise it in routes and dependencies.

    Args:
        status: The HTTP status.
        detail: What went wrong, in words a user can act on.
        kind: A short slug naming the kind of problem (`not-found`, `invalid-cursor`...).
        extra: More members of the problem object (e.g. the decoded revert).
        headers: Response headers (e.g. `Retry-After`, `WWW-Authenticate`).
    """

    def __init__(self, status: int, detail: str, kind: str | None = None, *,
                 extra: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:  # fmt: skip
        super().__init__(status_code=status, detail=detail, headers=headers)
        self.kind = kind or _slug(status)
        self.extra = extra or {}


def _slug(status: int) -> str:
    return HTTPStatus(status).phrase.lower().replace(" ", "-")


def problem_response(request: Request, status: int, detail: str, kind: str | None = None, *,
                     extra: dict[str, Any] | None = None,
                     headers: Mapping[str, str] | None = None) -> Response:  # fmt: skip
    """The problem+json response for an error."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + (kind or _slug(status)),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **(extra or {}),
    }
    return Response(orjson.dumps(body), status_code=status, media_type=MEDIA_TYPE,
                    headers=dict(headers) if headers else None)  # fmt: skip


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at the request's path (and OPTIONS, answered here).

    Each method is tried against the app's routes as the router itself would match it, so
    routes included from routers count as well as the app's own.
    """
    methods = {"OPTIONS"}
    routes = [route for route in request.app.router.routes if isinstance(route, BaseRoute)]
    for method in METHODS:
        scope = dict(request.scope, method=method)
        if any(route.matches(scope)[0] == Match.FULL for route in routes):
            methods.add(method)
    return sorted(methods)


def _not_allowed(request: Request) -> Response:
    """OPTIONS answered with the path's methods; any other method it lacks, 405 with them.

    Starlette's own 405 names only the methods of the first route at the path (GET of
    `/me/preferences`, not its PUT), so `Allow` is made here from every route.
    """
    allow = {"Allow": ", ".join(allowed_methods(request))}
    if request.method == "OPTIONS":
        return Response(status_code=204, headers=allow)
    return problem_response(request, 405, f"{request.method} is not allowed here; use"
                            f" {allow['Allow']}", "method-not-allowed", headers=allow)  # fmt: skip


def _field(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location if part != "body") or "body"


def install(app: FastAPI) -> None:
    """Makes every error of the app a problem+json answer."""

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 405:
            return _not_allowed(request)
        if isinstance(error, Problem):
            return problem_response(request, error.status_code, str(error.detail), error.kind,
                                    extra=error.extra, headers=error.headers)  # fmt: skip
        return problem_response(request, error.status_code, str(error.detail),
                                headers=error.headers)  # fmt: skip

    @app.exception_handler(ApiError)
    async def _domain(request: Request, error: ApiError) -> Response:
        headers = None if error.retry_after is None else {"Retry-After": str(error.retry_after)}
        return problem_response(request, error.status, error.detail, error.reason,
                                extra=error.extra, headers=headers)  # fmt: skip

    @app.exception_handler(DatabaseBusy)
    async def _busy(request: Request, error: DatabaseBusy) -> Response:
        return problem_response(request, 503, error.reason, "database-busy",
                                headers={"Retry-After": str(error.retry_after)})  # fmt: skip

    @app.exception_handler(QueryCanceled)
    @app.exception_handler(PoolTimeout)
    async def _timeout(request: Request, error: Exception) -> Response:
        # Statements run outside `Database.fetch` (transactions of their own) meet the same limits.
        return problem_response(request, 503, "the database did not answer in time: try again"
                                " shortly", "database-busy", headers={"Retry-After": "1"})  # fmt: skip

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        errors = [
            {"field": _field(tuple(e.get("loc", ()))), "reason": str(e.get("msg", "invalid"))}
            for e in error.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors) or "invalid request"
        return problem_response(request, 422, detail, "invalid-request", extra={"errors": errors})


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ProblemDetail, "content": {MEDIA_TYPE: {}}, "description": description}
    for status, description in (
        (400, "Bad request"),
        (404, "Not found"),
        (422, "Invalid input, or a transaction that would revert"),
        (429, "Rate limited"),
        (503, "The database did not answer in time (Retry-After)"),
    )
}
"""OpenAPI `responses` for the errors every route can give."""
