"""Applies the indexer's Alembic migrations, one process at a time, never leaving a lock behind."""

from __future__ import annotations

import contextlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

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


def alembic_config() -> Config:
    """The Alembic configuration of the indexer's migrations (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Brings the schema up to `revision` (the latest by default)."""
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
