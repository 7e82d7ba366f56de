"""What FastAPI's check of a route's answer costs for a page, by the class the page is built as.

A route that returns a model has it validated against its response model before it is written
(`serialize_response`). A page built as the class the route declares (`Page[ProductionReport]`:
pydantic makes each parametrisation once) passes through; one built as `Page[M]`, with a type
variable, is another class, and was validated again field by field. This measures both with the
response field of the real production route (`/assets/{id}/production`, whose response model is a
union of two pages) and of the votes route (one page), on pages of 50 rows.

Usage: `.venv/bin/python bench/response_check_bench.py [--rows 50] [--rounds 2000]`. The last line
is `response_check rows=<n> production_declared_us=<a> production_type_variable_us=<b>
votes_declared_us=<c> votes_type_variable_us=<d>`.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, TypeVar

import click

ROOT = Path(__file__).resolve().parents[1]
os.chdir(ROOT)
sys.path.insert(0, str(ROOT))

from fastapi.routing import APIRoute  # noqa: E402
from pydantic import BaseModel  # noqa: E402

from api.models.assets import ProductionReport  # noqa: E402
from api.models.governance import Vote  # noqa: E402
from api.pagination import Page  # noqa: E402
from api.routes import assets, governance  # noqa: E402

M = TypeVar("M", bound=BaseModel)

REPORT: dict[str, Any] = {"report_id": 7, "meter": "0x" + "22" * 20, "period_start": 1_790_000_000,
          "period_end": 1_790_086_400, "energy_wh": 51_000, "asset_total_wh": 9_000_000,
          "block_number": 12_345, "log_index": 3, "block_timestamp": 1_790_090_000,
          "tx_hash": "0x" + "ab" * 32}  # fmt: skip
VOTE: dict[str, Any] = {"voter": "0x" + "33" * 20, "support": "for", "weight": 1_000, "reason": "",
        "block_number": 12_345, "log_index": 4, "block_timestamp": 1_790_090_000,
        "tx_hash": "0x" + "cd" * 32}  # fmt: skip


def response_field(router: Any, path: str) -> Any:
    """The response field FastAPI made for the router's GET route at `path`."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.path == path and "GET" in (route.methods or ()):
            return route.response_field
    raise click.ClickException(f"no GET route {path}")


def per_check_us(field: Any, page: BaseModel, rounds: int) -> float:
    """Microseconds per `field.validate(page)`, as `serialize_response` calls it."""
    _, errors = field.validate(page, {}, loc=("response",))
    if errors:
        raise click.ClickException(f"the page does not validate: {errors}")
    started = time.perf_counter()
    for _ in range(rounds):
        field.validate(page, {}, loc=("response",))
    return (time.perf_counter() - started) / rounds * 1e6


@click.command()
@click.option("--rows", default=50, show_default=True, help="Rows per page.")
@click.option("--rounds", default=2_000, show_default=True, help="Checks timed per case.")
def main(rows: int, rounds: int) -> None:
    """Times FastAPI's response check of a page built as each class."""
    production = response_field(assets.router, "/assets/{asset_id}/production")
    votes = response_field(
        governance.router, "/governance/proposals/{asset_id}/{proposal_id}/votes"
    )
    reports = [ProductionReport(**REPORT) for _ in range(rows)]
    cast = [Vote(**VOTE) for _ in range(rows)]
    cases = {
        "production, declared class": (production, Page[ProductionReport](data=reports)),
        "production, Page[M]": (production, Page[M](data=reports)),  # type: ignore[valid-type]
        "votes, declared class": (votes, Page[Vote](data=cast)),
        "votes, Page[M]": (votes, Page[M](data=cast)),  # type: ignore[valid-type]
    }
    took = {name: per_check_us(field, page, rounds) for name, (field, page) in cases.items()}
    for name, us in took.items():
        click.echo(f"{name:<30} {us:9.1f} us per check ({rows} rows)")
    click.echo(f"response_check rows={rows}"
               f" production_declared_us={took['production, declared class']:.1f}"
               f" production_type_variable_us={took['production, Page[M]']:.1f}"
               f" votes_declared_us={took['votes, declared class']:.1f}"
               f" votes_type_variable_us={took['votes, Page[M]']:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
