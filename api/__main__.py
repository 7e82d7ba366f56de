"""`python -m api`: serves the API with uvicorn.

Without `DATABASE_URL` / `REDIS_URL` it uses the embedded PostgreSQL and Redis under `.data/` (the
ones `make run` starts), so it can run beside a local indexer with no setup.
"""

from __future__ import annotations

import os

import click
import uvicorn

from api.settings import ApiSettings
from indexer import logs, services


@click.command()
@click.option("--host", default=None, help="Address to listen on [API_HOST, 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [API_PORT, 8000].")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes.")
def main(host: str | None, port: int | None, workers: int) -> None:
    """Serves the REST API, the WebSocket feeds, GraphQL and the dApp page."""
    logs.configure("INFO")
    settings = ApiSettings()
    host = host or settings.host
    port = port if port is not None else settings.port
    with services.postgres(settings.database_url, settings.data_dir / "postgres") as database, \
            services.redis(settings.redis_url, settings.data_dir / "redis") as redis:  # fmt: skip
        os.environ.update(DATABASE_URL=database, REDIS_URL=redis, API_HOST=host, API_PORT=str(port))
        uvicorn.run(
            "api.main:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
            # The client is the TCP peer unless it is in API_TRUSTED_PROXIES (api.proxies):
            # uvicorn's own handling would trust X-Forwarded-For from 127.0.0.1.
            proxy_headers=False,
            server_header=False,  # no `Server: uvicorn` on answers
        )


if __name__ == "__main__":
    main()
