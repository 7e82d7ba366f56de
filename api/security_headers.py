"""Security headers on every HTTP answer: a Content-Security-Policy per kind of page, `nosniff`, a
referrer policy, no framing, and HSTS when the API is served over HTTPS.

A plain ASGI middleware (like `api.app.LimitAndMeasure`): the headers are computed once, when the
app is built, and each answer only gets them appended to its start message.

Policies:
- the dApp page (`/app/`): its own scripts and styles only (no inline code, no eval); it connects
  to this API, its WebSocket and the wallet RPC URL `/dapp/config` gives; it cannot be framed.
- the API's documentation pages (`/docs`, `/redoc`, `/graphql`): their own scripts only, served by
  this API (`api.docs_pages`); their UIs set inline styles, so styles may be inline.
- anything else (JSON, problems, metrics): nothing at all may load (`default-src 'none'`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import ApiSettings

# Directives every policy ends with: no plugins, no <base> rewriting, no framing.
_CLOSING = "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
DOCS_PATHS = ("/docs", "/redoc", "/graphql")
DAPP_PATH = "/app"


def origin(url: str) -> str:
    """The scheme, host and port of `url` (never its path or query, which may hold a key)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def websocket_origin(url: str) -> str:
    """The WebSocket origin of an HTTP(S) URL: ws:// for http, wss:// for https."""
    http = origin(url)
    return "wss" + http[5:] if http.startswith("https") else "ws" + http[4:]


def dapp_policy(settings: ApiSettings, wallet_rpc_url: str | None) -> str:
    """The dApp page's policy: its own files; connections to the API, its feed and the wallet's
    RPC URL only."""
    connect = ["'self'", origin(settings.base_url), websocket_origin(settings.base_url)]
    if wallet_rpc_url:
        connect.append(origin(wallet_rpc_url))
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {' '.join(dict.fromkeys(connect))}; manifest-src 'self'; "
        f"form-action 'self'; {_CLOSING}"
    )


def docs_policy() -> str:
    """The documentation pages' policy: scripts from this API only; inline styles (Swagger UI,
    ReDoc and GraphiQL set them), images and fonts from here or data URLs; ReDoc's search runs in
    a worker made from a blob."""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        f"worker-src 'self' blob:; form-action 'self'; {_CLOSING}"
    )


API_POLICY = f"default-src 'none'; form-action 'none'; {_CLOSING}"


def _encoded(pairs: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs]


class SecurityHeaders:
    """Appends the security headers to every HTTP answer (no route sets any of them itself).

    Args:
        app: The application it wraps.
        settings: The public URL (HTTPS or not) and `hsts_seconds`.
        wallet_rpc_url: The RPC URL the dApp page may connect to (None: none).
    """

    def __init__(self, app: ASGIApp, settings: ApiSettings, wallet_rpc_url: str | None) -> None:
        self.app = app
        common = [("x-content-type-options", "nosniff"), ("referrer-policy", "no-referrer"),
                  ("x-frame-options", "DENY")]  # fmt: skip
        if settings.hsts_seconds and settings.base_url.startswith("https://"):
            common.append(("strict-transport-security", f"max-age={settings.hsts_seconds}"))
        dapp = _encoded(
            [*common, ("content-security-policy", dapp_policy(settings, wallet_rpc_url))]
        )
        docs = _encoded([*common, ("content-security-policy", docs_policy())])
        self.api = _encoded([*common, ("content-security-policy", API_POLICY)])
        # By the path's first segment: one split and one lookup per request.
        self.by_segment = {DAPP_PATH[1:]: dapp, **{path[1:]: docs for path in DOCS_PATHS}}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        segments = scope["path"].split("/", 2)
        extra = self.by_segment.get(segments[1], self.api) if len(segments) > 1 else self.api

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
