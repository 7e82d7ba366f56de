"""`api/metrics.md`: every metric the API, the indexer and their shared `infra` declare, found by
importing every module of the three packages (none does I/O at import time) and collecting the
metric objects they hold, so a metric declared in any of their modules is listed."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from types import ModuleType

from prometheus_client import REGISTRY
from prometheus_client.metrics import MetricWrapperBase

from docgen.files import ARCHITECTURE

METRICS = ARCHITECTURE / "api" / "metrics.md"
PACKAGES = ("api", "indexer", "infra")
WHERE = {
    "api": "`GET /metrics` on the API's port (each API process; `make run`: 8000)",
    "indexer": "`--metrics-port` / `INDEXER_METRICS_PORT` of the indexer (`make run`: 9101)",
}


@dataclass(frozen=True)
class Metric:
    """One registered metric family."""

    name: str
    type: str
    help: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...]


def import_all(packages: tuple[str, ...] = PACKAGES) -> list[ModuleType]:
    """Imports every module of the packages (registering every metric they declare)."""
    modules = []
    for package in packages:
        module = importlib.import_module(package)
        modules.append(module)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            if not info.name.endswith("__main__"):
                modules.append(importlib.import_module(info.name))
    return modules


def _metric(collector: MetricWrapperBase) -> Metric:
    kind = str(collector._type)
    return Metric(
        name=f"{collector._name}_total" if kind == "counter" else collector._name,
        type=kind,
        help=collector._documentation,
        labels=tuple(collector._labelnames),
        buckets=tuple(getattr(collector, "_upper_bounds", ())),
    )


def registered() -> tuple[list[Metric], list[str]]:
    """The metrics the packages' modules hold (whatever registry they are in), and the families
    of prometheus_client's default collectors (process, platform, gc).

    Metrics are found as module attributes, so a metric some other code (a test) registers in the
    same process is not listed.
    """
    found: dict[int, MetricWrapperBase] = {}
    for module in import_all():
        for value in vars(module).values():
            if isinstance(value, MetricWrapperBase):
                found[id(value)] = value
    standard: set[str] = set()
    for collector in list(REGISTRY._collector_to_names):
        if not isinstance(collector, MetricWrapperBase):
            standard.update(
                f"{f.name}_total" if f.type == "counter" else f.name for f in collector.collect()
            )
    return sorted((_metric(m) for m in found.values()), key=lambda m: m.name), sorted(standard)


def _bucket(value: float) -> str:
    return "+Inf" if value == float("inf") else f"{value:g}"


def render() -> str:
    """The text of `metrics.md` (without its notice)."""
    metrics, standard = registered()
    out = [
        "# Metrics",
        "",
        "Every Prometheus metric the API and the indexer declare, read from `prometheus_client`'s"
        " registry. Counters are exported with their `_total` suffix; histograms as `_bucket`,"
        " `_sum` and `_count`; both also with a `_created` timestamp.",
        "",
    ]
    groups: dict[str, list[Metric]] = {}
    for metric in metrics:
        groups.setdefault(metric.name.split("_", 1)[0], []).append(metric)
    for group, members in sorted(groups.items()):
        out += [
            f"## {group}",
            "",
            f"Served at {WHERE.get(group, 'the process that declares it')}.",
            "",
        ]
        out += ["| metric | type | labels | help |", "| --- | --- | --- | --- |"]
        for m in members:
            labels = ", ".join(f"`{label}`" for label in m.labels)
            extra = ""
            if m.type == "histogram":
                extra = " Buckets: " + ", ".join(_bucket(b) for b in m.buckets) + "."
            out.append(
                f"| `{m.name}` | {m.type} | {labels} | {m.help}.{extra} |".replace("..", ".")
            )
        out.append("")
    out += [
        "## Standard",
        "",
        "Every process also exports prometheus_client's default collectors: "
        + ", ".join(f"`{name}`" for name in standard)
        + ".",
        "",
    ]
    return "\n".join(out)
