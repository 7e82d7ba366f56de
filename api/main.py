"""The app as uvicorn imports it in each worker process: settings from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from api.app import create_app
from api.settings import ApiSettings


def app_from_env() -> FastAPI:
    """Builds the app from `API_*`, `DATABASE_URL`, `REDIS_URL` and `RPC_URL`."""
    return create_app(ApiSettings())
