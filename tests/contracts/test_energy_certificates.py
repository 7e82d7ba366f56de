"""EnergyCertificates: issuance with each accepted report, pro-rata claims by the holders of that
moment, transfers under the asset's rules, retirements as public proofs, and integrity."""

from __future__ import annotations

import pytest
from _certificates import HOUR, Reporter, meter_key, token_id
from _helpers import ZERO_ADDRESS, assert_emitted, reverts_with
from ape import chain, project
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from scripts._lib import DAY, METER_ADMIN_ROLE, Asset, advance_time, role, sign_reading

YEAR = 365 * DAY


@pytest.fixture(scope="module")
def report(oracle, admin, operator) -> Reporter:
    return Reporter(oracle, admin, operator)


@pytest.fixture(autouse=True, scope="module")
def _module_setup(asset: Asset, report: Reporter) -> None:
    """The module's active asset (4,000 / 3,000 / 2,000 / 1,000 shares), built before any snapshot."""


def last_report(oracle) -> int:
    return int(oracle.reportCount())


# Issuance


def test_an_accepted_report_becomes_certificates_of_its_vintage(
    certificates, oracle, token, asset, report
):
    tx = report(asset, 1_001)
    report_id = last_report(oracle)
    reading = oracle.report(report_id)
    vintage = token_id(asset.asset_id, reading.periodStart, reading.periodEnd)
    assert_emitted(
        tx,
        certificates.CertificatesIssued,
        id=vintage,
        assetId=asset.asset_id,
        reportId=report_id,
        periodStart=reading.periodStart,
        periodEnd=reading.periodEnd,
        energyWh=1_001,
        supply=10_000,
        snapshotId=token.currentSnapshotId(),
        assetCertifiedWh=certificates.certifiedEnergyOf(asset.asset_id),
    )
    assert certificates.vintageOf(vintage) == (
        asset.asset_id,
        reading.periodStart,
        reading.periodEnd,
    )
    assert certificates.issuance(report_id).id == vintage
    assert certificates.certifiedEnergyOf(asset.asset_id) == oracle.totalEnergyOf(asset.asset_id)


def test_only_the_oracle_issues_certificates(certificates, asset, stranger):
    with reverts_with(certificates.CertificatesNotOracle, caller=stranger):
        certificates.issue(999, asset.asset_id, 0, 1, 1_000, sender=stranger)


def test_only_the_certificates_take_share_snapshots(token, stranger):
    with reverts_with(token.ShareNotCertificates, caller=stranger):
        token.snapshot(sender=stranger)


def test_each_holder_is_entitled_pro_rata_rounded_down(
    certificates, oracle, asset, report, investors
):
    report(asset, 1_001)
    report_id = last_report(oracle)
    expected = [400, 300, 200, 100]  # 1,001 Wh x 40/30/20/10 %, the 1 Wh left stays with nobody
    assert [certificates.entitlementOf(i, report_id) for i in investors[:4]] == expected
    assert sum(expected) <= 1_001


# Claims


def test_a_holder_claims_its_part_as_erc1155_certificates(
    certificates, oracle, asset, report, investor
):
    report(asset, 2_000)
    report_id = last_report(oracle)
    vintage = certificates.issuance(report_id).id
    tx = certificates.claim([report_id], sender=investor)
    assert_emitted(
        tx, certificates.CertificatesClaimed, reportId=report_id, account=investor, id=vintage,
        energyWh=800,
    )  # fmt: skip
    assert certificates.balanceOf(investor, vintage) == 800
    assert certificates.totalSupply(vintage) == 800
    assert certificates.claimedOf(investor, report_id) == 800
    assert certificates.claimableOf(investor, report_id) == 0


def test_a_claim_cannot_be_repeated(certificates, oracle, asset, report, investor):
    report(asset, 2_000)
    report_id = last_report(oracle)
    certificates.claim([report_id], sender=investor)
    with reverts_with(
        certificates.CertificatesNothingToClaim, account=investor, reportId=report_id
    ):
        certificates.claim([report_id], sender=investor)


def test_the_same_report_twice_in_one_claim_is_refused(
    certificates, oracle, asset, report, investor
):
    report(asset, 2_000)
    report_id = last_report(oracle)
    with reverts_with(
        certificates.CertificatesNothingToClaim, account=investor, reportId=report_id
    ):
        certificates.claim([report_id, report_id], sender=investor)


def test_someone_without_shares_has_nothing_to_claim(certificates, oracle, asset, report, stranger):
    report(asset, 2_000)
    report_id = last_report(oracle)
    with reverts_with(
        certificates.CertificatesNothingToClaim, account=stranger, reportId=report_id
    ):
        certificates.claim([report_id], sender=stranger)


