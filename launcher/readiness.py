"""Waits until everything the launcher's banner names answers, so that the banner is never printed
before its URLs work."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

import httpx

from launcher.anvil import answers

Check = Callable[[], bool]


def http_ok(url: str) -> Check:
    """A check that `url` answers 200 to a GET."""

    def check() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    return check


def rpc_answers(url: str) -> Check:
    """A check that a JSON-RPC node answers `eth_chainId` at `url`."""
    return lambda: answers(url)


def wait_until_ready(
    checks: Mapping[str, Check],
    *,
    timeout: float,
    stop: threading.Event,
    failed: Callable[[], str | None] = lambda: None,
    interval: float = 0.25,
) -> list[str]:
    """Runs every check until all pass; returns the names of those that never did (empty when all
    answer), giving up at `timeout`, when `stop` is set or when `failed()` gives a reason (a child
    process that exited), which is then returned."""
    waiting = dict(checks)
    deadline = time.monotonic() + timeout
    while waiting:
        reason = failed()
        if reason is not None:
            return [reason]
        waiting = {name: check for name, check in waiting.items() if not check()}
        if not waiting or stop.is_set() or time.monotonic() > deadline:
            break
        stop.wait(interval)
    return list(waiting)
