"""ProductionOracle: meter registration by meter admins, and meter-signed (EIP-712) readings relayed
by anyone, each meter's periods following one another."""

from __future__ import annotations

from typing import Any

import pytest
from _helpers import ZERO_ADDRESS, assert_emitted, impersonate, reverts_with
from ape import chain
from ape.api import AccountAPI
from ape.contracts import ContractInstance
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_utils import keccak

from scripts._lib import (
    METER_ADMIN_ROLE,
    Asset,
    advance_time,
    reading_typed_data,
    role,
    sign_reading,
)

METER_KEY = "0x" + "11" * 32
SECOND_METER_KEY = "0x" + "22" * 32
UNREGISTERED_KEY = "0x" + "33" * 32
METER = Account.from_key(METER_KEY).address
SECOND_METER = Account.from_key(SECOND_METER_KEY).address
UNREGISTERED_METER = Account.from_key(UNREGISTERED_KEY).address
HOUR = 3_600


def sign(oracle: ContractInstance, key: str, reading: tuple) -> bytes:
    """Signs any `Reading` tuple with `key`, whoever the reading names as its meter."""
    asset_id, meter, start, end, energy = reading
    message: dict[str, int | str] = {
        "assetId": asset_id,
        "meter": meter,
        "periodStart": start,
        "periodEnd": end,
        "energyWh": energy,
    }
    typed = encode_typed_data(full_message=reading_typed_data(oracle, message))
    return bytes(Account.sign_message(typed, key).signature)


def last_hour() -> tuple[int, int]:
    """The hour ending at the latest block (a reading may end at, not after, its block's time)."""
    end = int(chain.blocks.head.timestamp)
    return end - HOUR, end


@pytest.fixture(scope="module")
def asset(create_asset) -> Asset:
    return create_asset()


@pytest.fixture(scope="module")
def other_asset(create_asset, asset: Asset) -> Asset:
    return create_asset(symbol="OTHR")


def register(oracle: ContractInstance, meter: str, asset_id: int, admin: AccountAPI) -> None:
    """Registers a meter, then lets two hours pass, so that `last_hour()` is after its registration
    (a meter reports nothing from before it was registered)."""
    oracle.registerMeter(meter, asset_id, sender=admin)
    advance_time(2 * HOUR)


@pytest.fixture(scope="module")
def meter(oracle: ContractInstance, admin: AccountAPI, asset: Asset, other_asset: Asset) -> str:
    """METER_KEY's address, registered for `asset` (the second meter is left unregistered)."""
    register(oracle, METER, asset.asset_id, admin)
    return METER


@pytest.fixture(autouse=True, scope="module")
def _module_setup(meter: str) -> None:
    """Every test starts from two assets and one registered meter, set up before any test's
    snapshot."""


@pytest.fixture
def submit(oracle: ContractInstance, operator: AccountAPI, asset: Asset):
    """Signs a reading with a meter key and relays it from the operator; returns the receipt."""

    def _submit(
        start: int, end: int, energy: int, *, key: str = METER_KEY, asset_id: int | None = None
    ) -> Any:
        reading, signature = sign_reading(
            oracle,
            key,
            asset_id=asset.asset_id if asset_id is None else asset_id,
            period_start=start,
            period_end=end,
            energy_wh=energy,
        )
        return oracle.submitReading(reading, signature, sender=operator)

    return _submit


# Meter registration


def test_a_meter_admin_registers_a_meter(oracle, admin, asset):
    tx = oracle.registerMeter(SECOND_METER, asset.asset_id, sender=admin)
    assert_emitted(tx, oracle.MeterRegistered, meter=SECOND_METER, assetId=asset.asset_id)
    assert oracle.meterAsset(SECOND_METER) == asset.asset_id
    # Its readings may start from its registration, not before.
    assert oracle.lastPeriodEnd(SECOND_METER) == chain.blocks.head.timestamp


def test_a_new_meter_cannot_report_a_period_before_its_registration(oracle, admin, asset, operator):
    oracle.registerMeter(SECOND_METER, asset.asset_id, sender=admin)
    registered = chain.blocks.head.timestamp
    advance_time(HOUR)
    reading, signature = sign_reading(
        oracle,
        SECOND_METER_KEY,
        asset_id=asset.asset_id,
        period_start=registered - HOUR,
        period_end=registered + HOUR,
        energy_wh=1,
    )
    with reverts_with(
        oracle.OraclePeriodOverlaps,
        meter=SECOND_METER,
        periodStart=registered - HOUR,
        lastPeriodEnd=registered,
    ):
        oracle.submitReading(reading, signature, sender=operator)


