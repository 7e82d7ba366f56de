"""Who the client is: the TCP peer, unless the peer is a trusted proxy (`API_TRUSTED_PROXIES`).

The servers here are `python -m api` itself (what `make run` starts), over the demo's index, so
uvicorn's own proxy handling is the one a user gets: a client on the same host rotating
`X-Forwarded-For` must still meet the per-IP rate limit and the WebSocket connection cap.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from _stack import ROOT, free_port, wait_healthy
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from api.proxies import client_address, parse_networks
from api.settings import ApiSettings

LIMIT = 5
WS_CAP = 2

# -- the rule ----------------------------------------------------------------------------------

PROXIES = parse_networks(["10.0.0.0/8", "127.0.0.1"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        (
            "203.0.113.7",
            ["198.51.100.1"],
            "203.0.113.7",
        ),  # an untrusted peer: the header is ignored
        ("127.0.0.1", [], "127.0.0.1"),  # a trusted peer that forwards nothing
        ("127.0.0.1", ["198.51.100.1"], "198.51.100.1"),
        ("127.0.0.1", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),  # the client wrote 6.6.6.6
        ("10.1.2.3", ["6.6.6.6, 198.51.100.1, 10.0.0.5"], "198.51.100.1"),  # two proxies
        ("10.1.2.3", ["6.6.6.6", "198.51.100.1"], "198.51.100.1"),  # two header lines
        ("10.1.2.3", ["10.0.0.9, 10.0.0.5"], "10.0.0.9"),  # all trusted: the left-most
        ("127.0.0.1", ["not-an-ip, 198.51.100.1"], "198.51.100.1"),
        ("127.0.0.1", ["198.51.100.1, junk"], "127.0.0.1"),  # nothing usable on the right
        ("127.0.0.1", ["[2001:db8::1]:443"], "2001:db8::1"),
        ("127.0.0.1", ["198.51.100.1:5555"], "198.51.100.1"),
    ],
)
def test_the_client_is_the_right_most_address_a_trusted_proxy_did_not_write(
    peer: str, forwarded: list[str], client: str
) -> None:
    assert client_address(peer, forwarded, PROXIES) == client


def test_no_trusted_proxy_by_default_and_bad_cidrs_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("API_TRUSTED_PROXIES", raising=False)
    assert ApiSettings().trusted_proxies == []
    monkeypatch.setenv("API_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")
    assert ApiSettings().trusted_proxies == ["10.0.0.0/8", "127.0.0.1"]
    monkeypatch.setenv("API_TRUSTED_PROXIES", "10.0.0.300/8")
    with pytest.raises(ValueError, match=r"'10\.0\.0\.300/8' is not an IP address or CIDR"):
        ApiSettings()


# -- over `python -m api` ----------------------------------------------------------------------


@contextmanager
def served(demo_settings: ApiSettings, logs: Path, **settings: str) -> Iterator[str]:
    """`python -m api` over the demo's index with small limits and fresh counts; its base URL."""
    port = free_port()
    secret = demo_settings.jwt_secret
    assert secret is not None and demo_settings.redis_url is not None
    env = {"DATABASE_URL": str(demo_settings.database_url), "REDIS_URL": demo_settings.redis_url,
           "REDIS_NAMESPACE": f"proxies-{uuid.uuid4().hex[:8]}", "RPC_URL": demo_settings.rpc_url,
           "DEPLOYMENTS_DIR": str(demo_settings.deployments_dir), "API_DATA_DIR": str(logs),
           "API_JWT_SECRET": secret.get_secret_value(), "API_RATE_LIMIT_PER_MINUTE": str(LIMIT),
           "API_WS_CONNECTIONS_PER_CLIENT": str(WS_CAP), "PYTHONPATH": str(ROOT),
           **{f"API_{k.upper()}": v for k, v in settings.items()}}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "api", "--port", str(port)], cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("API_")} | env,
        stdout=(logs / "api.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(process, url, logs / "api.log")
        if time.time() % 60 > 40:  # counts are per minute: keep the test's requests in one
            time.sleep(60 - time.time() % 60 + 0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def status(url: str, forwarded_for: str) -> int:
    answer = requests.get(f"{url}/status", headers={"X-Forwarded-For": forwarded_for}, timeout=10)
    return answer.status_code


def feed(url: str, forwarded_for: str) -> tuple[ClientConnection, dict[str, Any] | None]:
    """A WebSocket connection and the refusal it got at once, if any."""
    ws = connect(url.replace("http://", "ws://") + "/ws",
                 additional_headers={"X-Forwarded-For": forwarded_for})  # fmt: skip
    with contextlib.suppress(ConnectionClosed):  # a refused one may be closed already
        ws.send(orjson.dumps({"op": "ping"}).decode())
    first = orjson.loads(ws.recv(timeout=10))
    return ws, (first if first.get("type") == "error" else None)


def test_a_local_client_rotating_x_forwarded_for_meets_the_limit_and_the_cap(
    demo_settings: ApiSettings, tmp_path: Path
) -> None:
    with served(demo_settings, tmp_path) as url, ExitStack() as sockets:
        answers = [status(url, f"198.51.100.{i}") for i in range(LIMIT + 3)]
        assert answers == [200] * LIMIT + [429] * 3

        refusals = []
        for i in range(WS_CAP + 2):
            ws, refusal = feed(url, f"198.51.100.{i}")
            sockets.callback(ws.close)
            refusals.append(refusal and refusal["code"])
        assert refusals == [None] * WS_CAP + ["too-many-connections"] * 2


def test_behind_a_trusted_proxy_each_forwarded_client_counts_alone(
    demo_settings: ApiSettings, tmp_path: Path
) -> None:
    with served(demo_settings, tmp_path, trusted_proxies="127.0.0.1/32") as url, \
            ExitStack() as sockets:  # fmt: skip
        assert [status(url, f"198.51.100.{i}") for i in range(LIMIT + 3)] == [200] * (LIMIT + 3)
        # the client cannot escape by writing its own hop before the proxy's
        answers = [status(url, f"6.6.6.{i}, 203.0.113.9") for i in range(LIMIT + 1)]
        assert answers == [200] * LIMIT + [429]

        refusals = []
        for client in [f"198.51.100.{i}" for i in range(WS_CAP + 2)] + ["203.0.113.9"] * 3:
            ws, refusal = feed(url, client)
            sockets.callback(ws.close)
            refusals.append(refusal and refusal["code"])
        assert refusals == [None] * (WS_CAP + 2) + [None] * WS_CAP + ["too-many-connections"]
