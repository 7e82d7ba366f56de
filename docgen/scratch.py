"""A scratch PostgreSQL database with the schema's migrations applied, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from docgen.files import ROOT
from infra import embedded
from infra.database.migrate import upgrade

# The machine's server when it answers (as in the tests), else an embedded one under .data/.
ADMIN_URL = os.environ.get(
    "DOCS_DATABASE_URL",
    os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
)


@contextmanager
def admin_url() -> Iterator[str]:
    """A PostgreSQL server URL to create the scratch database on."""
    if embedded.server_answers(ADMIN_URL):
        yield ADMIN_URL
        return
    with embedded.postgres(None, ROOT / ".data" / "docs-postgres") as url:
        yield url


@contextmanager
def migrated_database(server_url: str | None = None) -> Iterator[str]:
    """A new database on `server_url` (or `admin_url()`), migrated to head, dropped on exit."""
    if server_url is None:
        with admin_url() as url, migrated_database(url) as database_url:
            yield database_url
        return
    name = f"docs_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        database_url = f"{server_url.rsplit('/', 1)[0]}/{name}"
        upgrade(database_url)
        yield database_url
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
