"""The tables of `database/schema.md` and the ER diagram, from the SQLModel models.

Tables, columns, types, nullability, server defaults and primary keys come from
`infra.database.models.metadata`, spelled as PostgreSQL's catalog spells them; what the models do
not declare (views, triggers, functions, index definitions, other constraints) still comes from the
catalog of a migrated database. The drift test (`tests/infra/test_schema_drift.py`) holds the two
equal, so the document describes both.
"""

from __future__ import annotations

import re

from sqlalchemy import MetaData, Table
from sqlalchemy.dialects import postgresql

from docgen.catalog import Catalog, Column, Constraint, Relation

_DIALECT = postgresql.dialect()


def pg_type(table: Table, name: str) -> str:
    """A column's type as `format_type()` spells it (`numeric(78,0)`, `character(1)`, ...)."""
    spelled = str(table.c[name].type.compile(dialect=_DIALECT)).lower()
    spelled = re.sub(r",\s+", ",", spelled)
    return re.sub(r"^char\(", "character(", spelled)


def _column(table: Table, name: str) -> Column:
    column = table.c[name]
    default = None
    if column.server_default is not None:
        default = str(column.server_default.arg.text)  # type: ignore[attr-defined]
    elif column.primary_key and column.autoincrement is True:
        default = f"nextval('{table.name}_{name}_seq'::regclass)"
    return Column(name, pg_type(table, name), not column.nullable, default)


def relation(table: Table, migrated: Relation | None) -> Relation:
    """A table of the models as `docgen.catalog` describes it."""
    key = tuple(c.name for c in table.primary_key.columns)
    constraints = [Constraint(f"{table.name}_pkey", "p", key, f"PRIMARY KEY ({', '.join(key)})",
                              None)] if key else []  # fmt: skip
    if migrated is not None:  # unique, foreign key and check constraints the migrations made
        constraints += [c for c in migrated.constraints if c.kind != "p"]
    return Relation(table.name, "table", [_column(table, c.name) for c in table.columns],
                    constraints)  # fmt: skip


def with_models(catalog: Catalog, metadata: MetaData) -> Catalog:
    """The catalog with its tables replaced by the models' (views and the rest kept)."""
    relations = {
        t.name: relation(t, catalog.relations.get(t.name)) for t in metadata.tables.values()
    }
    relations.update({r.name: r for r in catalog.views})
    ordered = {name: relations[name] for name in sorted(relations)}
    return Catalog(ordered, catalog.indexes, catalog.triggers, catalog.functions)
