"""Security headers on every answer, the dApp page's and the documentation pages' policies, HSTS
behind its setting, no `Server` header from the real server, and documentation pages that load
nothing from elsewhere (their assets served here, pinned)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests
from _stack import ROOT, free_port
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings


def directives(policy: str) -> dict[str, list[str]]:
    """A Content-Security-Policy as {directive: sources}."""
    found = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            found[words[0]] = words[1:]
    return found


def test_every_api_answer_has_nosniff_no_framing_and_a_policy_that_loads_nothing(
    client: TestClient,
) -> None:
    for answer in (client.get("/assets"), client.get("/healthz"), client.get("/no-such-route"),
                   client.get("/metrics"), client.post("/auth/nonce", json={})):  # fmt: skip
        assert answer.headers["x-content-type-options"] == "nosniff", answer.request.url
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "no-referrer"
        policy = directives(answer.headers["content-security-policy"])
        assert policy["default-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert "strict-transport-security" not in answer.headers  # off by default
        assert "server" not in answer.headers


def test_the_dapp_page_runs_only_its_own_code_and_connects_only_to_the_api_feed_and_rpc(
    client: TestClient, demo_settings: ApiSettings
) -> None:
    page = client.get("/app/")
    assert page.status_code == 200
    policy = directives(page.headers["content-security-policy"])
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'none'"]
    assert sorted(policy["connect-src"]) == sorted(
        ["'self'", "http://testserver", "ws://testserver", demo_settings.rpc_url]
    )
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    # The page and its modules hold no inline script, handler or style for the policy to refuse.
    html = page.text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=|style=", html)
    for module in (ROOT / "dapp" / "js").glob("*.js"):
        assert not re.search(r"\bstyle=|\son[a-z]+=\"|setAttribute\(\"style", module.read_text()), (
            module.name
        )


def test_a_remote_nodes_url_path_is_not_in_the_policy(demo_settings: ApiSettings) -> None:
    settings = demo_settings.model_copy(
        update={"wallet_rpc_url": "https://rpc.example.org/v3/secret-key"}
    )
    page = TestClient(create_app(settings)).get("/app/")
    connect = directives(page.headers["content-security-policy"])["connect-src"]
    assert "https://rpc.example.org" in connect
    assert not any("secret-key" in source for source in connect)


def test_hsts_is_sent_only_when_set_and_the_public_url_is_https(
    demo_settings: ApiSettings,
) -> None:
    def hsts(**update: object) -> str | None:
        app = create_app(demo_settings.model_copy(update=update))
        return TestClient(app).get("/healthz").headers.get("strict-transport-security")

    assert hsts(public_url="https://energy.example.org") is None  # off by default
    assert (
        hsts(public_url="https://energy.example.org", hsts_seconds=31536000) == "max-age=31536000"
    )
    assert hsts(public_url="http://127.0.0.1:8000", hsts_seconds=31536000) is None


def test_docs_redoc_and_graphiql_load_only_their_own_pinned_assets(client: TestClient) -> None:
    pages = {
        "/docs": client.get("/docs"),
        "/redoc": client.get("/redoc"),
        "/graphql": client.get("/graphql", headers={"Accept": "text/html"}),
    }
    for path, page in pages.items():
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html"), path
        html = page.text
        # No URL of another origin: no CDN, no font service, no protocol-relative URL.
        assert not re.search(r"(https?:)?//", html), (path, html)
        # No inline script: each UI is started by a file of ours.
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert any(a.endswith(".js") for a in assets), path
        for asset in assets:
            answer = client.get(asset)
            assert answer.status_code == 200, (path, asset)
            assert answer.content, (path, asset)
        policy = directives(page.headers["content-security-policy"])
        assert policy["script-src"] == ["'self'"], path
        assert policy["connect-src"] == ["'self'"], path
        assert policy["frame-ancestors"] == ["'none'"], path
        assert page.headers["x-frame-options"] == "DENY"
    assert "graphiql.min.js" in pages["/graphql"].text
    assert "swagger-ui-bundle.js" in pages["/docs"].text
    assert "redoc.standalone.js" in pages["/redoc"].text


def test_python_m_api_sends_no_server_header(demo_settings: ApiSettings, tmp_path: Path) -> None:
    port = free_port()
    env = dict(os.environ, DATABASE_URL=str(demo_settings.database_url),
               REDIS_URL=str(demo_settings.redis_url), RPC_URL=demo_settings.rpc_url,
               REDIS_NAMESPACE=demo_settings.redis_namespace,
               DEPLOYMENTS_DIR=str(demo_settings.deployments_dir),
               API_DATA_DIR=str(tmp_path), PYTHONPATH=str(ROOT))  # fmt: skip
    log = tmp_path / "api.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "api", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180  # a loaded machine builds the schema slowly
        while True:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except requests.RequestException:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert answer.status_code == 200
        assert "server" not in answer.headers, answer.headers
        assert answer.headers["x-content-type-options"] == "nosniff"
    finally:
        process.terminate()
        process.wait(10)
