"""`python -m ops [--check]`: regenerates the generated deployment artifacts (or checks them)."""

from __future__ import annotations

import sys

import click

from ops.generated import ROOT, stale, write


@click.command()
@click.option("--check", is_flag=True, help="Fail when a generated file is out of date.")
def main(check: bool) -> None:
    """Writes deploy/k8s/prometheusrule.yaml, deploy/k8s/grafana-dashboards.yaml and
    docs/operations/configuration.md from their sources."""
    if check:
        outdated = stale()
        for path in outdated:
            click.echo(f"out of date: {path.relative_to(ROOT)} (run `make ops-generate`)", err=True)
        sys.exit(1 if outdated else 0)
    for path in write():
        click.echo(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
