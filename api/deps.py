"""Dependencies of the routes: the shared state, paging, and the signed-in address."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import tokens
from api.db import Database
from api.problems import Problem
from api.settings import ApiSettings
from api.state import AppState


async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.platform
    return state


State = Annotated[AppState, Depends(get_state)]


async def get_db(state: State) -> Database:
    return state.db


async def get_settings(state: State) -> ApiSettings:
    return state.settings


Db = Annotated[Database, Depends(get_db)]
Settings = Annotated[ApiSettings, Depends(get_settings)]


@dataclass(frozen=True)
class Paging:
    """Where a page starts and how long it is."""

    cursor: str | None
    limit: int


async def get_paging(
    settings: Settings,
    cursor: Annotated[
        str | None, Query(description="`next_cursor` of the previous page.", max_length=512)
    ] = None,
    limit: Annotated[int | None, Query(ge=1, description="Rows per page.")] = None,
) -> Paging:
    if limit is not None and limit > settings.max_page_size:
        raise Problem(422, f"limit is at most {settings.max_page_size}", "invalid-request")
    return Paging(cursor, limit or settings.page_size)


PageParams = Annotated[Paging, Depends(get_paging)]

bearer = HTTPBearer(
    bearerFormat="JWT",
    description="An access token from `POST /auth/verify` (sign-in with Ethereum).",
    auto_error=False,
)


async def signed_in(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> tokens.Claims:
    """The claims of the request's bearer token; 401 with the reason when there is none valid."""
    challenge = {"WWW-Authenticate": 'Bearer realm="energy-coownership"'}
    if credentials is None:
        raise Problem(401, "sign in first: this needs a bearer token", "unauthorized",
                      headers=challenge)  # fmt: skip
    try:
        claims = tokens.decode(state.settings, state.jwt_key, credentials.credentials)
    except tokens.InvalidToken as error:
        raise Problem(401, str(error), "invalid-token", headers=challenge) from error
    if claims.chain_id != state.chain_id:
        raise Problem(401, "the access token was issued for another chain", "invalid-token",
                      headers=challenge)  # fmt: skip
    revoked = await state.db.fetch_one(
        "SELECT 1 FROM api_revoked_tokens WHERE token_id = %s", (claims.token_id,)
    )
    if revoked is not None:
        raise Problem(401, "the access token was revoked (signed out)", "invalid-token",
                      headers=challenge)  # fmt: skip
    return claims


SignedIn = Annotated[tokens.Claims, Depends(signed_in)]


def require_owner(claims: tokens.Claims, address: str) -> None:
    """Refuses unless the signed-in address is `address` (both lowercase)."""
    if claims.address != address:
        raise Problem(403, "only the signed-in owner of this address can see or change this",
                      "forbidden")  # fmt: skip
