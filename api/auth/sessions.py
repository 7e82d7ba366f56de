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
from api.queries import sessions as queries
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
    await queries.add_nonce(
        state.primary, chain_id=state.chain_id, nonce=nonce, expires_at=expires_at
    )
    if random.randrange(_SWEEP_ONE_IN) == 0:
        await queries.sweep_nonces(
            state.primary, older_than_seconds=state.settings.siwe_max_age_seconds
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
    if await queries.spend_nonce(state.primary, chain_id=state.chain_id, nonce=nonce):
        return Nonce.FRESH
    if await queries.nonce_used(state.primary, chain_id=state.chain_id, nonce=nonce):
        return Nonce.USED
    return Nonce.UNKNOWN


def _digest(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()


async def start(state: AppState, address: str, *, family: str | None = None) -> Session:
    """New access and refresh tokens for a signed-in address (lowercase), in a family."""
    settings = state.settings
    access, claims = tokens.issue(settings, state.jwt_key, address=address,
                                  chain_id=state.chain_id)  # fmt: skip
    refresh = secrets.token_urlsafe(32)
    refresh_expires_at = _now() + timedelta(seconds=settings.refresh_token_seconds)
    await queries.add_refresh_token(
        state.primary, chain_id=state.chain_id, digest=_digest(refresh), address=address,
        family=family or secrets.token_urlsafe(16), expires_at=refresh_expires_at,
        access_token_id=claims.token_id,
    )  # fmt: skip
    if random.randrange(_SWEEP_ONE_IN) == 0:
        await queries.sweep_tokens(state.primary)
    return Session(access, claims, refresh, refresh_expires_at)


async def rotate(state: AppState, refresh_token: str) -> Session:
    """Spends a refresh token for a new pair of the same family.

    Raises:
        RefreshRefused: The token is unknown, expired or revoked; or it was used before, in
            which case its whole family is ended first.
    """
    digest = _digest(refresh_token)
    row = await queries.use_refresh_token(state.primary, chain_id=state.chain_id, digest=digest)
    if row is not None:
        return await start(state, row["address"], family=row["family"])
    row = await queries.refresh_token(state.primary, chain_id=state.chain_id, digest=digest)
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
    await queries.revoke_family(state.primary, family=family, lifetime_seconds=lifetime)


async def end(state: AppState, claims: tokens.Claims) -> None:
    """Signs out: revokes this access token and ends its refresh family."""
    until = datetime.fromtimestamp(claims.expires_at, UTC) + timedelta(
        seconds=state.settings.clock_skew_seconds
    )
    await queries.revoke_access_token(state.primary, token_id=claims.token_id, until=until)
    family = await queries.family_of(state.primary, chain_id=state.chain_id,
                                     access_token_id=claims.token_id)  # fmt: skip
    if family is not None:
        await end_family(state, family)
