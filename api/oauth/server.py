"""The authorization server: Authlib's grants and endpoints, given our storage and policy.

- authorization code, PKCE S256 required of every client (`plain` refused), redirect URIs matched
  exactly, codes single-use and short-lived (`API_OAUTH_CODE_SECONDS`);
- refresh tokens that rotate: each use issues a new one of the same family, and a spent one coming
  back ends the family;
- client credentials for confidential clients (an app's own token, for no account);
- revocation (RFC 7009) and introspection (RFC 7662); no implicit or password grant.

Authlib is synchronous: `OAuthServer` runs it in a worker thread (`asyncio.to_thread`), and its
storage callbacks hand their queries back to the event loop (`run_coroutine_threadsafe`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar

import jwt
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    InvalidGrantError,
    InvalidRequestError,
    grants,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from api.auth import tokens
from api.oauth import scopes as scope_names
from api.oauth import store
from api.oauth.models import (
    CLIENT_CREDENTIALS,
    SECRET_METHODS,
    AuthorizationCode,
    Client,
    Holder,
    IssuedToken,
)
from api.oauth.starlette import Answer, StarletteOAuth2Request
from api.state import AppState

T = TypeVar("T")
ANY_CLIENT = [*SECRET_METHODS, "none"]


class S256Required(CodeChallenge):
    """PKCE (RFC 7636) for every authorization request, with S256 only: `plain` shows the
    verifier to whoever sees the request, and a missing method means `plain`."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge (S256 of a"
                                      " code_verifier) and code_challenge_method=S256")  # fmt: skip
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256 ('plain' is refused)")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(grants.AuthorizationCodeGrant):
    """Authorization code: codes kept by hash, spent as they are read."""

    TOKEN_ENDPOINT_AUTH_METHODS = ANY_CLIENT
    server: OAuthServer

    def save_authorization_code(self, code: str, request: StarletteOAuth2Request) -> None:
        state, data = self.server.state, request.payload.data
        self.server.wait(store.add_code(
            state.primary, code=code, client_id=request.client.client_id,
            address=request.user.address, redirect_uri=data["redirect_uri"],
            scope=request.scope, challenge=data["code_challenge"],
            method=data["code_challenge_method"],
            expires_at=datetime.now(UTC) + timedelta(seconds=state.settings.oauth_code_seconds),
        ))  # fmt: skip

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        return self.server.wait(
            store.spend_code(self.server.state.primary, code=code, client_id=client.client_id)
        )

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        pass  # spent as it was read

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Holder:
        return Holder(authorization_code.address)


class RefreshGrant(grants.RefreshTokenGrant):
    """Refresh tokens that rotate; a spent one coming back ends its family."""

    TOKEN_ENDPOINT_AUTH_METHODS = ANY_CLIENT
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: OAuthServer

    def authenticate_refresh_token(self, refresh_token: str) -> IssuedToken | None:
        db = self.server.state.primary
        token = self.server.wait(store.token_by_refresh(db, refresh_token=refresh_token))
        if token is None or token.revoked_at is not None or token.refresh_expires_at is None:
            return None
        if token.used_at is not None:
            self.server.wait(store.end_family(db, family=token.family))
            return None
        if token.refresh_expires_at <= datetime.now(UTC):
            return None
        return token

    def authenticate_user(self, refresh_token: IssuedToken) -> Holder | None:
        return refresh_token.get_user()

    def revoke_old_credential(self, refresh_token: IssuedToken) -> None:
        db = self.server.state.primary
        if not self.server.wait(store.spend_refresh(db, token_id=refresh_token.token_id)):
            # Another request spent it meanwhile: a copy is in other hands.
            self.server.wait(store.end_family(db, family=refresh_token.family))
            raise InvalidGrantError("the refresh token was used twice: its family is ended")


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    """An app's own token (confidential clients only): for no account, with its rate limit."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(SECRET_METHODS)


class _TokenLookup:
    server: OAuthServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> IssuedToken | None:
        return self.server.find_token(token_string, token_type_hint)


class Revocation(_TokenLookup, RevocationEndpoint):
    """RFC 7009: revoking an access or refresh token ends its whole family."""

    CLIENT_AUTH_METHODS = ANY_CLIENT

    def revoke_token(self, token: IssuedToken, request: StarletteOAuth2Request) -> None:
        self.server.wait(store.end_family(self.server.state.primary, family=token.family))


class Introspection(_TokenLookup, IntrospectionEndpoint):
    """RFC 7662, for a confidential client's own tokens."""

    CLIENT_AUTH_METHODS: ClassVar[list[str]] = list(SECRET_METHODS)

    def check_permission(self, token: IssuedToken, client: Client, request: Any) -> bool:
        return token.client_id == client.client_id

    def introspect_token(self, token: IssuedToken) -> dict[str, Any]:
        settings = self.server.state.settings
        expires = token.refresh_expires_at if token.as_refresh else token.expires_at
        return {
            "active": True, "client_id": token.client_id, "scope": token.scope,
            "token_type": "refresh_token" if token.as_refresh else "Bearer",
            "sub": token.address or token.client_id, "iss": settings.jwt_issuer,
            "aud": settings.jwt_audience, "iat": int(token.issued_at.timestamp()),
            "exp": int(expires.timestamp()) if expires else None,
        }  # fmt: skip


