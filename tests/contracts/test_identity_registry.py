"""IdentityRegistry: verification with an expiry, revocation, and the two-step admin transfer.

`admin` deployed the registry (admin transfer delay: 2 days) and holds VERIFIER_ROLE.
"""

from __future__ import annotations

import pytest
from _helpers import ZERO_ADDRESS, assert_emitted, reverts_with
from ape import chain
from ape.api import AccountAPI
from ape.contracts import ContractInstance

from scripts._lib import DAY, VERIFIER_ROLE, advance_time, role

YEAR = 365 * DAY
PORTUGAL = 620
DEFAULT_ADMIN_ROLE = bytes(32)


@pytest.fixture(scope="module")
def verifier_role(identity: ContractInstance) -> bytes:
    return role(identity, VERIFIER_ROLE)


def make_verifier(identity: ContractInstance, admin: AccountAPI, account: AccountAPI) -> None:
    identity.grantRole(role(identity, VERIFIER_ROLE), account, sender=admin)


# --- verification ----------------------------------------------------------------------------


def test_verifier_verifies_an_account_until_an_expiry(identity, admin, investor):
    expires = chain.pending_timestamp + YEAR
    receipt = identity.verify(investor, expires, PORTUGAL, sender=admin)
    assert_emitted(
        receipt,
        identity.IdentityVerified,
        account=investor,
        expiresAt=expires,
        country=PORTUGAL,
        verifier=admin,
    )
    assert identity.isVerified(investor)
    assert tuple(identity.identity(investor)) == (expires, PORTUGAL, admin.address)


def test_verification_is_renewed_by_verifying_again(identity, admin, operator, investor):
    make_verifier(identity, admin, operator)
    identity.verify(investor, chain.pending_timestamp + DAY, PORTUGAL, sender=admin)
    renewed = chain.pending_timestamp + 2 * YEAR
    receipt = identity.verify(investor, renewed, 276, sender=operator)
    assert_emitted(
        receipt,
        identity.IdentityVerified,
        account=investor,
        expiresAt=renewed,
        country=276,
        verifier=operator,
    )
    assert tuple(identity.identity(investor)) == (renewed, 276, operator.address)


def test_an_account_never_verified_is_not_verified(identity, stranger):
    assert not identity.isVerified(stranger)
    assert tuple(identity.identity(stranger)) == (0, 0, ZERO_ADDRESS)


def test_verification_holds_until_the_second_before_expiry(identity, admin, investor):
    expires = chain.pending_timestamp + 1_000
    identity.verify(investor, expires, PORTUGAL, sender=admin)
    chain.mine(timestamp=expires - 1)
    assert identity.isVerified(investor)
    chain.mine(timestamp=expires)
    assert not identity.isVerified(investor)
    assert identity.identity(investor).expiresAt == expires  # the record stays until revoked


def test_verify_reverts_for_an_expiry_not_in_the_future(identity, admin, investor):
    now = chain.pending_timestamp + 10
    chain.pending_timestamp = now
    with reverts_with(identity.IdentityExpiryInPast, expiresAt=now):
        identity.verify(investor, now, PORTUGAL, sender=admin)
    with reverts_with(identity.IdentityExpiryInPast, expiresAt=now - DAY):
        identity.verify(investor, now - DAY, PORTUGAL, sender=admin)
    later = chain.pending_timestamp + 10  # (a reverted transaction still mines a block)
    chain.pending_timestamp = later
    identity.verify(investor, later + 1, PORTUGAL, sender=admin)
    assert identity.identity(investor).expiresAt == later + 1


def test_verify_reverts_for_the_zero_account(identity, admin):
    with reverts_with(identity.IdentityZeroAccount):
        identity.verify(ZERO_ADDRESS, chain.pending_timestamp + YEAR, PORTUGAL, sender=admin)


@pytest.mark.parametrize("caller_name", ["stranger", "operator"])
def test_verify_and_revoke_revert_for_anyone_without_the_verifier_role(
    request, identity, admin, investor, verifier_role, caller_name
):
    caller = request.getfixturevalue(caller_name)
    identity.verify(investor, chain.pending_timestamp + YEAR, PORTUGAL, sender=admin)
    with reverts_with(
        identity.AccessControlUnauthorizedAccount, account=caller, neededRole=verifier_role
    ):
        identity.verify(caller, chain.pending_timestamp + YEAR, PORTUGAL, sender=caller)
    with reverts_with(
        identity.AccessControlUnauthorizedAccount, account=caller, neededRole=verifier_role
    ):
        identity.revoke(investor, sender=caller)


def test_a_verifier_whose_role_is_revoked_can_no_longer_verify(
    identity, admin, operator, investor, verifier_role
):
    make_verifier(identity, admin, operator)
    identity.revokeRole(verifier_role, operator, sender=admin)
    with reverts_with(
        identity.AccessControlUnauthorizedAccount, account=operator, neededRole=verifier_role
    ):
        identity.verify(investor, chain.pending_timestamp + YEAR, PORTUGAL, sender=operator)


# --- revocation ------------------------------------------------------------------------------


def test_revoke_removes_the_identity(identity, admin, operator, investor):
    make_verifier(identity, admin, operator)
    identity.verify(investor, chain.pending_timestamp + YEAR, PORTUGAL, sender=admin)
    receipt = identity.revoke(investor, sender=operator)
    assert_emitted(receipt, identity.IdentityRevoked, account=investor, verifier=operator)
    assert not identity.isVerified(investor)
    assert tuple(identity.identity(investor)) == (0, 0, ZERO_ADDRESS)


