"""What the OAuth 2.0 routes take and answer (the token endpoints answer RFC 6749 JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

GrantType = Literal["authorization_code", "refresh_token", "client_credentials"]
DEFAULT_GRANTS: tuple[GrantType, ...] = ("authorization_code", "refresh_token")


class ClientIn(BaseModel):
    """A client to register (platform admins only)."""

    name: str = Field(min_length=1, max_length=80, examples=["Acme Portfolio Tracker"])
    redirect_uris: list[str] = Field(
        default_factory=list, max_length=10,
        description="Exact redirect URIs (https, or http on a loopback address): no wildcards.",
        examples=[["https://tracker.example/callback"]],
    )  # fmt: skip
    scopes: list[str] = Field(default_factory=list, description="The scopes it may ask for.",
                              examples=[["read:portfolio", "read:history"]])  # fmt: skip
    grant_types: list[GrantType] = Field(default_factory=lambda: list(DEFAULT_GRANTS), min_length=1)
    confidential: bool = Field(
        default=True,
        description="A confidential client gets a secret (shown once); a public one (a browser or"
        " native app) has none and relies on PKCE alone.",
    )
    rate_limit_per_minute: int | None = Field(
        default=None, ge=1, le=1_000_000,
        description="Its own rate limit with client credentials (default: the server's setting).",
    )  # fmt: skip


class ClientOut(BaseModel):
    """A registered client."""

    client_id: str
    name: str
    confidential: bool
    redirect_uris: list[str]
    scopes: list[str]
    grant_types: list[str]
    rate_limit_per_minute: int
    created_by: str
    created_at: datetime
    revoked_at: datetime | None = None


class ClientCreated(ClientOut):
    """A client just registered: its secret is shown this once (only its hash is kept)."""

    client_secret: str | None = Field(
        description="Shown once; null for a public client.", examples=["s3cr3t..."]
    )


class ScopeOut(BaseModel):
    """A scope and what it lets an app do."""

    name: str
    description: str


class ConsentRequest(BaseModel):
    """What the consent screen shows of a valid authorization request."""

    client_id: str
    client_name: str
    redirect_uri: str
    scopes: list[ScopeOut]
    state: str | None = None


class ConsentIn(BaseModel):
    """The holder's decision on an authorization request."""

    query: str = Field(max_length=4096,
                       description="The authorization request's query string, as received.")  # fmt: skip
    approve: bool


class ConsentOut(BaseModel):
    """Where the page sends the browser: the app's redirect URI with a code (or an error)."""

    redirect_to: str


class AuthorizedApp(BaseModel):
    """An app the holder authorised."""

    client_id: str
    name: str
    scopes: list[str]
    granted_at: datetime
    last_used_at: datetime | None = None


class OAuthErrorOut(BaseModel):
    """An RFC 6749 error (the token, revocation and introspection endpoints answer these)."""

    error: str = Field(examples=["invalid_grant"])
    error_description: str | None = None
    state: str | None = None


class TokenOut(BaseModel):
    """An RFC 6749 token response."""

    access_token: str
    token_type: str = Field(examples=["Bearer"])
    expires_in: int = Field(examples=[900])
    scope: str = Field(examples=["read:portfolio"])
    refresh_token: str | None = Field(
        default=None, description="Rotating: spent on use; absent for client credentials."
    )