def test_a_claim_of_no_reports_or_an_unknown_report_is_refused(certificates, investor):
    with reverts_with(certificates.CertificatesNoReports):
        certificates.claim([], sender=investor)
    with reverts_with(certificates.CertificatesUnknownReport, reportId=10**9):
        certificates.claim([10**9], sender=investor)


def test_certificates_go_to_the_holders_at_the_moment_of_the_report(
    certificates, oracle, token, asset, report, investors
):
    seller, buyer = investors[0], investors[4]
    report(asset, 1_000)
    before = last_report(oracle)
    token.transfer(buyer, 4_000, sender=seller)  # after the report: the seller keeps that vintage
    report(asset, 1_000)
    after = last_report(oracle)
    assert certificates.entitlementOf(seller, before) == 400
    assert certificates.entitlementOf(buyer, before) == 0
    assert certificates.entitlementOf(seller, after) == 0
    assert certificates.entitlementOf(buyer, after) == 400
    # Changes after a snapshot never rewrite it.
    token.transfer(seller, 1_000, sender=buyer)
    assert certificates.entitlementOf(buyer, before) == 0
    assert certificates.entitlementOf(buyer, after) == 400
    assert token.balanceOfAt(buyer, token.currentSnapshotId()) == 4_000


def test_claims_of_several_reports_mint_each_vintage(
    certificates, oracle, asset, report, investors
):
    report(asset, 100)
    first = last_report(oracle)
    report(asset, 200)
    second = last_report(oracle)
    holder = investors[1]
    assert list(certificates.claim([first, second], sender=holder).return_value) == [30, 60]
    assert certificates.balanceOf(holder, certificates.issuance(first).id) == 30
    assert certificates.balanceOf(holder, certificates.issuance(second).id) == 60


def test_a_report_while_no_share_exists_certifies_nobody(
    certificates, oracle, create_asset, report, investor
):
    unsold = create_asset()
    report(unsold, 5_000)
    report_id = last_report(oracle)
    assert certificates.issuance(report_id).supply == 0
    assert certificates.entitlementOf(investor, report_id) == 0


def test_two_meters_of_one_asset_reporting_the_same_period_share_the_vintage(
    certificates, oracle, asset, admin, operator
):
    keys = ["0x" + "a1" * 32, "0x" + "a2" * 32]
    for key in keys:
        oracle.registerMeter(Account.from_key(key).address, asset.asset_id, sender=admin)
    advance_time(HOUR)
    end = int(chain.blocks.head.timestamp)
    ids = []
    for key, energy in zip(keys, (600, 400), strict=True):
        reading, signature = sign_reading(
            oracle, key, asset_id=asset.asset_id, period_start=end - HOUR, period_end=end,
            energy_wh=energy,
        )  # fmt: skip
        oracle.submitReading(reading, signature, sender=operator)
        ids.append(certificates.issuance(last_report(oracle)).id)
    assert ids[0] == ids[1] == token_id(asset.asset_id, end - HOUR, end)


# Integrity


def test_a_meter_cannot_report_a_certified_period_again(oracle, asset, report, operator):
    report(asset, 1_000)
    reading = oracle.report(last_report(oracle))
    again, signature = sign_reading(
        oracle, meter_key(asset), asset_id=asset.asset_id, period_start=reading.periodStart,
        period_end=reading.periodEnd, energy_wh=1_000,
    )  # fmt: skip
    with reverts_with(
        oracle.OraclePeriodOverlaps, meter=reading.meter, periodStart=reading.periodStart,
        lastPeriodEnd=reading.periodEnd,
    ):  # fmt: skip
        oracle.submitReading(again, signature, sender=operator)


def test_a_replacement_meter_cannot_certify_its_predecessors_period(
    oracle, certificates, asset, report, admin, operator
):
    report(asset, 1_000)
    reading = oracle.report(last_report(oracle))
    oracle.revokeMeter(reading.meter, sender=admin)
    replacement = "0x" + "b1" * 32
    oracle.registerMeter(Account.from_key(replacement).address, asset.asset_id, sender=admin)
    registered = int(chain.blocks.head.timestamp)
    again, signature = sign_reading(
        oracle, replacement, asset_id=asset.asset_id, period_start=reading.periodStart,
        period_end=reading.periodEnd, energy_wh=1_000,
    )  # fmt: skip
    with reverts_with(
        oracle.OraclePeriodOverlaps, meter=Account.from_key(replacement).address,
        periodStart=reading.periodStart, lastPeriodEnd=registered,
    ):  # fmt: skip
        oracle.submitReading(again, signature, sender=operator)
    assert certificates.certifiedEnergyOf(asset.asset_id) == oracle.totalEnergyOf(asset.asset_id)


# Transfers


