"""Finding 7 of issue 12: on an asset that requires verified holders, votes belong to verified
accounts only. Delegating to an unverified account is refused; an account whose verification has
lapsed neither proposes nor votes until it is verified again (its shares still earn revenue)."""

from __future__ import annotations

import pytest
from _helpers import VOTING_DELAY, Vote, delegate, proposal, reverts_with
from ape import chain

from scripts._lib import DAY, Asset, advance_time

YEAR = 365 * DAY


@pytest.fixture(autouse=True, scope="module")
def _module_setup(asset: Asset) -> None:
    """The module's active asset, built before any test's snapshot."""


@pytest.fixture
def restricted(create_active_asset, identity, admin, investors) -> Asset:
    """A restricted asset held 60 / 40 by two investors verified for a year."""
    for holder in investors[:2]:
        identity.verify(holder, chain.pending_timestamp + YEAR, 620, sender=admin)
    asset = create_active_asset(
        [(investors[0], 60), (investors[1], 40)], requires_verification=True
    )
    advance_time(1)
    return asset


def test_delegating_to_an_unverified_account_is_refused(restricted, investors, stranger):
    with reverts_with(restricted.token.ShareDelegateeNotVerified, delegatee=stranger):
        delegate(restricted.token, stranger, investors[0])


def test_delegating_to_a_verified_account_or_to_nobody_works(restricted, investors):
    delegate(restricted.token, investors[1], investors[0])
    assert restricted.token.getVotes(investors[1]) == 100
    delegate(restricted.token, "0x" + "00" * 20, investors[1])
    assert restricted.token.getVotes(investors[1]) == 60


def test_an_unverified_account_cannot_propose(restricted, investors, stranger):
    p = proposal(restricted, (restricted.token, b""), description="Anything")
    with reverts_with(restricted.governor.GovernorAccountNotVerified, account=stranger):
        p.propose(stranger)


def test_a_holder_whose_verification_lapsed_cannot_vote(restricted, identity, admin, investors):
    p = proposal(restricted, (restricted.token, b""), description="Anything")
    p.propose(investors[0])
    advance_time(VOTING_DELAY + 1)
    identity.revoke(investors[1], sender=admin)
    with reverts_with(restricted.governor.GovernorAccountNotVerified, account=investors[1]):
        p.vote(investors[1], Vote.AGAINST)
    p.vote(investors[0])
    assert restricted.governor.proposalVotes(p.id) == (0, 60, 0)


def test_unrestricted_assets_let_anyone_delegate_and_vote(asset, investors, stranger):
    delegate(asset.token, stranger, investors[3])
    assert asset.token.getVotes(stranger) == 1_000
