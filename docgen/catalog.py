"""What a migrated database's catalog says about its schema: tables, columns, keys, indexes,
triggers, functions and views, read from pg_catalog in a stable order."""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

# Alembic's bookkeeping table is not part of the platform's schema.
IGNORED = frozenset({"alembic_version"})


@dataclass(frozen=True)
class Column:
    """One column: its type as PostgreSQL spells it, nullability and default."""

    name: str
    type: str
    not_null: bool
    default: str | None


@dataclass(frozen=True)
class Constraint:
    """A primary key, unique, foreign key or check constraint."""

    name: str
    kind: str  # "p", "u", "f" or "c"
    columns: tuple[str, ...]
    definition: str
    references: str | None  # the referenced table of a foreign key


@dataclass(frozen=True)
class Index:
    """An index and the statement that would create it."""

    name: str
    table: str
    definition: str
    primary: bool
    unique: bool
    constraint: bool  # made by a primary key or unique constraint


@dataclass(frozen=True)
class Trigger:
    """A trigger: its table, the function it runs, and its definition."""

    name: str
    table: str
    function: str
    definition: str


@dataclass(frozen=True)
class Function:
    """A function of the schema (trigger functions included)."""

    name: str
    arguments: str
    returns: str
    language: str
    source: str


@dataclass
class Relation:
    """A table or a view."""

    name: str
    kind: str  # "table" or "view"
    columns: list[Column] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    definition: str | None = None  # a view's query

    @property
    def primary_key(self) -> tuple[str, ...]:
        """The primary key's columns, in key order (empty without one)."""
        for constraint in self.constraints:
            if constraint.kind == "p":
                return constraint.columns
        return ()

    def column(self, name: str) -> Column | None:
        """The column of that name, if any."""
        return next((c for c in self.columns if c.name == name), None)


@dataclass
class Catalog:
    """Everything `schema.md` describes."""

    relations: dict[str, Relation]
    indexes: list[Index]
    triggers: list[Trigger]
    functions: list[Function]

    @property
    def tables(self) -> list[Relation]:
        """The tables, by name."""
        return [r for r in self.relations.values() if r.kind == "table"]

    @property
    def views(self) -> list[Relation]:
        """The views, by name."""
        return [r for r in self.relations.values() if r.kind == "view"]


def read(database_url: str) -> Catalog:
    """Reads the catalog of the database's current schema."""
    with psycopg.connect(database_url) as conn:
        relations: dict[str, Relation] = {}
        for name, kind in conn.execute(
            "SELECT c.relname, c.relkind FROM pg_class c"
            " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v')"
            " ORDER BY c.relname"
        ):
            if name not in IGNORED:
                relations[name] = Relation(name, "view" if kind == "v" else "table")
        for table, name, type_, not_null, default in conn.execute(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,"
            " pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a"
            " JOIN pg_class c ON c.oid = a.attrelid"
            " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            " WHERE c.relnamespace = current_schema()::regnamespace AND a.attnum > 0"
            " AND NOT a.attisdropped ORDER BY c.relname, a.attnum"
        ):
            if table in relations:
                relations[table].columns.append(Column(name, type_, not_null, default))
        for table, name, kind, columns, definition, references in conn.execute(
            "SELECT c.relname, k.conname, k.contype::text,"
            " ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(n, i)"
            "       JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i),"
            " pg_get_constraintdef(k.oid), r.relname FROM pg_constraint k"
            " JOIN pg_class c ON c.oid = k.conrelid LEFT JOIN pg_class r ON r.oid = k.confrelid"
            " WHERE c.relnamespace = current_schema()::regnamespace AND k.contype IN ('p','u','f','c')"
            " ORDER BY c.relname, k.contype, k.conname"
        ):
            if table in relations:
                relations[table].constraints.append(
                    Constraint(name, kind, tuple(columns), definition, references)
                )
        for name, definition in conn.execute(
            "SELECT c.relname, pg_get_viewdef(c.oid, true) FROM pg_class c"
            " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'v'"
        ):
            if name in relations:
                relations[name].definition = definition.strip()
        indexes = [
            Index(*row)
            for row in conn.execute(
                "SELECT i.relname, t.relname, pg_get_indexdef(x.indexrelid), x.indisprimary,"
                " x.indisunique, EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.oid)"
                " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                " JOIN pg_class t ON t.oid = x.indrelid"
                " WHERE t.relnamespace = current_schema()::regnamespace ORDER BY t.relname, i.relname"
            )
            if row[1] not in IGNORED
        ]
        triggers = [
            Trigger(*row)
            for row in conn.execute(
                "SELECT t.tgname, c.relname, p.proname, pg_get_triggerdef(t.oid) FROM pg_trigger t"
                " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid"
                " WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal"
                " ORDER BY c.relname, t.tgname"
            )
        ]
        functions = [
            Function(name, arguments, returns, language, source.strip("\n"))
            for name, arguments, returns, language, source in conn.execute(
                "SELECT p.proname, pg_get_function_arguments(p.oid),"
                " pg_get_function_result(p.oid), l.lanname, p.prosrc FROM pg_proc p"
                " JOIN pg_language l ON l.oid = p.prolang"
                " WHERE p.pronamespace = current_schema()::regnamespace ORDER BY p.proname"
            )
        ]
    return Catalog(relations, indexes, triggers, functions)
