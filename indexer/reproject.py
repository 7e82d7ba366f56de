"""Rebuilds every derived table from the raw log table, without asking the node anything.

This is what a new projection or a fixed handler needs: the raw logs are the source, so a schema
change never means a re-fetch. It runs in one transaction: readers see the old state until it ends.
"""

from __future__ import annotations

import logging
from typing import Any

from indexer.abi import Abis
from indexer.decode import Decoder
from indexer.handlers import HANDLERS
from indexer.projection import EntityCache, Event, Projection
from indexer.store import Key, Row, Store

log = logging.getLogger(__name__)


class _Cleared:
    """Row source of a re-projection: the tables were just emptied, so a row the cache does not
    hold does not exist (the store's reader would still see the rows before the clearing)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load(self, table: str, key: Key) -> Row | None:
        return None

    def new_row(self, table: str, key: Key, values: dict[str, Any]) -> Row:
        return self.store.new_row(table, key, values)


def reproject(store: Store, abis: Abis, *, chunk: int = 20_000) -> int:
    """Empties the derived tables and replays every stored raw log through the handlers.

    Returns:
        The number of raw logs replayed.
    """
    decoder = Decoder(abis, store.chain_id)
    contracts = store.contracts()
    cache = EntityCache(limit=10**9)
    replayed = 0
    with store.conn.transaction():
        store.clear_projections()
        after = (-1, -1)
        while True:
            rows = store.raw_logs(after, chunk)
            if not rows:
                break
            projection = Projection(_Cleared(store), cache, None)
            for number, index, block_hash, tx_hash, tx_index, address, topics, data, ts in rows:
                known = contracts.get(address)
                if known is None:
                    continue
                name, args, _ = decoder.decode(list(topics), data)
                handler = HANDLERS.get((known[0], name))
                if handler is not None:
                    projection.begin(number)
                    event = Event(number, index, block_hash, tx_hash, tx_index, address, ts,
                                  known[0], known[1], name, args)  # fmt: skip
                    handler(projection, event)
            groups = projection.finish()
            store.write_projection(groups[0][1] if groups else {}, dict(projection.appends), [])
            replayed += len(rows)
            after = (rows[-1][0], rows[-1][1])
            log.info("re-projected", extra={"raw_logs": replayed, "block": after[0]})
    return replayed
