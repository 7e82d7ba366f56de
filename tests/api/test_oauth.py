"""OAuth 2.0 for third-party apps, driven by a real OAuth client library (Authlib's httpx client)
against the API served by `python -m api` over the indexed demo chain: a platform admin registers
clients, a holder consents by signing in with an eth-account key, the app exchanges its code with
PKCE, reads within its scopes, refreshes and revokes; and every refusal the issue lists."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from _stack import ROOT, free_port
from _wallet import ADMIN, account
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc6749.errors import MismatchingStateException
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from api.settings import ApiSettings

HOLDER = 21  # an investor of the demo (holds Alentejo Solar shares)
CALLBACK = "http://127.0.0.1:9/callback"  # never opened: the test reads the redirect itself


@pytest.fixture(scope="module")
def api_url(demo_chain: tuple[str, Path], demo_index: tuple[str, str], redis_url: str,
            demo_settings: ApiSettings,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # fmt: skip
    """`python -m api` over the demo's index, on a port of its own."""
    assert demo_settings.jwt_secret is not None
    rpc_url, deployments = demo_chain
    database_url, namespace = demo_index
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("oauth-api") / "api.log"
    env = dict(os.environ, PYTHONPATH=str(ROOT), DATABASE_URL=database_url, REDIS_URL=redis_url,
               REDIS_NAMESPACE=namespace, RPC_URL=rpc_url, DEPLOYMENTS_DIR=str(deployments),
               API_JWT_SECRET=demo_settings.jwt_secret.get_secret_value(), API_PUBLIC_URL=url, API_PORT=str(port),
               API_HOST="127.0.0.1", API_FAUCET="false", API_OAUTH_CODE_SECONDS="30",
               API_DATA_DIR=str(log.parent))  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", "api"], cwd=ROOT, env=env,
                               stdout=log.open("wb"), stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 300  # a busy machine can take minutes to start it
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(60)


def sign_in(api_url: str, who: LocalAccount) -> str:
    """The holder's own access token: sign-in with Ethereum, signed with the eth-account key."""
    template = httpx.post(f"{api_url}/auth/nonce").json()["message_template"]
    message = template.replace("{address}", who.address)
    signature = who.sign_message(encode_defunct(text=message)).signature.hex()
    answer = httpx.post(f"{api_url}/auth/verify", json={
        "message": message, "signature": "0x" + signature.removeprefix("0x")})  # fmt: skip
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def admin_token(api_url: str) -> str:
    return sign_in(api_url, account(ADMIN))


@pytest.fixture(scope="module")
def holder_token(api_url: str) -> str:
    return sign_in(api_url, account(HOLDER))


def register(api_url: str, admin_token: str, **overrides: Any) -> dict[str, Any]:
    body = {"name": "Acme Portfolio", "redirect_uris": [CALLBACK],
            "scopes": ["read:portfolio", "read:history"], **overrides}  # fmt: skip
    answer = httpx.post(f"{api_url}/oauth/clients", json=body, headers=bearer(admin_token))
    assert answer.status_code == 201, answer.text
    client: dict[str, Any] = answer.json()
    return client


@pytest.fixture(scope="module")
def app(api_url: str, admin_token: str) -> dict[str, Any]:
    """A confidential client registered by the platform admin."""
    return register(api_url, admin_token, grant_types=[
        "authorization_code", "refresh_token", "client_credentials"])  # fmt: skip


def oauth_client(api_url: str, app: dict[str, Any], scope: str = "read:portfolio",
                 redirect_uri: str = CALLBACK) -> OAuth2Client:  # fmt: skip
    return OAuth2Client(
        client_id=app["client_id"], client_secret=app.get("client_secret"), scope=scope,
        redirect_uri=redirect_uri, code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if app.get("client_secret") else "none",
        base_url=api_url,
    )  # fmt: skip


