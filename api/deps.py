"""Dependencies of the routes: the shared state and its parts, paging, and the signed-in address.

Every route reaches the process's `AppState` (made by `api.lifespan`) through these typed
aliases: `State`, `Db`, `Settings`, `FaucetDep`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Security
from fastapi.openapi.models import OAuthFlowAuthorizationCode, OAuthFlowClientCredentials
from fastapi.openapi.models import OAuthFlows as OAuthFlowsModel
from fastapi.requests import HTTPConnection
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2

from api.auth import tokens
from api.db import Database
from api.faucet import Faucet
from api.oauth import scopes as scope_names
from api.oauth import store as oauth_store
from api.problems import Problem
from api.queries.sessions import access_token_revoked
from api.settings import ApiSettings
from api.state import AppState


async def get_state(connection: HTTPConnection) -> AppState:
    """The app's state (HTTP requests and WebSockets alike)."""
    state: AppState = connection.app.state.platform
    return state


State = Annotated[AppState, Depends(get_state)]


async def get_db(state: State) -> Database:
    return state.db


async def get_settings(state: State) -> ApiSettings:
    return state.settings


async def get_faucet(state: State) -> Faucet:
    return state.faucet


Db = Annotated[Database, Depends(get_db)]
Settings = Annotated[ApiSettings, Depends(get_settings)]
FaucetDep = Annotated[Faucet, Depends(get_faucet)]


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

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="energy-coownership"'}


class StrictBearer(HTTPBearer):
    """The request's bearer token, or None when it sends no `Authorization` header.

    FastAPI's `HTTPBearer(auto_error=False)` treats any header it cannot read (`Basic ...`,
    `Token ...`, an empty `Bearer`) as no header, so a client that meant to sign in would be
    served anonymously: here, a header that is sent must be `Bearer <token>`, else 401.
    """

    async def __call__(self, request: Request) -> HTTPAuthorizationCredentials | None:  # type: ignore[override]
        authorization = request.headers.get("Authorization")
        if authorization is None:
            return None
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            shown = f"a {scheme[:20]!r} one" if scheme and scheme.lower() != "bearer" else (
                "an empty one" if not scheme else "a Bearer one with no token")  # fmt: skip
            raise Problem(401, f"the Authorization header must be 'Bearer <access token from POST"
                          f" /auth/verify>', not {shown}; send none to go on anonymously where"
                          " sign-in is optional", "invalid-token", headers=CHALLENGE)  # fmt: skip
        return HTTPAuthorizationCredentials(scheme="Bearer", credentials=token.strip())


bearer = StrictBearer(
    scheme_name="HTTPBearer",
    bearerFormat="JWT",
    description="An access token from `POST /auth/verify` (sign-in with Ethereum).",
    auto_error=False,
)

OPTIONAL_SIGN_IN: dict[str, Any] = {"security": [{}]}
"""`openapi_extra` of a route where sign-in is optional: its security lists "none" beside the
bearer token FastAPI names (a token that is sent must still be valid)."""


async def _bearer_claims(
    state: AppState, credentials: HTTPAuthorizationCredentials | None
) -> tokens.Claims:
    """The claims of a valid, unrevoked bearer token (the holder's own, or an app's)."""
    challenge = CHALLENGE
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
    if claims.third_party:
        if not await oauth_store.token_in_use(state.primary, token_id=claims.token_id):
            raise Problem(401, "the app's access token was revoked (by the holder, the app, or"
                          " with its client)", "invalid-token", headers=challenge)  # fmt: skip
        return claims
    if await access_token_revoked(state.primary, token_id=claims.token_id):
        raise Problem(401, "the access token was revoked (signed out)", "invalid-token",
                      headers=challenge)  # fmt: skip
    return claims


async def signed_in(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> tokens.Claims:
    """The claims of the holder's own bearer token (sign-in with Ethereum); 401 with the reason
    when there is none valid, 403 for an app's token (it reaches only what its scopes name)."""
    claims = await _bearer_claims(state, credentials)
    if claims.third_party:
        raise Problem(403, f"this is a token of the app {claims.client_id}: an app's token reaches"
                      " only the routes its scopes name, and no scope names this one (it acts"
                      " as the holder themselves: their own sign-in only)", "insufficient-scope",
                      headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'})  # fmt: skip
    return claims


class ScopesDocumented(OAuth2):
    """The OAuth 2.0 flows, for the OpenAPI document and `/docs`' Authorize button only (the
    token itself is read by `bearer`)."""

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        return None


oauth2 = ScopesDocumented(
    flows=OAuthFlowsModel(
        authorizationCode=OAuthFlowAuthorizationCode(
            authorizationUrl="/oauth/authorize", tokenUrl="/oauth/token",
            refreshUrl="/oauth/token", scopes=scope_names.SCOPES,
        ),
        clientCredentials=OAuthFlowClientCredentials(tokenUrl="/oauth/token", scopes={}),
    ),
    scheme_name="OAuth2",
    description="OAuth 2.0 for registered apps: authorization code with PKCE (S256) for a"
    " holder's data, client credentials for an app's own higher rate limit. See"
    " `/.well-known/oauth-authorization-server`.",
    auto_error=False,
)  # fmt: skip


def require_scope(*needed: str) -> Any:
    """A dependency (`Annotated[Claims, require_scope("read:statements")]`, or in a route's
    `dependencies=[...]`): the holder's own token, or an app's token naming every scope in
    `needed` (with none: any app token the holder authorised); 403 `insufficient_scope` else.
    """
    unknown = scope_names.unknown(frozenset(needed))
    if unknown:
        raise ValueError(f"no such scope: {', '.join(unknown)}")

    async def scoped(
        state: AppState, credentials: HTTPAuthorizationCredentials | None, _documented: None
    ) -> tokens.Claims:
        claims = await _bearer_claims(state, credentials)
        missing = sorted(set(needed) - (claims.scopes or set())) if claims.third_party else []
        if missing:
            wanted = " ".join(missing)
            raise Problem(403, f"the app's token does not have the scope {wanted}: the holder"
                          f" authorised only {scope_names.text(claims.scopes or set()) or 'none'}",
                          "insufficient-scope", headers={"WWW-Authenticate":
                          f'Bearer error="insufficient_scope", scope="{wanted}"'})  # fmt: skip
        return claims

    # Real objects, not the strings `from __future__ import annotations` makes: FastAPI could not
    # resolve `needed` (a local) in a string.
    scoped.__annotations__ = {
        "state": State,
        "credentials": Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        "_documented": Annotated[None, Security(oauth2, scopes=list(needed))],
        "return": tokens.Claims,
    }
    return Depends(scoped)


SignedIn = Annotated[tokens.Claims, Depends(signed_in)]


def require_owner(claims: tokens.Claims, address: str) -> None:
    """Refuses unless the signed-in address is `address` (both lowercase)."""
    if claims.address != address:
        raise Problem(403, "only the signed-in owner of this address can see or change this",
                      "forbidden")  # fmt: skip
