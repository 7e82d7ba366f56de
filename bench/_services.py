"""What the benchmarks run on: a scratch database and a Redis, the machine's servers when they
answer, else embedded ones (`infra.embedded`, started under the run's work folder)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import click
import psycopg

# Where the benchmarks look first: the machine's PostgreSQL and Redis (embedded ones when they do
# not answer), and the local anvil network of ape-config.yaml.
SERVER_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
NETWORK = "ethereum:local:foundry"


@contextmanager
def scratch_database(server_url: str, workdir: Path, *, prefix: str,
                     keep: bool = False) -> Iterator[str]:  # fmt: skip
    """A new database named `<prefix>_<random>` for one run, dropped afterwards unless `keep`."""
    from infra import embedded  # the repository root is on the path by now

    with ExitStack() as stack:
        if not embedded.server_answers(server_url):
            click.echo(f"PostgreSQL at {server_url} does not answer; starting an embedded one")
            server_url = str(stack.enter_context(embedded.postgres(None, workdir / "postgres")))
        name = f"{prefix}_{secrets.token_hex(4)}"
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = urlunsplit(urlsplit(server_url)._replace(path="/" + name))
        try:
            yield url
        finally:
            if keep:
                click.echo(f"kept database {url}")
            else:
                with psycopg.connect(server_url, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def redis_server(url: str, workdir: Path) -> Iterator[str]:
    """The Redis at `url` when it answers, else an embedded one."""
    from infra import embedded

    if embedded.server_answers(url):
        yield url
        return
    click.echo(f"Redis at {url} does not answer; starting an embedded one")
    with embedded.redis(None, workdir / "redis") as started:
        yield str(started)
