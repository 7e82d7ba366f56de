"""PostgreSQL access for the API: one async connection pool, rows as dicts, uint256 as int.

The SQL lives in the query functions of `api.queries`; they run it through `Database.fetch` /
`fetch_one` / `execute`, or, for a transaction or a snapshot, on a connection of `Database.pool`.
`NUMERIC(78,0)` columns load as Python ints, so amounts never pass through floats.

No read can hold a worker's connection at will: every statement runs under PostgreSQL's
`statement_timeout` (`API_DB_STATEMENT_TIMEOUT_MS`, set when a connection opens), an HTTP request
waits at most `API_DB_POOL_TIMEOUT_SECONDS` for a free connection, and it stops starting
statements once it has used its budget (`API_DB_REQUEST_BUDGET_MS` of wall time since it
arrived, checked before each statement, so a request ends within its budget plus one statement
timeout). Each of these raises `DatabaseBusy`, which the routes answer with a 503 and
`Retry-After`, and GraphQL with an error saying so.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any, Literal, get_args

from psycopg import AsyncConnection, AsyncCursor
from psycopg.adapt import Loader
from psycopg.errors import QueryCanceled
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from starlette.types import ASGIApp, Receive, Scope, Send

Params = Sequence[Any] | dict[str, Any] | None
PlanCacheMode = Literal["force_generic_plan", "auto", "force_custom_plan"]
PLAN_CACHE_MODES = frozenset(get_args(PlanCacheMode))


class NumericLoader(Loader):
    """Loads NUMERIC as int when it has no fraction (all of ours), else as Decimal."""

    def load(self, data: Any) -> int | Decimal:
        text = bytes(data)
        if b"." in text or b"N" in text:  # fractions, NaN
            return Decimal(text.decode())
        return int(text)


async def _configure(connection: AsyncConnection[Any]) -> None:
    connection.adapters.register_loader("numeric", NumericLoader)
    await connection.set_autocommit(True)


class DatabaseBusy(Exception):
    """A read the database could not answer in time; `reason` says which limit it met.

    Args:
        reason: What took too long, in words a client can act on.
        retry_after: Seconds after which trying again makes sense.
    """

    def __init__(self, reason: str, retry_after: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


_deadline: ContextVar[tuple[float, int] | None] = ContextVar("db_deadline", default=None)
"""The current request's (monotonic deadline, budget in ms), or None outside a request."""


def _check_budget() -> None:
    found = _deadline.get()
    if found is not None and time.monotonic() > found[0]:
        raise DatabaseBusy(f"this request used its {found[1]} ms of database time before it was"
                           " answered: ask for less (a smaller limit or page, a narrower filter"
                           " or block range, fewer fields)")  # fmt: skip


class RequestBudget:
    """Gives each HTTP request a deadline for starting database statements (see the module).

    Args:
        app: The application it wraps.
        budget_ms: The budget of one request.
    """

    def __init__(self, app: ASGIApp, budget_ms: int) -> None:
        self.app = app
        self.budget_ms = budget_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _deadline.set((time.monotonic() + self.budget_ms / 1000, self.budget_ms))
        try:
            await self.app(scope, receive, send)
        finally:
            _deadline.reset(token)


class Database:
    """The API's connection pool.

    Args:
        url: A `postgresql://` URL.
        size: Most connections kept open.
        statement_timeout_ms: PostgreSQL's `statement_timeout` on every connection.
        pool_timeout: Longest wait of an HTTP request for a free connection, in seconds.
        plan_cache_mode: PostgreSQL's `plan_cache_mode` on every connection. A generic plan is
            made once per statement and connection; with `auto`, PostgreSQL plans most of the
            API's reads again for each execution, and planning one cost more than running it
            (an asset's read: 0.61 ms a call planned each time, 0.20 ms generic).
    """

    def __init__(self, url: str, *, size: int = 8, statement_timeout_ms: int = 5_000,
                 pool_timeout: float = 5.0, plan_cache_mode: PlanCacheMode = "force_generic_plan") -> None:  # fmt: skip
        if plan_cache_mode not in PLAN_CACHE_MODES:
            raise ValueError(f"plan_cache_mode is one of {', '.join(sorted(PLAN_CACHE_MODES))},"
                             f" not {plan_cache_mode!r}")  # fmt: skip
        self.url = url
        self.statement_timeout_ms = statement_timeout_ms
        self.pool_timeout = pool_timeout
        self.pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=size,
            open=False,
            configure=_configure,
            kwargs={
                "row_factory": dict_row,
                "options": f"-c statement_timeout={int(statement_timeout_ms)}"
                f" -c plan_cache_mode={plan_cache_mode}",
            },
        )

    @asynccontextmanager
    async def _cursor(self) -> AsyncIterator[AsyncCursor[Any]]:
        """A cursor on a pooled connection; the limits of the module become `DatabaseBusy`."""
        _check_budget()
        # A request waits `pool_timeout` for a connection; the feeds (which hold connections for
        # their snapshots) keep the pool's own, longer wait.
        wait = self.pool_timeout if _deadline.get() is not None else None
        try:
            async with self.pool.connection(wait) as connection, connection.cursor() as cursor:
                yield cursor
        except QueryCanceled as error:
            raise DatabaseBusy(
                f"the database did not answer this read within {self.statement_timeout_ms} ms:"
                " try again, or ask for less (a smaller limit, a narrower filter or block range)"
            ) from error
        except PoolTimeout as error:
            raise DatabaseBusy(
                f"every database connection stayed busy for {self.pool_timeout:g} s: try again"
                " shortly", retry_after=max(1, round(self.pool_timeout)),
            ) from error  # fmt: skip

    async def open(self) -> None:
        await self.pool.open()

    async def close(self) -> None:
        await self.pool.close()

    async def fetch(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        """All rows of a query."""
        async with self._cursor() as cursor:
            await cursor.execute(sql, params)
            return list(await cursor.fetchall())

    async def fetch_one(self, sql: str, params: Params = None) -> dict[str, Any] | None:
        """The first row of a query, or None."""
        async with self._cursor() as cursor:
            await cursor.execute(sql, params)
            return await cursor.fetchone()

    async def execute(self, sql: str, params: Params = None) -> int:
        """Runs a statement (autocommit); returns the rows it touched."""
        async with self._cursor() as cursor:
            await cursor.execute(sql, params)
            return cursor.rowcount
