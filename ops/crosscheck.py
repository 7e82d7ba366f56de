"""What no schema checks in the deployment artifacts: that they agree with each other and the code.

Each `check_*` function takes a repository tree (the real one, or a broken copy in a test) and
returns its problems as sentences; an empty list means it holds. tests/ops runs them all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import promql_parser
import yaml

from ops.settings_doc import variables

# Set in a platform container but read by a library, not by our settings classes.
LIBRARY_VARIABLES = frozenset({"PROMETHEUS_MULTIPROC_DIR"})
# Series that Prometheus itself makes, not our processes.
PROMETHEUS_SERIES = frozenset({"up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds"})
# Grafana's variables, replaced by a duration before an expression is parsed.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h"}
# The modules of our image (`python -m <module>`) and the settings service each one reads.
MODULES = {"api": "api", "indexer": "indexer", "launcher.demo_chain": "indexer"}
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job"})
PLATFORM_IMAGE = "energy-platform"


@dataclass(frozen=True)
class Workload:
    """A pod template of the manifests: its kind, name, labels and spec."""

    kind: str
    name: str
    labels: dict[str, str]
    pod: dict[str, Any]


def _yaml_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def k8s_documents(root: Path) -> list[dict[str, Any]]:
    """Every resource listed in deploy/k8s/kustomization.yaml."""
    base = root / "deploy" / "k8s"
    kustomization = yaml.safe_load((base / "kustomization.yaml").read_text())
    docs: list[dict[str, Any]] = []
    for resource in kustomization.get("resources", []):
        docs.extend(_yaml_documents(base / resource))
    return docs


def workloads(docs: list[dict[str, Any]]) -> list[Workload]:
    """The pod templates of the Deployments, StatefulSets, DaemonSets and Jobs."""
    found = []
    for doc in docs:
        if doc.get("kind") in WORKLOAD_KINDS:
            template = doc["spec"]["template"]
            found.append(
                Workload(
                    kind=doc["kind"],
                    name=doc["metadata"]["name"],
                    labels=template.get("metadata", {}).get("labels", {}),
                    pod=template["spec"],
                )
            )
    return found


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def _containers(pod: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from pod.get("initContainers", [])
    yield from pod.get("containers", [])


def _port_names(pod: dict[str, Any]) -> set[str]:
    return {
        port["name"]
        for c in pod.get("containers", [])
        for port in c.get("ports", [])
        if "name" in port
    }


def check_selectors(root: Path) -> list[str]:
    """Services, PDBs, NetworkPolicies, ServiceMonitors and HPAs point at things that exist."""
    docs = k8s_documents(root)
    pods = workloads(docs)
    problems: list[str] = []
    services = [d for d in docs if d["kind"] == "Service"]
    for service in services:
        name = service["metadata"]["name"]
        selector = service["spec"].get("selector", {})
        chosen = [w for w in pods if _selects(selector, w.labels)]
        if not chosen:
            problems.append(f"Service {name}: selector {selector} matches no pod template")
        for port in service["spec"].get("ports", []):
            target = port.get("targetPort")
            if isinstance(target, str) and not any(target in _port_names(w.pod) for w in chosen):
                problems.append(
                    f"Service {name}: targetPort {target!r} is no named port of its pods"
                )
    for doc in docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        if kind == "PodDisruptionBudget":
            selector = doc["spec"]["selector"]["matchLabels"]
            if not any(_selects(selector, w.labels) for w in pods):
                problems.append(f"PodDisruptionBudget {name}: selector {selector} matches no pods")
        elif kind == "NetworkPolicy":
            selector = doc["spec"]["podSelector"].get("matchLabels", {})
            chosen = [w for w in pods if _selects(selector, w.labels)]
            if not chosen:
                problems.append(f"NetworkPolicy {name}: podSelector {selector} matches no pods")
            for rule in doc["spec"].get("ingress", []):
                for port in rule.get("ports", []):
                    named = port.get("port")
                    if isinstance(named, str) and not any(
                        named in _port_names(w.pod) for w in chosen
                    ):
                        problems.append(f"NetworkPolicy {name}: port {named!r} is no named port")
        elif kind == "ServiceMonitor":
            selector = doc["spec"]["selector"]["matchLabels"]
            targets = [s for s in services if _selects(selector, s["metadata"].get("labels", {}))]
            if not targets:
                problems.append(f"ServiceMonitor {name}: selector {selector} matches no Service")
            for endpoint in doc["spec"]["endpoints"]:
                names = {p.get("name") for s in targets for p in s["spec"]["ports"]}
                if endpoint["port"] not in names:
                    problems.append(
                        f"ServiceMonitor {name}: port {endpoint['port']!r} is no Service port"
                    )
        elif kind == "HorizontalPodAutoscaler":
            target = doc["spec"]["scaleTargetRef"]
            if not any(w.kind == target["kind"] and w.name == target["name"] for w in pods):
                problems.append(
                    f"HorizontalPodAutoscaler {name}: no {target['kind']} {target['name']}"
                )
    return problems


def check_pod_security(root: Path) -> list[str]:
    """Non-root, read-only root filesystem with /tmp writable, no capabilities, requests and
    limits: on every pod and container."""
    problems: list[str] = []
    for w in workloads(k8s_documents(root)):
        where = f"{w.kind} {w.name}"
        pod_context = w.pod.get("securityContext", {})
        if pod_context.get("runAsNonRoot") is not True:
            problems.append(f"{where}: securityContext.runAsNonRoot is not true")
        if pod_context.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{where}: seccompProfile is not RuntimeDefault")
        empty_dirs = {v["name"] for v in w.pod.get("volumes", []) if "emptyDir" in v}
        for container in _containers(w.pod):
            at = f"{where} container {container['name']}"
            context = container.get("securityContext", {})
            if context.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{at}: allowPrivilegeEscalation is not false")
            if context.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{at}: readOnlyRootFilesystem is not true")
            if "ALL" not in context.get("capabilities", {}).get("drop", []):
                problems.append(f"{at}: capabilities are not all dropped")
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            if mounts.get("/tmp") not in empty_dirs:
                problems.append(f"{at}: /tmp is not an emptyDir")
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in resources.get(kind, {}):
                        problems.append(f"{at}: no {resource} in resources.{kind}")
    return problems


def _module(args: list[str]) -> str | None:
    """The `python -m` module a platform container runs (the image's entrypoint is `python -m`)."""
    return args[0] if args else None


def check_probes(root: Path, routes: dict[str, set[str]]) -> list[str]:
    """Every HTTP probe asks a route its process serves, on a named port of its container.

    Args:
        root: The repository tree.
        routes: The paths each module serves (`api`: the app's routes, `indexer`: its metrics
            server's).
    """
    problems: list[str] = []
    for w in workloads(k8s_documents(root)):
        for container in w.pod.get("containers", []):
            module = _module(container.get("args", []))
            names = {p["name"] for p in container.get("ports", []) if "name" in p}
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                get = container.get(probe, {}).get("httpGet")
                if get is None:
                    continue
                at = f"{w.kind} {w.name} {probe}"
                if isinstance(get["port"], str) and get["port"] not in names:
                    problems.append(f"{at}: port {get['port']!r} is no named port of the container")
                if get["path"] not in routes.get(module or "", set()):
                    problems.append(f"{at}: {module} serves no route {get['path']}")
    return problems


def _compose(root: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((root / "compose.yaml").read_text())
    return loaded


def _environment(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in value)
    return dict(value or {})


def check_environment(root: Path) -> list[str]:
    """Every variable set for a platform process is a field of the settings it reads."""
    known: dict[str, set[str]] = {}
    for setting in variables():
        known.setdefault(setting.service, set()).add(setting.name)
    everyone = set().union(*known.values()) | LIBRARY_VARIABLES
    problems: list[str] = []
    for name, service in _compose(root)["services"].items():
        if not str(service.get("image", "")).startswith(PLATFORM_IMAGE):
            continue
        module = _module(service.get("command") or [])
        if module not in MODULES:
            continue  # anvil: the build stage's node, not a module of ours
        reads = known[MODULES[module]] | LIBRARY_VARIABLES
        for variable in _environment(service.get("environment")):
            if variable not in reads:
                problems.append(f"compose service {name}: {variable} is no setting of {module}")
    docs = k8s_documents(root)
    for doc in docs:
        if doc["kind"] in ("ConfigMap", "Secret") and doc["metadata"]["name"].startswith("energy-"):
            if doc["metadata"]["name"] == "energy-deployments":
                continue
            for variable in {**doc.get("data", {}), **doc.get("stringData", {})}:
                if variable not in everyone:
                    problems.append(
                        f"{doc['kind']} {doc['metadata']['name']}: {variable} is no setting"
                    )
    for w in workloads(docs):
        for container in _containers(w.pod):
            module = _module(container.get("args", []))
            reads = known.get(MODULES.get(module or "", ""), set()) | LIBRARY_VARIABLES
            for entry in container.get("env", []):
                if entry["name"] not in reads:
                    problems.append(f"{w.kind} {w.name}: {entry['name']} is no setting of {module}")
    return problems


def check_commands(root: Path) -> list[str]:
    """Platform containers run modules of the image; compose build targets are Dockerfile stages."""
    problems: list[str] = []
    stages: set[str] | None = None
    dockerfile = root / "Dockerfile"
    if dockerfile.exists():
        stages = set(re.findall(r"(?im)^FROM\s+\S+\s+AS\s+(\S+)", dockerfile.read_text()))
    for name, service in _compose(root)["services"].items():
        target = (service.get("build") or {}).get("target")
        if target and stages is not None and target not in stages:
            problems.append(
                f"compose service {name}: build target {target!r} is no Dockerfile stage"
            )
        if (
            str(service.get("image", "")).startswith(f"{PLATFORM_IMAGE}:")
            and "entrypoint" not in service
        ):
            module = _module(service.get("command") or [])
            if module not in MODULES:
                problems.append(f"compose service {name}: {module!r} is no module of the image")
        for dependency, condition in (service.get("depends_on") or {}).items():
            wanted = condition.get("condition") if isinstance(condition, dict) else None
            if wanted not in ("service_healthy", "service_completed_successfully"):
                problems.append(
                    f"compose service {name}: depends on {dependency} without a condition"
                )
            if (
                wanted == "service_healthy"
                and "healthcheck" not in _compose(root)["services"][dependency]
            ):
                problems.append(
                    f"compose service {name}: {dependency} has no healthcheck to wait for"
                )
    for w in workloads(k8s_documents(root)):
        for container in _containers(w.pod):
            if (
                container["image"] == PLATFORM_IMAGE
                and _module(container.get("args", [])) not in MODULES
            ):
                problems.append(
                    f"{w.kind} {w.name}: {container.get('args')} runs no module of the image"
                )
    return problems


def check_kustomization(root: Path) -> list[str]:
    """Every manifest in deploy/k8s is listed, and every image it names is set there."""
    base = root / "deploy" / "k8s"
    kustomization = yaml.safe_load((base / "kustomization.yaml").read_text())
    listed = set(kustomization.get("resources", []))
    present = {p.name for p in base.glob("*.yaml")} - {"kustomization.yaml"}
    problems = [
        f"deploy/k8s/{name} is not in kustomization.yaml" for name in sorted(present - listed)
    ]
    problems += [f"kustomization.yaml lists a missing {name}" for name in sorted(listed - present)]
    images = {image["name"] for image in kustomization.get("images", [])}
    for w in workloads(k8s_documents(root)):
        for container in _containers(w.pod):
            if container["image"] not in images:
                problems.append(f"{w.kind} {w.name}: image {container['image']} is not in `images`")
    return problems


def expressions(root: Path) -> list[tuple[str, str]]:
    """(where, PromQL) for every dashboard target and every alert rule."""
    found = []
    for path in sorted((root / "grafana" / "dashboards").glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board.get("panels", []):
            for target in panel.get("targets", []):
                found.append((f"{path.name} panel {panel.get('title')!r}", target["expr"]))
    alerts = yaml.safe_load((root / "prometheus" / "alerts.yml").read_text())
    for group in alerts["groups"]:
        for rule in group["rules"]:
            found.append((f"alerts.yml {rule.get('alert') or rule.get('record')}", rule["expr"]))
    return found


def _series(expression: str) -> set[str]:
    for variable, duration in GRAFANA_VARIABLES.items():
        expression = expression.replace(variable, duration)
    names: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.add(node.name)
            for matcher in node.matchers.matchers:
                if matcher.name == "__name__":
                    names.add(matcher.value)

    promql_parser.walk(promql_parser.parse(expression), visit)
    return names


def check_expressions(root: Path, exported: set[str]) -> list[str]:
    """Every dashboard and alert expression parses and names only series our processes export.

    Args:
        root: The repository tree.
        exported: The series names the metric registries export (with `_total`, `_bucket`...).
    """
    problems = []
    for where, expression in expressions(root):
        try:
            names = _series(expression)
        except ValueError as error:
            problems.append(f"{where}: does not parse ({error}): {expression}")
            continue
        for name in sorted(names - exported - PROMETHEUS_SERIES):
            problems.append(f"{where}: no process exports {name}")
    return problems


def check_runbook(root: Path) -> list[str]:
    """Every alert has a runbook_url whose anchor is a section of docs/operations/alerts.md."""
    page = root / "docs" / "operations" / "alerts.md"
    anchors = set()
    if page.exists():
        for heading in re.findall(r"(?m)^#+\s+(.+?)\s*$", page.read_text()):
            anchors.add(re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-"))
    problems = []
    alerts = yaml.safe_load((root / "prometheus" / "alerts.yml").read_text())
    for group in alerts["groups"]:
        for rule in group["rules"]:
            url = rule.get("annotations", {}).get("runbook_url", "")
            path, _, anchor = url.partition("#")
            if path != "docs/operations/alerts.md" or anchor not in anchors:
                problems.append(
                    f"alert {rule['alert']}: runbook_url {url!r} is no section of {page.name}"
                )
    return problems


def check_prometheus_rule(root: Path) -> list[str]:
    """The PrometheusRule's spec is exactly prometheus/alerts.yml."""
    rules = [d for d in _yaml_documents(root / "deploy" / "k8s" / "prometheusrule.yaml")]
    alerts = yaml.safe_load((root / "prometheus" / "alerts.yml").read_text())
    if len(rules) != 1 or rules[0].get("spec") != alerts:
        return ["deploy/k8s/prometheusrule.yaml differs from prometheus/alerts.yml"]
    return []