class OAuthServer(AuthorizationServer):
    """The authorization server of one API process.

    Args:
        state: The process's shared state (database, settings, signing key).
        loop: The event loop its storage callbacks run their queries on.
    """

    def __init__(self, state: AppState, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(scopes_supported=list(scope_names.SCOPES))
        self.state = state
        self.loop = loop
        self.register_token_generator("default", self._generate)
        self.register_grant(CodeGrant, [S256Required(required=True)])
        self.register_grant(RefreshGrant)
        self.register_grant(ClientCredentialsGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)

    def wait(self, work: Coroutine[Any, Any, T]) -> T:
        """Runs a query on the event loop from Authlib's thread and waits for its result."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=30)

    # -- Authlib's framework hooks ----------------------------------------------------------

    def query_client(self, client_id: str) -> Client | None:
        return self.wait(store.client(self.state.primary, chain_id=self.state.chain_id,
                                      client_id=client_id))  # fmt: skip

    def create_oauth2_request(self, request: StarletteOAuth2Request) -> StarletteOAuth2Request:
        return request

    def create_json_request(self, request: StarletteOAuth2Request) -> StarletteOAuth2Request:
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Answer:
        return Answer(status, body, list(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass

    # -- tokens ------------------------------------------------------------------------------

    def _generate(self, grant_type: str, client: Client, user: Holder | None = None,
                  scope: str | None = None, expires_in: int | None = None,
                  include_refresh_token: bool = True) -> dict[str, Any]:  # fmt: skip
        settings, state = self.state.settings, self.state
        granted = scope_names.parse(scope)
        if grant_type == CLIENT_CREDENTIALS or user is None:
            access, _ = tokens.issue_client(settings, state.jwt_key, client_id=client.client_id,
                                            chain_id=state.chain_id, scopes=granted,
                                            rate_limit=client.rate_limit_per_minute)  # fmt: skip
        else:
            access, _ = tokens.issue(settings, state.jwt_key, address=user.address,
                                     chain_id=state.chain_id, client_id=client.client_id,
                                     scopes=granted)  # fmt: skip
        token: dict[str, Any] = {"token_type": "Bearer", "access_token": access,
                                 "expires_in": settings.access_token_seconds,
                                 "scope": scope_names.text(granted)}  # fmt: skip
        if include_refresh_token and user is not None:
            token["refresh_token"] = secrets.token_urlsafe(32)
        return token

    def save_token(self, token: dict[str, Any], request: StarletteOAuth2Request) -> None:
        claims = jwt.decode(token["access_token"], options={"verify_signature": False})
        if request.authorization_code is not None:
            family = request.authorization_code.family
        elif request.refresh_token is not None:
            family = request.refresh_token.family
        else:
            family = secrets.token_hex(16)
        refresh = token.get("refresh_token")
        self.wait(store.add_token(
            self.state.primary, chain_id=self.state.chain_id, token_id=claims["jti"],
            client_id=request.client.client_id,
            address=None if request.user is None else request.user.address,
            scope=token["scope"], family=family,
            expires_at=datetime.fromtimestamp(claims["exp"], UTC), refresh_token=refresh,
            refresh_expires_at=None if refresh is None else datetime.now(UTC)
            + timedelta(seconds=self.state.settings.oauth_refresh_token_seconds),
        ))  # fmt: skip

    def find_token(self, token_string: str, hint: str | None) -> IssuedToken | None:
        """An issued token by its access token (a JWT of ours) or its refresh token."""
        db = self.state.primary
        if hint != "refresh_token":
            try:
                claims = jwt.decode(token_string, self.state.jwt_key, algorithms=[tokens.ALGORITHM],
                                    audience=self.state.settings.jwt_audience,
                                    options={"verify_exp": False})  # fmt: skip
            except jwt.InvalidTokenError:
                claims = None
            if claims is not None:
                return self.wait(store.token_by_id(db, token_id=str(claims.get("jti"))))
        found = self.wait(store.token_by_refresh(db, refresh_token=token_string))
        return None if found is None else dataclasses.replace(found, as_refresh=True)