def consent(api_url: str, holder_token: str, authorization_url: str, *,
            approve: bool = True) -> str:  # fmt: skip
    """What the dApp's consent page does: follows the request to the page, shows it, and posts
    the signed-in holder's decision; the URL the browser is sent back to."""
    started = httpx.get(authorization_url)
    assert started.status_code == 302, started.text
    page = started.headers["location"]
    assert page.startswith("/app/#/authorize?")
    query = page.split("?", 1)[1]
    shown = httpx.get(f"{api_url}/oauth/authorize/request?{query}")
    assert shown.status_code == 200, shown.text
    decided = httpx.post(f"{api_url}/oauth/authorize", headers=bearer(holder_token),
                         json={"query": query, "approve": approve})  # fmt: skip
    assert decided.status_code == 200, decided.text
    redirect: str = decided.json()["redirect_to"]
    return redirect


def authorize(api_url: str, holder_token: str, client: OAuth2Client) -> tuple[str, str]:
    """A consented authorization: (the redirect back with the code, the PKCE verifier)."""
    verifier = generate_token(48)
    url, _ = client.create_authorization_url(f"{api_url}/oauth/authorize",
                                             code_verifier=verifier)  # fmt: skip
    return consent(api_url, holder_token, url), verifier


def test_full_flow_consent_code_pkce_scoped_read_refresh_revoke(
    api_url: str, holder_token: str, app: dict[str, Any]
) -> None:
    client = oauth_client(api_url, app)
    verifier = generate_token(48)
    url, state = client.create_authorization_url(f"{api_url}/oauth/authorize",
                                                 code_verifier=verifier)  # fmt: skip
    shown = httpx.get(f"{api_url}/oauth/authorize/request?{urlsplit(url).query}").json()
    assert shown["client_name"] == "Acme Portfolio" and shown["redirect_uri"] == CALLBACK
    assert [s["name"] for s in shown["scopes"]] == ["read:portfolio"]

    back = consent(api_url, holder_token, url)
    assert back.startswith(CALLBACK + "?") and parse_qs(urlsplit(back).query)["state"] == [state]
    token = client.fetch_token("/oauth/token", authorization_response=back,
                               code_verifier=verifier)  # fmt: skip
    assert token["scope"] == "read:portfolio" and token["refresh_token"]

    me = client.get("/me")
    assert me.status_code == 200 and me.json()["address"] == account(HOLDER).address
    portfolio = client.get("/me/portfolio")
    assert portfolio.status_code == 200 and portfolio.json()["holdings"], portfolio.text
    assert client.get("/me/history").status_code == 403  # not a scope it was given

    apps = httpx.get(f"{api_url}/me/apps", headers=bearer(holder_token)).json()
    mine = next(a for a in apps if a["client_id"] == app["client_id"])
    assert mine["scopes"] == ["read:portfolio"] and mine["last_used_at"] is not None

    first = dict(token)
    refreshed = client.refresh_token("/oauth/token")
    assert refreshed["refresh_token"] != first["refresh_token"]
    assert client.get("/me/portfolio").status_code == 200

    introspected = httpx.post(f"{api_url}/oauth/introspect", data={"token": refreshed[
        "access_token"]}, auth=(app["client_id"], app["client_secret"])).json()  # fmt: skip
    assert introspected["active"] is True and introspected["scope"] == "read:portfolio"
    assert introspected["sub"] == account(HOLDER).address.lower()

    client.revoke_token("/oauth/revoke", token=refreshed["refresh_token"],
                        token_type_hint="refresh_token")  # fmt: skip
    refused = client.get("/me/portfolio")
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    gone = httpx.post(f"{api_url}/oauth/introspect", data={"token": refreshed["access_token"]},
                      auth=(app["client_id"], app["client_secret"])).json()  # fmt: skip
    assert gone == {"active": False}


def test_a_public_client_uses_pkce_alone(api_url: str, admin_token: str,
                                         holder_token: str) -> None:  # fmt: skip
    public = register(api_url, admin_token, confidential=False, scopes=["read:history"])
    assert public["client_secret"] is None
    client = oauth_client(api_url, public, scope="read:history")
    back, verifier = authorize(api_url, holder_token, client)
    client.fetch_token("/oauth/token", authorization_response=back, code_verifier=verifier)
    assert client.get("/me/history").status_code == 200
    assert client.get("/me/portfolio").status_code == 403


