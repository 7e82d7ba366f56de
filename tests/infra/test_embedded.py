"""The embedded servers of `infra.embedded`: real PostgreSQL and Redis, started in `tmp_path`."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import redis

from infra import embedded


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _pid_of_finished() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _next_message(pubsub: redis.client.PubSub, timeout: float = 5.0) -> object:
    """The next message's data (get_message returns None for each ignored subscribe reply)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.1)
        if message is not None:
            return message["data"]
    return None


def test_configured_urls_are_yielded_unchanged(tmp_path: Path) -> None:
    with embedded.postgres("postgresql://u@db:5432/x", tmp_path / "pg") as pg_url:
        assert pg_url == "postgresql://u@db:5432/x"
    with embedded.redis("redis://cache:6379/1", tmp_path / "redis") as redis_url:
        assert redis_url == "redis://cache:6379/1"
    assert not (tmp_path / "pg").exists()
    assert not (tmp_path / "redis").exists()


def test_server_answers_is_false_for_a_closed_port() -> None:
    port = _closed_port()

    assert not embedded.server_answers(f"postgresql://postgres@127.0.0.1:{port}/platform")
    assert not embedded.server_answers(f"postgres://postgres@127.0.0.1:{port}/platform")
    assert not embedded.server_answers(f"redis://127.0.0.1:{port}/0")


def test_server_answers_rejects_other_schemes() -> None:
    with pytest.raises(ValueError, match="not a PostgreSQL or Redis URL"):
        embedded.server_answers("http://127.0.0.1:8545")


def test_embedded_postgres_answers_a_query_on_tcp(tmp_path: Path) -> None:
    with embedded.postgres(None, tmp_path) as url:
        assert url.startswith("postgresql://postgres@127.0.0.1:")
        assert url.endswith("/platform")
        assert ":5432/" not in url
        assert embedded.server_answers(url)
        with psycopg.connect(url) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
            assert conn.execute("select current_database()").fetchone() == ("platform",)

    assert not embedded.server_answers(url)


def test_second_postgres_context_on_the_same_dir_reuses_the_server(tmp_path: Path) -> None:
    with embedded.postgres(None, tmp_path) as first:
        with embedded.postgres(None, tmp_path) as second:
            assert second == first
        assert embedded.server_answers(first), "the inner context must not stop the server"

    assert not embedded.server_answers(first)


def test_postgres_data_persists_across_a_restart(tmp_path: Path) -> None:
    with embedded.postgres(None, tmp_path) as url, psycopg.connect(url) as conn:
        conn.execute("create table kept (value numeric(78, 0))")
        conn.execute("insert into kept values (2 ^ 255)")

    with embedded.postgres(None, tmp_path) as url, psycopg.connect(url) as conn:
        assert conn.execute("select value = 2 ^ 255 from kept").fetchone() == (True,)


def test_a_stale_postmaster_pid_does_not_block_startup(tmp_path: Path) -> None:
    with embedded.postgres(None, tmp_path):
        pass
    pid_file = tmp_path / "pgdata" / "postmaster.pid"
    pgdata = tmp_path.resolve() / "pgdata"
    pid_file.write_text(
        f"{_pid_of_finished()}\n{pgdata}\n1700000000\n5999\n\n127.0.0.1\n0 0\nready\n"
    )

    started = time.monotonic()
    with embedded.postgres(None, tmp_path) as url, psycopg.connect(url) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
    assert time.monotonic() - started < 15


def test_embedded_redis_serves_pub_sub_to_other_clients(tmp_path: Path) -> None:
    with embedded.redis(None, tmp_path) as url:
        assert url.startswith("redis://127.0.0.1:")
        assert url.endswith("/0")
        assert not url.startswith("redis://127.0.0.1:6379/")
        subscriber = redis.Redis.from_url(url)
        publisher = redis.Redis.from_url(url)
        pubsub = subscriber.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe("commits")
            assert publisher.publish("commits", b"block 7") == 1
            assert _next_message(pubsub) == b"block 7"
        finally:
            pubsub.close()
            subscriber.close()
            publisher.close()

    assert not embedded.server_answers(url)
