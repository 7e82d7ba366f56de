"""The FastAPI application: state made once per process, every router, errors, limits, metrics.

`create_app(settings)` builds it; `python -m api` serves it with uvicorn. Routers are the modules
of `api.routes` (each defines `router`), included in name order.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import pkgutil
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import metrics, openapi, problems, routes
from api.auth import tokens
from api.cache import ReadCache
from api.chain import IndexedHead
from api.db import Database, RequestBudget
from api.node import Node, NodeUnavailable, RpcError
from api.proxies import TrustedProxies, parse_networks
from api.ratelimit import ActiveClientTokens, RateLimiter, bearer_client, bearer_subject
from api.responses import ServeCached
from api.routes.dapp import wallet_rpc_url
from api.security_headers import SecurityHeaders
from api.settings import ApiSettings
from api.state import AppState
from infra.database.migrate import upgrade

log = logging.getLogger(__name__)
access = logging.getLogger("api.access")

DESCRIPTION = """
Co-ownership of renewable energy assets: read the indexed state of the platform's contracts
(assets, holdings, revenue, production, governance, market), follow it live over WebSocket,
and prepare **unsigned** transactions for your own wallet to sign.

* Amounts are uint256 values as **decimal strings**; addresses are EIP-55 checksummed.
* Lists are cursor-paginated: pass `next_cursor` back as `cursor`.
* Errors are RFC 9457 problem details.
* Sign in with Ethereum (`/auth/nonce`, `/auth/verify`) for a bearer token.
"""


class ConfigurationError(RuntimeError):
    """The API cannot start as configured (no database, no chain to serve)."""


async def resolve_chain_id(settings: ApiSettings, db: Database, node: Node) -> int:
    """The chain to serve: the setting, else the index's only chain, else the node's."""
    if settings.chain_id is not None:
        return settings.chain_id
    rows = await db.fetch("SELECT chain_id FROM checkpoints")
    if len(rows) == 1:
        return int(rows[0]["chain_id"])
    if len(rows) > 1:
        raise ConfigurationError("the index holds several chains: set API_CHAIN_ID")
    try:
        return int(await node.request("eth_chainId"), 16)
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
                        pool_timeout=settings.db_pool_timeout_seconds)  # fmt: skip

    if settings.database_read_url is None:
        both = pool(database_url, settings.db_pool_size)
        return both, both
    return (pool(database_url, settings.db_primary_pool_size),
            pool(settings.database_read_url, settings.db_pool_size))  # fmt: skip


UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class LimitAndMeasure:
    """Rate limits every HTTP request (but health and metrics) and records its route, status and
    duration.

    A plain ASGI middleware: `@app.middleware("http")` (Starlette's `BaseHTTPMiddleware`) runs
    the app in a task of its own behind memory streams, which cost about a third of a cached
    read's time under load.

    Args:
        app: The application it wraps.
        settings: The limits.
    """

    def __init__(self, app: ASGIApp, settings: ApiSettings) -> None:
        self.app = app
        self.settings = settings
        self.client_tokens = ActiveClientTokens()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        limited = await self._limited(scope)
        if limited is not None:
            await limited(scope, receive, send)
            _access_log(scope, 429, started)
            return
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            name = getattr(scope.get("route"), "path", "unmatched")
            metrics.REQUESTS.labels(name, scope["method"], str(status)).inc()
            metrics.LATENCY.labels(name).observe(time.perf_counter() - started)
            _access_log(scope, status, started)

    async def _limited(self, scope: Scope) -> Response | None:
        """The 429 answer when the caller is over a limit, else None (the request is counted)."""
        app_state = scope["app"].state
        limiter: RateLimiter | None = getattr(app_state, "limiter", None)
        if limiter is None or scope["path"] in UNLIMITED_PATHS:
            return None
        settings = self.settings
        state: AppState = app_state.platform
        authorization = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"), None
        )
        app = bearer_client(settings, state.jwt_key, authorization)
        if app is not None and not await self.client_tokens.active(state.primary, app.token_id):
            app = None  # revoked (with its client): counted as anyone from its IP
        if app is not None:  # a registered app: its own limit instead of its IP's
            wait = await limiter.over("client", app.client_id, app.rate_limit)
        else:
            client = scope["client"][0] if scope.get("client") else "unknown"
            wait = await limiter.over("ip", client, settings.rate_limit_per_minute)
        if wait is None and app is None:
            address = bearer_subject(settings, state.jwt_key, authorization)
            if address is not None:
                wait = await limiter.over(
                    "address", address, settings.rate_limit_per_address_per_minute
                )
        if wait is None:
            return None
        return problems.problem_response(
            Request(scope), 429, f"too many requests: try again in {wait} s", "rate-limited",
            headers={"Retry-After": str(wait)},
        )  # fmt: skip


def _access_log(scope: Scope, status: int, started: float) -> None:
    """One `api.access` line per HTTP request (but health and metrics), with ECS field names."""
    if scope["path"] in UNLIMITED_PATHS or not access.isEnabledFor(logging.INFO):
        return
    seconds = time.perf_counter() - started
    client = scope.get("client")
    access.info(
        "%s %s %d %.1f ms", scope["method"], scope["path"], status, seconds * 1000,
        extra={
            "http.request.method": scope["method"],
            "url.path": scope["path"],
            "http.response.status_code": status,
            "event.duration": int(seconds * 1e9),
            "client.ip": client[0] if client else None,
        },
    )  # fmt: skip


def _include_routers(app: FastAPI) -> None:
    for module in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        loaded = importlib.import_module(f"{routes.__name__}.{module.name}")
        router = getattr(loaded, "router", None)
        if router is not None:
            app.include_router(router, responses=problems.PROBLEM_RESPONSES)
        mount = getattr(loaded, "mount", None)
        if mount is not None:
            mount(app)


def create_app(settings: ApiSettings) -> FastAPI:
    """The API for a configured database (`settings.database_url` must be set)."""
    if settings.database_url is None:
        raise ConfigurationError("DATABASE_URL is not set (python -m api starts an embedded one)")
    database_url = settings.database_url

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(upgrade, database_url)
        primary, db = open_databases(settings, database_url)
        await primary.open()
        if db is not primary:
            await db.open()
        redis = (
            None
            if settings.redis_url is None
            else aioredis.Redis.from_url(settings.redis_url, socket_connect_timeout=2)
        )
        node = Node(settings.rpc_url, timeout=settings.rpc_timeout_seconds)
        try:
            chain_id = await resolve_chain_id(settings, db, node)
            prefix = f"{settings.redis_namespace}:{chain_id}:api"
            head = IndexedHead(db, chain_id, interval=settings.head_poll_seconds)
            await head.start()
            state = AppState(
                settings=settings,
                chain_id=chain_id,
                db=db,
                primary=primary,
                redis=redis,
                head=head,
                cache=ReadCache(redis, prefix, seconds=settings.cache_seconds),
                jwt_key=tokens.signing_key(settings),
                node=node,
            )
            app.state.platform = state
            limiter = app.state.limiter = RateLimiter(redis, prefix)
            for hook in app.state.startup_hooks:
                await hook(state)
            try:
                yield
            finally:
                for hook in reversed(app.state.shutdown_hooks):
                    await hook(state)
                await head.stop()
                await limiter.aclose()
        finally:
            await node.close()
            if redis is not None:
                await redis.aclose()
            await db.close()
            if primary is not db:
                await primary.close()

    app = FastAPI(
        title="Energy co-ownership API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Served by api.routes.docs from pinned local assets (no CDN), under a strict policy.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.startup_hooks = []
    app.state.shutdown_hooks = []
    problems.install(app)
    app.add_middleware(ServeCached)  # inside CORS and the limits: they apply to cached answers too
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )

    app.add_middleware(RequestBudget, budget_ms=settings.db_request_budget_ms)
    app.add_middleware(LimitAndMeasure, settings=settings)
    # Outermost: limits, caps and logs see the client, not a trusted proxy (api.proxies).
    app.add_middleware(TrustedProxies, networks=parse_networks(settings.trusted_proxies))
    # Outermost, so that every answer has them (429s, CORS preflights, cached reads).
    app.add_middleware(SecurityHeaders, settings=settings, wallet_rpc_url=wallet_rpc_url(settings))

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics(request: Request) -> Response:
        state: AppState = request.app.state.platform
        metrics.INDEXED_BLOCK.set(state.head.block)
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    _include_routers(app)
    openapi.install(app, settings)
    return app