def test_a_wrong_or_missing_pkce_verifier_is_refused(api_url: str, holder_token: str,
                                                     app: dict[str, Any]) -> None:  # fmt: skip
    client = oauth_client(api_url, app)
    back, _ = authorize(api_url, holder_token, client)
    with pytest.raises(OAuthError, match="invalid_grant"):
        client.fetch_token("/oauth/token", authorization_response=back,
                           code_verifier=generate_token(48))  # fmt: skip
    back, _ = authorize(api_url, holder_token, client)
    with pytest.raises(OAuthError, match="invalid_request"):
        client.fetch_token("/oauth/token", authorization_response=back)


def test_pkce_is_required_and_plain_is_refused(api_url: str, holder_token: str,
                                               app: dict[str, Any]) -> None:  # fmt: skip
    base = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": CALLBACK,
            "scope": "read:portfolio", "state": "xyz"}  # fmt: skip
    for extra in ({}, {"code_challenge": "a" * 43, "code_challenge_method": "plain"},
                  {"code_challenge": "a" * 43}):  # fmt: skip
        answer = httpx.get(f"{api_url}/oauth/authorize", params=base | extra)
        assert answer.status_code == 302
        back = parse_qs(urlsplit(answer.headers["location"]).query)
        assert back["error"] == ["invalid_request"] and back["state"] == ["xyz"]


def test_a_code_is_single_use_and_its_reuse_ends_its_tokens(
    api_url: str, holder_token: str, app: dict[str, Any]
) -> None:
    client = oauth_client(api_url, app)
    back, verifier = authorize(api_url, holder_token, client)
    client.fetch_token("/oauth/token", authorization_response=back, code_verifier=verifier)
    assert client.get("/me/portfolio").status_code == 200
    again = oauth_client(api_url, app)
    with pytest.raises(OAuthError, match="invalid_grant"):
        again.fetch_token("/oauth/token", authorization_response=back, code_verifier=verifier)
    assert client.get("/me/portfolio").status_code == 401  # the first exchange's token too


def test_a_redirect_uri_one_character_off_is_refused_without_redirecting(
    api_url: str, app: dict[str, Any]
) -> None:
    client = oauth_client(api_url, app, redirect_uri=CALLBACK + "x")
    url, _ = client.create_authorization_url(f"{api_url}/oauth/authorize",
                                             code_verifier=generate_token(48))  # fmt: skip
    answer = httpx.get(url)
    assert answer.status_code == 400 and "location" not in answer.headers
    assert "redirect uri" in answer.json()["detail"].lower(), answer.text


def test_a_redirect_uri_at_exchange_must_be_the_authorised_one(
    api_url: str, holder_token: str, app: dict[str, Any]
) -> None:
    client = oauth_client(api_url, app)
    back, verifier = authorize(api_url, holder_token, client)
    client.redirect_uri = CALLBACK[:-1]
    with pytest.raises(OAuthError, match="invalid_grant"):
        client.fetch_token("/oauth/token", authorization_response=back, code_verifier=verifier)


def test_scope_escalation_at_refresh_is_refused(api_url: str, holder_token: str,
                                                app: dict[str, Any]) -> None:  # fmt: skip
    client = oauth_client(api_url, app)
    back, verifier = authorize(api_url, holder_token, client)
    client.fetch_token("/oauth/token", authorization_response=back, code_verifier=verifier)
    with pytest.raises(OAuthError, match="invalid_scope"):
        client.refresh_token("/oauth/token", scope="read:portfolio read:history")
    assert client.refresh_token("/oauth/token")["scope"] == "read:portfolio"  # not spent


def test_a_reused_refresh_token_ends_the_family(api_url: str, holder_token: str,
                                                app: dict[str, Any]) -> None:  # fmt: skip
    client = oauth_client(api_url, app)
    back, verifier = authorize(api_url, holder_token, client)
    first = client.fetch_token("/oauth/token", authorization_response=back, code_verifier=verifier)
    client.refresh_token("/oauth/token")
    assert client.get("/me/portfolio").status_code == 200
    thief = oauth_client(api_url, app)
    with pytest.raises(OAuthError, match="invalid_grant"):
        thief.refresh_token("/oauth/token", refresh_token=first["refresh_token"])
    assert client.get("/me/portfolio").status_code == 401


