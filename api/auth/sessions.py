"""Sign-in sessions in storage: single-use nonces, rotating refresh tokens, revoked access tokens.

Nonces live in Redis (`SET ... NX EX`, spent with `GETDEL`, then remembered as used for a while so
a replay gets its own reason), or in PostgreSQL when no Redis is configured. A refresh token is an
opaque random string stored only as its SHA-256; each use rotates it (the old one is marked used,
a new one of the same family is issued). A used token coming back means one of its copies was
stolen, so the whole family ends: its refresh tokens and the access tokens issued with them.
"""

from __future__ import annotations

import enum
import hashlib
import random
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.exceptions import RedisError

from api.auth import tokens
from api.state import AppState

NONCE_LENGTH = 17  # about 100 bits of letters and digits
_ALPHANUMERIC = string.ascii_letters + string.digits
_SWEEP_ONE_IN = 32  # how often a write also deletes rows that can no longer matter


class Nonce(enum.Enum):
    """What spending a nonce found."""

    FRESH = "fresh"
    USED = "used"
    UNKNOWN = "unknown"


class StoreUnavailable(Exception):
    """Redis did not answer, so a nonce could not be kept or spent."""


class RefreshRefused(Exception):
    """A refresh token that is unknown, expired, revoked or reused; the message says which."""


@dataclass(frozen=True)
class Session:
    """The tokens of a sign-in (or of a refresh)."""

    access_token: str
    claims: tokens.Claims
    refresh_token: str
    refresh_expires_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _keys(state: AppState, nonce: str) -> tuple[str, str]:
    prefix = f"{state.settings.redis_namespace}:{state.chain_id}:api:siwe"
    return f"{prefix}:nonce:{nonce}", f"{prefix}:used:{nonce}"


async def new_nonce(state: AppState) -> tuple[str, datetime]:
    """A fresh nonce kept for `siwe_nonce_seconds`, and when it expires."""
    nonce = "".join(secrets.choice(_ALPHANUMERIC) for _ in range(NONCE_LENGTH))
    seconds = state.settings.siwe_nonce_seconds
    expires_at = _now() + timedelta(seconds=seconds)
    if state.redis is not None:
        try:
            await state.redis.set(_keys(state, nonce)[0], "1", ex=seconds, nx=True)
        except RedisError as error:
            raise StoreUnavailable("Redis did not answer") from error
        return nonce, expires_at
    await state.primary.execute(
        "INSERT INTO api_siwe_nonces (nonce, chain_id, expires_at) VALUES (%s, %s, %s)",
        (nonce, state.chain_id, expires_at),
    )
    if random.randrange(_SWEEP_ONE_IN) == 0:
        await state.primary.execute(
            "DELETE FROM api_siwe_nonces WHERE expires_at < now() - make_interval(secs => %s)",
            (state.settings.siwe_max_age_seconds,),
        )
    return nonce, expires_at


async def spend_nonce(state: AppState, nonce: str) -> Nonce:
    """Spends a nonce atomically: FRESH once, then USED (for a while), UNKNOWN if never issued."""
    if state.redis is not None:
        key, used = _keys(state, nonce)
        remember = state.settings.siwe_nonce_seconds + state.settings.siwe_max_age_seconds
        try:
            if await state.redis.getdel(key) is not None:
                await state.redis.set(used, "1", ex=remember)
                return Nonce.FRESH
            return Nonce.USED if await state.redis.exists(used) else Nonce.UNKNOWN
        except RedisError as error:
            raise StoreUnavailable("Redis did not answer") from error
    spent = await state.primary.fetch_one(
        "UPDATE api_siwe_nonces SET used_at = now() WHERE nonce = %s AND chain_id = %s"
        " AND used_at IS NULL AND expires_at > now() RETURNING nonce",
        (nonce, state.chain_id),
    )
    if spent is not None:
        return Nonce.FRESH
    row = await state.primary.fetch_one(
        "SELECT used_at FROM api_siwe_nonces WHERE nonce = %s AND chain_id = %s",
        (nonce, state.chain_id),
    )
    return Nonce.USED if row is not None and row["used_at"] is not None else Nonce.UNKNOWN


