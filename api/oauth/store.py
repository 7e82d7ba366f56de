"""The authorization server's rows: clients, codes, issued tokens and holders' grants.

Keyword-only functions over `api.db.Database` that raise nothing HTTP-related. Codes, client
secrets and refresh tokens are stored only as their SHA-256.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from typing import Any

from api.db import Database
from api.oauth.models import AuthorizationCode, Client, IssuedToken, digest

_SWEEP_ONE_IN = 32


def _client(row: dict[str, Any]) -> Client:
    return Client(
        client_id=row["client_id"], name=row["name"], secret_hash=row["secret_hash"],
        redirect_uris=tuple(row["redirect_uris"]), scopes=frozenset(row["scopes"]),
        grant_types=frozenset(row["grant_types"]),
        rate_limit_per_minute=row["rate_limit_per_minute"],
    )  # fmt: skip


def _token(row: dict[str, Any]) -> IssuedToken:
    return IssuedToken(
        token_id=row["token_id"], client_id=row["client_id"], address=row["address"],
        scope=row["scope"], family=row["family"], issued_at=row["issued_at"],
        expires_at=row["expires_at"], refresh_expires_at=row["refresh_expires_at"],
        used_at=row["used_at"], revoked_at=row["revoked_at"],
    )  # fmt: skip


# -- clients ----------------------------------------------------------------------------------


async def add_client(db: Database, *, chain_id: int, client: Client, created_by: str) -> None:
    """Registers a client (its secret already hashed)."""
    await db.execute(
        "INSERT INTO api_oauth_clients (client_id, chain_id, name, secret_hash, redirect_uris,"
        " scopes, grant_types, rate_limit_per_minute, created_by)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (client.client_id, chain_id, client.name, client.secret_hash,
         json.dumps(list(client.redirect_uris)), json.dumps(sorted(client.scopes)),
         json.dumps(sorted(client.grant_types)), client.rate_limit_per_minute, created_by),
    )  # fmt: skip


async def client(db: Database, *, chain_id: int, client_id: str) -> Client | None:
    """A client that is registered on this chain and not revoked."""
    row = await db.fetch_one(
        "SELECT * FROM api_oauth_clients WHERE client_id = %s AND chain_id = %s"
        " AND revoked_at IS NULL",
        (client_id, chain_id),
    )
    return None if row is None else _client(row)


async def clients(db: Database, *, chain_id: int) -> list[dict[str, Any]]:
    """Every client of the chain, newest first, revoked ones included (without secrets)."""
    return await db.fetch(
        "SELECT client_id, name, secret_hash IS NOT NULL AS confidential, redirect_uris, scopes,"
        " grant_types, rate_limit_per_minute, created_by, created_at, revoked_at"
        " FROM api_oauth_clients WHERE chain_id = %s ORDER BY created_at DESC",
        (chain_id,),
    )


async def revoke_client(db: Database, *, chain_id: int, client_id: str) -> bool:
    """Revokes a client and every token issued to it; False when there was none to revoke."""
    done = await db.fetch_one(
        "UPDATE api_oauth_clients SET revoked_at = now() WHERE client_id = %s AND chain_id = %s"
        " AND revoked_at IS NULL RETURNING client_id",
        (client_id, chain_id),
    )
    if done is None:
        return False
    await db.execute(
        "UPDATE api_oauth_tokens SET revoked_at = now() WHERE client_id = %s AND chain_id = %s"
        " AND revoked_at IS NULL",
        (client_id, chain_id),
    )
    return True


# -- authorization codes ----------------------------------------------------------------------


async def add_code(db: Database, *, code: str, client_id: str, address: str, redirect_uri: str,
                   scope: str, challenge: str, method: str, expires_at: datetime) -> None:  # fmt: skip
    """Keeps a new authorization code (by its hash) until it is spent or expires."""
    await db.execute(
        "INSERT INTO api_oauth_codes (code_hash, client_id, address, redirect_uri, scope,"
        " code_challenge, code_challenge_method, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (digest(code), client_id, address, redirect_uri, scope, challenge, method, expires_at),
    )  # fmt: skip
    if random.randrange(_SWEEP_ONE_IN) == 0:
        await db.execute("DELETE FROM api_oauth_codes WHERE expires_at < now() - interval '1 day'")
        await db.execute(
            "DELETE FROM api_oauth_tokens WHERE expires_at < now() - interval '1 day'"
            " AND coalesce(refresh_expires_at, expires_at) < now() - interval '1 day'"
        )


async def spend_code(db: Database, *, code: str, client_id: str) -> AuthorizationCode | None:
    """Spends a code of this client atomically: the code once, then None.

    A code that comes back after it was spent ends the tokens its first exchange issued (RFC 6749
    section 4.1.2: a code used twice may have been stolen).
    """
    code_hash = digest(code)
    row = await db.fetch_one(
        "UPDATE api_oauth_codes SET used_at = now() WHERE code_hash = %s AND client_id = %s"
        " AND used_at IS NULL AND expires_at > now() RETURNING *",
        (code_hash, client_id),
    )
    if row is not None:
        return AuthorizationCode(
            code_hash=code_hash, client_id=row["client_id"], address=row["address"],
            redirect_uri=row["redirect_uri"], scope=row["scope"],
            code_challenge=row["code_challenge"], code_challenge_method=row["code_challenge_method"],
        )  # fmt: skip
    used = await db.fetch_one(
        "SELECT 1 FROM api_oauth_codes WHERE code_hash = %s AND used_at IS NOT NULL", (code_hash,)
    )
    if used is not None:
        await end_family(db, family=code_hash[:32])
    return None


# -- tokens -----------------------------------------------------------------------------------


async def add_token(db: Database, *, chain_id: int, token_id: str, client_id: str,
                    address: str | None, scope: str, family: str, expires_at: datetime,
                    refresh_token: str | None, refresh_expires_at: datetime | None) -> None:  # fmt: skip
    """Keeps an issued access token (by `jti`) and its refresh token (by hash)."""
    await db.execute(
        "INSERT INTO api_oauth_tokens (token_id, chain_id, client_id, address, scope, family,"
        " refresh_hash, expires_at, refresh_expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (token_id, chain_id, client_id, address, scope, family,
         None if refresh_token is None else digest(refresh_token), expires_at, refresh_expires_at),
    )  # fmt: skip


async def token_by_id(db: Database, *, token_id: str) -> IssuedToken | None:
    """An issued access token by its `jti`."""
    row = await db.fetch_one("SELECT * FROM api_oauth_tokens WHERE token_id = %s", (token_id,))
    return None if row is None else _token(row)


async def token_by_refresh(db: Database, *, refresh_token: str) -> IssuedToken | None:
    """The issued token a refresh token came with."""
    row = await db.fetch_one(
        "SELECT * FROM api_oauth_tokens WHERE refresh_hash = %s", (digest(refresh_token),)
    )
    return None if row is None else _token(row)


async def spend_refresh(db: Database, *, token_id: str) -> bool:
    """Marks a refresh token used, atomically; False when it was used (or revoked) meanwhile."""
    row = await db.fetch_one(
        "UPDATE api_oauth_tokens SET used_at = now() WHERE token_id = %s AND used_at IS NULL"
        " AND revoked_at IS NULL RETURNING token_id",
        (token_id,),
    )
    return row is not None


async def end_family(db: Database, *, family: str) -> None:
    """Revokes every token of a family (access and refresh)."""
    await db.execute(
        "UPDATE api_oauth_tokens SET revoked_at = now() WHERE family = %s AND revoked_at IS NULL",
        (family,),
    )


async def token_active(db: Database, *, token_id: str) -> bool:
    """Whether an issued token is unrevoked (its expiry is the JWT's to tell)."""
    row = await db.fetch_one(
        "SELECT 1 FROM api_oauth_tokens WHERE token_id = %s AND revoked_at IS NULL", (token_id,)
    )
    return row is not None


async def token_in_use(db: Database, *, token_id: str) -> bool:
    """Whether an app's access token is unrevoked; notes the grant's last use (once a minute)."""
    row = await db.fetch_one(
        "SELECT chain_id, client_id, address FROM api_oauth_tokens WHERE token_id = %s"
        " AND revoked_at IS NULL",
        (token_id,),
    )
    if row is None:
        return False
    await db.execute(
        "UPDATE api_oauth_grants SET last_used_at = now() WHERE chain_id = %s AND address = %s"
        " AND client_id = %s AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
        (row["chain_id"], row["address"], row["client_id"]),
    )
    return True


# -- holders' grants --------------------------------------------------------------------------


async def record_grant(db: Database, *, chain_id: int, address: str, client_id: str,
                       scope: str) -> None:  # fmt: skip
    """Notes (or renews) that a holder authorised an app for a scope."""
    await db.execute(
        "INSERT INTO api_oauth_grants (chain_id, address, client_id, scope) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (chain_id, address, client_id) DO UPDATE SET scope = EXCLUDED.scope,"
        " granted_at = now(), revoked_at = NULL",
        (chain_id, address, client_id, scope),
    )


async def grants(db: Database, *, chain_id: int, address: str) -> list[dict[str, Any]]:
    """The apps a holder has authorised and not revoked, most recently granted first."""
    return await db.fetch(
        "SELECT g.client_id, c.name, g.scope, g.granted_at, g.last_used_at"
        " FROM api_oauth_grants g JOIN api_oauth_clients c USING (client_id)"
        " WHERE g.chain_id = %s AND g.address = %s AND g.revoked_at IS NULL"
        " AND c.revoked_at IS NULL ORDER BY g.granted_at DESC",
        (chain_id, address),
    )


async def revoke_grant(db: Database, *, chain_id: int, address: str, client_id: str) -> bool:
    """Ends a holder's grant to an app and every token it holds for them; False if none."""
    done = await db.fetch_one(
        "UPDATE api_oauth_grants SET revoked_at = now() WHERE chain_id = %s AND address = %s"
        " AND client_id = %s AND revoked_at IS NULL RETURNING client_id",
        (chain_id, address, client_id),
    )
    await db.execute(
        "UPDATE api_oauth_tokens SET revoked_at = now() WHERE chain_id = %s AND address = %s"
        " AND client_id = %s AND revoked_at IS NULL",
        (chain_id, address, client_id),
    )
    await db.execute(  # a code approved but not exchanged yet can no longer be
        "UPDATE api_oauth_codes SET used_at = now() WHERE address = %s AND client_id = %s"
        " AND used_at IS NULL",
        (address, client_id),
    )
    return done is not None


# -- platform admins --------------------------------------------------------------------------

DEFAULT_ADMIN_ROLE = "0x" + "00" * 32


async def is_platform_admin(db: Database, *, chain_id: int, address: str) -> bool:
    """Whether `address` holds the AssetRegistry's DEFAULT_ADMIN_ROLE (as indexed)."""
    row = await db.fetch_one(
        "SELECT 1 FROM roles r JOIN contracts c ON c.chain_id = r.chain_id"
        " AND c.address = r.contract AND c.kind = 'registry' WHERE r.chain_id = %s"
        " AND r.role = %s AND r.account = %s AND r.active",
        (chain_id, DEFAULT_ADMIN_ROLE, address),
    )
    return row is not None
