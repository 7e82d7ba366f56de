"""Rebuilds every derived table from the raw log table, without asking the node anything.

This is what a new projection or a fixed handler needs: the raw logs are the source, so a schema
change never means a re-fetch. It runs in one transaction: readers see the old state until it ends.
The stored logs go through `indexer.batch.project`, the path the indexing loop takes, with every
block final (nothing journaled, share transfers summed per holder).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from indexer.batch import project
from indexer.decode import Decoder
from indexer.projection import EntityCache, Projection
from indexer.store import Key, Row, Store
from infra.abi import Abis

log = logging.getLogger(__name__)


class _Cleared:
    """Row source of a re-projection: the tables were just emptied, so a row the cache does not
    hold does not exist (the store's reader would still see the rows before the clearing)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load(self, table: str, key: Key) -> Row | None:
        return None

    def load_many(self, table: str, keys: Sequence[Key]) -> dict[Key, Row]:
        return {}

    def new_row(self, table: str, key: Key, values: dict[str, Any]) -> Row:
        return self.store.new_row(table, key, values)


def as_fetched(rows: Sequence[tuple[Any, ...]]) -> Iterator[dict[str, Any]]:
    """Stored raw logs (`Store.raw_logs` rows) in the shape `eth_getLogs` returns them."""
    for number, index, block_hash, tx_hash, tx_index, address, topics, data, _ in rows:
        yield {
            "address": address, "topics": list(topics), "data": data,
            "blockNumber": hex(number), "logIndex": hex(index), "blockHash": block_hash,
            "transactionHash": tx_hash, "transactionIndex": hex(tx_index),
        }  # fmt: skip


def reproject(store: Store, abis: Abis, *, chunk: int = 20_000) -> int:
    """Empties the derived tables and replays every stored raw log through the handlers.

    Returns:
        The number of raw logs replayed.
    """
    decoder = Decoder(abis, store.chain_id)
    followed = store.contracts()
    cache = EntityCache(limit=10**9)
    source = _Cleared(store)
    replayed = 0
    with store.conn.transaction():
        store.clear_projections()
        after = (-1, -1)
        while True:
            rows = store.raw_logs(after, chunk)
            if not rows:
                break
            projected = project(
                as_fetched(rows), followed=followed, decoder=decoder,
                timestamps={r[0]: r[8] for r in rows}, projection=Projection(source, cache, None),
                journaled_from=None, publish_limit=None, raw_rows=False,
            )  # fmt: skip
            groups = projected.groups
            store.write_projection(groups[0][1] if groups else {}, projected.appends, [])
            replayed += len(rows)
            after = (rows[-1][0], rows[-1][1])
            log.info("re-projected", extra={"raw_logs": replayed, "block": after[0]})
    return replayed