def test_a_token_never_reaches_past_its_scope(api_url: str, holder_token: str,
                                              app: dict[str, Any]) -> None:  # fmt: skip
    client = oauth_client(api_url, app)
    back, verifier = authorize(api_url, holder_token, client)
    client.fetch_token("/oauth/token", authorization_response=back, code_verifier=verifier)
    assert client.get("/me/preferences").status_code == 200  # read:portfolio names it
    written = client.put("/me/preferences", json={"watchlist": []})
    assert written.status_code == 403 and "write:preferences" in written.json()["detail"]
    assert 'error="insufficient_scope"' in written.headers["www-authenticate"]
    # Transactions stay signed in the holder's wallet: no scope prepares them.
    prepared = client.post("/tx/claim", json={"from": account(HOLDER).address, "asset_id": "1"})
    assert prepared.status_code == 403, prepared.text
    for route in ("/me/apps", "/operator/assets"):
        assert client.get(route).status_code == 403
    assert client.post("/oauth/clients", json={"name": "x"}).status_code == 403
    assert client.post("/auth/logout").status_code == 403


def test_the_holder_lists_and_revokes_an_app(api_url: str, holder_token: str,
                                             app: dict[str, Any]) -> None:  # fmt: skip
    client = oauth_client(api_url, app)
    back, verifier = authorize(api_url, holder_token, client)
    client.fetch_token("/oauth/token", authorization_response=back, code_verifier=verifier)
    assert client.get("/me/portfolio").status_code == 200
    revoked = httpx.delete(f"{api_url}/me/apps/{app['client_id']}", headers=bearer(holder_token))
    assert revoked.status_code == 204
    assert client.get("/me/portfolio").status_code == 401
    with pytest.raises(OAuthError, match="invalid_grant"):
        client.refresh_token("/oauth/token")
    apps = httpx.get(f"{api_url}/me/apps", headers=bearer(holder_token)).json()
    assert app["client_id"] not in [a["client_id"] for a in apps]


def test_a_revoked_client_is_refused(api_url: str, admin_token: str, holder_token: str) -> None:
    doomed = register(api_url, admin_token, rate_limit_per_minute=1, grant_types=[
        "authorization_code", "refresh_token", "client_credentials"])  # fmt: skip
    client = oauth_client(api_url, doomed)
    back, verifier = authorize(api_url, holder_token, client)
    client.fetch_token("/oauth/token", authorization_response=back, code_verifier=verifier)
    own = oauth_client(api_url, doomed, scope="")
    own.fetch_token("/oauth/token", grant_type="client_credentials")  # not used before revoking
    gone = httpx.delete(f"{api_url}/oauth/clients/{doomed['client_id']}",
                        headers=bearer(admin_token))  # fmt: skip
    assert gone.status_code == 204
    assert client.get("/me/portfolio").status_code == 401
    with pytest.raises(OAuthError, match="invalid_client"):
        client.refresh_token("/oauth/token")
    with pytest.raises(OAuthError, match="invalid_client"):
        oauth_client(api_url, doomed, scope="").fetch_token("/oauth/token",
                                                            grant_type="client_credentials")  # fmt: skip
    # Its own token no longer has its own limit (1 a minute): it counts as anyone from its IP.
    assert [own.get("/status").status_code for _ in range(3)] == [200, 200, 200]
    url, _ = client.create_authorization_url(f"{api_url}/oauth/authorize",
                                             code_verifier=generate_token(48))  # fmt: skip
    assert httpx.get(url).status_code == 400


def test_a_denied_consent_sends_access_denied_with_the_state(
    api_url: str, holder_token: str, app: dict[str, Any]
) -> None:
    client = oauth_client(api_url, app)
    url, state = client.create_authorization_url(f"{api_url}/oauth/authorize",
                                                 code_verifier=generate_token(48))  # fmt: skip
    back = consent(api_url, holder_token, url, approve=False)
    query = parse_qs(urlsplit(back).query)
    assert query["error"] == ["access_denied"] and query["state"] == [state]
    assert "code" not in query


