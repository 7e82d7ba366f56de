"""What a resuming client missed, read from PostgreSQL, and what a reorg took back from it.

A client that reconnects names the position of the last message it got (block number, block hash,
log index). Inside one REPEATABLE READ snapshot of the index, `api.queries.feeds.Snapshot` tells
whether that block is still on the indexed chain and reads the events after the position up to
the snapshot's checkpoint (`raw_logs` ordered by block number and log index). When the block is no longer on the
chain, the events the client saw above the common ancestor were deleted with the reorg;
`removed_since` reconstructs them from the `removed` commits the hub received over Redis, so the
client gets `removed` messages for them before the new branch. When the hub cannot know them (it
started after the reorg, the reorg was published as a range only), the client is told to resync.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from api.queries.feeds import MAX_LOG_INDEX


@dataclass(frozen=True)
class Removal:
    """A `removed` commit as the hub received it: the ancestor the index went back to and the
    events it removed (`raw_logs` rows, ascending), or None when they were not published (over
    the limit)."""

    seq: int
    ancestor: int
    events: Sequence[dict[str, Any]] | None


def removed_since(number: int, block_hash: str, log_index: int | None,
                  removals: Sequence[Removal]) -> tuple[list[dict[str, Any]], int] | None:  # fmt: skip
    """The events a client at a reorged position saw that the index removed since, and the block
    its view and the indexed chain share.

    The client's block is found among the events of a `removed` commit; the events of that commit
    up to the client's position were on its branch. A later, deeper reorg also removed the events
    between its ancestor and the common block found so far (the client had those too).

    Args:
        number: The client's block number.
        block_hash: The client's block hash (not on the indexed chain any more).
        log_index: The client's log index (None: the whole block).
        removals: The removed commits received, oldest first.

    Returns:
        (removed events newest first, common block number), or None when they cannot be known.
    """
    position = (number, MAX_LOG_INDEX if log_index is None else log_index)
    start = next(
        (k for k, r in enumerate(removals)
         if r.events is not None and any(e["block_hash"] == block_hash for e in r.events)),
        None,
    )  # fmt: skip
    if start is None:
        return None
    first = removals[start]
    assert first.events is not None
    removed = [e for e in first.events if (e["block_number"], e["log_index"]) <= position]
    common = first.ancestor
    for later in removals[start + 1 :]:
        if later.ancestor >= common:
            continue
        if later.events is None:
            return None
        removed += [e for e in later.events if e["block_number"] <= common]
        common = later.ancestor
    removed.sort(key=lambda e: (e["block_number"], e["log_index"]), reverse=True)
    return removed, common
