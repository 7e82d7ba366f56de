"""The FastAPI application: every router, errors, limits, metrics; state from `api.lifespan`.

`create_app(settings)` builds it; `python -m api` serves it with uvicorn. The routers are listed in
`ROUTERS` (included in that order), the static mounts in `_mount_static`: what the app serves is
read here, what it starts in `api.lifespan`.
"""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import metrics, openapi, problems
from api.db import RequestBudget
from api.deps import State
from api.feeds.frames import ExposeServerSend
from api.lifespan import lifespan
from api.proxies import TrustedProxies, parse_networks
from api.ratelimit import ActiveClientTokens, bearer_client, bearer_subject
from api.responses import ServeCached
from api.routes import (
    accounts,
    assets,
    auth,
    certificates,
    dapp,
    docs,
    events,
    faucet,
    governance,
    graphql,
    health,
    market,
    me,
    meters,
    oauth,
    operator,
    statements,
    transactions,
    ws,
)
from api.routes.dapp import wallet_rpc_url
from api.security_headers import SecurityHeaders
from api.settings import ApiSettings
from api.state import state_of
from infra.exceptions import ConfigurationError

log = logging.getLogger(__name__)
access = logging.getLogger("api.access")

ROUTERS: tuple[APIRouter, ...] = (
    accounts.router,
    assets.router,
    auth.router,
    certificates.router,
    dapp.router,
    docs.router,
    events.router,
    faucet.router,
    governance.router,
    graphql.router,
    health.router,
    market.router,
    me.router,
    meters.router,
    oauth.router,
    operator.router,
    statements.router,
    transactions.router,
    ws.router,
)
"""Every router of the API, in the order their routes are matched (and listed in OpenAPI)."""

DESCRIPTION = """
Co-ownership of renewable energy assets: read the indexed state of the platform's contracts
(assets, holdings, revenue, production, governance, market), follow it live over WebSocket,
and prepare **unsigned** transactions for your own wallet to sign.

* Amounts are uint256 values as **decimal strings**; addresses are EIP-55 checksummed.
* Lists are cursor-paginated: pass `next_cursor` back as `cursor`.
* Errors are RFC 9457 problem details.
* Sign in with Ethereum (`/auth/nonce`, `/auth/verify`) for a bearer token.
"""


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
        state = state_of(scope["app"])
        if state is None or scope["path"] in UNLIMITED_PATHS:
            return None
        limiter = state.limiter
        settings = self.settings
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


def _mount_static(app: FastAPI) -> None:
    """The files served as they are: the docs' assets and the dApp page."""
    docs.mount_assets(app)
    dapp.mount_page(app)


def create_app(settings: ApiSettings) -> FastAPI:
    """The API for a configured database (`settings.database_url` must be set)."""
    if settings.database_url is None:
        raise ConfigurationError("DATABASE_URL is not set (python -m api starts an embedded one)")

    app = FastAPI(
        title="Energy co-ownership API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan(settings),
        # Served by api.routes.docs from pinned local assets (no CDN), under a strict policy.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
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
    # Outside everything: the feed writes to sockets through the server's own `send`'s protocol.
    app.add_middleware(ExposeServerSend)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics(state: State) -> Response:
        metrics.INDEXED_BLOCK.set(state.head.block)
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    for router in ROUTERS:
        app.include_router(router, responses=problems.PROBLEM_RESPONSES)
    _mount_static(app)
    openapi.install(app, settings)
    return app