def test_register_meter_reverts_for_anyone_but_a_meter_admin(oracle, asset, operator, stranger):
    for caller in (operator, stranger):
        with reverts_with(oracle.OracleNotMeterAdmin, caller=caller):
            oracle.registerMeter(SECOND_METER, asset.asset_id, sender=caller)


def test_the_meter_admin_role_is_read_from_the_registry(oracle, registry, asset, admin, stranger):
    meter_admin = role(registry, METER_ADMIN_ROLE)
    registry.grantRole(meter_admin, stranger, sender=admin)
    oracle.registerMeter(SECOND_METER, asset.asset_id, sender=stranger)

    registry.revokeRole(meter_admin, stranger, sender=admin)
    with reverts_with(oracle.OracleNotMeterAdmin, caller=stranger):
        oracle.revokeMeter(SECOND_METER, sender=stranger)


def test_register_meter_rejects_the_zero_address(oracle, asset, admin):
    with reverts_with(oracle.OracleZeroMeter):
        oracle.registerMeter(ZERO_ADDRESS, asset.asset_id, sender=admin)


def test_register_meter_rejects_an_unknown_asset(oracle, registry, admin, other_asset):
    for asset_id in (0, registry.assetCount() + 1):
        with reverts_with(oracle.OracleUnknownAsset, assetId=asset_id):
            oracle.registerMeter(SECOND_METER, asset_id, sender=admin)


def test_register_meter_rejects_a_registered_meter(oracle, meter, asset, other_asset, admin):
    for asset_id in (asset.asset_id, other_asset.asset_id):
        with reverts_with(oracle.OracleMeterAlreadyRegistered, meter=meter, assetId=asset.asset_id):
            oracle.registerMeter(meter, asset_id, sender=admin)


def test_a_meter_admin_revokes_a_meter(oracle, meter, asset, admin):
    tx = oracle.revokeMeter(meter, sender=admin)
    assert_emitted(tx, oracle.MeterRevoked, meter=meter, assetId=asset.asset_id)
    assert oracle.meterAsset(meter) == 0


def test_revoke_meter_reverts_for_an_unregistered_meter(oracle, meter, admin):
    with reverts_with(oracle.OracleUnknownMeter, meter=UNREGISTERED_METER):
        oracle.revokeMeter(UNREGISTERED_METER, sender=admin)
    oracle.revokeMeter(meter, sender=admin)
    with reverts_with(oracle.OracleUnknownMeter, meter=meter):
        oracle.revokeMeter(meter, sender=admin)


def test_revoke_meter_reverts_for_anyone_but_a_meter_admin(oracle, meter, operator):
    with reverts_with(oracle.OracleNotMeterAdmin, caller=operator):
        oracle.revokeMeter(meter, sender=operator)


def test_a_revoked_meter_keeps_its_reports_and_its_timeline(
    oracle, meter, other_asset, admin, submit
):
    start, end = last_hour()
    submit(start, end, 1_000)
    oracle.revokeMeter(meter, sender=admin)
    assert oracle.report(1).energyWh == 1_000

    # Re-registered (here for another asset), the device still cannot report that hour again.
    oracle.registerMeter(meter, other_asset.asset_id, sender=admin)
    registered = chain.blocks.head.timestamp
    with reverts_with(
        oracle.OraclePeriodOverlaps, meter=meter, periodStart=start, lastPeriodEnd=registered
    ):
        submit(start, end, 1_000, asset_id=other_asset.asset_id)


# Readings


def test_a_signed_reading_is_recorded_when_the_operator_relays_it(oracle, meter, asset, submit):
    start, end = last_hour()
    tx = submit(start, end, 12_345)

    assert_emitted(
        tx,
        oracle.ProductionReported,
        reportId=1,
        assetId=asset.asset_id,
        meter=meter,
        periodStart=start,
        periodEnd=end,
        energyWh=12_345,
        assetTotalWh=12_345,
    )
    assert oracle.reportCount() == 1
    assert tuple(oracle.report(1)) == (asset.asset_id, meter, start, end, 12_345)
    assert oracle.totalEnergyOf(asset.asset_id) == 12_345
    assert oracle.lastPeriodEnd(meter) == end


def test_consecutive_readings_accumulate(oracle, meter, asset, submit):
    advance_time(HOUR)
    start, end = last_hour()
    submit(start - HOUR, start, 1_000)
    tx = submit(start, end, 2_500)

    assert_emitted(
        tx,
        oracle.ProductionReported,
        reportId=2,
        assetId=asset.asset_id,
        meter=meter,
        periodStart=start,
        periodEnd=end,
        energyWh=2_500,
        assetTotalWh=3_500,
    )
    assert oracle.totalEnergyOf(asset.asset_id) == 3_500


