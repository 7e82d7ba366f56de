"""ShareToken as an ERC-20 with votes and permit: access, transfer lock, delegation, pause, identity.

Revenue distribution has its own file, test_revenue.py.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _helpers import (
    ZERO_ADDRESS,
    assert_emitted,
    delegate,
    erc2612_permit,
    permit_message,
    reverts_with,
)
from ape import chain, project
from eth_account import Account

from scripts._lib import DAY, USDC, Asset, advance_time

YEAR = 365 * DAY


@pytest.fixture
def funding_asset(create_asset: Callable[..., Asset], buy: Callable[..., None], investor) -> Asset:
    """An asset whose sale is still open, with 100 shares bought by `investor`."""
    open_asset = create_asset()
    buy(open_asset, investor, 100)
    return open_asset


# --- metadata and access ---------------------------------------------------------------------


def test_shares_are_whole_units_named_after_the_asset(asset, token, usdc):
    assert token.decimals() == 0
    assert token.name() == "Sunfield Solar Share"
    assert token.symbol() == "SUNF"
    assert token.assetId() == asset.asset_id
    assert token.paymentToken() == usdc.address
    assert token.identityRegistry() == ZERO_ADDRESS
    assert token.totalSupply() == 10_000


def test_initialize_cannot_run_twice(token, stranger, usdc):
    with reverts_with(token.InvalidInitialization):
        token.initialize("Fake", "FAKE", 1, ZERO_ADDRESS, usdc, sender=stranger)


def test_implementation_cannot_be_initialized(registry, token, stranger, usdc):
    implementation = project.ShareToken.at(registry.shareTokenImplementation())
    with reverts_with(token.InvalidInitialization):
        implementation.initialize("Fake", "FAKE", 1, ZERO_ADDRESS, usdc, sender=stranger)


@pytest.mark.parametrize("caller_name", ["stranger", "admin", "operator"])
def test_mint_burn_and_activate_revert_for_anyone_but_the_primary_sale(
    request, token, investor, caller_name
):
    caller = request.getfixturevalue(caller_name)
    with reverts_with(token.ShareNotPrimarySale, caller=caller):
        token.mint(caller, 1, sender=caller)
    with reverts_with(token.ShareNotPrimarySale, caller=caller):
        token.burn(investor, 1, sender=caller)
    with reverts_with(token.ShareNotPrimarySale, caller=caller):
        token.activate(sender=caller)


# --- transfer lock ---------------------------------------------------------------------------


def test_transfers_are_locked_while_the_sale_is_open(funding_asset, investor, stranger):
    token = funding_asset.token
    assert not token.transfersActive()
    with reverts_with(token.ShareTransfersLocked, assetId=funding_asset.asset_id):
        token.transfer(stranger, 1, sender=investor)
    token.approve(stranger, 1, sender=investor)
    with reverts_with(token.ShareTransfersLocked, assetId=funding_asset.asset_id):
        token.transferFrom(investor, stranger, 1, sender=stranger)


def test_transfers_stay_locked_after_the_sale_fails(funding_asset, sale, investor, stranger):
    advance_time(31 * DAY)
    sale.finalize(funding_asset.asset_id, sender=stranger)
    with reverts_with(funding_asset.token.ShareTransfersLocked, assetId=funding_asset.asset_id):
        funding_asset.token.transfer(stranger, 1, sender=investor)


def test_successful_sale_activates_transfers(funding_asset, buy, sale, investors):
    token = funding_asset.token
    buy(funding_asset, investors[1], 9_900)
    receipt = sale.finalize(funding_asset.asset_id, sender=investors[1])
    assert_emitted(receipt, token.TransfersActivated, assetId=funding_asset.asset_id)
    assert token.transfersActive()


def test_transfer_moves_shares_once_active(token, investors, stranger):
    receipt = token.transfer(stranger, 250, sender=investors[0])
    assert_emitted(receipt, token.Transfer, **{"from": investors[0], "to": stranger, "value": 250})
    assert token.balanceOf(investors[0]) == 3_750
    assert token.balanceOf(stranger) == 250


def test_transfer_from_spends_the_allowance(token, investors, stranger):
    token.approve(stranger, 300, sender=investors[1])
    token.transferFrom(investors[1], stranger, 200, sender=stranger)
    assert token.allowance(investors[1], stranger) == 100
    assert token.balanceOf(stranger) == 200


# --- votes -----------------------------------------------------------------------------------


def test_buyers_vote_with_their_shares_without_delegating(funding_asset, investor):
    token = funding_asset.token
    assert token.delegates(investor) == investor.address
    assert token.getVotes(investor) == token.balanceOf(investor) == 100


def test_transfer_recipient_is_self_delegated_on_first_receipt(token, investors, stranger):
    receipt = token.transfer(stranger, 400, sender=investors[0])
    assert_emitted(
        receipt,
        token.DelegateChanged,
        delegator=stranger,
        fromDelegate=ZERO_ADDRESS,
        toDelegate=stranger,
    )
    moves = receipt.events.filter(token.DelegateVotesChanged)
    assert [(m.delegate, m.previousVotes, m.newVotes) for m in moves] == [
        (investors[0].address, 4_000, 3_600),
        (stranger.address, 0, 400),
    ]
    assert token.delegates(stranger) == stranger.address
    assert token.getVotes(stranger) == 400
    assert token.getVotes(investors[0]) == 3_600


def test_market_buyer_is_self_delegated(sell_on_market, token, investors, stranger):
    sell_on_market(token, investors[1], stranger, 150, 60 * USDC)
    assert token.balanceOf(stranger) == 150
    assert token.getVotes(stranger) == 150
    assert token.getVotes(investors[1]) == 2_850


def test_delegating_moves_the_votes(token, investors, stranger):
    receipt = delegate(token, stranger, investors[2])
    assert_emitted(
        receipt,
        token.DelegateChanged,
        delegator=investors[2],
        fromDelegate=investors[2],
        toDelegate=stranger,
    )
    assert token.getVotes(investors[2]) == 0
    assert token.getVotes(stranger) == 2_000
    # Shares received later follow the chosen delegate, not a default self-delegation.
    token.transfer(investors[2], 500, sender=investors[0])
    assert token.delegates(investors[2]) == stranger.address
    assert token.getVotes(stranger) == 2_500


def test_delegating_to_zero_abstains_even_after_receiving_more(token, investors):
    abstainer = investors[3]
    delegate(token, ZERO_ADDRESS, abstainer)
    assert token.getVotes(abstainer) == 0
    token.transfer(abstainer, 500, sender=investors[0])
    assert token.delegates(abstainer) == ZERO_ADDRESS
    assert token.getVotes(abstainer) == 0
    assert token.balanceOf(abstainer) == 1_500
    # Choosing to vote again counts every share held.
    delegate(token, abstainer, abstainer)
    assert token.getVotes(abstainer) == 1_500


def test_clock_is_the_block_timestamp(token, investors, stranger):
    assert token.CLOCK_MODE() == "mode=timestamp"
    assert token.clock() == chain.blocks.head.timestamp
    advance_time(60)  # after a snapshot revert, the next block may share its parent's timestamp
    receipt = token.transfer(stranger, 1_000, sender=investors[0])
    advance_time(60)
    assert token.getPastVotes(investors[0], receipt.timestamp - 1) == 4_000
    assert token.getPastVotes(investors[0], receipt.timestamp) == 3_000
    assert token.getPastTotalSupply(receipt.timestamp) == 10_000


# --- permit ----------------------------------------------------------------------------------


def test_permit_sets_the_allowance_from_a_signature(token, investors, stranger):
    owner = investors[0]
    deadline = chain.pending_timestamp + DAY
    v, r, s = erc2612_permit(token, owner, stranger, 700, deadline)
    receipt = token.permit(owner, stranger, 700, deadline, v, r, s, sender=stranger)
    assert_emitted(receipt, token.Approval, owner=owner, spender=stranger, value=700)
    domain = token.eip712Domain()
    assert (domain.name, domain.version) == ("Sunfield Solar Share", "1")
    assert token.allowance(owner, stranger) == 700
    assert token.nonces(owner) == 1
    token.transferFrom(owner, stranger, 700, sender=stranger)
    assert token.balanceOf(stranger) == 700


def test_permit_reverts_after_its_deadline(token, investors, stranger):
    deadline = chain.pending_timestamp + 60
    v, r, s = erc2612_permit(token, investors[0], stranger, 1, deadline)
    advance_time(120)
    with reverts_with(token.ERC2612ExpiredSignature, deadline=deadline):
        token.permit(investors[0], stranger, 1, deadline, v, r, s, sender=stranger)


def test_permit_reverts_when_signed_by_another_account(token, investors, stranger):
    deadline = chain.pending_timestamp + DAY
    v, r, s = erc2612_permit(token, investors[0], stranger, 1, deadline, signer=stranger)
    with reverts_with(token.ERC2612InvalidSigner, signer=stranger, owner=investors[0]):
        token.permit(investors[0], stranger, 1, deadline, v, r, s, sender=stranger)


def test_permit_cannot_be_replayed(token, investors, stranger):
    owner = investors[0]
    deadline = chain.pending_timestamp + DAY
    v, r, s = erc2612_permit(token, owner, stranger, 5, deadline)
    token.permit(owner, stranger, 5, deadline, v, r, s, sender=stranger)
    # The nonce moved on, so the same signature now recovers to an unrelated address.
    replayed = permit_message(token, owner, stranger, 5, deadline, nonce=1)
    recovered = Account.recover_message(replayed, vrs=(v, r, s))
    with reverts_with(token.ERC2612InvalidSigner, signer=recovered, owner=owner):
        token.permit(owner, stranger, 5, deadline, v, r, s, sender=stranger)


# --- pause -----------------------------------------------------------------------------------


@pytest.fixture(params=["asset", "platform"])
def paused(request, pause, asset) -> str:
    """Pauses the asset alone, or the whole platform."""
    pause(asset, request.param)
    return str(request.param)


def test_pause_blocks_transfers(paused, asset, token, investors, stranger):
    with reverts_with(token.SharePaused, assetId=asset.asset_id):
        token.transfer(stranger, 1, sender=investors[0])
    token.approve(stranger, 1, sender=investors[0])
    with reverts_with(token.SharePaused, assetId=asset.asset_id):
        token.transferFrom(investors[0], stranger, 1, sender=stranger)


def test_unpausing_reopens_transfers(registry, admin, asset, token, investors, stranger):
    registry.setAssetPaused(asset.asset_id, True, sender=admin)
    registry.setAssetPaused(asset.asset_id, False, sender=admin)
    token.transfer(stranger, 1, sender=investors[0])
    assert token.balanceOf(stranger) == 1


def test_pausing_one_asset_leaves_the_others_transferable(
    registry, admin, asset, token, create_active_asset, investors, stranger
):
    other = create_active_asset([(investors[0], 10_000)])
    registry.setAssetPaused(asset.asset_id, True, sender=admin)
    other.token.transfer(stranger, 10, sender=investors[0])
    assert other.token.balanceOf(stranger) == 10


# --- identity-restricted assets ---------------------------------------------------------------


@pytest.fixture
def restricted(create_active_asset, identity, admin, investor) -> Asset:
    """An active asset that requires verified holders; `investor` (verified for a year) owns it all."""
    identity.verify(investor, chain.pending_timestamp + YEAR, 620, sender=admin)
    return create_active_asset([(investor, 100)], requires_verification=True)


def test_restricted_asset_checks_the_platform_identity_registry(restricted, identity):
    assert restricted.token.identityRegistry() == identity.address


def test_unverified_buyer_cannot_buy_restricted_shares(create_asset, fund, sale, stranger):
    only_verified = create_asset(requires_verification=True)
    fund(stranger, 50 * USDC, sale)
    with reverts_with(only_verified.token.ShareRecipientNotVerified, recipient=stranger):
        sale.buy(only_verified.asset_id, 1, sender=stranger)


def test_transfer_to_an_unverified_recipient_reverts(restricted, investor, stranger):
    with reverts_with(restricted.token.ShareRecipientNotVerified, recipient=stranger):
        restricted.token.transfer(stranger, 1, sender=investor)


def test_transfer_to_a_verified_recipient_succeeds(restricted, identity, admin, investor, stranger):
    identity.verify(stranger, chain.pending_timestamp + YEAR, 276, sender=admin)
    restricted.token.transfer(stranger, 10, sender=investor)
    assert restricted.token.balanceOf(stranger) == 10


def test_transfer_is_refused_again_once_verification_expires(
    restricted, identity, admin, investor, stranger
):
    identity.verify(stranger, chain.pending_timestamp + DAY, 276, sender=admin)
    restricted.token.transfer(stranger, 10, sender=investor)
    advance_time(DAY + 1)
    with reverts_with(restricted.token.ShareRecipientNotVerified, recipient=stranger):
        restricted.token.transfer(stranger, 10, sender=investor)


def test_transfer_is_refused_once_verification_is_revoked(
    restricted, identity, admin, investor, stranger
):
    identity.verify(stranger, chain.pending_timestamp + YEAR, 276, sender=admin)
    identity.revoke(stranger, sender=admin)
    with reverts_with(restricted.token.ShareRecipientNotVerified, recipient=stranger):
        restricted.token.transfer(stranger, 10, sender=investor)


def test_holder_whose_verification_lapsed_can_still_send_to_a_verified_account(
    restricted, identity, admin, investor, stranger
):
    identity.verify(stranger, chain.pending_timestamp + 2 * YEAR, 276, sender=admin)
    identity.revoke(investor, sender=admin)
    restricted.token.transfer(stranger, 10, sender=investor)
    assert restricted.token.balanceOf(stranger) == 10
