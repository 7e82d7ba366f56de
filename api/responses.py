"""Hot reads answered from the Redis cache, keyed by the request and the indexed block."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from pydantic import BaseModel

from api.state import AppState


async def cached(
    state: AppState, request: Request, make: Callable[[], Awaitable[BaseModel]]
) -> Response:
    """The JSON of `make()`'s model for this request at the indexed block, from cache when there.

    Use it in a route whose answer depends only on its path, its query string and the index
    (never on the caller): the key is the path and query string.
    """

    async def body() -> bytes:
        model = await make()
        return model.model_dump_json().encode()

    key = request.url.path + ("?" + request.url.query if request.url.query else "")
    content = await state.cache.get_or_make(state.head.block, key, body)
    return Response(content, media_type="application/json")
