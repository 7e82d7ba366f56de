"""The deferred raw_logs indexes are built two at a time on the store's two connections: all of
them when every build succeeds, and when one fails, the other is cancelled, the first error is
raised once both have stopped, and the store stays usable."""

from __future__ import annotations

import time

import psycopg
import pytest

from indexer.store import Store
from infra.database.migrate import upgrade

CHAIN = 31337
ROW = (
    "INSERT INTO raw_logs (chain_id, block_number, log_index, block_hash, tx_hash, tx_index,"
    " address, event, topics, data, args, block_timestamp) SELECT %s, n, 0, '0xb', '0xt', 0,"
    " '0xa', 'Transfer', '{}', '0x', '{}', 1700000000 FROM generate_series(1, 3) n"
)
# An index key that takes 20 s to compute for each row: a build that only a cancel ends early.
SLOW_KEY = (
    "CREATE FUNCTION slow_key(n bigint) RETURNS bigint IMMUTABLE LANGUAGE plpgsql"
    " AS $$ BEGIN PERFORM pg_sleep(20); RETURN n; END $$"
)


@pytest.fixture
def store(database_url: str) -> Store:
    upgrade(database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(ROW, (CHAIN,))
        conn.execute(SLOW_KEY)
    opened = Store(database_url, CHAIN)
    opened.connect()
    return opened


def indexes(database_url: str) -> set[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'raw_logs'")
        return {str(name) for (name,) in rows}


def test_every_missing_index_is_built_and_named(store: Store, database_url: str) -> None:
    definitions = {f"by_{n}": f"CREATE INDEX by_{n} ON raw_logs (block_number, log_index)"
                   for n in range(5)}  # fmt: skip
    definitions["raw_logs_pkey"] = "CREATE INDEX raw_logs_pkey ON raw_logs (block_number)"

    assert store.build_indexes(definitions) == [f"by_{n}" for n in range(5)]
    assert {f"by_{n}" for n in range(5)} <= indexes(database_url)
    store.close()


def test_a_failed_build_cancels_the_other_and_its_error_is_raised(
    store: Store, database_url: str
) -> None:
    definitions = {
        "slow": "CREATE INDEX slow ON raw_logs (slow_key(block_number))",  # this thread's
        "bad": "CREATE INDEX bad ON raw_logs (no_such_column)",  # the other connection's
        "after": "CREATE INDEX after ON raw_logs (block_number)",  # never started
    }
    started = time.monotonic()
    with pytest.raises(psycopg.errors.UndefinedColumn):
        store.build_indexes(definitions)

    assert time.monotonic() - started < 10  # the slow build was cancelled, not waited for
    assert not {"slow", "bad", "after"} & indexes(database_url)
    assert store.checkpoint() is None  # both connections still answer
    assert store.build_indexes({"after": definitions["after"]}) == ["after"]
    store.close()
