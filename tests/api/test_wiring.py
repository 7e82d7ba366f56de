"""The app's wiring: every route module is listed by hand in `api.app.ROUTERS`, and the lifespan
builds one state holding every long-lived part, which the typed dependencies hand out."""

from __future__ import annotations

import importlib
import pkgutil

from fastapi.testclient import TestClient

from api import routes
from api.app import ROUTERS
from api.feeds.hub import Hub
from api.state import AppState


def test_every_route_module_has_its_router_listed_once() -> None:
    modules = [importlib.import_module(f"{routes.__name__}.{m.name}")
               for m in pkgutil.iter_modules(routes.__path__)]  # fmt: skip

    assert sorted(id(module.router) for module in modules) == sorted(id(r) for r in ROUTERS)


def test_the_lifespan_builds_one_state_with_every_part(client: TestClient) -> None:
    state = client.app.state.platform  # type: ignore[attr-defined]

    assert isinstance(state, AppState)
    assert isinstance(state.hub, Hub) and state.hub.state is state
    assert state.faucet.node is state.node
    assert state.limiter.redis is state.redis is state.cache.redis
    assert state.head.db is state.db
