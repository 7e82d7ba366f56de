"""Hot reads answered from the cache, keyed by the request and the indexed block.

`cached` answers a route from the read cache (`api.cache`); `ServeCached`, a middleware, answers a
GET whose body this process already holds for the indexed block before any routing, validation or
dependency runs: the same bytes the route would have answered, at a small part of the cost. Both
key on the indexed block as read after the request arrived (`IndexedHead.fresh`), never on one
polled earlier: the first read after a commit gets the new block's answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from api.state import AppState

JSON_HEADERS = [(b"content-type", b"application/json")]
VERSION_KEY = "platform.indexed_version"  # the scope's key for the block `ServeCached` read


def request_key(scope: Scope) -> str:
    """The cache key of a request: its path and query string."""
    query = scope.get("query_string", b"")
    return scope["path"] + ("?" + query.decode("latin-1") if query else "")


async def cached(
    state: AppState, request: Request, make: Callable[[], Awaitable[BaseModel]]
) -> Response:
    """The JSON of `make()`'s model for this request at the indexed block, from cache when there.

    Use it in a route whose answer depends only on its path, its query string and the index
    (never on the caller): the key is the path and query string. Once cached in this process, the
    answer is served by `ServeCached` without running the route or its dependencies.
    """

    async def body() -> bytes:
        model = await make()
        return model.model_dump_json().encode()

    route = request.scope.get("route")
    version = request.scope.get(VERSION_KEY)
    if version is None:
        version = await state.head.fresh()
    content = await state.cache.get_or_make(version, request_key(request.scope), body, tag=route)
    return Response(content, media_type="application/json")


class ServeCached:
    """Answers a GET from this process's memory when `cached` stored its body at the indexed block.

    It marks the request with the route that made the body (for the metrics) and answers it;
    anything else goes on to the app.

    Args:
        app: The application it wraps.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            state: AppState | None = getattr(scope["app"].state, "platform", None)
            hit = None
            key = request_key(scope)
            if state is not None and state.cache.holds(key):
                version = scope[VERSION_KEY] = await state.head.fresh()
                hit = state.cache.peek(version, key)
            if hit is not None:
                body, scope["route"] = hit
                headers = [*JSON_HEADERS, (b"content-length", str(len(body)).encode())]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
