"""Applies the indexer's Alembic migrations, one process at a time, never leaving a lock behind.

A schema already at the newest revision is recognised without importing Alembic or SQLAlchemy (a
second or more of start-up on a small machine): the newest revision is read from the migration
files, the database's from `alembic_version`.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Held for the length of one migration run; PostgreSQL frees it if the process dies, so a crash
# during a migration never leaves the schema "locked".
MIGRATION_LOCK = 0x656E657267790001


def sqlalchemy_url(database_url: str) -> str:
    """The same database, spelled for SQLAlchemy's psycopg 3 driver."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {database_url!r}")


def head_revision() -> str | None:
    """The newest revision of the migration files (the one no other file revises), or None when
    the files do not name exactly one."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text()
        found = re.search(r"^revision\s*=\s*[\"']([^\"']+)[\"']", source, re.MULTILINE)
        down = re.search(r"^down_revision\s*=\s*(.+)$", source, re.MULTILINE)
        if found is None or down is None:
            return None
        revisions.add(found.group(1))
        revised.update(re.findall(r"[\"']([^\"']+)[\"']", down.group(1)))
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def is_current(database_url: str) -> bool:
    """Whether the database's schema is at the newest revision of the migration files."""
    head = head_revision()
    if head is None:
        return False
    with psycopg.connect(database_url, connect_timeout=5) as conn:
        exists = conn.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()
        if not exists or not exists[0]:
            return False
        versions = {str(r[0]) for r in conn.execute("SELECT version_num FROM alembic_version")}
    return versions == {head}


def alembic_config() -> Config:
    """The Alembic configuration of the indexer's migrations (no ini file needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Brings the schema up to `revision` (the latest by default).

    Raises:
        psycopg.OperationalError: The database refused or lost the connection (the driver's own
            error, which callers retry like any lost connection).
    """
    if revision == "head" and is_current(database_url):
        return
    import sqlalchemy.exc

    try:
        _upgrade(database_url, revision)
    except sqlalchemy.exc.OperationalError as error:
        if isinstance(error.orig, psycopg.OperationalError):
            raise error.orig from error
        raise


def _upgrade(database_url: str, revision: str) -> None:
    from alembic import command
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(sqlalchemy_url(database_url))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()
            try:
                config = alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                connection.commit()
            finally:
                # A lost connection took the lock with it (it is held by the session): the error
                # that lost it, not a failed unlock, is what the caller must see (and retry).
                with contextlib.suppress(SQLAlchemyError):
                    connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK}
                    )
                    connection.commit()
    finally:
        engine.dispose()
