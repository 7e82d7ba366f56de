"""Meters send their signed readings here; the asset's operator relays them on chain later.

No bearer token: the meter's EIP-712 signature of the reading is its authentication. It is
checked as the production oracle will check it (same domain: name "EnergyProductionOracle",
version "1", the chain id and the oracle's address; a 65-byte signature with v 27/28 and a low s),
and the signer must be the reading's meter, registered and active for that asset in the index.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from fastapi import APIRouter, Response

from api.deps import State
from api.meter_reading import DOMAIN_NAME, DOMAIN_VERSION, reading_typed_data
from api.models.operator import MeterReading, ReadingIn
from api.node import NodeUnavailable, RpcError
from api.problems import MEDIA_TYPE, Problem, ProblemDetail
from api.queries.operator import indexed_time, meter, store_reading
from api.transactions.build import Chain
from api.transactions.reverts import format_time
from api.types import checksum

router = APIRouter(prefix="/meters", tags=["meters"])

SECP256K1_HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0


def _typed_data(body: ReadingIn, *, chain_id: int, oracle: str) -> dict[str, Any]:
    """The typed data the reading's meter signed (`eth_signTypedData_v4` JSON)."""
    message = {"assetId": str(body.asset_id), "meter": checksum(body.meter),
               "periodStart": body.period_start, "periodEnd": body.period_end,
               "energyWh": str(body.energy_wh)}  # fmt: skip
    return reading_typed_data(chain_id=chain_id, oracle=checksum(oracle), message=message)


def _signer(body: ReadingIn, typed: dict[str, Any]) -> str:
    raw = bytes.fromhex(body.signature[2:])
    if raw[64] not in (27, 28) or int.from_bytes(raw[32:64], "big") > SECP256K1_HALF_N:
        raise Problem(422, "the signature must be 65 bytes r, s, v with v 27 or 28 and a low s "
                      "(as the oracle's ECDSA check takes it)", "invalid-signature")  # fmt: skip
    try:
        return str(Account.recover_message(encode_typed_data(full_message=typed),
                                           signature=raw)).lower()  # fmt: skip
    except Exception as error:  # r or s out of range
        raise Problem(
            422, "the signature is not a valid ECDSA signature", "invalid-signature"
        ) from error


def _problem(description: str) -> dict[str, Any]:
    return {"model": ProblemDetail, "content": {MEDIA_TYPE: {}}, "description": description}


READING_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"model": MeterReading, "description": "The same reading was already stored"},
    403: _problem("Not signed by a registered meter of the asset"),
    409: _problem("The period overlaps one reported or stored"),
    503: _problem("The platform is not deployed on this chain"),
}


@router.post("/readings", status_code=201, summary="A meter's signed reading",
             responses=READING_ANSWERS)  # fmt: skip
async def post_reading(body: ReadingIn, state: State, response: Response) -> MeterReading:  # fmt: skip
    """Stores the reading for the operator to relay (`GET /operator/readings`, then
    `POST /tx/readings/submit`). Sending the same reading again answers 200."""
    platform = await Chain(state).platform()
    typed = _typed_data(body, chain_id=state.chain_id, oracle=platform.oracle)
    signer = _signer(body, typed)
    if signer != body.meter:
        raise Problem(403, f"the reading is signed by {checksum(signer)}, not by its meter "
                      f"{checksum(body.meter)} (check the domain: {DOMAIN_NAME} version "
                      f"{DOMAIN_VERSION}, chain {state.chain_id}, oracle {checksum(platform.oracle)})",
                      "invalid-signature")  # fmt: skip
    registered = await meter(state.db, chain_id=state.chain_id, address=body.meter)
    if registered is None or not registered["active"]:
        state_words = "is not registered" if registered is None else "was revoked"
        raise Problem(403, f"meter {checksum(body.meter)} {state_words}", "unknown-meter")
    if registered["asset_id"] != body.asset_id:
        raise Problem(403, f"meter {checksum(body.meter)} measures asset "
                      f"#{registered['asset_id']}, not asset #{body.asset_id}", "unknown-meter")  # fmt: skip
    if body.period_start >= body.period_end:
        raise Problem(422, "the period is empty: periodEnd must come after periodStart",
                      "invalid-period")  # fmt: skip
    try:
        now = int((await state.node.latest_block())["timestamp"], 16)
    except (NodeUnavailable, RpcError):
        now = await indexed_time(state.db, chain_id=state.chain_id) or 0
    if body.period_end > now:
        raise Problem(422, f"the period ends in the future ({format_time(body.period_end)}; the "
                      f"chain's clock reads {format_time(now)})", "invalid-period")  # fmt: skip
    stored = await store_reading(
        state.primary, chain_id=state.chain_id, asset_id=body.asset_id, meter=body.meter,
        period_start=body.period_start, period_end=body.period_end, energy_wh=body.energy_wh,
        signature="0x" + body.signature[2:].lower(),
    )  # fmt: skip
    if stored.outcome == "overlaps":
        assert stored.floor is not None
        raise Problem(409, f"the period starting {format_time(body.period_start)} overlaps what "
                      f"meter {checksum(body.meter)} already reported or sent: its next period "
                      f"starts at {format_time(stored.floor)} or later", "period-overlaps",
                      extra={"next_period_start": stored.floor})  # fmt: skip
    if stored.outcome == "exists":
        response.status_code = 200
    assert stored.reading is not None
    return stored.reading