def test_revoke_reverts_when_there_is_no_identity(identity, admin, investor, stranger):
    with reverts_with(identity.IdentityNotFound, account=stranger):
        identity.revoke(stranger, sender=admin)
    identity.verify(investor, chain.pending_timestamp + YEAR, PORTUGAL, sender=admin)
    identity.revoke(investor, sender=admin)
    with reverts_with(identity.IdentityNotFound, account=investor):
        identity.revoke(investor, sender=admin)


def test_an_expired_identity_can_still_be_revoked(identity, admin, investor):
    identity.verify(investor, chain.pending_timestamp + DAY, PORTUGAL, sender=admin)
    advance_time(2 * DAY)
    identity.revoke(investor, sender=admin)
    assert identity.identity(investor).expiresAt == 0


def test_a_revoked_account_can_be_verified_again(identity, admin, investor):
    identity.verify(investor, chain.pending_timestamp + YEAR, PORTUGAL, sender=admin)
    identity.revoke(investor, sender=admin)
    identity.verify(investor, chain.pending_timestamp + YEAR, PORTUGAL, sender=admin)
    assert identity.isVerified(investor)


# --- roles and the admin transfer ------------------------------------------------------------


def test_the_deployer_is_admin_behind_a_two_day_delay(identity, admin, verifier_role):
    assert identity.defaultAdmin() == admin.address
    assert identity.defaultAdminDelay() == 2 * DAY
    assert identity.hasRole(DEFAULT_ADMIN_ROLE, admin)
    assert identity.getRoleAdmin(verifier_role) == DEFAULT_ADMIN_ROLE
    assert identity.hasRole(verifier_role, admin)


def test_admin_grants_the_verifier_role(identity, admin, operator, verifier_role):
    receipt = identity.grantRole(verifier_role, operator, sender=admin)
    assert_emitted(
        receipt, identity.RoleGranted, role=verifier_role, account=operator, sender=admin
    )
    assert identity.hasRole(verifier_role, operator)


def test_only_the_admin_grants_roles(identity, stranger, verifier_role):
    with reverts_with(
        identity.AccessControlUnauthorizedAccount, account=stranger, neededRole=DEFAULT_ADMIN_ROLE
    ):
        identity.grantRole(verifier_role, stranger, sender=stranger)


def test_the_admin_role_cannot_be_granted_directly(identity, admin, operator):
    with reverts_with(identity.AccessControlEnforcedDefaultAdminRules):
        identity.grantRole(DEFAULT_ADMIN_ROLE, operator, sender=admin)


def test_admin_transfer_is_accepted_only_after_the_delay(identity, admin, operator, verifier_role):
    receipt = identity.beginDefaultAdminTransfer(operator, sender=admin)
    schedule = receipt.timestamp + 2 * DAY
    assert_emitted(
        receipt,
        identity.DefaultAdminTransferScheduled,
        newAdmin=operator,
        acceptSchedule=schedule,
    )
    assert tuple(identity.pendingDefaultAdmin()) == (operator.address, schedule)
    with reverts_with(identity.AccessControlEnforcedDefaultAdminDelay, schedule=schedule):
        identity.acceptDefaultAdminTransfer(sender=operator)
    chain.pending_timestamp = schedule  # the schedule must have passed, not merely been reached
    with reverts_with(identity.AccessControlEnforcedDefaultAdminDelay, schedule=schedule):
        identity.acceptDefaultAdminTransfer(sender=operator)

    chain.pending_timestamp = schedule + 1
    receipt = identity.acceptDefaultAdminTransfer(sender=operator)
    assert_emitted(
        receipt, identity.RoleRevoked, role=DEFAULT_ADMIN_ROLE, account=admin, sender=operator
    )
    assert_emitted(
        receipt, identity.RoleGranted, role=DEFAULT_ADMIN_ROLE, account=operator, sender=operator
    )
    assert identity.defaultAdmin() == operator.address
    assert tuple(identity.pendingDefaultAdmin()) == (ZERO_ADDRESS, 0)
    identity.grantRole(verifier_role, operator, sender=operator)
    with reverts_with(
        identity.AccessControlUnauthorizedAccount, account=admin, neededRole=DEFAULT_ADMIN_ROLE
    ):
        identity.revokeRole(verifier_role, operator, sender=admin)


def test_only_the_pending_admin_accepts_the_transfer(identity, admin, operator, stranger):
    identity.beginDefaultAdminTransfer(operator, sender=admin)
    advance_time(3 * DAY)
    with reverts_with(identity.AccessControlInvalidDefaultAdmin, defaultAdmin=stranger):
        identity.acceptDefaultAdminTransfer(sender=stranger)


def test_only_the_admin_begins_a_transfer(identity, stranger):
    with reverts_with(
        identity.AccessControlUnauthorizedAccount, account=stranger, neededRole=DEFAULT_ADMIN_ROLE
    ):
        identity.beginDefaultAdminTransfer(stranger, sender=stranger)


def test_a_cancelled_admin_transfer_cannot_be_accepted(identity, admin, operator):
    identity.beginDefaultAdminTransfer(operator, sender=admin)
    receipt = identity.cancelDefaultAdminTransfer(sender=admin)
    assert_emitted(receipt, identity.DefaultAdminTransferCanceled)
    advance_time(3 * DAY)
    with reverts_with(identity.AccessControlInvalidDefaultAdmin, defaultAdmin=operator):
        identity.acceptDefaultAdminTransfer(sender=operator)
    assert identity.defaultAdmin() == admin.address
