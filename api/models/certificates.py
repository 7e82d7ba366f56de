"""Models of the energy certificates: an account's certificates and what it can claim, an asset's
issuance and retirements, and a retirement's public proof.

Energy is in Wh (1 certificate unit = 1 Wh), as uint256 decimal strings. A certificate's token id
packs its asset and vintage: `asset_id << 128 | period_start << 64 | period_end`.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.types import Address, Hash, Uint256

ENTITLEMENT_RULE = (
    "A holder's part of a report: the report's energy x its shares / the share supply, both when"
    " the report was accepted (the share token's snapshot), rounded down to a whole Wh; what"
    " rounding leaves (under 1 Wh per holder) is certified to nobody."
)


class Vintage(BaseModel):
    """A certificate's asset and production period."""

    token_id: Uint256 = Field(description="The ERC-1155 id (asset and vintage).")
    asset_id: Uint256
    asset_name: str
    period_start: int = Field(description="Unix seconds, inclusive.")
    period_end: int = Field(description="Unix seconds, exclusive.")


class CertificateHolding(Vintage):
    """What an account holds of one vintage, and what it claimed and retired of it."""

    balance_wh: Uint256 = Field(description="Held now (transferable, retirable).")
    claimed_wh: Uint256 = Field(description="Claimed by this account (received ones not counted).")
    retired_wh: Uint256 = Field(description="Retired by this account.")


class ClaimableReport(Vintage):
    """A production report the account has a part of."""

    report_id: Uint256
    energy_wh: Uint256 = Field(description="The report's energy.")
    shares: Uint256 = Field(description="The account's shares when the report was accepted.")
    supply: Uint256 = Field(description="The share supply then.")
    entitlement_wh: Uint256 = Field(description=ENTITLEMENT_RULE)
    claimed_wh: Uint256
    claimable_wh: Uint256


class Retirement(Vintage):
    """A retirement: certificates burned for a beneficiary, the public proof of consumption."""

    retirement_id: Uint256
    account: Address = Field(description="Who retired them.")
    energy_wh: Uint256
    beneficiary: str
    purpose: str
    location: str = Field(description="Where the energy was consumed.")
    claim_hash: Hash = Field(
        description="keccak256(abi.encode(beneficiary, purpose, location)), as kept on chain."
    )
    block_number: int
    log_index: int
    retired_at: int = Field(description="Unix seconds (the block's time).")
    tx_hash: Hash


class AccountCertificates(BaseModel):
    """An account's certificates: held per vintage, claimable per report, and its retirements."""

    account: Address
    held_wh: Uint256
    claimable_wh: Uint256
    claimed_wh: Uint256
    retired_wh: Uint256
    holdings: list[CertificateHolding] = Field(description="Every vintage it holds or held.")
    claimable: list[ClaimableReport] = Field(description="Reports with something left to claim.")
    retirements: list[Retirement] = Field(description="Its retirements, newest first.")


class Issuance(Vintage):
    """One production report certified."""

    report_id: Uint256
    energy_wh: Uint256
    supply: Uint256 = Field(description="The share supply when the report was accepted.")
    claimed_wh: Uint256 = Field(description="Claimed of it so far.")
    asset_certified_wh: Uint256 = Field(description="The asset's certified energy after it.")
    block_number: int
    log_index: int
    block_timestamp: int
    tx_hash: Hash


class CertificateYearFigures(BaseModel):
    """An account's certificate figures of one asset over a period (for statements)."""

    asset_id: Uint256
    attributed_wh: Uint256 = Field(description="Its parts of the reports accepted in the period.")
    claimed_wh: Uint256 = Field(description="Claimed in the period.")
    retired_wh: Uint256 = Field(description="Retired in the period.")
    claim_txs: list[Hash]
    retirement_txs: list[Hash]
