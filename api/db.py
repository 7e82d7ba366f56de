"""PostgreSQL access for the API: one async connection pool, rows as dicts, uint256 as int.

Every read goes through `Database.fetch` / `fetch_one`; the query functions in `api.queries` hold
the SQL. `NUMERIC(78,0)` columns load as Python ints, so amounts never pass through floats.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg.adapt import Loader
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

Params = Sequence[Any] | dict[str, Any] | None


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


class Database:
    """The API's connection pool.

    Args:
        url: A `postgresql://` URL.
        size: Most connections kept open.
    """

    def __init__(self, url: str, *, size: int = 8) -> None:
        self.url = url
        self.pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=size,
            open=False,
            configure=_configure,
            kwargs={"row_factory": dict_row},
        )

    async def open(self) -> None:
        await self.pool.open()

    async def close(self) -> None:
        await self.pool.close()

    async def fetch(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        """All rows of a query."""
        async with self.pool.connection() as connection, connection.cursor() as cursor:
            await cursor.execute(sql, params)
            return list(await cursor.fetchall())

    async def fetch_one(self, sql: str, params: Params = None) -> dict[str, Any] | None:
        """The first row of a query, or None."""
        async with self.pool.connection() as connection, connection.cursor() as cursor:
            await cursor.execute(sql, params)
            return await cursor.fetchone()

    async def execute(self, sql: str, params: Params = None) -> int:
        """Runs a statement (autocommit); returns the rows it touched."""
        async with self.pool.connection() as connection, connection.cursor() as cursor:
            await cursor.execute(sql, params)
            return cursor.rowcount
