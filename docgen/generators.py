"""Every generator by name: each returns its documents (path → text, notice included)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from docgen.files import marked

Documents = dict[Path, str]


def database(server_url: str | None = None) -> Documents:
    """`database/schema.md` and `diagrams/database-er.md`: the tables from the SQLModel models,
    views, indexes, triggers and functions from a scratch database migrated on `server_url` (the
    machine's PostgreSQL, else an embedded one)."""
    from docgen import catalog, scratch
    from docgen.database import ER, SCHEMA, load_notes, render_er, render_schema
    from docgen.models import with_models
    from infra.database.models import metadata

    with scratch.migrated_database(server_url) as url:
        read = with_models(catalog.read(url), metadata)
    notes = load_notes()
    return {
        SCHEMA: marked(SCHEMA, render_schema(read, notes)),
        ER: marked(ER, render_er(read, notes)),
    }


def api() -> Documents:
    """`api/openapi.json`, `api/schema.graphql`, `api/asyncapi.yaml` and `api/metrics.md`."""
    from docgen import api_specs, asyncapi, metrics

    return {
        api_specs.OPENAPI: marked(api_specs.OPENAPI, api_specs.openapi()),
        api_specs.GRAPHQL: marked(api_specs.GRAPHQL, api_specs.graphql_sdl()),
        asyncapi.ASYNCAPI: marked(asyncapi.ASYNCAPI, asyncapi.render()),
        metrics.METRICS: marked(metrics.METRICS, metrics.render()),
    }


def contracts() -> Documents:
    """A page per contract, library and interface under `smart-contracts/`, from NatSpec."""
    from docgen import natspec

    return {path: marked(path, text) for path, text in natspec.pages().items()}


GENERATORS: dict[str, Callable[[], Documents]] = {
    "api": api,
    "contracts": contracts,
    "database": database,
}


def generate(names: Iterable[str]) -> Documents:
    """The documents of the named generators."""
    documents: Documents = {}
    for name in names:
        documents.update(GENERATORS[name]())
    return documents
