"""Reads from a streaming replica, and what the API does so that they stay consistent.

With `DATABASE_READ_URL` set, the API keeps two pools: `AppState.db` on the replica (a hot standby
of the primary, fed by PostgreSQL's streaming replication) for every read, and `AppState.primary`
on `DATABASE_URL` for the migrations and for what the API writes and must read back at once:
sign-in nonces and refresh tokens, revoked access tokens, preferences and stored meter readings.
Without it both are the same pool.

What the API serves is what the replica has replayed:

- the indexed head (`api.chain.IndexedHead`) is the replica's own checkpoint, so cache keys (the
  indexed block), `/status` and `/readyz` follow the replica, never a block it does not hold yet;
- `/readyz` also counts the blocks the replica is behind the primary (`replica_lag`): a replica
  that stopped replaying is not ready, even though its own checkpoint looks recent;
- the feed hub learns of each commit over Redis as soon as the primary has it, sooner than the
  replica replays it. Wherever the hub, or a client resuming the feed, must read from PostgreSQL
  what Redis announced, it first waits until the replica has replayed the primary's WAL up to the
  position the primary had reached when asked (`caught_up`): every commit announced before that
  is then in the replica's next snapshot, so a resume never skips a commit the live stream
  already passed. A replica that does not get there within `API_REPLICA_WAIT_SECONDS` raises
  `ReplicaBehind`: a resuming client is told to try again (`resume-later`), the hub tells its
  clients to resync, as when it loses track of the index for any other reason.

Live feed messages come from Redis, so they can run ahead of the REST reads by the replica's lag
(milliseconds when it keeps up); each message names its block, and `/status` names the replica's.
"""

from __future__ import annotations

import asyncio
import time

from api.db import Database


class ReplicaBehind(Exception):
    """The read replica did not replay the primary's latest commits in time.

    Args:
        reason: What it had not replayed, in words a client can act on.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_replicated(reads: Database, primary: Database) -> bool:
    """Whether reads go to a replica of their own (`DATABASE_READ_URL` set)."""
    return reads is not primary


async def caught_up(reads: Database, primary: Database, *, timeout: float,
                    interval: float = 0.01) -> None:  # fmt: skip
    """Waits until the replica has replayed everything the primary had committed on the call.

    Reads the primary's flushed WAL position, then polls the replica's replayed position until it
    is at or past it. No-op when reads go to the primary, or to a server that is not in recovery.

    Args:
        reads: The replica's pool.
        primary: The primary's pool.
        timeout: Longest wait, in seconds.
        interval: Seconds between two polls of the replica.

    Raises:
        ReplicaBehind: The replica had not got there after `timeout` seconds.
    """
    if not is_replicated(reads, primary):
        return
    target = await primary.fetch_one("SELECT pg_current_wal_flush_lsn()::text AS lsn")
    assert target is not None
    lsn = target["lsn"]
    deadline = time.monotonic() + timeout
    while True:
        row = await reads.fetch_one(
            "SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= %s::pg_lsn AS done,"
            " pg_last_wal_replay_lsn()::text AS replayed",
            (lsn,),
        )
        assert row is not None
        if row["done"]:
            return
        if time.monotonic() >= deadline:
            raise ReplicaBehind(
                f"the read replica has replayed the primary's changes up to {row['replayed']},"
                f" not yet to {lsn} (waited {timeout:g} s)"
            )
        await asyncio.sleep(interval)


async def replica_lag(reads: Database, primary: Database, *, chain_id: int,
                      block_number: int) -> int | None:  # fmt: skip
    """Blocks the replica's checkpoint (`block_number`) is behind the primary's, or None when
    reads go to the primary or the primary does not answer (the replica is then as recent as
    anything the API can serve)."""
    if not is_replicated(reads, primary):
        return None
    try:
        row = await primary.fetch_one(
            "SELECT block_number FROM checkpoints WHERE chain_id = %s", (chain_id,)
        )
    except Exception:  # the primary is down: the replica still serves what it has
        return None
    return None if row is None else max(0, int(row["block_number"]) - block_number)
