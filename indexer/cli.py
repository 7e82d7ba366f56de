"""The indexer's command line: `python -m indexer run | reindex | migrate | status`."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from indexer import metrics
from indexer.engine import Indexer
from indexer.exceptions import IndexerError
from indexer.reproject import reproject
from indexer.settings import IndexerSettings
from indexer.store import Store
from infra import embedded, logs
from infra.abi import Abis
from infra.database.migrate import upgrade
from infra.exceptions import InfraError

log = logging.getLogger(__name__)


@contextmanager
def _servers(settings: IndexerSettings, *, with_redis: bool) -> Iterator[tuple[str, str | None]]:
    """The database (and Redis) URLs: the configured servers, else embedded ones in the data dir."""
    data: Path = settings.data_dir
    with embedded.postgres(settings.database_url, data / "postgres") as database_url:
        if not with_redis:
            yield database_url, None
            return
        with embedded.redis(settings.redis_url, data / "redis") as redis_url:
            yield database_url, redis_url


def _settings(**options: Any) -> IndexerSettings:
    overrides = {k: v for k, v in options.items() if v is not None}
    return IndexerSettings(**overrides)


@click.group()
@click.option("--log-level", default="INFO", show_default=True)
@click.option("--json-logs/--text-logs", default=None, help="Default: JSON unless on a terminal.")
def main(log_level: str, json_logs: bool | None) -> None:
    """Follows the platform's contracts into PostgreSQL."""
    logs.configure(log_level, json=json_logs)


@main.command()
@click.option("--rpc-url", help="The node's HTTP JSON-RPC URL [env RPC_URL].")
@click.option("--database-url", help="PostgreSQL URL [env DATABASE_URL]; embedded when unset.")
@click.option("--redis-url", help="Redis URL [env REDIS_URL]; embedded when unset.")
@click.option(
    "--from-block", type=click.IntRange(min=0), help="Default: the first deployment block."
)
@click.option("--confirmations", type=click.IntRange(min=0), help="Blocks to stay behind the head.")
@click.option("--reorg-window", type=click.IntRange(min=1), help="Blocks kept reversible.")
@click.option("--metrics-port", type=click.IntRange(0, 65535), help="Serve Prometheus metrics.")
@click.option("--until", type=click.IntRange(min=0), help="Stop once this block is indexed.")
@click.option("--progress/--no-progress", default=None, help="Default: on a terminal.")
def run(until: int | None, metrics_port: int | None, **options: Any) -> None:
    """Indexes from the checkpoint (or the deployment) and follows the head."""
    settings = _settings(metrics_port=metrics_port, **options)
    if settings.metrics_port is not None:
        metrics.serve(
            settings.metrics_port,
            settings.metrics_host,
            ready_max_lag_blocks=settings.ready_max_lag_blocks,
        )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        with _servers(settings, with_redis=True) as (database_url, redis_url):
            log.info("indexing %s into %s", settings.rpc_url, _redact(database_url))
            Indexer(settings, database_url, redis_url).run(stop, until=until)
    except (IndexerError, InfraError) as error:
        log.error("the indexer stopped: %s", error, extra={"fault": type(error).__name__})
        sys.exit(1)


@main.command()
@click.option("--database-url", help="PostgreSQL URL [env DATABASE_URL]; embedded when unset.")
@click.option("--chain-id", type=int, help="Default: the one chain the database holds.")
def reindex(database_url: str | None, chain_id: int | None) -> None:
    """Rebuilds the derived tables from the stored raw logs (the node is not asked)."""
    settings = _settings(database_url=database_url)
    with _servers(settings, with_redis=False) as (url, _):
        upgrade(url)
        store = Store(url, chain_id or _only_chain(url))
        store.connect()
        try:
            if not store.try_lead():
                raise click.ClickException("an indexer is running on this chain: stop it first")
            count = reproject(store, Abis.from_build(settings.build_file))
        finally:
            store.close()
    click.echo(f"re-projected {count} raw logs")


@main.command()
@click.option("--database-url", help="PostgreSQL URL [env DATABASE_URL]; embedded when unset.")
def migrate(database_url: str | None) -> None:
    """Applies the schema migrations (the indexer also does this on start)."""
    settings = _settings(database_url=database_url)
    with _servers(settings, with_redis=False) as (url, _):
        upgrade(url)
    log.info("schema up to date")


def _only_chain(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT chain_id FROM checkpoints").fetchall()
    if len(rows) != 1:
        raise click.ClickException(f"the database holds {len(rows)} chains: pass --chain-id")
    return int(rows[0][0])


def _redact(url: str) -> str:
    if "@" in url and ":" in url.split("@", 1)[0].split("//", 1)[-1]:
        scheme, rest = url.split("//", 1)
        user = rest.split(":", 1)[0]
        return f"{scheme}//{user}:***@{rest.split('@', 1)[1]}"
    return url


if __name__ == "__main__":
    sys.exit(main())
