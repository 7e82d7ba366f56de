"""`database/schema.md` and the ER diagram, from the models (`docgen.models`), a migrated
database's catalog and the hand-kept notes (`database/notes.yaml`: what tables hold, what indexes
serve, the logical references).

What a reorg and a re-projection do to each table follows the indexer's own rules, read from the
same catalog facts the indexer reads (`indexer.store`): tables with a `*_journal` trigger are
changed in place and journaled; other tables with a `block_number` column are append-only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from docgen.catalog import Catalog, Relation
from docgen.files import ARCHITECTURE
from indexer.store import KEPT, NOT_APPEND_ONLY

SCHEMA = ARCHITECTURE / "database" / "schema.md"
ER = ARCHITECTURE / "diagrams" / "database-er.md"
NOTES = ARCHITECTURE / "database" / "notes.yaml"
UNDOCUMENTED = "**undocumented: add it to notes.yaml**"

JOURNALED = (
    "Changed in place. While a block is reversible, every insert, update and delete is journaled"
    " into `undo_log` by the `indexer_journal()` trigger; a reorg replays the journal backwards to"
    " the common ancestor. `reindex` empties it and rebuilds it from `raw_logs`."
)
APPEND_ONLY = (
    "Append-only, one row per log. A reorg deletes the rows above the common ancestor."
    " `reindex` empties it and rebuilds it from `raw_logs`."
)
APPEND_ONLY_KEPT = (
    "Append-only. A reorg deletes the rows above the common ancestor. `reindex` keeps it: it is"
    " what the other tables are rebuilt from."
)


@dataclass(frozen=True)
class Reference:
    """A logical reference: `table(columns) -> target(columns)`, per chain."""

    table: str
    columns: tuple[str, ...]
    target: str
    target_columns: tuple[str, ...]
    declared: bool = False  # a FOREIGN KEY constraint in the catalog

    @classmethod
    def parse(cls, text: str) -> Reference:
        """Reads `table.a,b -> target.c,d`."""
        match = re.fullmatch(r"\s*(\w+)\.([\w,]+)\s*->\s*(\w+)\.([\w,]+)\s*", text)
        if match is None:
            raise ValueError(
                f"notes.yaml: a relationship reads `table.column -> table.column`: {text!r}"
            )
        table, columns, target, target_columns = match.groups()
        return cls(table, tuple(columns.split(",")), target, tuple(target_columns.split(",")))


def load_notes(path: Path = NOTES) -> dict[str, Any]:
    """The hand-kept notes (empty sections when absent)."""
    notes = yaml.safe_load(path.read_text()) or {}
    return {
        "tables": notes.get("tables") or {},
        "indexes": notes.get("indexes") or {},
        "relationships": [Reference.parse(r) for r in notes.get("relationships") or []],
    }


def journaled(catalog: Catalog) -> set[str]:
    """Tables journaled by a `*_journal` trigger (the indexer's in-place tables)."""
    return {t.table for t in catalog.triggers if t.name.endswith("_journal")}


def append_only(catalog: Catalog) -> set[str]:
    """Tables the indexer treats as append-only: a `block_number` column, not journaled, not one
    of its bookkeeping tables."""
    tables = journaled(catalog)
    return {
        r.name
        for r in catalog.tables
        if r.column("block_number") and r.name not in tables and r.name not in NOT_APPEND_ONLY
    }


def reorg_rule(catalog: Catalog, table: str, notes: dict[str, Any]) -> str:
    """What a reorg (and a re-projection) does to a table."""
    if table in journaled(catalog):
        return JOURNALED
    if table in append_only(catalog):
        return APPEND_ONLY_KEPT if table in KEPT else APPEND_ONLY
    return str((notes["tables"].get(table) or {}).get("reorg") or UNDOCUMENTED)


def references(catalog: Catalog, notes: dict[str, Any]) -> list[Reference]:
    """Declared foreign keys, then the hand-kept logical references, in a stable order."""
    found = [
        Reference(r.name, c.columns, c.references or "", (), declared=True)
        for r in catalog.tables
        for c in r.constraints
        if c.kind == "f"
    ]
    return sorted(found + notes["relationships"], key=lambda r: (r.table, r.target, r.columns))


def problems(catalog: Catalog, notes: dict[str, Any]) -> list[str]:
    """What the notes miss or get wrong about the catalog (the docs tests fail on any)."""
    found = []
    for relation in catalog.relations.values():
        entry = notes["tables"].get(relation.name) or {}
        if not entry.get("holds"):
            found.append(f"table {relation.name} has no `holds` in notes.yaml")
        if (
            relation.kind == "table"
            and relation.name not in journaled(catalog) | append_only(catalog)
            and not entry.get("reorg")
        ):
            found.append(f"table {relation.name} has no `reorg` in notes.yaml")
    for name in notes["tables"]:
        if name not in catalog.relations:
            found.append(f"notes.yaml describes table {name}, which no longer exists")
    named = {i.name for i in catalog.indexes if not i.constraint}
    found += [
        f"index {n} has no purpose in notes.yaml" for n in sorted(named - set(notes["indexes"]))
    ]
    found += [
        f"notes.yaml describes index {n}, which no longer exists"
        for n in sorted(set(notes["indexes"]) - named)
    ]
    for ref in notes["relationships"]:
        for table, columns in ((ref.table, ref.columns), (ref.target, ref.target_columns)):
            found_relation = catalog.relations.get(table)
            missing = [
                c for c in columns if found_relation is None or found_relation.column(c) is None
            ]
            if missing:
                found.append(
                    f"notes.yaml relationship {table}.{','.join(missing)} names a missing column"
                )
    return found


def _cell(text: str | None) -> str:
    return "" if text is None else text.replace("|", "\\|").replace("\n", " ")


def _type(type_: str) -> str:
    return "uint256" if type_ == "numeric(78,0)" else type_


def er_diagram(catalog: Catalog, notes: dict[str, Any]) -> str:
    """The Mermaid ER diagram: every table with its key and reference columns, and the references."""
    refs = references(catalog, notes)
    shown: dict[str, set[str]] = {r.name: set(r.primary_key) for r in catalog.tables}
    for ref in refs:
        shown.setdefault(ref.table, set()).update(ref.columns)
    lines = ["erDiagram"]
    for relation in catalog.tables:
        lines.append(f"    {relation.name} {{")
        for column in relation.columns:
            if column.name not in shown[relation.name]:
                continue
            keys = []
            if column.name in relation.primary_key:
                keys.append("PK")
            if any(ref.table == relation.name and column.name in ref.columns for ref in refs):
                keys.append("FK")
            type_ = re.sub(r"[^A-Za-z0-9_]", "_", _type(column.type)).strip("_")
            lines.append(f"        {type_} {column.name} {','.join(keys)}".rstrip())
        lines.append("    }")
    for ref in refs:
        label = ",".join(ref.columns)
        lines.append(f'    {ref.table} }}o--|| {ref.target} : "{label}"')
    return "\n".join(lines)


def _table_section(catalog: Catalog, relation: Relation, notes: dict[str, Any]) -> list[str]:
    entry = notes["tables"].get(relation.name) or {}
    out = [f"### {relation.name}", "", _cell(entry.get("holds") or UNDOCUMENTED), ""]
    key = relation.primary_key
    out += ["| column | type | null | default | key |", "| --- | --- | --- | --- | --- |"]
    for column in relation.columns:
        mark = "PK" if column.name in key else ""
        null = "" if column.not_null else "yes"
        default = f"`{_cell(column.default)}`" if column.default else ""
        out.append(f"| `{column.name}` | {_type(column.type)} | {null} | {default} | {mark} |")
    out.append("")
    others = [c for c in relation.constraints if c.kind != "p"]
    if key:
        out.append(f"Primary key: `({', '.join(key)})`.")
    for constraint in others:
        out.append(f"Constraint `{constraint.name}`: `{_cell(constraint.definition)}`.")
    refs = [r for r in references(catalog, notes) if r.table == relation.name]
    for ref in refs:
        kind = "foreign key" if ref.declared else "references"
        target = (
            f"{ref.target}.{','.join(ref.target_columns)}" if ref.target_columns else ref.target
        )
        out.append(f"- {kind}: `{','.join(ref.columns)}` → [`{target}`](#{ref.target})")
    referenced_by = sorted(
        {r.table for r in references(catalog, notes) if r.target == relation.name}
    )
    if referenced_by:
        out.append("- referenced by: " + ", ".join(f"[`{t}`](#{t})" for t in referenced_by))
    indexes = [i for i in catalog.indexes if i.table == relation.name and not i.primary]
    if indexes:
        out.append("- indexes: " + ", ".join(f"[`{i.name}`](#indexes)" for i in indexes))
    triggers = [t for t in catalog.triggers if t.table == relation.name]
    for trigger in triggers:
        out.append(f"- trigger `{trigger.name}` runs `{trigger.function}()`")
    out.append("")
    if relation.kind == "table":
        out.append(f"On a reorg: {reorg_rule(catalog, relation.name, notes)}")
        if entry.get("retention"):
            out.append(f"Retention: {entry['retention']}")
        out.append("")
    else:
        out += ["```sql", relation.definition or "", "```", ""]
    return out


def render_schema(catalog: Catalog, notes: dict[str, Any]) -> str:
    """The text of `schema.md` (without its generated-file notice)."""
    tables, views = catalog.tables, catalog.views
    out = [
        "# Database schema",
        "",
        "Tables and columns from the SQLModel models (`infra/database/models/`); views, indexes,"
        " triggers and functions from the catalog of a database migrated to head with the Alembic"
        " migrations (`infra/database/migrations/`), which a drift test holds equal to the models;"
        " what each table holds from the hand-kept [notes.yaml](notes.yaml). How the tables"
        " are used: [the indexer](../indexer/README.md) and [the API](../api/README.md). The ER"
        " diagram: [diagrams/database-er.md](../diagrams/database-er.md).",
        "",
        "Every table but the API's sessions is per chain (`chain_id`). There are no FOREIGN KEY"
        " constraints: rows arrive in log order and reorgs delete them top-down, so the references"
        " below are kept by the indexer. Every `uint256` is `numeric(78,0)` (shown as uint256);"
        " addresses are lowercase hex text.",
        "",
        f"Tables: {len(tables)}; views: {len(views)}; indexes: {len(catalog.indexes)}"
        f" ({sum(1 for i in catalog.indexes if i.primary)} of them primary keys);"
        f" triggers: {len(catalog.triggers)}; functions: {len(catalog.functions)}.",
        "",
        "## Reorgs and retention",
        "",
        "| table | kind | on a reorg | retention |",
        "| --- | --- | --- | --- |",
    ]
    for relation in tables:
        entry = notes["tables"].get(relation.name) or {}
        if relation.name in journaled(catalog):
            kind = "in place, journaled"
        elif relation.name in append_only(catalog):
            kind = "append-only"
        else:
            kind = "bookkeeping" if not relation.name.startswith("api_") else "API (off-chain)"
        rule = reorg_rule(catalog, relation.name, notes)
        short = {JOURNALED: "journal replayed backwards", APPEND_ONLY: "rows above the ancestor deleted",
                 APPEND_ONLY_KEPT: "rows above the ancestor deleted (kept by `reindex`)"}.get(rule, rule)  # fmt: skip
        retention = entry.get("retention") or "kept; rebuilt by `reindex` from `raw_logs`"
        if relation.name in KEPT:
            retention = entry.get("retention") or "kept"
        out.append(
            f"| [`{relation.name}`](#{relation.name}) | {kind} | {_cell(short)} | {_cell(retention)} |"
        )
    out += [
        "",
        "## ER diagram",
        "",
        "Key and reference columns only; every column is in the tables below.",
        "",
    ]
    out += ["```mermaid", er_diagram(catalog, notes), "```", "", "## Tables", ""]
    for relation in tables:
        out += _table_section(catalog, relation, notes)
    out += ["## Views", ""]
    for relation in views:
        out += _table_section(catalog, relation, notes)
    out += [
        "## Indexes",
        "",
        "| index | table | definition | serves |",
        "| --- | --- | --- | --- |",
    ]
    for index in catalog.indexes:
        if index.primary:
            purpose = "the primary key: one row per key, lookups and ordered scans by it"
        elif index.constraint:
            purpose = "a unique constraint"
        else:
            purpose = notes["indexes"].get(index.name) or UNDOCUMENTED
        out.append(
            f"| `{index.name}` | [`{index.table}`](#{index.table}) | `{_cell(index.definition)}` | {_cell(purpose)} |"
        )
    out += ["", "## Triggers", "", "| trigger | table | definition |", "| --- | --- | --- |"]
    for trigger in catalog.triggers:
        out.append(
            f"| `{trigger.name}` | [`{trigger.table}`](#{trigger.table}) | `{_cell(trigger.definition)}` |"
        )
    out += ["", "## Functions", ""]
    for function in catalog.functions:
        out += [
            f"### {function.name}({function.arguments}) → {function.returns}",
            "",
            f"Language `{function.language}`.",
            "",
            f"```{'sql' if function.language in ('sql', 'plpgsql') else ''}",
            function.source,
            "```",
            "",
        ]
    return "\n".join(out).rstrip() + "\n"


def render_er(catalog: Catalog, notes: dict[str, Any]) -> str:
    """The text of `diagrams/database-er.md` (without its notice)."""
    return "\n".join(
        [
            "# Database ER diagram",
            "",
            "Every table with its key and reference columns; the references are logical (kept by"
            " the indexer, per chain). Columns, types, indexes, triggers and reorg rules:"
            " [database/schema.md](../database/schema.md).",
            "",
            "```mermaid",
            er_diagram(catalog, notes),
            "```",
            "",
        ]
    )
