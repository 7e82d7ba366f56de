"""Each generated document under docs/architecture equals what its generator makes from today's
code (the message says to run `make docs`), and the hand-kept parts cover what the code has."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from prometheus_client import REGISTRY, generate_latest

from docgen import asyncapi, catalog, database, generators, metrics, natspec, scratch
from docgen.files import NOTICE, ROOT, compare, drift_message, stale


def assert_matches(documents: dict[Path, str]) -> None:
    drifts = compare(documents)
    assert not drifts, drift_message(drifts)


@pytest.fixture(scope="module")
def migrated(postgres_admin_url: str) -> catalog.Catalog:
    """The catalog of a scratch database migrated to head."""
    with scratch.migrated_database(postgres_admin_url) as url:
        return catalog.read(url)


def test_database_schema_matches_the_migrations(postgres_admin_url: str) -> None:
    assert_matches(generators.database(postgres_admin_url))


def test_database_notes_cover_every_table_index_and_relationship(migrated: catalog.Catalog) -> None:
    problems = database.problems(migrated, database.load_notes())
    assert not problems, "docs/architecture/database/notes.yaml:\n" + "\n".join(problems)


def test_api_documents_match_the_app() -> None:
    assert_matches(generators.api())


def test_asyncapi_is_a_valid_asyncapi_3_document() -> None:
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "check-jsonschema"), "--schemafile",
         str(asyncapi.SPEC_SCHEMA), str(asyncapi.ASYNCAPI)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_asyncapi_lists_every_close_code_the_feeds_send() -> None:
    codes = {c.code for c in asyncapi.close_codes()}
    assert {1008, 1009, 4008} <= codes  # too many connections / invalid, too big, too slow
    text = asyncapi.ASYNCAPI.read_text()
    for code in codes:
        assert f"code: {code}" in text


def test_metrics_document_names_every_exported_family() -> None:
    listed, standard = metrics.registered()
    exported = {
        line.split()[2]
        for line in generate_latest(REGISTRY).decode().splitlines()
        if line.startswith("# TYPE ") and line.split()[2].startswith(("api_", "indexer_"))
    }
    names = {m.name for m in listed} | set(standard)
    # Counters are typed under their base name and sampled with `_total`; counters and histograms
    # also get a `<name>_created` gauge (prometheus_client's timestamp of their creation).
    base = {n.removesuffix("_total") for n in exported if not n.endswith("_created")}
    assert base <= {n.removesuffix("_total") for n in names}
    assert {m.name for m in listed} >= {"api_requests_total", "indexer_leader"}


def test_contract_pages_match_natspec() -> None:
    assert_matches(generators.contracts())


def test_every_solidity_file_outside_test_has_its_page() -> None:
    sources = natspec.sources()
    assert sources, "no contracts found"
    assert not any("test" in s.relative_to(natspec.CONTRACTS).parts for s in sources)
    missing = [s.name for s in sources if not natspec.page_of(s).exists()]
    assert not missing, f"no page for {missing}: run make docs"


def test_every_function_and_error_of_ours_has_natspec() -> None:
    missing = natspec.undocumented()
    assert not missing, "add a @notice, @dev or @inheritdoc to:\n" + "\n".join(missing)


def test_no_generated_document_is_left_over() -> None:
    made = {**generators.api(), **generators.contracts()}
    made.update(dict.fromkeys((database.SCHEMA, database.ER), ""))
    left = stale(made)
    assert not left, f"generated documents no generator makes any more (delete them): {left}"


def test_a_generated_document_with_a_changed_line_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "page.md"
    path.write_text(f"<!-- {NOTICE} -->\n# Old\n")
    drifts = compare({path: f"<!-- {NOTICE} -->\n# New\n"})
    assert len(drifts) == 1 and "-# Old" in drifts[0].reason and "+# New" in drifts[0].reason
    assert stale({}, tmp_path) == [path]