def test_certificates_transfer_like_any_erc1155(certificates, oracle, asset, report, investors):
    report(asset, 1_000)
    report_id = last_report(oracle)
    vintage = certificates.issuance(report_id).id
    certificates.claim([report_id], sender=investors[0])
    certificates.safeTransferFrom(
        investors[0], investors[5], vintage, 150, b"", sender=investors[0]
    )
    assert certificates.balanceOf(investors[5], vintage) == 150
    assert certificates.balanceOf(investors[0], vintage) == 250


def test_a_paused_asset_still_lets_holders_claim_and_retire_but_not_transfer(
    certificates, oracle, asset, report, investors, pause
):
    report(asset, 1_000)
    report_id = last_report(oracle)
    vintage = certificates.issuance(report_id).id
    pause(asset, "asset")
    certificates.claim([report_id], sender=investors[0])
    certificates.retire(vintage, 100, "Lisbon bakery", "2028 scope 2", "PT", sender=investors[0])
    with reverts_with(certificates.CertificatesAssetPaused, assetId=asset.asset_id):
        certificates.safeTransferFrom(
            investors[0], investors[5], vintage, 1, b"", sender=investors[0]
        )


def test_a_restricted_assets_certificates_go_to_verified_accounts_only(
    certificates, oracle, create_active_asset, identity, admin, investors, stranger, report
):
    for holder in investors[:2]:
        identity.verify(holder, chain.pending_timestamp + YEAR, 620, sender=admin)
    restricted = create_active_asset(
        [(investors[0], 60), (investors[1], 40)], requires_verification=True
    )
    report(restricted, 1_000)
    report_id = last_report(oracle)
    vintage = certificates.issuance(report_id).id
    certificates.claim([report_id], sender=investors[0])
    with reverts_with(
        certificates.CertificatesRecipientNotVerified,
        recipient=stranger,
        assetId=restricted.asset_id,
    ):
        certificates.safeTransferFrom(investors[0], stranger, vintage, 1, b"", sender=investors[0])
    certificates.safeTransferFrom(investors[0], investors[1], vintage, 1, b"", sender=investors[0])
    assert certificates.balanceOf(investors[1], vintage) == 1


# Retirement


def test_retiring_burns_for_a_beneficiary_and_keeps_a_public_proof(
    certificates, oracle, asset, report, investor
):
    report(asset, 1_000)
    report_id = last_report(oracle)
    vintage = certificates.issuance(report_id).id
    certificates.claim([report_id], sender=investor)
    tx = certificates.retire(
        vintage, 300, "Escola Básica", "2028 consumption", "Évora, PT", sender=investor
    )
    retirement_id = certificates.retirementCount()
    claim_hash = keccak(
        encode(["string", "string", "string"], ["Escola Básica", "2028 consumption", "Évora, PT"])
    )
    assert_emitted(
        tx, certificates.CertificatesRetired, retirementId=retirement_id, account=investor, id=vintage,
        energyWh=300, beneficiary="Escola Básica", purpose="2028 consumption", location="Évora, PT",
        claimHash=claim_hash,
    )  # fmt: skip
    proof = certificates.retirement(retirement_id)
    assert (proof.account, proof.id, proof.energyWh, bytes(proof.claimHash)) == (
        investor.address,
        vintage,
        300,
        claim_hash,
    )
    assert proof.retiredAt == chain.blocks.head.timestamp
    assert certificates.balanceOf(investor, vintage) == 100
    assert certificates.retiredEnergyOf(vintage) == 300
    assert certificates.totalSupply(vintage) == 100


def test_a_retired_certificate_can_never_move(certificates, oracle, asset, report, investors):
    report(asset, 1_000)
    report_id = last_report(oracle)
    vintage = certificates.issuance(report_id).id
    holder = investors[3]
    certificates.claim([report_id], sender=holder)
    certificates.retire(vintage, 100, "Me", "", "", sender=holder)
    with reverts_with(
        certificates.ERC1155InsufficientBalance, sender=holder, balance=0, needed=1, tokenId=vintage
    ):
        certificates.safeTransferFrom(holder, investors[5], vintage, 1, b"", sender=holder)
    with reverts_with(
        certificates.ERC1155InsufficientBalance, sender=holder, balance=0, needed=1, tokenId=vintage
    ):
        certificates.retire(vintage, 1, "Me", "", "", sender=holder)


def test_a_retirement_needs_energy_and_a_beneficiary(certificates, investor):
    with reverts_with(certificates.CertificatesZeroEnergy):
        certificates.retire(1, 0, "Me", "", "", sender=investor)
    with reverts_with(certificates.CertificatesNoBeneficiary):
        certificates.retire(1, 1, "", "", "", sender=investor)


def test_the_oracle_names_the_certificates_and_refuses_none(oracle, certificates, registry, admin):
    assert oracle.energyCertificates() == certificates.address
    with reverts_with(project.ProductionOracle.OracleZeroCertificates):
        admin.deploy(
            project.ProductionOracle, registry, role(registry, METER_ADMIN_ROLE), ZERO_ADDRESS
        )