def _digest(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()


async def start(state: AppState, address: str, *, family: str | None = None) -> Session:
    """New access and refresh tokens for a signed-in address (lowercase), in a family."""
    settings = state.settings
    access, claims = tokens.issue(settings, state.jwt_key, address=address,
                                  chain_id=state.chain_id)  # fmt: skip
    refresh = secrets.token_urlsafe(32)
    refresh_expires_at = _now() + timedelta(seconds=settings.refresh_token_seconds)
    await state.primary.execute(
        "INSERT INTO api_refresh_tokens (token_id, address, family, expires_at, chain_id,"
        " access_token_id) VALUES (%s, %s, %s, %s, %s, %s)",
        (_digest(refresh), address, family or secrets.token_urlsafe(16), refresh_expires_at,
         state.chain_id, claims.token_id),
    )  # fmt: skip
    if random.randrange(_SWEEP_ONE_IN) == 0:
        await _sweep(state)
    return Session(access, claims, refresh, refresh_expires_at)


async def rotate(state: AppState, refresh_token: str) -> Session:
    """Spends a refresh token for a new pair of the same family.

    Raises:
        RefreshRefused: The token is unknown, expired or revoked; or it was used before, in
            which case its whole family is ended first.
    """
    digest = _digest(refresh_token)
    row = await state.primary.fetch_one(
        "UPDATE api_refresh_tokens SET used_at = now() WHERE token_id = %s AND chain_id = %s"
        " AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()"
        " RETURNING address, family",
        (digest, state.chain_id),
    )
    if row is not None:
        return await start(state, row["address"], family=row["family"])
    row = await state.primary.fetch_one(
        "SELECT family, used_at, revoked_at FROM api_refresh_tokens"
        " WHERE token_id = %s AND chain_id = %s",
        (digest, state.chain_id),
    )
    if row is None:
        raise RefreshRefused("the refresh token is unknown: sign in again")
    if row["revoked_at"] is not None:
        raise RefreshRefused("the refresh token was revoked (signed out, or its session was"
                             " ended): sign in again")  # fmt: skip
    if row["used_at"] is not None:
        await end_family(state, row["family"])
        raise RefreshRefused(
            "the refresh token was already used: a second use means a copy may be in other"
            " hands, so its session is ended; sign in again"
        )
    raise RefreshRefused("the refresh token has expired: sign in again")


async def end_family(state: AppState, family: str) -> None:
    """Revokes every refresh token of a family and the access tokens issued with them."""
    lifetime = state.settings.access_token_seconds + state.settings.clock_skew_seconds
    await state.primary.execute(
        "WITH ended AS (UPDATE api_refresh_tokens SET revoked_at = now()"
        " WHERE family = %(family)s AND revoked_at IS NULL RETURNING access_token_id, created_at)"
        " INSERT INTO api_revoked_tokens (token_id, expires_at)"
        " SELECT access_token_id, created_at + make_interval(secs => %(lifetime)s) FROM ended"
        " WHERE access_token_id IS NOT NULL ON CONFLICT (token_id) DO NOTHING",
        {"family": family, "lifetime": lifetime},
    )


async def end(state: AppState, claims: tokens.Claims) -> None:
    """Signs out: revokes this access token and ends its refresh family."""
    until = datetime.fromtimestamp(claims.expires_at, UTC) + timedelta(
        seconds=state.settings.clock_skew_seconds
    )
    await state.primary.execute(
        "INSERT INTO api_revoked_tokens (token_id, expires_at) VALUES (%s, %s)"
        " ON CONFLICT (token_id) DO NOTHING",
        (claims.token_id, until),
    )
    row = await state.primary.fetch_one(
        "SELECT family FROM api_refresh_tokens WHERE access_token_id = %s AND chain_id = %s",
        (claims.token_id, state.chain_id),
    )
    if row is not None:
        await end_family(state, row["family"])


async def _sweep(state: AppState) -> None:
    """Deletes revocations of tokens expired anyway, and refresh tokens long expired."""
    await state.primary.execute("DELETE FROM api_revoked_tokens WHERE expires_at < now()")
    await state.primary.execute(
        "DELETE FROM api_refresh_tokens WHERE expires_at < now() - interval '1 day'"
    )
