"""Every write the indexer makes, and the reads it needs to make them.

One connection per indexer process. It holds the leader's advisory lock for as long as it lives, so
a second indexer waits as a hot standby and takes over when the first one's session ends. Each batch
is one transaction: raw logs, blocks, domain rows and the checkpoint commit together or not at all.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, LiteralString, cast

import psycopg
from psycopg import sql as pgsql
from psycopg.adapt import Loader
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from indexer.exceptions import ReorgTooDeep, RetryableError

LEADER_LOCK_CLASS = 0x656E6572  # "ener", the first half of the leader lock's key
KEPT = frozenset({"raw_logs", "contracts"})  # what a re-projection keeps
NOT_APPEND_ONLY = frozenset({"checkpoints", "undo_log", "blocks", "reorgs"})
RAW_LOGS_KEY = "raw_logs_pkey"
# raw_logs' secondary indexes, as `infra.database.models.sync.RawLog` declares them (a test keeps
# the two equal): named here so that a start can check them without importing the models.
RAW_LOGS_INDEXES = (
    "raw_logs_by_address", "raw_logs_by_event", "raw_logs_by_asset_arg",
    "raw_logs_transfers_from", "raw_logs_transfers_to", "raw_logs_by_seller", "raw_logs_by_tx",
    "raw_logs_by_address_event",
)  # fmt: skip


def declared_indexes() -> dict[str, str]:
    """raw_logs' secondary indexes as the models declare them: name -> `CREATE INDEX IF NOT
    EXISTS` statement (imports SQLAlchemy and the models: about a second)."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex

    from infra.database.models.sync import RawLog

    dialect = postgresql.dialect()
    return {
        str(index.name): str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect))
        for index in RawLog.__table__.indexes  # type: ignore[attr-defined]
    }


RAW_LOG_COLUMNS = (
    "chain_id", "block_number", "log_index", "block_hash", "tx_hash", "tx_index", "address",
    "event", "topics", "data", "args", "block_timestamp",
)  # fmt: skip

Key = tuple[Any, ...]
Row = dict[str, Any]


class DatabaseUnavailable(RetryableError):
    """The database refused or lost the connection."""


class CheckpointMoved(RetryableError):
    """The checkpoint is not where this batch expected it: reload and start again from it."""


class _IntegerNumericLoader(Loader):
    """Loads NUMERIC as int (every amount in this schema is a whole number)."""

    def load(self, data: Any) -> Any:
        raw = bytes(data)
        return int(raw) if b"." not in raw else Decimal(raw.decode())


@dataclass(frozen=True)
class TableInfo:
    """What the store needs to know about a domain table, read from the catalog."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    jsonb: frozenset[str]
    defaults: Mapping[str, Any]

    def upsert_sql(self) -> str:
        cols = ", ".join(f'"{c}"' for c in self.columns)
        marks = ", ".join("%s" for _ in self.columns)
        updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in self.columns if c not in self.key)
        keys = ", ".join(self.key)
        return f"INSERT INTO {self.name} ({cols}) VALUES ({marks}) ON CONFLICT ({keys}) DO UPDATE SET {updates}"

    def values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(Jsonb(row[c]) if c in self.jsonb else row[c] for c in self.columns)


@dataclass
class BatchWrite:
    """Everything one batch changes, ready to commit.

    Attributes:
        expected: The checkpoint this batch follows, (number, hash), or None for the first batch.
        to_block: The batch's last block; to_hash its hash (the new checkpoint).
        raw_copy: The raw log rows in COPY text format.
        blocks: Block rows (number, hash, parent_hash, timestamp, event_count, reversible).
        groups: Entity rows to upsert, grouped by the block they belong to (None: not reversible).
        appends: Rows of the append-only tables.
        contracts: Newly followed contracts (address, kind, asset_id, block_number).
        finalized_below: Blocks at or below this are final: their journal can go.
        chain_head: The node's head when the batch was planned (for the API's lag).
    """

    expected: tuple[int, str] | None
    to_block: int
    to_hash: str
    chain_head: int | None = None
    raw_copy: bytes = b""
    blocks: list[tuple[Any, ...]] = field(default_factory=list)
    groups: list[tuple[int | None, dict[str, dict[Key, Row]]]] = field(default_factory=list)
    appends: dict[str, list[Row]] = field(default_factory=dict)
    contracts: list[tuple[str, str, int | None, int]] = field(default_factory=list)
    finalized_below: int | None = None


class Store:
    """The indexer's database connection and every statement it runs.

    Args:
        database_url: A PostgreSQL URL.
        chain_id: The chain whose rows this store reads and writes.
    """

    def __init__(self, database_url: str, chain_id: int) -> None:
        self.database_url = database_url
        self.chain_id = chain_id
        self._conn: psycopg.Connection[Any] | None = None
        # Rows the projection lacks are read on a connection of their own, so reading never
        # waits for (or joins) the transaction the commit thread has open on the main one.
        self._reader: psycopg.Connection[Any] | None = None
        self.tables: dict[str, TableInfo] = {}
        self.append_only: dict[str, TableInfo] = {}

    # -- connection and leadership -------------------------------------------------------------

    def connect(self) -> None:
        """Opens the connection and reads the schema's shape."""
        try:
            conn = psycopg.connect(self.database_url, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as error:
            raise DatabaseUnavailable(f"database unreachable: {error}") from error
        conn.adapters.register_loader("numeric", _IntegerNumericLoader)
        self._conn = conn
        try:
            reader = psycopg.connect(self.database_url, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as error:
            self.close()
            raise DatabaseUnavailable(f"database unreachable: {error}") from error
        reader.adapters.register_loader("numeric", _IntegerNumericLoader)
        self._reader = reader
        self._read_schema()

    def close(self) -> None:
        """Closes the connections (which also gives up the leader lock)."""
        for conn in (self._conn, self._reader):
            if conn is not None:
                with contextlib.suppress(psycopg.Error):
                    conn.close()
        self._conn = self._reader = None

    @property
    def conn(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            raise DatabaseUnavailable("not connected")
        return self._conn

    def try_lead(self) -> bool:
        """Takes the leader lock of this chain if it is free; True when this process now leads."""
        row = self._one(
            "SELECT pg_try_advisory_lock(%s, %s)", (LEADER_LOCK_CLASS, self.chain_id % 2**31)
        )
        return bool(row[0])

    def wait_to_lead(self, poll: float, stopping: Any = None) -> bool:
        """Blocks as a hot standby until this process leads; False if asked to stop first."""
        while not self.try_lead():
            if stopping is not None and stopping.wait(poll):
                return False
            if stopping is None:
                time.sleep(poll)
        return True

    # -- reads ---------------------------------------------------------------------------------

    def checkpoint(self) -> tuple[int, str] | None:
        """The last indexed block (number, hash), or None before the first batch."""
        row = self._one(
            "SELECT block_number, block_hash FROM checkpoints WHERE chain_id = %s", (self.chain_id,)
        )
        return None if row is None else (int(row[0]), str(row[1]))

    def block_timestamp(self, number: int) -> int | None:
        """A stored block's timestamp (Unix seconds), or None when the store did not keep it."""
        row = self._one(
            "SELECT timestamp FROM blocks WHERE chain_id = %s AND number = %s",
            (self.chain_id, number),
        )
        return None if row is None else int(row[0])

    def contracts(self) -> dict[str, tuple[str, int | None]]:
        """Followed contracts: address -> (kind, asset id)."""
        rows = self._all(
            "SELECT address, kind, asset_id FROM contracts WHERE chain_id = %s", (self.chain_id,)
        )
        return {str(a): (str(k), None if i is None else int(i)) for a, k, i in rows}

    def block_hashes(self, numbers: Iterable[int]) -> dict[int, str]:
        """Stored block hashes by number (only blocks the store kept)."""
        rows = self._all(
            "SELECT number, hash FROM blocks WHERE chain_id = %s AND number = ANY(%s)",
            (self.chain_id, list(numbers)),
        )
        return {int(n): str(h) for n, h in rows}

    def lowest_reversible_block(self) -> int | None:
        """The first block still kept as reversible, or None."""
        row = self._one(
            "SELECT min(number) FROM blocks WHERE chain_id = %s AND reversible", (self.chain_id,)
        )
        return None if row is None or row[0] is None else int(row[0])

    def load(self, table: str, key: Key) -> Row | None:
        """One domain row by its key (without the chain id), or None."""
        info = self.tables[table]
        where = " AND ".join(f'"{c}" = %s' for c in info.key)
        if self._reader is None or self._reader.closed:
            raise DatabaseUnavailable("not connected")
        with self._guard(), self._reader.cursor(row_factory=dict_row) as cur:
            cur.execute(f"SELECT * FROM {table} WHERE {where}", (self.chain_id, *key))
            row: Row | None = cur.fetchone()
        return row

    def analyze(self) -> None:
        """Refreshes the planner's statistics of the database's tables (`ANALYZE`)."""
        if self._reader is None or self._reader.closed:
            raise DatabaseUnavailable("not connected")
        with self._guard(), self._reader.cursor() as cur:
            cur.execute("ANALYZE")

    def defer_indexes(self) -> dict[str, str]:
        """Drops `raw_logs`' secondary indexes when the table holds no row at all (a first
        backfill then maintains only its key); their names and definitions, to build once it has
        caught up (`build_indexes`). Nothing when rows exist, or when readers hold the table for
        more than 2 s."""
        with self._guard():
            try:
                with self.conn.transaction(), self.conn.cursor() as cur:
                    cur.execute("SET LOCAL lock_timeout = '2s'")
                    cur.execute("LOCK TABLE raw_logs IN ACCESS EXCLUSIVE MODE")
                    cur.execute("SELECT EXISTS (SELECT 1 FROM raw_logs)")
                    row = cur.fetchone()
                    if row is None or row[0]:
                        return {}
                    cur.execute(
                        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname ="
                        " current_schema() AND tablename = 'raw_logs' AND indexname <> %s",
                        (RAW_LOGS_KEY,),
                    )
                    definitions = {str(name): str(sql) for name, sql in cur.fetchall()}
                    for name in definitions:
                        cur.execute(pgsql.SQL("DROP INDEX {}").format(pgsql.Identifier(name)))
            except psycopg.errors.LockNotAvailable:
                return {}
        return definitions

    def build_indexes(self, definitions: Mapping[str, str]) -> list[str]:
        """Creates those of `raw_logs`' indexes (name -> `CREATE INDEX` statement) that are
        missing, one transaction each, two at a time (one on each of the store's connections);
        their names.

        Two at a time took the eight indexes of a 100,000-event backfill from 1.06 to 0.82 s
        (mean of three) on the 2-core machine of docs/architecture/scaling.md. The first build
        that fails cancels the other connection's; its error is raised once both have stopped.
        """
        present = self._raw_logs_indexes()
        missing = [(name, sql) for name, sql in definitions.items() if name not in present]
        if self._reader is None:
            raise DatabaseUnavailable("not connected")
        conn, reader = self.conn, self._reader
        errors: list[BaseException] = []

        def create(own: psycopg.Connection[Any], other: psycopg.Connection[Any],
                   indexes: Sequence[tuple[str, str]]) -> None:  # fmt: skip
            try:
                for _, statement in indexes:
                    if errors:
                        return
                    with own.transaction(), own.cursor() as cur:
                        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
                        cur.execute(cast(LiteralString, statement))
            except BaseException as error:
                if not errors:  # the first failure; a later one is most likely its cancel
                    errors.append(error)
                    other.cancel_safe()

        with self._guard():
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="index-build") as pool:
                pool.submit(create, reader, conn, missing[1::2])
                create(conn, reader, missing[0::2])
            if errors:
                raise errors[0]
        return [name for name, _ in missing]

    def missing_indexes(self) -> list[str]:
        """The declared `raw_logs` indexes the table lacks (`RAW_LOGS_INDEXES`)."""
        present = self._raw_logs_indexes()
        return [name for name in RAW_LOGS_INDEXES if name not in present]

    def _raw_logs_indexes(self) -> set[str]:
        rows = self._all("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                         " AND tablename = 'raw_logs'", ())  # fmt: skip
        return {str(row[0]) for row in rows}

    def load_many(self, table: str, keys: Sequence[Key]) -> dict[Key, Row]:
        """The domain rows of many keys (without the chain id), in one query per 1,000 keys;
        keys without a row are left out."""
        info = self.tables[table]
        if self._reader is None or self._reader.closed:
            raise DatabaseUnavailable("not connected")
        columns = ", ".join(f'"{c}"' for c in info.key[1:])
        found: dict[Key, Row] = {}
        with self._guard(), self._reader.cursor(row_factory=dict_row) as cur:
            for start in range(0, len(keys), 1_000):
                part = keys[start : start + 1_000]
                marks = ", ".join("(" + ", ".join("%s" for _ in key) + ")" for key in part)
                cur.execute(
                    f'SELECT * FROM {table} WHERE "{info.key[0]}" = %s AND ({columns}) IN ({marks})',
                    (self.chain_id, *(value for key in part for value in key)),
                )
                for row in cur.fetchall():
                    found[tuple(row[c] for c in info.key[1:])] = row
        return found

    def new_row(self, table: str, key: Key, values: Mapping[str, Any]) -> Row:
        """A new domain row: the table's column defaults, the key, then `values`."""
        info = self.tables[table]
        row: Row = dict(info.defaults)
        row.update(zip(info.key, (self.chain_id, *key), strict=True))
        row.update(values)
        missing = [c for c in info.columns if c not in row]
        if missing:
            raise KeyError(f"new {table} row lacks {', '.join(missing)}")
        return row

    def raw_logs(self, after: tuple[int, int], limit: int) -> list[tuple[Any, ...]]:
        """Raw logs after a (block, log index) position, in chain order, for a re-projection."""
        return self._all(
            "SELECT block_number, log_index, block_hash, tx_hash, tx_index, address, topics, data,"
            " block_timestamp FROM raw_logs WHERE chain_id = %s AND (block_number, log_index) > (%s, %s)"
            " ORDER BY block_number, log_index LIMIT %s",
            (self.chain_id, after[0], after[1], limit),
        )

    # -- writes --------------------------------------------------------------------------------

    def seed_contracts(self, contracts: Sequence[tuple[str, str, int | None, int]]) -> None:
        """Follows the deployed platform contracts (idempotent)."""
        with self._guard(), self.conn.transaction(), self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO contracts (chain_id, address, kind, asset_id, block_number)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                [(self.chain_id, *c) for c in contracts],
            )

    def write(self, batch: BatchWrite) -> None:
        """Commits one batch and its checkpoint in one transaction.

        Raises:
            CheckpointMoved: The stored checkpoint is not `batch.expected`.
        """
        with self._guard(), self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute(
                "SELECT block_number, block_hash FROM checkpoints WHERE chain_id = %s FOR UPDATE",
                (self.chain_id,),
            )
            row = cur.fetchone()
            found = None if row is None else (int(row[0]), str(row[1]))
            if found != batch.expected:
                raise CheckpointMoved(f"checkpoint is {found}, batch expected {batch.expected}")
            if batch.raw_copy:
                columns = ", ".join(RAW_LOG_COLUMNS)
                with cur.copy(f"COPY raw_logs ({columns}) FROM STDIN") as copy:
                    copy.write(batch.raw_copy)
            if batch.blocks:
                with cur.copy(
                    "COPY blocks (chain_id, number, hash, parent_hash, timestamp, event_count,"
                    " reversible) FROM STDIN"
                ) as copy:
                    for block_row in batch.blocks:
                        copy.write_row((self.chain_id, *block_row))
            for journal_block, tables in batch.groups:
                cur.execute(
                    "SELECT set_config('indexer.block', %s, true)",
                    ("" if journal_block is None else str(journal_block),),
                )
                self._upsert(cur, tables)
            cur.execute("SELECT set_config('indexer.block', '', true)")
            self._append(cur, batch.appends)
            if batch.contracts:
                cur.executemany(
                    "INSERT INTO contracts (chain_id, address, kind, asset_id, block_number)"
                    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    [(self.chain_id, *c) for c in batch.contracts],
                )
            if batch.finalized_below is not None:
                self._finalize(cur, batch.finalized_below)
            cur.execute(
                "INSERT INTO checkpoints (chain_id, block_number, block_hash, chain_head)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (chain_id) DO UPDATE SET"
                " block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash,"
                " chain_head = EXCLUDED.chain_head, updated_at = now()",
                (self.chain_id, batch.to_block, batch.to_hash, batch.chain_head or batch.to_block),
            )

    def rollback_to(self, ancestor: int, ancestor_hash: str) -> list[dict[str, Any]]:
        """Undoes every block above `ancestor` and returns the raw events that were removed.

        Raises:
            ReorgTooDeep: A block above the ancestor was indexed as final (its changes have no
                journal); the index must be rebuilt from before it.
        """
        with self._guard(), self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute("SELECT set_config('indexer.block', '', true)")
            cur.execute(
                "SELECT min(number) FROM blocks WHERE chain_id = %s AND number > %s AND NOT reversible",
                (self.chain_id, ancestor),
            )
            final = cur.fetchone()
            if final is not None and final[0] is not None:
                raise ReorgTooDeep(
                    f"the chain changed below block {final[0]}, which was indexed as final;"
                    " rebuild the index from an earlier block"
                )
            old = self.checkpoint()
            with cur.connection.cursor(row_factory=dict_row) as rows:
                rows.execute(
                    "SELECT block_number, log_index, block_hash, tx_hash, tx_index, block_timestamp,"
                    " address, event, args FROM raw_logs WHERE chain_id = %s AND block_number > %s"
                    " ORDER BY block_number, log_index",
                    (self.chain_id, ancestor),
                )
                removed = rows.fetchall()
            cur.execute(
                "SELECT table_name, op, old_row, new_row FROM undo_log WHERE block_number > %s"
                " ORDER BY id DESC",
                (ancestor,),
            )
            undo = cur.fetchall()
            # Nothing below reads a result: one round trip for every statement (pipeline mode),
            # not one each (a reorg's rollback took 10-15 ms of them).
            with self.conn.pipeline():
                for table, op, old_row, new_row in undo:
                    self._undo(table, op, old_row, new_row)
                cur.execute("DELETE FROM undo_log WHERE block_number > %s", (ancestor,))
                for table in self.append_only:
                    cur.execute(
                        f"DELETE FROM {table} WHERE chain_id = %s AND block_number > %s",
                        (self.chain_id, ancestor),
                    )
                cur.execute(
                    "DELETE FROM blocks WHERE chain_id = %s AND number > %s",
                    (self.chain_id, ancestor),
                )
                cur.execute(
                    "UPDATE checkpoints SET block_number = %s, block_hash = %s, updated_at = now()"
                    " WHERE chain_id = %s",
                    (ancestor, ancestor_hash, self.chain_id),
                )
                if old is not None:
                    cur.execute(
                        "INSERT INTO reorgs (chain_id, ancestor_block, old_head_block,"
                        " old_head_hash, depth, removed_events) VALUES (%s, %s, %s, %s, %s, %s)",
                        (self.chain_id, ancestor, old[0], old[1], old[0] - ancestor, len(removed)),
                    )
        return removed

    def clear_projections(self) -> None:
        """Empties every derived table, keeping raw logs, blocks and the checkpoint (re-projection)."""
        with self._guard(), self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute("SELECT set_config('indexer.block', '', true)")
            for table in (*self.tables, *(t for t in self.append_only if t not in KEPT)):
                cur.execute(f"DELETE FROM {table} WHERE chain_id = %s", (self.chain_id,))
            cur.execute("DELETE FROM undo_log")

    def write_projection(
        self,
        groups: dict[str, dict[Key, Row]],
        appends: dict[str, list[Row]],
        contracts: list[tuple[str, str, int | None, int]],
    ) -> None:
        """Writes re-projected rows (no raw logs, no checkpoint change)."""
        with self._guard(), self.conn.transaction(), self.conn.cursor() as cur:
            self._upsert(cur, groups)
            self._append(cur, appends)
            cur.executemany(
                "INSERT INTO contracts (chain_id, address, kind, asset_id, block_number)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                [(self.chain_id, *c) for c in contracts],
            )

    # -- internals -----------------------------------------------------------------------------

    def _upsert(self, cur: psycopg.Cursor[Any], tables: Mapping[str, Mapping[Key, Row]]) -> None:
        for table, rows in tables.items():
            if rows:
                info = self.tables[table]
                cur.executemany(info.upsert_sql(), [info.values(r) for r in rows.values()])

    def _append(self, cur: psycopg.Cursor[Any], appends: Mapping[str, list[Row]]) -> None:
        for table, rows in appends.items():
            if rows:
                info = self.append_only[table]
                with cur.copy(f"COPY {table} ({', '.join(info.columns)}) FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(info.values({**r, "chain_id": self.chain_id}))

    def _finalize(self, cur: psycopg.Cursor[Any], below: int) -> None:
        cur.execute("DELETE FROM undo_log WHERE block_number <= %s", (below,))
        cur.execute(
            "UPDATE blocks SET reversible = false WHERE chain_id = %s AND reversible AND number <= %s",
            (self.chain_id, below),
        )
        cur.execute(
            "DELETE FROM blocks WHERE chain_id = %s AND number <= %s AND event_count = 0"
            " AND number < (SELECT block_number FROM checkpoints WHERE chain_id = %s)",
            (self.chain_id, below, self.chain_id),
        )

    def _undo(self, table: str, op: str, old_row: Any, new_row: Any) -> None:
        info = self.tables[table]
        keys = ", ".join(f'"{c}"' for c in info.key)
        with self.conn.cursor() as cur:
            if op in ("I", "U"):
                cur.execute(
                    f"DELETE FROM {table} WHERE ({keys}) = "
                    f"(SELECT {keys} FROM jsonb_populate_record(NULL::{table}, %s))",
                    (Jsonb(new_row),),
                )
            if op in ("U", "D"):
                cur.execute(
                    f"INSERT INTO {table} SELECT * FROM jsonb_populate_record(NULL::{table}, %s)",
                    (Jsonb(old_row),),
                )

    def _read_schema(self) -> None:
        journaled = {
            str(r[0])
            for r in self._all(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE t.tgname LIKE '%%\\_journal' AND NOT t.tgisinternal",
                (),
            )
        }
        columns: dict[str, list[tuple[str, str, str | None, bool]]] = {}
        for table, column, kind, default, nullable in self._all(
            "SELECT table_name, column_name, data_type, column_default, is_nullable = 'YES'"
            " FROM information_schema.columns WHERE table_schema = current_schema()"
            " ORDER BY table_name, ordinal_position",
            (),
        ):
            columns.setdefault(str(table), []).append((str(column), str(kind), default, nullable))
        self.tables, self.append_only = {}, {}
        for table, cols in columns.items():
            names = tuple(c for c, _, _, _ in cols)
            info = TableInfo(
                name=table,
                columns=names,
                key=self._primary_key(table),
                jsonb=frozenset(c for c, k, _, _ in cols if k == "jsonb"),
                defaults={c: _literal(d) for c, _, d, null in cols if d is not None or null},
            )
            if table in journaled:
                self.tables[table] = info
            elif "block_number" in names and table not in NOT_APPEND_ONLY and table != "holdings":
                self.append_only[table] = info

    def _primary_key(self, table: str) -> tuple[str, ...]:
        rows = self._all(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
            " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indrelid = %s::regclass AND i.indisprimary"
            " ORDER BY array_position(i.indkey, a.attnum)",
            (table,),
        )
        return tuple(str(r[0]) for r in rows)

    def _one(self, sql: str, params: Sequence[Any]) -> Any:
        with self._guard(), self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()

    def _all(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._guard(), self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def _guard(self) -> _Guard:
        return _Guard(self)


class _Guard:
    """Turns a lost or refused connection into `DatabaseUnavailable` (and drops the connection).

    A connection the server ends in the middle of a query does not always surface as an
    OperationalError: libpq may hand back no result at all, which psycopg raises as an
    InternalError, sometimes before the connection's status says it is broken. An InternalError
    (that one, or the server's own internal errors) counts as lost, as does any psycopg error that
    leaves one of the store's connections unusable: the loop reconnects and starts again from the
    checkpoint.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: Any, tb: Any) -> None:
        lost = isinstance(
            error, psycopg.OperationalError | psycopg.InterfaceError | psycopg.InternalError
        ) or (isinstance(error, psycopg.Error) and self._unusable())
        if lost:
            self.store.close()
            raise DatabaseUnavailable(f"database connection lost: {error}") from error

    def _unusable(self) -> bool:
        """Whether one of the store's connections is closed or broken."""
        return any(
            conn is not None
            and (conn.closed or conn.broken or conn.info.status != psycopg.pq.ConnStatus.OK)
            for conn in (self.store._conn, self.store._reader)
        )


def _literal(default: str | None) -> Any:
    """A column default from the catalog as a Python value (only the simple ones this schema uses)."""
    if default is None or default.startswith("nextval(") or default.startswith("now("):
        return None
    if default in ("true", "false"):
        return default == "true"
    try:
        return int(default)
    except ValueError:
        return None
