"""Why the indexer's writes stay raw SQL: N append-only rows written with `COPY` (what
`indexer/store.py` does) and with a SQLModel session (`add_all` + `commit`), on a fresh database.

Usage: `.venv/bin/python bench/orm_copy_bench.py [--rows 20000] [--server-url URL]`. The last line
is `orm_vs_copy rows=<n> copy_rows_per_s=<x> orm_rows_per_s=<y> ratio=<x/y>`.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click
import psycopg

ROOT = Path(__file__).resolve().parents[1]
os.chdir(ROOT)
sys.path.insert(0, str(ROOT))

from _services import scratch_database  # noqa: E402
from sqlmodel import Session, create_engine  # noqa: E402

from infra.database.migrate import sqlalchemy_url, upgrade  # noqa: E402
from infra.database.models.sale import Purchase  # noqa: E402

COLUMNS = ("chain_id", "block_number", "log_index", "tx_hash", "block_timestamp", "asset_id",
           "buyer", "shares", "cost", "total_sold", "total_raised")  # fmt: skip


@click.command()
@click.option("--rows", default=20_000, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--server-url", default="postgresql://postgres@127.0.0.1:5432/test", show_default=True
)
def main(rows: int, server_url: str) -> None:
    values = [(31337, i // 10, i % 10, "0x" + "ab" * 32, 1_700_000_000, 1, "0x" + "cd" * 20, 5,
               250, 5 * i, 250 * i) for i in range(rows)]  # fmt: skip
    with scratch_database(server_url, ROOT / ".data" / "bench", prefix="ormcopy") as url:
        upgrade(url)
        with psycopg.connect(url) as conn:
            started = time.perf_counter()
            with (
                conn.cursor() as cur,
                cur.copy(f"COPY purchases ({', '.join(COLUMNS)}) FROM STDIN") as copy,
            ):
                for row in values:
                    copy.write_row(row)
            conn.commit()
            copy_s = time.perf_counter() - started
            conn.execute("DELETE FROM purchases")
            conn.commit()
        engine = create_engine(sqlalchemy_url(url))
        try:
            started = time.perf_counter()
            with Session(engine) as session:
                session.add_all(
                    [
                        Purchase.model_validate(dict(zip(COLUMNS, row, strict=True)))
                        for row in values
                    ]
                )
                session.commit()
            orm_s = time.perf_counter() - started
        finally:
            engine.dispose()
    click.echo(f"orm_vs_copy rows={rows} copy_rows_per_s={rows / copy_s:.0f}"
               f" orm_rows_per_s={rows / orm_s:.0f} ratio={orm_s / copy_s:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
