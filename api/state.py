"""What every request shares, made once per process by `api.lifespan`: settings, the database,
Redis, the indexed head, the read cache, the node (asked only to prepare transactions, check
contract wallets' signatures and run the faucet), the rate limiter, the faucet, the feed hub and the OAuth 2.0 authorization server.

One object, `AppState`, kept on the app as `app.state.platform`; routes reach it and its parts
through the typed dependencies of `api.deps`, GraphQL through its context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import redis.asyncio as aioredis
from starlette.types import ASGIApp

from api.cache import ReadCache
from api.chain import IndexedHead
from api.db import Database
from api.faucet import Faucet
from api.node import Node
from api.ratelimit import RateLimiter
from api.settings import ApiSettings

if (
    TYPE_CHECKING
):  # the hub and the OAuth server read this state: typed here, made in `api.lifespan`
    from api.feeds.hub import Hub
    from api.oauth.server import OAuthServer


@dataclass
class AppState:
    """The API's long-lived objects, made once per process in `api.lifespan.open_state`."""

    settings: ApiSettings
    chain_id: int
    db: Database  # reads: the replica when DATABASE_READ_URL is set (api.replica)
    primary: Database  # writes, and reads of what the API wrote; `db` itself without a replica
    redis: aioredis.Redis | None
    head: IndexedHead
    cache: ReadCache
    jwt_key: bytes
    node: Node
    limiter: RateLimiter
    faucet: Faucet
    hub: Hub | None = None  # the feeds' hub while it runs (it reads this state)
    oauth: OAuthServer | None = None  # the OAuth 2.0 authorization server (it reads this state)


def state_of(app: ASGIApp) -> AppState | None:
    """The state of a running app (None before its lifespan started it: no limits then)."""
    state: AppState | None = getattr(getattr(app, "state", None), "platform", None)
    return state
