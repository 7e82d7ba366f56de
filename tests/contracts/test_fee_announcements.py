"""What depositors of such platforms also expect (issue 12): no instant fee rise before a deposit.
A rise is announced by an event and applies only after the registry's delay; a cut, a new
recipient and the fees set before any asset exists apply at once."""

from __future__ import annotations

import pytest
from _helpers import assert_emitted, emitted, reverts_with
from ape import chain

from scripts._lib import USDC, Asset


@pytest.fixture(autouse=True, scope="module")
def _module_setup(asset: Asset) -> None:
    """The module's active asset (so fees may no longer rise at once)."""


def test_a_fee_rise_waits_for_the_delay(asset, registry, admin, stranger, deposit_revenue):
    delay = registry.FEE_CHANGE_DELAY()
    tx = registry.setPlatformFees(1_000, 500, stranger, sender=admin)
    effective_at = chain.blocks[tx.block_number].timestamp + delay
    assert_emitted(
        tx, registry.PlatformFeesAnnounced, revenueFeeBps=1_000, marketFeeBps=500,
        effectiveAt=effective_at,
    )  # fmt: skip
    assert (registry.revenueFeeBps(), registry.marketFeeBps()) == (0, 0)
    assert registry.feeRecipient() == stranger.address  # a new recipient applies at once

    (deposit,) = emitted(deposit_revenue(asset, 1_000 * USDC), asset.token.RevenueDeposited)
    assert deposit["fee"] == 0  # the depositor pays what was in force

    with reverts_with(registry.RegistryFeesNotYetEffective, effectiveAt=effective_at):
        registry.applyPlatformFees(sender=stranger)
    chain.mine(timestamp=effective_at)
    tx = registry.applyPlatformFees(sender=stranger)
    assert_emitted(
        tx, registry.PlatformFeesChanged, revenueFeeBps=1_000, marketFeeBps=500, recipient=stranger
    )
    assert (registry.revenueFeeBps(), registry.marketFeeBps()) == (1_000, 500)
    with reverts_with(registry.RegistryNoPendingFees):
        registry.applyPlatformFees(sender=stranger)


def test_a_fee_cut_applies_at_once(registry, admin, stranger):
    registry.setPlatformFees(1_000, 500, stranger, sender=admin)
    chain.mine(timestamp=registry.pendingPlatformFees().effectiveAt)
    registry.applyPlatformFees(sender=admin)
    tx = registry.setPlatformFees(100, 500, stranger, sender=admin)
    assert not emitted(tx, registry.PlatformFeesAnnounced)
    assert (registry.revenueFeeBps(), registry.marketFeeBps()) == (100, 500)
