"""What Authlib's grants and endpoints are given: a client, a holder, a code, an issued token.

Each implements the Authlib mixin its protocol code calls (`ClientMixin`, `AuthorizationCodeMixin`,
`TokenMixin`); rows come from `api.oauth.store`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin

from api.oauth import scopes as scope_names

AUTHORIZATION_CODE = "authorization_code"
REFRESH_TOKEN = "refresh_token"
CLIENT_CREDENTIALS = "client_credentials"
GRANT_TYPES = (AUTHORIZATION_CODE, REFRESH_TOKEN, CLIENT_CREDENTIALS)
SECRET_METHODS = ("client_secret_basic", "client_secret_post")


def digest(secret: str) -> str:
    """The SHA-256 of a secret, code or token (each is 256 random bits: no slow hash needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Holder:
    """The resource owner: a holder signed in with their wallet (lowercase address)."""

    address: str


@dataclass(frozen=True)
class Client(ClientMixin):
    """A registered app: public (no secret, PKCE alone) or confidential (a hashed secret)."""

    client_id: str
    name: str
    secret_hash: str | None
    redirect_uris: tuple[str, ...]
    scopes: frozenset[str]
    grant_types: frozenset[str]
    rate_limit_per_minute: int

    @property
    def confidential(self) -> bool:
        return self.secret_hash is not None

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None  # every authorization request names its redirect URI, matched exactly

    def get_allowed_scope(self, scope: str | None) -> str | None:
        requested = scope_names.parse(scope)
        if not requested or not requested <= self.scopes:
            return None  # Authlib answers invalid_scope
        return scope_names.text(requested)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris  # exact: no prefix, no wildcard

    def check_client_secret(self, client_secret: str) -> bool:
        if self.secret_hash is None:
            return False
        return hmac.compare_digest(digest(client_secret), self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.confidential:
            return method in SECRET_METHODS
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and AUTHORIZATION_CODE in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == CLIENT_CREDENTIALS and not self.confidential:
            return False  # a public client has no credentials of its own
        return grant_type in self.grant_types


@dataclass(frozen=True)
class AuthorizationCode(AuthorizationCodeMixin):
    """A spent authorization code (it is spent as it is read)."""

    code_hash: str
    client_id: str
    address: str
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str

    @property
    def family(self) -> str:
        """The token family its exchange starts (ended if the code comes back)."""
        return self.code_hash[:32]

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass(frozen=True)
class IssuedToken(TokenMixin):
    """An access token issued to an app (with its refresh token, when it has one)."""

    token_id: str
    client_id: str
    address: str | None
    scope: str
    family: str
    issued_at: datetime
    expires_at: datetime
    refresh_expires_at: datetime | None
    used_at: datetime | None
    revoked_at: datetime | None
    as_refresh: bool = False
    """Found by its refresh token (for revocation and introspection)."""

    def check_client(self, client: Client) -> bool:
        return self.client_id == client.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int((self.expires_at - self.issued_at).total_seconds())

    def is_expired(self) -> bool:
        expires = self.refresh_expires_at if self.as_refresh else self.expires_at
        return expires is None or expires.timestamp() <= time.time()

    def is_revoked(self) -> bool:
        return self.revoked_at is not None or (self.as_refresh and self.used_at is not None)

    def get_user(self) -> Holder | None:
        return None if self.address is None else Holder(self.address)

    def get_client(self) -> None:
        return None  # not needed by the endpoints used
