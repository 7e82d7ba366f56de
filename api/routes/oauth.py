"""OAuth 2.0 for third-party apps: authorization (with the dApp's consent page), tokens,
revocation, introspection, server metadata, client registration (platform admins) and the apps a
holder has authorised. The protocol is Authlib's (`api.oauth.server`)."""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlsplit

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import RedirectResponse

from api.auth import tokens
from api.deps import SignedIn, State
from api.models.oauth import (
    AuthorizedApp,
    ClientCreated,
    ClientIn,
    ClientOut,
    ConsentIn,
    ConsentOut,
    ConsentRequest,
    OAuthErrorOut,
    ScopeOut,
    TokenOut,
)
from api.oauth import scopes as scope_names
from api.oauth import store
from api.oauth.models import Client, Holder, digest
from api.oauth.server import OAuthServer
from api.oauth.starlette import Answer, InsecureTransport, consent_request, oauth_request
from api.problems import MEDIA_TYPE, Problem
from api.routes.auth import UNAUTHORIZED
from api.state import AppState

router = APIRouter(tags=["oauth"])
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}
PROBLEM = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}}
OAUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": OAuthErrorOut, "content": PROBLEM,
          "description": "An RFC 6749 error (`error`, `error_description`)"},
    401: {"model": OAuthErrorOut, "description": "The client did not authenticate"},
}  # fmt: skip
TOKEN_FORM = {"requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "properties": {"grant_type": {"type": "string"}}}}}}}  # fmt: skip


async def get_server(state: State) -> OAuthServer:
    """The process's authorization server (made with the app's state, in `api.lifespan`)."""
    if state.oauth is None:
        raise Problem(503, "the authorization server is not running", "unavailable")
    return state.oauth


Server = Annotated[OAuthServer, Depends(get_server)]


def _secure_only(state: AppState) -> bool:
    """OAuth over https only (or loopback http), but in development."""
    return state.settings.environment != "development"


async def _request(request: Request, state: AppState) -> Any:
    """Authlib's view of the request; 400 when OAuth cannot be served over this URL."""
    try:
        return await oauth_request(request, state.settings.base_url,
                                   secure_only=_secure_only(state))  # fmt: skip
    except InsecureTransport as error:
        raise Problem(400, str(error), "insecure-transport") from error


def _problem_of(error: OAuth2Error) -> Problem:
    reason = error.description or error.error
    return Problem(400, f"the authorization request is refused ({error.error}): {reason}",
                   "invalid-authorization-request")  # fmt: skip


# -- metadata ---------------------------------------------------------------------------------


@router.get("/.well-known/oauth-authorization-server",
            summary="Authorization server metadata (RFC 8414)")  # fmt: skip
async def metadata(state: State) -> dict[str, Any]:
    """Where the endpoints are and what this server offers: no implicit or password grant."""
    base = state.settings.base_url
    document = AuthorizationServerMetadata({
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "introspection_endpoint": f"{base}/oauth/introspect",
        "scopes_supported": list(scope_names.SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post",
                                                  "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic",
                                                       "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic",
                                                          "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "service_documentation": f"{base}/docs",
    })  # fmt: skip
    if base.startswith("https://"):  # RFC 8414 wants an https issuer (http: development only)
        document.validate()
    return dict(document)


# -- authorization ----------------------------------------------------------------------------


@router.get("/oauth/authorize", summary="Start an authorization (sends the holder to consent)",
            response_class=RedirectResponse, status_code=302)  # fmt: skip
async def authorize(request: Request, state: State, server: Server) -> Response:
    """Checks the request (client, exact redirect URI, scopes, PKCE S256), then sends the browser
    to the dApp's consent page. A bad client or redirect URI is answered here (never redirected);
    other errors go back to the app's redirect URI with `error` and `state`."""
    oauth = await _request(request, state)
    try:
        await asyncio.to_thread(server.get_consent_grant, oauth)
    except OAuth2Error as error:
        if error.redirect_uri:
            return Answer(*error()).response()
        raise _problem_of(error) from error
    return RedirectResponse(f"/app/#/authorize?{request.url.query}", status_code=302)


@router.get("/oauth/authorize/request", summary="What the consent screen shows of a request")
async def consent_screen(request: Request, state: State, server: Server) -> ConsentRequest:
    """The app's name, its redirect URI and the scopes it asks for, each described."""
    oauth = await _request(request, state)
    try:
        grant = await asyncio.to_thread(server.get_consent_grant, oauth)
    except OAuth2Error as error:
        raise _problem_of(error) from error
    client: Client = grant.client
    asked = scope_names.parse(grant.request.scope)
    return ConsentRequest(
        client_id=client.client_id, client_name=client.name,
        redirect_uri=grant.request.payload.redirect_uri,
        scopes=[ScopeOut(name=s, description=scope_names.SCOPES[s]) for s in sorted(asked)],
        state=grant.request.payload.state,
    )  # fmt: skip


@router.post("/oauth/authorize", summary="The holder approves or denies (their own sign-in)",
             responses=UNAUTHORIZED)  # fmt: skip
async def consent(request: Request, state: State, server: Server, claims: SignedIn,
                  body: ConsentIn) -> ConsentOut:  # fmt: skip
    """Needs the holder's own sign-in (an app's token cannot consent for itself). Answers where
    to send the browser: the redirect URI with a single-use code and the request's `state`, or
    with `error=access_denied` when denied."""
    query = parse_qsl(body.query, keep_blank_values=True)
    try:
        oauth = consent_request(state.settings.base_url, request.headers, query,
                                secure_only=_secure_only(state))  # fmt: skip
    except InsecureTransport as error:
        raise Problem(400, str(error), "insecure-transport") from error
    holder = Holder(claims.address) if body.approve else None

    def decide() -> Answer:
        try:
            grant = server.get_consent_grant(oauth, end_user=holder)
        except OAuth2Error as error:
            if error.redirect_uri:
                return Answer(*error())
            raise
        answer: Answer = server.create_authorization_response(oauth, grant_user=holder,
                                                              grant=grant)  # fmt: skip
        if holder is not None and answer.location and "code=" in answer.location:
            server.wait(store.record_grant(state.primary, chain_id=state.chain_id,
                                           address=holder.address, client_id=grant.client.client_id,
                                           scope=grant.request.scope))  # fmt: skip
        return answer

    try:
        answer = await asyncio.to_thread(decide)
    except OAuth2Error as error:
        raise _problem_of(error) from error
    if answer.location is None:
        raise Problem(400, f"the authorization request is refused: {answer.body}",
                      "invalid-authorization-request")  # fmt: skip
    return ConsentOut(redirect_to=answer.location)


# -- tokens -----------------------------------------------------------------------------------


@router.post("/oauth/token", summary="Tokens for a code, a refresh token or client credentials",
             openapi_extra=TOKEN_FORM, response_model=TokenOut,
             responses=OAUTH_ERRORS)  # fmt: skip
async def token(request: Request, state: State, server: Server) -> Response:
    """RFC 6749 section 4.1.3, 6 and 4.4 (form-encoded). Offers `authorization_code` (with the
    PKCE `code_verifier`), `refresh_token` (rotating: the old one is spent, a second use ends its
    family) and `client_credentials` (confidential clients); no implicit or password grant."""
    oauth = await _request(request, state)
    answer: Answer = await asyncio.to_thread(server.create_token_response, oauth)
    return answer.response()


@router.post("/oauth/revoke", summary="Revoke a token (RFC 7009)", openapi_extra=TOKEN_FORM,
             responses=OAUTH_ERRORS)  # fmt: skip
async def revoke(request: Request, state: State, server: Server) -> Response:
    """Revoking an access or a refresh token ends all the tokens of its grant (its family)."""
    oauth = await _request(request, state)
    answer: Answer = await asyncio.to_thread(server.create_endpoint_response, "revocation", oauth)
    return answer.response()


@router.post("/oauth/introspect", summary="Introspect a token (RFC 7662)",
             openapi_extra=TOKEN_FORM, responses=OAUTH_ERRORS)  # fmt: skip
async def introspect(request: Request, state: State, server: Server) -> Response:
    """For a confidential client: whether one of its tokens is active, its scope and subject."""
    oauth = await _request(request, state)
    answer: Answer = await asyncio.to_thread(
        server.create_endpoint_response, "introspection", oauth
    )
    return answer.response()


# -- clients (platform admins) ----------------------------------------------------------------


async def platform_admin(state: State, claims: SignedIn) -> tokens.Claims:
    """The signed-in holder of the registry's DEFAULT_ADMIN_ROLE (as indexed); 403 else."""
    if not await store.is_platform_admin(state.primary, chain_id=state.chain_id,
                                         address=claims.address):  # fmt: skip
        raise Problem(403, "only a platform admin (the AssetRegistry's DEFAULT_ADMIN_ROLE)"
                      " registers and revokes OAuth clients", "forbidden")  # fmt: skip
    return claims


Admin = Annotated[tokens.Claims, Depends(platform_admin)]
ClientId = Annotated[str, Path(max_length=64)]


def _check_redirect_uri(uri: str) -> None:
    parts = urlsplit(uri)
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)
    if not secure or not parts.hostname:
        raise Problem(422, f"redirect URI {uri}: it must be https (or http on a loopback address,"
                      " for native apps)", "invalid-request")  # fmt: skip
    if parts.fragment or "#" in uri or "*" in uri or "@" in parts.netloc:
        raise Problem(422, f"redirect URI {uri}: no fragment, wildcard or user part",
                      "invalid-request")  # fmt: skip


def _client_out(row: dict[str, Any]) -> ClientOut:
    return ClientOut(**{k: row[k] for k in ClientOut.model_fields})


@router.post("/oauth/clients", status_code=201, responses=UNAUTHORIZED,
             summary="Register a client (platform admins): its secret is shown once")  # fmt: skip
async def register_client(state: State, admin: Admin, body: ClientIn) -> ClientCreated:
    unknown = scope_names.unknown(frozenset(body.scopes))
    if unknown:
        raise Problem(422, f"no such scope: {', '.join(unknown)}; the scopes are"
                      f" {', '.join(scope_names.SCOPES)}", "invalid-request")  # fmt: skip
    wants_code = "authorization_code" in body.grant_types
    if wants_code and not body.redirect_uris:
        raise Problem(422, "the authorization code grant needs at least one redirect URI",
                      "invalid-request")  # fmt: skip
    if "client_credentials" in body.grant_types and not body.confidential:
        raise Problem(422, "client credentials need a confidential client (a public one has no"
                      " secret)", "invalid-request")  # fmt: skip
    for uri in body.redirect_uris:
        _check_redirect_uri(uri)
    secret = secrets.token_urlsafe(32) if body.confidential else None
    client = Client(
        client_id=secrets.token_urlsafe(16), name=body.name,
        secret_hash=None if secret is None else digest(secret),
        redirect_uris=tuple(body.redirect_uris), scopes=frozenset(body.scopes),
        grant_types=frozenset(body.grant_types),
        rate_limit_per_minute=body.rate_limit_per_minute
        or state.settings.oauth_client_rate_limit_per_minute,
    )  # fmt: skip
    await store.add_client(state.primary, chain_id=state.chain_id, client=client,
                           created_by=admin.address)  # fmt: skip
    row = next(r for r in await store.clients(state.primary, chain_id=state.chain_id)
               if r["client_id"] == client.client_id)  # fmt: skip
    return ClientCreated(**_client_out(row).model_dump(), client_secret=secret)


@router.get("/oauth/clients", summary="Every registered client (platform admins)",
            responses=UNAUTHORIZED)  # fmt: skip
async def list_clients(state: State, admin: Admin) -> list[ClientOut]:
    return [_client_out(row) for row in await store.clients(state.primary, chain_id=state.chain_id)]


@router.delete("/oauth/clients/{client_id}", status_code=204, responses=UNAUTHORIZED,
               summary="Revoke a client and every token issued to it (platform admins)")  # fmt: skip
async def revoke_client(state: State, admin: Admin, client_id: ClientId) -> Response:
    if not await store.revoke_client(state.primary, chain_id=state.chain_id, client_id=client_id):
        raise Problem(404, f"no client {client_id} to revoke", "not-found")
    return Response(status_code=204)


# -- the holder's authorised apps -------------------------------------------------------------


@router.get("/me/apps", tags=["me"], responses=UNAUTHORIZED,
            summary="The apps the signed-in holder authorised, with scopes and last use")  # fmt: skip
async def my_apps(state: State, claims: SignedIn) -> list[AuthorizedApp]:
    rows = await store.grants(state.primary, chain_id=state.chain_id, address=claims.address)
    return [AuthorizedApp(client_id=r["client_id"], name=r["name"], scopes=r["scope"].split(),
                          granted_at=r["granted_at"], last_used_at=r["last_used_at"])
            for r in rows]  # fmt: skip


@router.delete("/me/apps/{client_id}", tags=["me"], status_code=204, responses=UNAUTHORIZED,
               summary="Revoke an app: its tokens for the holder stop working at once")  # fmt: skip
async def revoke_app(state: State, claims: SignedIn, client_id: ClientId) -> Response:
    if not await store.revoke_grant(state.primary, chain_id=state.chain_id, address=claims.address,
                                    client_id=client_id):  # fmt: skip
        raise Problem(404, f"the app {client_id} holds no authorisation of yours", "not-found")
    return Response(status_code=204)
