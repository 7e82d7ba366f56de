"""`python -m docgen [--check] [--render] [--only NAME ...]`.

Without options it writes every generated document (and deletes generated ones no generator makes
any more). `--check` writes nothing: it fails when a committed document differs from what the
code gives now, when a relative link of any Markdown file does not resolve, when the database
notes or the contracts' NatSpec miss something, or when `asyncapi.yaml` is not valid AsyncAPI 3.
`--render` also renders every Mermaid block of every Markdown file (one Chromium for all).
"""

from __future__ import annotations

import subprocess
import sys
import time

import click

from docgen import generators
from docgen.files import ROOT, Drift, compare, drift_message, stale, write


def _problems(names: tuple[str, ...]) -> list[str]:
    """What `--check` finds beside drift: links, notes, NatSpec, AsyncAPI validity."""
    from docgen import markdown

    found = [f"broken link {b}" for b in markdown.broken_links()]
    if "contracts" in names:
        from docgen import natspec

        found += [f"no NatSpec: {m}" for m in natspec.undocumented()]
    if "database" in names:
        from docgen import catalog, database, scratch

        with scratch.migrated_database() as url:
            found += database.problems(catalog.read(url), database.load_notes())
    if "api" in names:
        from docgen import asyncapi

        result = subprocess.run(
            [sys.executable, "-m", "check_jsonschema", "--schemafile", str(asyncapi.SPEC_SCHEMA),
             str(asyncapi.ASYNCAPI)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            found.append(f"asyncapi.yaml is not valid AsyncAPI 3:\n{result.stdout}{result.stderr}")
    return found


@click.command()
@click.option("--check", is_flag=True, help="Compare with the committed files instead of writing.")
@click.option("--render", is_flag=True, help="Render every Mermaid block of every Markdown file.")
@click.option(
    "--only",
    multiple=True,
    type=click.Choice(sorted(generators.GENERATORS)),
    help="Only these generators (repeatable).",
)
def main(check: bool, render: bool, only: tuple[str, ...]) -> None:
    """Generates docs/architecture's generated documents from the code."""
    names = only or tuple(generators.GENERATORS)
    started = time.perf_counter()
    documents = generators.generate(names)
    left = stale(documents) if not only else []
    failed = False
    if check:
        drifts = compare(documents) + [Drift(p, "no generator makes it any more") for p in left]
        if drifts:
            click.echo(drift_message(drifts), err=True)
            failed = True
        problems = _problems(names)
        if problems:
            click.echo("\n".join(problems), err=True)
            failed = True
        click.echo(f"checked {len(documents)} generated documents"
                   f" ({time.perf_counter() - started:.1f} s)")  # fmt: skip
    else:
        for path in left:
            path.unlink()
            click.echo(f"deleted {path.relative_to(ROOT)} (no generator makes it any more)")
        changed = write(documents)
        for path in changed:
            click.echo(f"wrote {path.relative_to(ROOT)}")
        click.echo(f"{len(documents)} documents, {len(changed)} changed"
                   f" ({time.perf_counter() - started:.1f} s)")  # fmt: skip
    if render:
        from docgen import markdown

        begun = time.perf_counter()
        blocks = markdown.mermaid_blocks()
        failures = markdown.render_failures(blocks)
        click.echo(f"rendered {len(blocks)} Mermaid blocks ({time.perf_counter() - begun:.1f} s)")
        if failures:
            click.echo("Mermaid blocks that do not render:\n" + "\n".join(failures), err=True)
            failed = True
    if failed:
        sys.exit(1)
