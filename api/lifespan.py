"""Everything the API starts, in one place: `open_state` builds the process's `AppState` in order
and takes it down in reverse; `lifespan` is the FastAPI lifespan that runs it.

Start order: the database's migrations, the connection pool, Redis, the node client, the chain to
serve, the indexed head's poller, the cache, the rate limiter, the faucet, then the feed hub.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

import redis.asyncio as aioredis
from fastapi import FastAPI

from api.auth import tokens
from api.cache import ReadCache
from api.chain import IndexedHead
from api.db import Database
from api.faucet import Faucet
from api.feeds.hub import Hub
from api.node import Node, NodeUnavailable, RpcError
from api.oauth.server import OAuthServer
from api.queries.status import indexed_chains
from api.ratelimit import RateLimiter
from api.settings import ApiSettings
from api.state import AppState
from infra.database.migrate import upgrade
from infra.exceptions import ConfigurationError


async def resolve_chain_id(settings: ApiSettings, db: Database, node: Node) -> int:
    """The chain to serve: the setting, else the index's only chain, else the node's."""
    if settings.chain_id is not None:
        return settings.chain_id
    chains = await indexed_chains(db)
    if len(chains) == 1:
        return chains[0]
    if len(chains) > 1:
        raise ConfigurationError("the index holds several chains: set API_CHAIN_ID")
    try:
        return await node.chain_id()
    except (NodeUnavailable, RpcError, TypeError, ValueError) as error:
        raise ConfigurationError(
            f"no chain to serve: the index is empty and the node at {settings.rpc_url} did not"
            " answer; set API_CHAIN_ID or start the node"
        ) from error


def open_databases(settings: ApiSettings, database_url: str) -> tuple[Database, Database]:
    """The pools (primary, reads): reads on `DATABASE_READ_URL` when set (`api.replica`), else
    one pool for both."""

    def pool(url: str, size: int) -> Database:
        return Database(url, size=size, statement_timeout_ms=settings.db_statement_timeout_ms,
                        pool_timeout=settings.db_pool_timeout_seconds,
                        plan_cache_mode=settings.db_plan_cache_mode)  # fmt: skip

    if settings.database_read_url is None:
        both = pool(database_url, settings.db_pool_size)
        return both, both
    return (pool(database_url, settings.db_primary_pool_size),
            pool(settings.database_read_url, settings.db_pool_size))  # fmt: skip


@asynccontextmanager
async def open_state(settings: ApiSettings) -> AsyncIterator[AppState]:
    """The process's state, every part started; stopped in reverse order on exit.

    Raises:
        ConfigurationError: No database is configured, or no chain to serve.
    """
    if settings.database_url is None:
        raise ConfigurationError("DATABASE_URL is not set (python -m api starts an embedded one)")
    await asyncio.to_thread(upgrade, settings.database_url)
    async with AsyncExitStack() as stack:
        primary, db = open_databases(settings, settings.database_url)
        for pool in {id(primary): primary, id(db): db}.values():
            await pool.open()
            stack.push_async_callback(pool.close)
        redis = None
        if settings.redis_url is not None:
            redis = aioredis.Redis.from_url(settings.redis_url, socket_connect_timeout=2)
            stack.push_async_callback(redis.aclose)
        node = Node(settings.rpc_url, timeout=settings.rpc_timeout_seconds)
        stack.push_async_callback(node.close)
        chain_id = await resolve_chain_id(settings, db, node)
        prefix = f"{settings.redis_namespace}:{chain_id}"
        head = IndexedHead(db, chain_id, interval=settings.head_poll_seconds)
        await head.start()
        stack.push_async_callback(head.stop)
        limiter = RateLimiter(redis, f"{prefix}:api")
        stack.push_async_callback(limiter.aclose)
        cache = ReadCache(redis, f"{prefix}:api", seconds=settings.cache_seconds)
        stack.push_async_callback(cache.aclose)
        state = AppState(
            settings=settings,
            chain_id=chain_id,
            db=db,
            primary=primary,
            redis=redis,
            head=head,
            cache=cache,
            jwt_key=tokens.signing_key(settings),
            node=node,
            limiter=limiter,
            faucet=Faucet(node, redis, prefix, enabled=settings.faucet),
        )
        state.oauth = OAuthServer(state, asyncio.get_running_loop())
        hub = Hub(state)
        await hub.start()
        state.hub = hub

        async def stop_hub() -> None:
            state.hub = None
            await hub.stop()

        stack.push_async_callback(stop_hub)
        yield state


def lifespan(settings: ApiSettings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan: `open_state` kept on the app as `app.state.platform` while it runs."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        async with open_state(settings) as state:
            app.state.platform = state
            try:
                yield
            finally:
                del app.state.platform

    return run
