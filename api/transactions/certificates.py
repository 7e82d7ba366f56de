"""The energy certificates' actions as `Plan`s: claim, transfer and retire.

The certificates contract is the one the production oracle names (`energyCertificates()`); what an
account can claim comes from the index, and is checked again when the claim is simulated.
"""

from __future__ import annotations

from api.exceptions import InvalidInput
from api.models.transactions import (
    CertificateClaimRequest,
    CertificateRetireRequest,
    CertificateTransferRequest,
)
from api.queries.certificates import claimable_parts
from api.transactions.build import Call, Chain, Plan
from api.transactions.reverts import RevertContext
from api.types import checksum

CONTRACT = "EnergyCertificates"
MAX_CLAIM = 100  # reports per claim transaction


async def certificates_address(chain: Chain) -> str:
    """The certificates contract of the served chain."""
    platform = await chain.platform()
    address = await chain.view("ProductionOracle", platform.oracle, "energyCertificates")
    return str(address).lower()


def vintage(token_id: int) -> tuple[int, int, int]:
    """A token id's asset and period (start, end)."""
    return token_id >> 128, (token_id >> 64) & (2**64 - 1), token_id & (2**64 - 1)


def _describe(token_id: int) -> str:
    asset_id, start, end = vintage(token_id)
    return f"asset #{asset_id}, vintage {start}-{end}"


async def claim(chain: Chain, body: CertificateClaimRequest) -> Plan:
    """Claims the sender's certificates of the given reports, or of every report it has a part of
    left to claim."""
    report_ids = body.report_ids
    owed = None
    if report_ids is None:
        parts = await claimable_parts(chain.state.db, chain_id=chain.chain_id, account=body.sender)
        left = [p for p in parts if p.claimable_wh > 0][:MAX_CLAIM]
        if not left:
            raise InvalidInput(f"{checksum(body.sender)} has no certificates to claim",
                          "nothing-to-claim")  # fmt: skip
        report_ids = [p.report_id for p in left]
        owed = sum(p.claimable_wh for p in left)
    if not report_ids:
        raise InvalidInput("a claim names at least one production report")
    address = await certificates_address(chain)
    amount = f"{owed:,} Wh of" if owed is not None else "your"
    summary = (f"Claim {amount} energy certificates of {len(report_ids)} production"
               f" report{'s' if len(report_ids) != 1 else ''}")  # fmt: skip
    data = chain.abis.encode(CONTRACT, "claim", report_ids)
    return Plan("certificates_claim", summary, [Call(address, data, summary)], RevertContext(),
                details={"report_ids": [str(i) for i in report_ids],
                         "energy_wh": None if owed is None else str(owed)})  # fmt: skip


async def transfer(chain: Chain, body: CertificateTransferRequest) -> Plan:
    """Sends certificates of one vintage to another account (under the asset's rules)."""
    if body.energy_wh == 0:
        raise InvalidInput("a transfer must be of at least 1 Wh")
    address = await certificates_address(chain)
    summary = (f"Send {body.energy_wh:,} Wh of certificates ({_describe(body.token_id)}) to"
               f" {checksum(body.to)}")  # fmt: skip
    data = chain.abis.encode(CONTRACT, "safeTransferFrom", body.sender, body.to, body.token_id,
                             body.energy_wh, b"")  # fmt: skip
    return Plan("certificates_transfer", summary, [Call(address, data, summary)], RevertContext())


async def retire(chain: Chain, body: CertificateRetireRequest) -> Plan:
    """Retires (burns) certificates for a beneficiary: the transaction's event is the proof."""
    if body.energy_wh == 0:
        raise InvalidInput("a retirement must be of at least 1 Wh")
    address = await certificates_address(chain)
    summary = (f"Retire {body.energy_wh:,} Wh of certificates ({_describe(body.token_id)}) for"
               f" {body.beneficiary}")  # fmt: skip
    data = chain.abis.encode(CONTRACT, "retire", body.token_id, body.energy_wh, body.beneficiary,
                             body.purpose, body.location)  # fmt: skip
    return Plan("certificates_retire", summary, [Call(address, data, summary)], RevertContext())
