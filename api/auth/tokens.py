"""Access tokens: short-lived HS256 JWTs whose subject is the signed-in address.

The algorithm is fixed by the server (a token naming another one, `none` included, is refused);
`exp`, `iat`, `sub`, `aud`, `iss` and `jti` are required; a token id can be revoked before it
expires. The key comes from `API_JWT_SECRET`; in development without one, a random key is made
once and kept under the data folder, so every API process of the machine shares it.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

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
          now: int | None = None) -> tuple[str, Claims]:  # fmt: skip
    """A new access token for a signed-in address (lowercase)."""
    issued = int(time.time()) if now is None else now
    claims = Claims(address, secrets.token_urlsafe(16), issued + settings.access_token_seconds,
                    chain_id)  # fmt: skip
    payload = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": address,
        "iat": issued,
        "nbf": issued,
        "exp": claims.expires_at,
        "jti": claims.token_id,
        "chain_id": chain_id,
    }
    return jwt.encode(payload, key, algorithm=ALGORITHM), claims


def decode(settings: ApiSettings, key: bytes, token: str) -> Claims:
    """The claims of a valid token; raises InvalidToken with the reason otherwise."""
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
    sub = payload.get("sub")
    if not isinstance(sub, str) or len(sub) != 42 or not sub.startswith("0x"):
        raise InvalidToken("the access token's subject is not an address")
    return Claims(sub.lower(), str(payload["jti"]), int(payload["exp"]),
                  int(payload.get("chain_id", 0)))  # fmt: skip
