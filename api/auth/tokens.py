"""Access tokens: short-lived HS256 JWTs whose subject is the signed-in address.

The algorithm is fixed by the server (a token naming another one, `none` included, is refused);
`exp`, `iat`, `sub`, `aud`, `iss` and `jti` are required; a token id can be revoked before it
expires. A token issued to an app through OAuth 2.0 (`api.oauth`) also names its `client_id` and
`scope`: it reaches only what its scopes name. An app's own token (client credentials) has the
client as its subject and acts for no account. The key comes from `API_JWT_SECRET`; in development without one, a random key is made
once and kept under the data folder, so every API process of the machine shares it.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from api.settings import ApiSettings

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss", "jti"]


class InvalidToken(Exception):
    """A bearer token that is missing, malformed, expired, revoked or not ours."""


@dataclass(frozen=True)
class Claims:
    """What a valid access token says."""

    address: str
    token_id: str
    expires_at: int
    chain_id: int
    client_id: str | None = None
    """The app the holder authorised (OAuth 2.0), or None for the holder's own sign-in."""
    scopes: frozenset[str] | None = None
    """What an app's token may reach; None for the holder's own sign-in (everything)."""

    @property
    def third_party(self) -> bool:
        """Whether an app holds this token on the holder's behalf (OAuth 2.0)."""
        return self.client_id is not None


@dataclass(frozen=True)
class ClientClaims:
    """What a valid client-credentials token (an app's own, for no account) says."""

    client_id: str
    token_id: str
    expires_at: int
    chain_id: int
    scopes: frozenset[str]
    rate_limit: int


CLIENT_CREDENTIALS = "client_credentials"


def signing_key(settings: ApiSettings) -> bytes:
    """The HMAC key: the configured secret, or in development a key kept under the data folder."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value().encode()
    path = Path(settings.data_dir) / "api" / "jwt.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{secrets.token_hex(4)}")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        tmp.replace(path)  # atomic: concurrent first starts agree on one key
    return path.read_text().strip().encode()


def issue(settings: ApiSettings, key: bytes, *, address: str, chain_id: int,
          now: int | None = None, client_id: str | None = None,
          scopes: frozenset[str] | None = None) -> tuple[str, Claims]:  # fmt: skip
    """A new access token for a signed-in address (lowercase); for an app when `client_id`."""
    issued = int(time.time()) if now is None else now
    claims = Claims(address, secrets.token_urlsafe(16), issued + settings.access_token_seconds,
                    chain_id, client_id, scopes)  # fmt: skip
    payload: dict[str, object] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": address,
        "iat": issued,
        "nbf": issued,
        "exp": claims.expires_at,
        "jti": claims.token_id,
        "chain_id": chain_id,
    }
    if client_id is not None:
        payload["client_id"] = client_id
        payload["scope"] = " ".join(sorted(scopes or ()))
    return jwt.encode(payload, key, algorithm=ALGORITHM), claims


def issue_client(settings: ApiSettings, key: bytes, *, client_id: str, chain_id: int,
                 scopes: frozenset[str], rate_limit: int) -> tuple[str, ClientClaims]:  # fmt: skip
    """A new client-credentials token: the app's own, for no account, with its rate limit."""
    issued = int(time.time())
    claims = ClientClaims(client_id, secrets.token_urlsafe(16),
                          issued + settings.access_token_seconds, chain_id, scopes,
                          rate_limit)  # fmt: skip
    payload = {
        "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": client_id,
        "iat": issued, "nbf": issued, "exp": claims.expires_at, "jti": claims.token_id,
        "chain_id": chain_id, "client_id": client_id, "grant": CLIENT_CREDENTIALS,
        "scope": " ".join(sorted(scopes)), "rate_limit": rate_limit,
    }  # fmt: skip
    return jwt.encode(payload, key, algorithm=ALGORITHM), claims


def _payload(settings: ApiSettings, key: bytes, token: str) -> dict[str, Any]:
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=settings.clock_skew_seconds,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError as error:
        raise InvalidToken("the access token has expired; refresh it or sign in again") from error
    except jwt.InvalidTokenError as error:
        raise InvalidToken(f"the access token is not valid: {error}") from error
    return payload


def decode_client(settings: ApiSettings, key: bytes, token: str) -> ClientClaims | None:
    """The claims of a valid client-credentials token; None for any other token or none valid."""
    try:
        payload = _payload(settings, key, token)
    except InvalidToken:
        return None
    if payload.get("grant") != CLIENT_CREDENTIALS:
        return None
    return ClientClaims(str(payload["client_id"]), str(payload["jti"]), int(payload["exp"]),
                        int(payload.get("chain_id", 0)), _scopes(payload),
                        int(payload.get("rate_limit", 0)))  # fmt: skip


def _scopes(payload: dict[str, Any]) -> frozenset[str]:
    return frozenset(str(payload.get("scope", "")).split())


def decode(settings: ApiSettings, key: bytes, token: str) -> Claims:
    """The claims of a valid token for an account; raises InvalidToken with the reason otherwise
    (an app's own client-credentials token acts for no account, so it is refused here)."""
    payload = _payload(settings, key, token)
    if payload.get("grant") == CLIENT_CREDENTIALS:
        raise InvalidToken("this is an app's own token (client credentials): it acts for no"
                           " account; an app reads a holder's data with a token the holder"
                           " authorised (authorization code)")  # fmt: skip
    sub = payload.get("sub")
    if not isinstance(sub, str) or len(sub) != 42 or not sub.startswith("0x"):
        raise InvalidToken("the access token's subject is not an address")
    client_id = payload.get("client_id")
    return Claims(sub.lower(), str(payload["jti"]), int(payload["exp"]),
                  int(payload.get("chain_id", 0)),
                  None if client_id is None else str(client_id),
                  None if client_id is None else _scopes(payload))  # fmt: skip
