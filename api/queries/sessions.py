"""Sign-in storage: nonces (when no Redis is configured), refresh tokens and revoked access tokens.

Keyword-only functions over the API's own tables (`api_siwe_nonces`, `api_refresh_tokens`,
`api_revoked_tokens`); `api.auth.sessions` decides what they mean.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.db import Database


async def add_nonce(db: Database, *, chain_id: int, nonce: str, expires_at: datetime) -> None:
    """Keeps a fresh nonce until `expires_at`."""
    await db.execute(
        "INSERT INTO api_siwe_nonces (nonce, chain_id, expires_at) VALUES (%s, %s, %s)",
        (nonce, chain_id, expires_at),
    )


async def sweep_nonces(db: Database, *, older_than_seconds: int) -> None:
    """Deletes nonces expired more than `older_than_seconds` ago."""
    await db.execute(
        "DELETE FROM api_siwe_nonces WHERE expires_at < now() - make_interval(secs => %s)",
        (older_than_seconds,),
    )


async def spend_nonce(db: Database, *, chain_id: int, nonce: str) -> bool:
    """Marks an unexpired, unused nonce used; whether it was one."""
    spent = await db.fetch_one(
        "UPDATE api_siwe_nonces SET used_at = now() WHERE nonce = %s AND chain_id = %s"
        " AND used_at IS NULL AND expires_at > now() RETURNING nonce",
        (nonce, chain_id),
    )
    return spent is not None


async def nonce_used(db: Database, *, chain_id: int, nonce: str) -> bool:
    """Whether the nonce was issued and has been used."""
    row = await db.fetch_one(
        "SELECT used_at FROM api_siwe_nonces WHERE nonce = %s AND chain_id = %s",
        (nonce, chain_id),
    )
    return row is not None and row["used_at"] is not None


async def add_refresh_token(db: Database, *, chain_id: int, digest: str, address: str,
                            family: str, expires_at: datetime,
                            access_token_id: str) -> None:  # fmt: skip
    """Stores a refresh token (its SHA-256) with the access token issued beside it."""
    await db.execute(
        "INSERT INTO api_refresh_tokens (token_id, address, family, expires_at, chain_id,"
        " access_token_id) VALUES (%s, %s, %s, %s, %s, %s)",
        (digest, address, family, expires_at, chain_id, access_token_id),
    )


async def use_refresh_token(db: Database, *, chain_id: int, digest: str) -> dict[str, Any] | None:
    """Marks a live refresh token used; its `address` and `family`, or None when not live."""
    return await db.fetch_one(
        "UPDATE api_refresh_tokens SET used_at = now() WHERE token_id = %s AND chain_id = %s"
        " AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()"
        " RETURNING address, family",
        (digest, chain_id),
    )


async def refresh_token(db: Database, *, chain_id: int, digest: str) -> dict[str, Any] | None:
    """A stored refresh token's `family`, `used_at` and `revoked_at`, or None."""
    return await db.fetch_one(
        "SELECT family, used_at, revoked_at FROM api_refresh_tokens"
        " WHERE token_id = %s AND chain_id = %s",
        (digest, chain_id),
    )


async def revoke_family(db: Database, *, family: str, lifetime_seconds: int) -> None:
    """Revokes a family's refresh tokens and the access tokens issued with them (each remembered
    for `lifetime_seconds` after it was issued)."""
    await db.execute(
        "WITH ended AS (UPDATE api_refresh_tokens SET revoked_at = now()"
        " WHERE family = %(family)s AND revoked_at IS NULL RETURNING access_token_id, created_at)"
        " INSERT INTO api_revoked_tokens (token_id, expires_at)"
        " SELECT access_token_id, created_at + make_interval(secs => %(lifetime)s) FROM ended"
        " WHERE access_token_id IS NOT NULL ON CONFLICT (token_id) DO NOTHING",
        {"family": family, "lifetime": lifetime_seconds},
    )


async def revoke_access_token(db: Database, *, token_id: str, until: datetime) -> None:
    """Remembers an access token as revoked until it would have expired anyway."""
    await db.execute(
        "INSERT INTO api_revoked_tokens (token_id, expires_at) VALUES (%s, %s)"
        " ON CONFLICT (token_id) DO NOTHING",
        (token_id, until),
    )


async def access_token_revoked(db: Database, *, token_id: str) -> bool:
    """Whether an access token was revoked (signed out, or its family ended)."""
    row = await db.fetch_one("SELECT 1 FROM api_revoked_tokens WHERE token_id = %s", (token_id,))
    return row is not None


async def family_of(db: Database, *, chain_id: int, access_token_id: str) -> str | None:
    """The refresh family an access token was issued in, or None."""
    row = await db.fetch_one(
        "SELECT family FROM api_refresh_tokens WHERE access_token_id = %s AND chain_id = %s",
        (access_token_id, chain_id),
    )
    return None if row is None else str(row["family"])


async def sweep_tokens(db: Database) -> None:
    """Deletes revocations of tokens expired anyway, and refresh tokens long expired."""
    await db.execute("DELETE FROM api_revoked_tokens WHERE expires_at < now()")
    await db.execute("DELETE FROM api_refresh_tokens WHERE expires_at < now() - interval '1 day'")
