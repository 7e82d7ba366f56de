"""The API's documentation pages, `/docs` (Swagger UI) and `/redoc`, and GraphiQL's page for
`/graphql`, all served from this API: nothing is loaded from a CDN, so they work offline and under
a Content-Security-Policy that allows only their own scripts (`api.security_headers`).

Where the assets come from, each pinned:
- Swagger UI and ReDoc: the `fastapi-offline` wheel's `static/` folder (PyPI, pinned in
  `pyproject.toml` and `uv.lock`);
- GraphiQL, React and ReactDOM (UMD builds): npm packages pinned in `package.json`, copied into
  `api/static/docs/vendor/` by `make install` (no Node at run time);
- the small scripts that start each UI (no inline code): `api/static/docs/`.

All of them are served at `/docs/static/`.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parents[1] / "static" / "docs"
ASSETS = "/docs/static"
# The npm files `make install` copies into STATIC / "vendor" (GraphiQL and what it runs on).
VENDORED = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphiql.min.css",
)

router = APIRouter(include_in_schema=False)


def _page(title: str, head: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<title>{escape(title)}</title>\n<link rel="icon" href="{ASSETS}/favicon.png">\n'
        f"{head}</head>\n<body>\n{body}</body>\n</html>\n"
    )


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over the OpenAPI document."""
    openapi = escape(request.app.openapi_url or "/openapi.json")
    return _page(
        f"{request.app.title} - Swagger UI",
        f'<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">\n',
        f'<div id="swagger-ui" data-openapi-url="{openapi}"></div>\n'
        f'<script src="{ASSETS}/swagger-ui-bundle.js"></script>\n'
        f'<script src="{ASSETS}/swagger.js"></script>\n',
    )


@router.get("/docs/oauth2-redirect")
async def swagger_oauth2_redirect(request: Request) -> HTMLResponse:
    """Where `/docs`' "Authorize" button (OAuth 2.0) comes back with its code."""
    return _page(
        f"{request.app.title} - authorized", "",
        f'<p>Authorized: this window closes.</p>\n<script src="{ASSETS}/oauth2-redirect.js"></script>\n',
    )  # fmt: skip


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    """ReDoc over the OpenAPI document."""
    openapi = escape(request.app.openapi_url or "/openapi.json")
    return _page(
        f"{request.app.title} - ReDoc",
        "",
        f'<div id="redoc" data-openapi-url="{openapi}"></div>\n'
        f'<script src="{ASSETS}/redoc.standalone.js"></script>\n'
        f'<script src="{ASSETS}/redoc.js"></script>\n',
    )


def graphiql(title: str, endpoint: str) -> HTMLResponse:
    """GraphiQL's page, sending queries to `endpoint`."""
    scripts = "".join(
        f'<script src="{ASSETS}/vendor/{name}"></script>\n'
        for name in VENDORED
        if name.endswith(".js")
    )
    return _page(
        f"{title} - GraphiQL",
        f'<link rel="stylesheet" href="{ASSETS}/vendor/graphiql.min.css">\n'
        f'<link rel="stylesheet" href="{ASSETS}/graphiql.css">\n',
        f'<div id="graphiql" data-endpoint="{escape(endpoint)}">Loading…</div>\n'
        f'{scripts}<script src="{ASSETS}/graphiql.js"></script>\n',
    )


def mount(app: FastAPI) -> None:
    """Serves the assets at `/docs/static/` (our start scripts and the vendored GraphiQL first,
    then the Swagger UI and ReDoc files of the `fastapi-offline` wheel)."""
    app.mount(
        ASSETS,
        StaticFiles(directory=STATIC, packages=[("fastapi_offline", "static")]),
        name="docs-assets",
    )
