"""The deployment artifacts agree with each other and with the code (`make ops-check`)."""

from __future__ import annotations

from _ops import PENDING_INDEXER_ROUTES, PENDING_METRICS, ROOT

from ops import crosscheck
from ops.generated import stale


def test_services_pdbs_policies_and_monitors_select_what_exists() -> None:
    assert crosscheck.check_selectors(ROOT) == []


def test_every_pod_is_non_root_read_only_without_capabilities_and_bounded() -> None:
    assert crosscheck.check_pod_security(ROOT) == []


def test_probes_ask_routes_their_process_serves(routes: dict[str, set[str]]) -> None:
    tolerated = {**routes, "indexer": routes["indexer"] | PENDING_INDEXER_ROUTES}
    assert crosscheck.check_probes(ROOT, tolerated) == []


def test_every_variable_set_is_a_setting() -> None:
    assert crosscheck.check_environment(ROOT) == []


def test_containers_run_modules_of_the_image_and_wait_for_healthy_dependencies() -> None:
    assert crosscheck.check_commands(ROOT) == []


def test_kustomization_lists_every_manifest_and_image() -> None:
    assert crosscheck.check_kustomization(ROOT) == []


def test_dashboards_and_alerts_parse_and_name_exported_series(exported: set[str]) -> None:
    assert crosscheck.check_expressions(ROOT, exported | PENDING_METRICS) == []


def test_every_alert_has_a_runbook_section() -> None:
    assert crosscheck.check_runbook(ROOT) == []


def test_prometheus_rule_equals_alerts_yml() -> None:
    assert crosscheck.check_prometheus_rule(ROOT) == []


def test_generated_files_are_up_to_date() -> None:
    assert [str(path.relative_to(ROOT)) for path in stale()] == []


def test_pending_names_are_still_pending(exported: set[str], routes: dict[str, set[str]]) -> None:
    """Once the code exports a pending name, its tolerance must go (see conftest.py)."""
    assert PENDING_METRICS & exported == set()
    assert PENDING_INDEXER_ROUTES & routes["indexer"] == set()