def test_a_tampered_state_is_caught_by_the_client(api_url: str, holder_token: str,
                                                  app: dict[str, Any]) -> None:  # fmt: skip
    client = oauth_client(api_url, app)
    verifier = generate_token(48)
    url, state = client.create_authorization_url(f"{api_url}/oauth/authorize",
                                                 code_verifier=verifier)  # fmt: skip
    back = consent(api_url, holder_token, url)
    tampered = back.replace(f"state={state}", "state=forged")
    with pytest.raises(MismatchingStateException):
        client.fetch_token("/oauth/token", authorization_response=tampered, state=state,
                           code_verifier=verifier)  # fmt: skip


def test_only_the_holders_own_sign_in_consents(api_url: str, holder_token: str,
                                               app: dict[str, Any]) -> None:  # fmt: skip
    client = oauth_client(api_url, app)
    back, verifier = authorize(api_url, holder_token, client)
    token = client.fetch_token("/oauth/token", authorization_response=back, code_verifier=verifier)
    url, _ = client.create_authorization_url(f"{api_url}/oauth/authorize",
                                             code_verifier=generate_token(48))  # fmt: skip
    answer = httpx.post(f"{api_url}/oauth/authorize", headers=bearer(token["access_token"]),
                        json={"query": urlsplit(url).query, "approve": True})  # fmt: skip
    assert answer.status_code == 403


def test_implicit_and_password_grants_are_not_offered(api_url: str, app: dict[str, Any]) -> None:
    metadata = httpx.get(f"{api_url}/.well-known/oauth-authorization-server").json()
    assert metadata["response_types_supported"] == ["code"]
    assert "password" not in metadata["grant_types_supported"]
    assert "implicit" not in metadata["grant_types_supported"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    implicit = httpx.get(f"{api_url}/oauth/authorize", params={
        "response_type": "token", "client_id": app["client_id"], "redirect_uri": CALLBACK,
        "scope": "read:portfolio", "state": "s"})  # fmt: skip
    assert implicit.status_code == 302
    assert parse_qs(urlsplit(implicit.headers["location"]).query)["error"] == [
        "unsupported_response_type"]  # fmt: skip
    password = httpx.post(f"{api_url}/oauth/token", data={
        "grant_type": "password", "username": "x", "password": "y"},
        auth=(app["client_id"], app["client_secret"]))  # fmt: skip
    assert password.status_code == 400 and password.json()["error"] == "unsupported_grant_type"


def test_client_credentials_get_the_apps_own_rate_limit(api_url: str, admin_token: str) -> None:
    explorer = register(api_url, admin_token, name="Explorer", redirect_uris=[], scopes=[],
                        grant_types=["client_credentials"], rate_limit_per_minute=4)  # fmt: skip
    client = oauth_client(api_url, explorer, scope="")
    token = client.fetch_token("/oauth/token", grant_type="client_credentials")
    assert "refresh_token" not in token
    # An app's own token acts for no account.
    assert client.get("/me").status_code == 401
    statuses = [client.get("/status").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert httpx.get(f"{api_url}/status").status_code == 200  # the IP's bucket is apart


def test_only_platform_admins_register_clients_and_secrets_are_stored_hashed(
    api_url: str, holder_token: str, admin_token: str, app: dict[str, Any], demo_index: Any
) -> None:
    refused = httpx.post(f"{api_url}/oauth/clients", headers=bearer(holder_token),
                         json={"name": "x", "redirect_uris": [CALLBACK]})  # fmt: skip
    assert refused.status_code == 403 and "DEFAULT_ADMIN_ROLE" in refused.json()["detail"]
    listed = httpx.get(f"{api_url}/oauth/clients", headers=bearer(admin_token)).json()
    assert all("client_secret" not in c for c in listed)
    import psycopg

    with psycopg.connect(demo_index[0]) as db:
        stored = db.execute("SELECT secret_hash FROM api_oauth_clients WHERE client_id = %s",
                            (app["client_id"],)).fetchone()  # fmt: skip
    assert stored is not None and app["client_secret"] not in stored[0] and len(stored[0]) == 64
    for uri in ("http://tracker.example/cb", "https://*.example/cb", "https://a.example/cb#x"):
        bad = httpx.post(f"{api_url}/oauth/clients", headers=bearer(admin_token),
                         json={"name": "x", "redirect_uris": [uri]})  # fmt: skip
        assert bad.status_code == 422, uri
