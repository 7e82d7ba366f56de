"""The working set of one batch: domain rows read once, changed by handlers, written by the store.

Rows stay cached between batches (only the leader writes these tables), so a holder touched by every
batch is read from the database once. The cache is dropped whenever a write fails or a reorg is
undone, because it may then hold changes the database does not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from indexer.store import Key, Row

_ABSENT: Row = {}


class RowSource(Protocol):
    """Where rows missing from the cache come from (the store)."""

    def load(self, table: str, key: Key) -> Row | None: ...

    def load_many(self, table: str, keys: Sequence[Key]) -> dict[Key, Row]: ...

    def new_row(self, table: str, key: Key, values: dict[str, Any]) -> Row: ...


class Event:
    """One decoded log with its position; what every handler receives."""

    __slots__ = (
        "address",
        "args",
        "asset_id",
        "block_hash",
        "block_number",
        "kind",
        "log_index",
        "name",
        "timestamp",
        "tx_hash",
        "tx_index",
    )  # fmt: skip

    def __init__(self, block_number: int, log_index: int, block_hash: str, tx_hash: str,
                 tx_index: int, address: str, timestamp: int, kind: str, asset_id: int | None,
                 name: str, args: dict[str, Any]) -> None:  # fmt: skip
        self.block_number = block_number
        self.log_index = log_index
        self.block_hash = block_hash
        self.tx_hash = tx_hash
        self.tx_index = tx_index
        self.address = address
        self.timestamp = timestamp
        self.kind = kind
        self.asset_id = asset_id
        self.name = name
        self.args = args


class EntityCache:
    """Domain rows by table and key, kept across batches, bounded in size."""

    def __init__(self, limit: int = 200_000) -> None:
        self.tables: defaultdict[str, dict[Key, Row]] = defaultdict(dict)
        self.limit = limit

    def __len__(self) -> int:
        return sum(len(rows) for rows in self.tables.values())

    def clear(self) -> None:
        self.tables.clear()

    def trim(self) -> None:
        """Forgets everything once over the limit (called between batches, when all rows are clean)."""
        if len(self) > self.limit:
            self.tables.clear()


class Projection:
    """Collects the row changes of a run of events.

    Args:
        source: Loads rows the cache lacks and builds new ones.
        cache: Rows kept between batches.
        reversible_from: First block whose changes must be journaled per block, or None for none.
    """

    def __init__(self, source: RowSource, cache: EntityCache, reversible_from: int | None) -> None:
        self.source = source
        self.cache = cache
        self.reversible_from = reversible_from
        self.dirty: dict[str, dict[Key, Row]] = defaultdict(dict)
        self.groups: list[tuple[int | None, dict[str, dict[Key, Row]]]] = []
        self.appends: dict[str, list[Row]] = defaultdict(list)
        self._block: int | None = None

    def begin(self, block: int) -> None:
        """Marks the start of a block's events: a journaled block's changes form a group of their
        own, and so do the changes of final blocks before the first journaled one."""
        if block != self._block:
            previous = self._block
            if previous is not None and self._journaled(previous):
                self._close_group(previous)
            elif self._journaled(block):
                self._close_group(None)
            self._block = block

    def finish(self) -> list[tuple[int | None, dict[str, dict[Key, Row]]]]:
        """Closes the last group and returns every group of row changes, in order."""
        if self._block is not None and self._journaled(self._block):
            self._close_group(self._block)
        elif self.dirty:
            self._close_group(None)
        return self.groups

    def get(self, table: str, key: Key) -> Row | None:
        """The current row to change (marked as changed), or None if there is none."""
        rows = self.cache.tables[table]
        row = rows.get(key)
        if row is None:
            row = rows[key] = self.source.load(table, key) or _ABSENT
        if row is _ABSENT:
            return None
        self.dirty[table][key] = row
        return row

    def prefetch(self, table: str, keys: Iterable[Key]) -> None:
        """Loads the rows of the keys the cache lacks, together (a run of transfers touches
        thousands of holders: one query per row cost more than the rest of the indexing)."""
        rows = self.cache.tables[table]
        missing = [key for key in keys if key not in rows]
        if not missing:
            return
        found = self.source.load_many(table, missing)
        for key in missing:
            rows[key] = found.get(key, _ABSENT)

    def read(self, table: str, key: Key) -> Row | None:
        """The current row, only to read (not marked as changed), or None if there is none."""
        rows = self.cache.tables[table]
        row = rows.get(key)
        if row is None:
            row = rows[key] = self.source.load(table, key) or _ABSENT
        return None if row is _ABSENT else row

    def create(self, table: str, key: Key, **values: Any) -> Row:
        """A new row, with the table's defaults for columns not given."""
        row = self.cache.tables[table][key] = self.source.new_row(table, key, values)
        self.dirty[table][key] = row
        return row

    def get_or_create(self, table: str, key: Key, **values: Any) -> Row:
        """The row to change, created with `values` when missing."""
        return self.get(table, key) or self.create(table, key, **values)

    def append(self, table: str, event: Event, **values: Any) -> None:
        """A row of an append-only table, positioned at the event."""
        values.update(
            chain_id=None,
            block_number=event.block_number,
            log_index=event.log_index,
            tx_hash=event.tx_hash,
            block_timestamp=event.timestamp,
        )
        self.appends[table].append(values)

    def _journaled(self, block: int) -> bool:
        return self.reversible_from is not None and block >= self.reversible_from

    def _close_group(self, block: int | None) -> None:
        """Copies the changed rows: later events (and the next batch) keep changing the originals
        while these copies wait to be committed."""
        if self.dirty:
            snapshot = {t: {k: dict(r) for k, r in rows.items()} for t, rows in self.dirty.items()}
            self.groups.append((block, snapshot))
            self.dirty = defaultdict(dict)
