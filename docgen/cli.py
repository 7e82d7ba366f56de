"""`python -m docgen [--check] [--only NAME ...]`: write the generated documents, or compare them."""

from __future__ import annotations

import sys
import time

import click

from docgen import generators
from docgen.files import ROOT, compare, drift_message, write


@click.command()
@click.option("--check", is_flag=True, help="Compare with the committed files instead of writing.")
@click.option(
    "--only",
    multiple=True,
    type=click.Choice(sorted(generators.GENERATORS)),
    help="Only these generators (repeatable).",
)
def main(check: bool, only: tuple[str, ...]) -> None:
    """Generates docs/architecture's generated documents from the code."""
    names = only or tuple(generators.GENERATORS)
    started = time.perf_counter()
    documents = generators.generate(names)
    if check:
        drifts = compare(documents)
        if drifts:
            click.echo(drift_message(drifts), err=True)
            sys.exit(1)
        click.echo(f"{len(documents)} generated documents match the code"
                   f" ({time.perf_counter() - started:.1f} s)")  # fmt: skip
        return
    changed = write(documents)
    for path in changed:
        click.echo(f"wrote {path.relative_to(ROOT)}")
    click.echo(f"{len(documents)} documents, {len(changed)} changed"
               f" ({time.perf_counter() - started:.1f} s)")  # fmt: skip
