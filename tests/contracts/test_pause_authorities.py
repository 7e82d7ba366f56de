"""Finding 6 of issue 12: two pause authorities, two flags. The platform pauser and the asset's
governance (its timelock) may each pause; each lifts only its own pause."""

from __future__ import annotations

import pytest
from _helpers import assert_pause_set, impersonate

from scripts._lib import Asset


@pytest.fixture(autouse=True, scope="module")
def _module_setup(asset: Asset) -> None:
    """The module's active asset, built before any test's snapshot."""


def test_governance_cannot_lift_an_incident_pause(registry, asset, admin):
    timelock = impersonate(asset.timelock)
    registry.setAssetPaused(asset.asset_id, True, sender=admin)
    tx = registry.setAssetPaused(asset.asset_id, False, sender=timelock)
    assert_pause_set(tx, registry, asset.asset_id, by=timelock, pauser=True, governance=False)
    assert registry.isPaused(asset.asset_id)


def test_the_pauser_cannot_lift_a_governance_pause(registry, asset, admin):
    timelock = impersonate(asset.timelock)
    registry.setAssetPaused(asset.asset_id, True, sender=timelock)
    tx = registry.setAssetPaused(asset.asset_id, False, sender=admin)
    assert_pause_set(tx, registry, asset.asset_id, by=admin, pauser=False, governance=True)
    assert registry.isPaused(asset.asset_id)
    record = registry.asset(asset.asset_id)
    assert (record.paused, record.governancePaused) == (False, True)


def test_the_asset_runs_again_once_both_lift_their_pauses(registry, asset, admin):
    timelock = impersonate(asset.timelock)
    registry.setAssetPaused(asset.asset_id, True, sender=admin)
    registry.setAssetPaused(asset.asset_id, True, sender=timelock)
    registry.setAssetPaused(asset.asset_id, False, sender=admin)
    assert registry.isPaused(asset.asset_id)
    registry.setAssetPaused(asset.asset_id, False, sender=timelock)
    assert not registry.isPaused(asset.asset_id)
