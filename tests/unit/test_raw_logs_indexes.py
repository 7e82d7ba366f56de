"""The indexer names raw_logs' secondary indexes without importing the models; the names must be
the models' own."""

from __future__ import annotations

from indexer.store import RAW_LOGS_INDEXES, declared_indexes


def test_the_indexer_names_every_raw_logs_index_the_models_declare() -> None:
    assert sorted(RAW_LOGS_INDEXES) == sorted(declared_indexes())


def test_each_declared_index_is_created_only_if_missing() -> None:
    for name, statement in declared_indexes().items():
        assert statement.startswith(f"CREATE INDEX IF NOT EXISTS {name} ON raw_logs ")
