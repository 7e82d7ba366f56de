"""The SQLModel models and the Alembic migrations describe the same schema (an `alembic check`:
autogenerate's comparison of a freshly migrated database with the models finds nothing)."""

from __future__ import annotations

from typing import Any

import psycopg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from infra.database.migrate import sqlalchemy_url, upgrade
from infra.database.models import JOURNALED, metadata


def _only_schema_tables(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's own bookkeeping table is no model."""
    return not (type_ == "table" and name == "alembic_version")


def differences(database_url: str) -> list[Any]:
    """What autogenerate would write into a new migration to make the database match the models."""
    engine = create_engine(sqlalchemy_url(database_url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "compare_server_default": True,
                      "include_name": _only_schema_tables},
            )  # fmt: skip
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_migrations_to_head_create_exactly_the_models(database_url: str) -> None:
    upgrade(database_url)
    found = differences(database_url)
    assert found == [], (
        "the models (infra/database/models/) and the migrations disagree; add a migration or fix"
        " the model:\n" + "\n".join(map(str, found))
    )


def test_the_check_reports_a_column_the_models_lack(database_url: str) -> None:
    upgrade(database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE holders ADD COLUMN nickname text")
        conn.execute("ALTER TABLE assets ALTER COLUMN country DROP NOT NULL")
    found = [str(d) for d in differences(database_url)]
    assert any("remove_column" in d and "nickname" in d for d in found), found
    assert any("modify_nullable" in d and "country" in d for d in found), found


def test_the_journaled_models_are_the_tables_with_a_journal_trigger(database_url: str) -> None:
    upgrade(database_url)
    with psycopg.connect(database_url) as conn:
        triggered = {
            str(r[0])
            for r in conn.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE t.tgname = c.relname || '_journal' AND NOT t.tgisinternal"
            )
        }
    declared = {t.name for t in metadata.tables.values() if t.info.get(JOURNALED)}
    assert declared == triggered