def test_each_asset_totals_the_readings_of_its_own_meters(
    oracle, meter, asset, other_asset, admin, submit
):
    register(oracle, SECOND_METER, other_asset.asset_id, admin)
    start, end = last_hour()
    submit(start, end, 1_000)
    tx = submit(start, end, 700, key=SECOND_METER_KEY, asset_id=other_asset.asset_id)

    assert oracle.totalEnergyOf(asset.asset_id) == 1_000
    assert oracle.totalEnergyOf(other_asset.asset_id) == 700
    assert_emitted(
        tx,
        oracle.ProductionReported,
        reportId=2,
        assetId=other_asset.asset_id,
        meter=SECOND_METER,
        periodStart=start,
        periodEnd=end,
        energyWh=700,
        assetTotalWh=700,
    )


def test_two_meters_of_one_asset_report_the_same_period(oracle, meter, asset, admin, submit):
    register(oracle, SECOND_METER, asset.asset_id, admin)
    start, end = last_hour()
    submit(start, end, 1_000)
    submit(start, end, 400, key=SECOND_METER_KEY)
    assert oracle.totalEnergyOf(asset.asset_id) == 1_400


def test_a_gap_is_allowed_but_never_filled_later(oracle, meter, submit):
    advance_time(3 * HOUR)
    _, now = last_hour()
    submit(now - HOUR, now, 500)  # the two hours before are skipped
    with reverts_with(
        oracle.OraclePeriodOverlaps, meter=meter, periodStart=now - 3 * HOUR, lastPeriodEnd=now
    ):
        submit(now - 3 * HOUR, now - 2 * HOUR, 500)


def test_submit_reading_reverts_for_an_unregistered_meter(oracle, meter, submit):
    start, end = last_hour()
    with reverts_with(oracle.OracleUnknownMeter, meter=UNREGISTERED_METER):
        submit(start, end, 1_000, key=UNREGISTERED_KEY)


def test_submit_reading_reverts_for_a_revoked_meter(oracle, meter, admin, submit):
    oracle.revokeMeter(meter, sender=admin)
    start, end = last_hour()
    with reverts_with(oracle.OracleUnknownMeter, meter=meter):
        submit(start, end, 1_000)


def test_submit_reading_reverts_for_another_assets_reading(
    oracle, meter, asset, other_asset, submit
):
    start, end = last_hour()
    with reverts_with(
        oracle.OracleMeterAssetMismatch,
        meter=meter,
        meterAssetId=asset.asset_id,
        readingAssetId=other_asset.asset_id,
    ):
        submit(start, end, 1_000, asset_id=other_asset.asset_id)


def test_submit_reading_rejects_a_signature_by_another_key(oracle, meter, asset, operator):
    start, end = last_hour()
    reading = (asset.asset_id, meter, start, end, 1_000)
    with reverts_with(oracle.OracleInvalidSignature, meter=meter):
        oracle.submitReading(reading, sign(oracle, UNREGISTERED_KEY, reading), sender=operator)


@pytest.mark.parametrize(
    ("field", "delta"), [(2, -60), (3, -60), (4, 1)], ids=["start", "end", "energy"]
)
def test_submit_reading_rejects_a_tampered_reading(oracle, meter, asset, operator, field, delta):
    start, end = last_hour()
    signed = (asset.asset_id, meter, start, end, 1_000)
    signature = sign(oracle, METER_KEY, signed)
    tampered = tuple(value + delta if i == field else value for i, value in enumerate(signed))
    with reverts_with(oracle.OracleInvalidSignature, meter=meter):
        oracle.submitReading(tampered, signature, sender=operator)


@pytest.mark.parametrize(
    "signature", [b"", b"\x00" * 65, b"\x01" * 64], ids=["empty", "zero", "short"]
)
def test_submit_reading_rejects_a_malformed_signature(oracle, meter, asset, operator, signature):
    start, end = last_hour()
    with reverts_with(oracle.OracleInvalidSignature, meter=meter):
        oracle.submitReading((asset.asset_id, meter, start, end, 1), signature, sender=operator)


@pytest.mark.parametrize(
    ("start_offset", "end_offset"),
    [(0, 0), (HOUR, 0), (-HOUR, HOUR)],
    ids=["empty", "reversed", "ends-in-the-future"],
)
def test_submit_reading_rejects_an_invalid_period(oracle, meter, submit, start_offset, end_offset):
    _, now = last_hour()
    start, end = now + start_offset, now + end_offset
    with reverts_with(oracle.OracleInvalidPeriod, periodStart=start, periodEnd=end):
        submit(start, end, 1_000)


