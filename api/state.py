"""What every request shares: settings, the database, Redis, the indexed head, the cache and the
node (asked only to prepare transactions and to check contract wallets' signatures)."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from api.cache import ReadCache
from api.chain import IndexedHead
from api.db import Database
from api.node import Node
from api.settings import ApiSettings


@dataclass
class AppState:
    """The API's long-lived objects, made once per process in `api.app`'s lifespan."""

    settings: ApiSettings
    chain_id: int
    db: Database  # reads: the replica when DATABASE_READ_URL is set (api.replica)
    primary: Database  # writes, and reads of what the API wrote; `db` itself without a replica
    redis: aioredis.Redis | None
    head: IndexedHead
    cache: ReadCache
    jwt_key: bytes
    node: Node
