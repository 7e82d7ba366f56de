"""`python -m api`: serves the API with uvicorn.

Without `DATABASE_URL` / `REDIS_URL` it uses the embedded PostgreSQL and Redis under `.data/` (the
ones `make run` starts), so it can run beside a local indexer with no setup. Its logs and uvicorn's
are ECS JSON lines on stderr (readable lines on a terminal), in every worker; its metrics are
totals over the workers (a fresh `PROMETHEUS_MULTIPROC_DIR` per start, see `api.metrics`).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import pydantic
import uvicorn

from api.settings import ApiSettings
from infra import embedded, logs

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
log = logging.getLogger("api")


@contextmanager
def metrics_dir() -> Iterator[Path]:
    """A fresh, empty `PROMETHEUS_MULTIPROC_DIR` for this start's workers: the one the variable
    names (emptied; for a volume of the operator's choice), else a temporary one removed at exit.
    """
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its multi-process directory")
    given = os.environ.get(MULTIPROC_DIR)
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        yield directory
        return
    directory = Path(tempfile.mkdtemp(prefix="api-metrics-"))
    os.environ[MULTIPROC_DIR] = str(directory)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@click.command()
@click.option("--host", default=None, help="Address to listen on [API_HOST, 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [API_PORT, 8000].")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes.")
def main(host: str | None, port: int | None, workers: int) -> None:
    """Serves the REST API, the WebSocket feeds, GraphQL and the dApp page."""
    logs.configure("INFO", service="api")
    try:
        settings = ApiSettings()
    except pydantic.ValidationError as error:
        reasons = "; ".join(e["msg"].removeprefix("Value error, ") for e in error.errors())
        log.error("the API cannot start: %s", reasons)
        sys.exit(2)
    host = host or settings.host
    port = port if port is not None else settings.port
    with metrics_dir(), \
            embedded.postgres(settings.database_url, settings.data_dir / "postgres") as database, \
            embedded.redis(settings.redis_url, settings.data_dir / "redis") as redis:  # fmt: skip
        os.environ.update(DATABASE_URL=database, REDIS_URL=redis, API_HOST=host, API_PORT=str(port))
        uvicorn.run(
            "api.main:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=logs.logging_config("api"),
            log_level="info",
            access_log=False,
            # The client is the TCP peer unless it is in API_TRUSTED_PROXIES (api.proxies):
            # uvicorn's own handling would trust X-Forwarded-For from 127.0.0.1.
            proxy_headers=False,
            server_header=False,  # no `Server: uvicorn` on answers
        )


if __name__ == "__main__":
    main()