def test_submit_reading_rejects_a_duplicate(oracle, meter, submit):
    start, end = last_hour()
    submit(start, end, 1_000)
    with reverts_with(
        oracle.OraclePeriodOverlaps, meter=meter, periodStart=start, lastPeriodEnd=end
    ):
        submit(start, end, 1_000)


def test_submit_reading_rejects_an_overlapping_period(oracle, meter, submit):
    advance_time(HOUR)
    start, end = last_hour()
    submit(start - HOUR, start, 1_000)
    with reverts_with(
        oracle.OraclePeriodOverlaps, meter=meter, periodStart=start - 1, lastPeriodEnd=start
    ):
        submit(start - 1, end, 1_000)


# EIP-712


def test_reading_digest_is_the_eip712_hash_wallets_sign(oracle, meter, asset):
    """The digest a wallet's `eth_signTypedData_v4` signs for `reading_typed_data` is the one the
    oracle verifies, so a MetaMask signature (like eth_account's) is accepted."""
    start, end = last_hour()
    message: dict[str, int | str] = {
        "assetId": asset.asset_id,
        "meter": meter,
        "periodStart": start,
        "periodEnd": end,
        "energyWh": 42,
    }
    typed = encode_typed_data(full_message=reading_typed_data(oracle, message))
    digest = _hash_eip191_message(typed)

    assert bytes(oracle.readingDigest(tuple(message.values()))) == digest
    signed = Account.sign_message(typed, METER_KEY)
    assert Account._recover_hash(digest, signature=signed.signature) == meter
    assert Account.unsafe_sign_hash(digest, METER_KEY).signature == signed.signature


def test_the_eip712_domain_and_type_hash(oracle):
    fields, name, version, chain_id, verifying_contract, salt, extensions = oracle.eip712Domain()
    assert (name, version, chain_id) == ("EnergyProductionOracle", "1", chain.chain_id)
    assert verifying_contract == oracle.address
    assert bytes(fields) == b"\x0f" and bytes(salt) == b"\x00" * 32 and list(extensions) == []
    reading_type = "Reading(uint256 assetId,address meter,uint64 periodStart,uint64 periodEnd,uint256 energyWh)"
    assert bytes(oracle.READING_TYPEHASH()) == keccak(text=reading_type)


# EIP-1271 contract meters

# Runtime code answering every call with the EIP-1271 magic value (0x1626ba7e), or with zero.
ALWAYS_VALID = bytes.fromhex("631626ba7e60e01b60005260206000f3")
NEVER_VALID = bytes.fromhex("60206000f3")
CONTRACT_METER = "0x" + "c0de" * 10


@pytest.mark.parametrize("valid", [True, False], ids=["accepts", "rejects"])
def test_a_contract_meter_is_verified_by_eip1271(oracle, asset, admin, operator, valid):
    chain.provider.set_code(CONTRACT_METER, ALWAYS_VALID if valid else NEVER_VALID)
    register(oracle, CONTRACT_METER, asset.asset_id, admin)
    start, end = last_hour()
    reading = (asset.asset_id, CONTRACT_METER, start, end, 5_000)

    if valid:
        oracle.submitReading(reading, b"any signature the wallet accepts", sender=operator)
        assert oracle.totalEnergyOf(asset.asset_id) == 5_000
    else:
        with reverts_with(oracle.OracleInvalidSignature, meter=CONTRACT_METER):
            oracle.submitReading(reading, b"\x00" * 65, sender=operator)


# Relaying


def test_the_meter_itself_may_relay_its_reading(oracle, meter, asset):
    start, end = last_hour()
    reading, signature = sign_reading(
        oracle, METER_KEY, asset_id=asset.asset_id, period_start=start, period_end=end, energy_wh=9
    )
    meter_account = impersonate(meter)
    oracle.submitReading(reading, signature, sender=meter_account)
    assert oracle.totalEnergyOf(asset.asset_id) == 9


def test_nobody_else_relays_a_reading(oracle, meter, asset, stranger, admin):
    start, end = last_hour()
    reading, signature = sign_reading(
        oracle, METER_KEY, asset_id=asset.asset_id, period_start=start, period_end=end, energy_wh=9
    )
    for caller in (stranger, admin):
        with reverts_with(oracle.OracleNotRelayer, caller=caller):
            oracle.submitReading(reading, signature, sender=caller)
