"""Each check of `make ops-check` fails on a deliberately broken copy of the artifacts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _ops import PENDING_INDEXER_ROUTES, PENDING_METRICS, ROOT

from ops import crosscheck

ARTIFACTS = ("compose.yaml", "deploy", "prometheus", "grafana", "docs/operations")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the artifacts, to break."""
    for name in ARTIFACTS:
        source, target = ROOT / name, tmp_path / name
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    return tmp_path


def _break(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path.name}: update this test"
    path.write_text(text.replace(old, new, 1))


def test_the_copy_is_clean(tree: Path, routes: dict[str, set[str]], exported: set[str]) -> None:
    """The checks pass on the untouched copy, so each failure below is its breakage."""
    assert crosscheck.check_selectors(tree) == []
    tolerated = {**routes, "indexer": routes["indexer"] | PENDING_INDEXER_ROUTES}
    assert crosscheck.check_probes(tree, tolerated) == []
    assert crosscheck.check_environment(tree) == []
    assert crosscheck.check_expressions(tree, exported | PENDING_METRICS) == []
    assert crosscheck.check_prometheus_rule(tree) == []
    assert crosscheck.check_runbook(tree) == []


def test_a_service_selecting_no_pod_fails(tree: Path) -> None:
    api = tree / "deploy/k8s/api.yaml"
    _break(
        api,
        "spec:\n  selector:\n    app.kubernetes.io/name: api",
        "spec:\n  selector:\n    app.kubernetes.io/name: apl",
    )
    assert crosscheck.check_selectors(tree) == [
        "Service api: selector {'app.kubernetes.io/name': 'apl'} matches no pod template",
        "Service api: targetPort 'http' is no named port of its pods",
    ]


def test_a_target_port_that_no_container_names_fails(tree: Path) -> None:
    _break(
        tree / "deploy/k8s/indexer.yaml", "      targetPort: metrics", "      targetPort: metric"
    )
    assert crosscheck.check_selectors(tree) == [
        "Service indexer: targetPort 'metric' is no named port of its pods"
    ]


def test_a_probe_on_a_route_that_does_not_exist_fails(
    tree: Path, routes: dict[str, set[str]]
) -> None:
    _break(tree / "deploy/k8s/api.yaml", "path: /readyz", "path: /ready")
    tolerated = {**routes, "indexer": routes["indexer"] | PENDING_INDEXER_ROUTES}
    assert crosscheck.check_probes(tree, tolerated) == [
        "Deployment api readinessProbe: api serves no route /ready"
    ]


def test_a_variable_no_setting_reads_fails(tree: Path) -> None:
    _break(tree / "compose.yaml", "API_PUBLIC_URL:", "API_PUBLIC_ULR:")
    _break(tree / "deploy/k8s/configmap.yaml", "INDEXER_CONFIRMATIONS:", "INDEXER_CONFIRMATION:")
    assert crosscheck.check_environment(tree) == [
        "compose service api: API_PUBLIC_ULR is no setting of api",
        "ConfigMap energy-config: INDEXER_CONFIRMATION is no setting",
    ]


def test_a_writable_root_filesystem_fails(tree: Path) -> None:
    migrate = tree / "deploy/k8s/migrate-job.yaml"
    _break(migrate, "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false")
    assert crosscheck.check_pod_security(tree) == [
        "Job migrate container migrate: readOnlyRootFilesystem is not true"
    ]


def test_a_dependency_without_a_condition_fails(tree: Path) -> None:
    _break(tree / "compose.yaml", "      migrate:\n        condition: service_completed_successfully",
           "      migrate: {}")  # fmt: skip
    assert crosscheck.check_commands(tree) == [
        "compose service indexer: depends on migrate without a condition"
    ]


def test_a_dashboard_on_a_removed_metric_or_bad_promql_fails(
    tree: Path, exported: set[str]
) -> None:
    board = tree / "grafana/dashboards/indexer.json"
    _break(board, "sum(rate(indexer_events_total[$__rate_interval]))", "indexer_events_rate")
    _break(board, "histogram_quantile(0.99,", "histogram_quantile(0.99")
    problems = crosscheck.check_expressions(tree, exported | PENDING_METRICS)
    assert (
        problems[0]
        == "indexer.json panel 'Events per second': no process exports indexer_events_rate"
    )
    assert problems[1].startswith("indexer.json panel 'Batch duration p99': does not parse")
    assert len(problems) == 2


def test_an_alert_edited_without_regenerating_the_rule_fails(tree: Path) -> None:
    _break(tree / "prometheus/alerts.yml", "for: 5m", "for: 15m")
    assert crosscheck.check_prometheus_rule(tree) == [
        "deploy/k8s/prometheusrule.yaml differs from prometheus/alerts.yml"
    ]


def test_an_alert_without_a_runbook_section_fails(tree: Path) -> None:
    _break(tree / "docs/operations/alerts.md", "## TargetDown", "## Target down")
    assert crosscheck.check_runbook(tree) == [
        "alert TargetDown: runbook_url 'docs/operations/alerts.md#targetdown' is no section of alerts.md"
    ]


def test_kubernetes_validate_rejects_an_unknown_field(tree: Path) -> None:
    api = tree / "deploy/k8s/api.yaml"
    _break(api, "  minReplicas: 2", "  minReplica: 2")
    validate = Path(sys.executable).parent / "kubernetes-validate"
    ran = subprocess.run([str(validate), "--strict", "--quiet", "-k", "1.33.0", str(api)],
                         capture_output=True, text=True)  # fmt: skip
    assert ran.returncode != 0
    assert "minReplica" in ran.stdout + ran.stderr


def test_promtool_catches_an_alert_that_fires_too_early(tree: Path) -> None:
    found = sorted(ROOT.glob(".tools/prometheus-*/usr/bin/promtool"))
    if not found:
        pytest.fail("promtool is missing: `make ops-check` unpacks it into .tools/")
    _break(tree / "prometheus/alerts.yml", ") > 50", ") > 40")
    ran = subprocess.run([str(found[-1]), "test", "rules", "alerts_test.yml"],
                         cwd=tree / "prometheus", capture_output=True, text=True)  # fmt: skip
    assert ran.returncode != 0
    assert "IndexerLagging" in ran.stdout + ran.stderr
