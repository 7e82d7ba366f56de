"""Models of the prepared transactions: what a wallet is asked to sign, and what it sends in.

Every request names `from`, the account that will sign; amounts are decimal strings. An answer is
a list of steps for the wallet, in order: `eth_sendTransaction` params (hex quantities, as
EIP-1193 wallets take them) or EIP-712 typed data for `eth_signTypedData_v4`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.types import MAX_SAFE_INTEGER, Address, AddressIn, Uint256, Uint256In

_HEX_BYTES = r"^0x([0-9a-fA-F]{2})*$"
_SIGNATURE = r"^0x[0-9a-fA-F]{130}$"


class TxParams(BaseModel):
    """The params of `eth_sendTransaction` (EIP-1193): pass them to the wallet as they are."""

    model_config = ConfigDict(populate_by_name=True)

    sender: Address = Field(alias="from")
    to: Address
    data: str = Field(description="Calldata, 0x-prefixed hex.")
    value: str = Field(description="Wei, hex quantity.", examples=["0x0"])
    chainId: str = Field(description="Hex quantity.", examples=["0x7a69"])
    gas: str | None = Field(
        description="Gas limit (estimate plus a margin), hex; null when the node could not "
        "estimate a step that depends on an earlier one: let the wallet estimate it then."
    )


class Step(BaseModel):
    """One thing for the wallet to do."""

    kind: Literal["transaction", "signature"]
    method: Literal["eth_sendTransaction", "eth_signTypedData_v4"]
    summary: str
    params: TxParams | None = Field(default=None, description="For a transaction.")
    typed_data: dict[str, Any] | None = Field(
        default=None, description="For a signature: the JSON to pass to eth_signTypedData_v4."
    )


class Prepared(BaseModel):
    """Everything to do, in order, for one action; simulated from `from` at `block`."""

    action: str
    summary: str
    chain_id: int
    block: int = Field(description="The block the steps were simulated on.")
    steps: list[Step]
    details: dict[str, Any] = Field(default_factory=dict)


class TxRequest(BaseModel):
    """What every action needs: the account that will sign."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    sender: AddressIn = Field(alias="from", description="The account that signs and sends.")


class PermitSignature(BaseModel):
    """A signed EIP-2612 permit, from the typed data a first `/tx/buy` call returned."""

    model_config = ConfigDict(extra="forbid")

    deadline: Uint256In
    signature: str = Field(pattern=_SIGNATURE, description="65 bytes: r, s, v.")


class BuyRequest(TxRequest):
    asset_id: Uint256In
    shares: Uint256In
    method: Literal["approve", "permit"] = Field(
        default="approve",
        description="approve: an approval transaction first when the allowance is short. "
        "permit: first call gives typed data to sign; call again with `permit` for the purchase.",
    )
    permit: PermitSignature | None = None
    deadline: Uint256In | None = Field(
        default=None, description="Permit deadline (unix seconds); default in an hour."
    )


class AssetRequest(TxRequest):
    asset_id: Uint256In


class ClaimRequest(AssetRequest):
    recipient: AddressIn | None = Field(
        default=None,
        description="Who receives the revenue; the sender by default (another address of its choice"
        " when, e.g., the stablecoin blocklists the sender's own).",
    )


class TransferRequest(AssetRequest):
    to: AddressIn
    shares: Uint256In


class DelegateRequest(AssetRequest):
    delegatee: AddressIn


class ProposeRequest(AssetRequest):
    targets: list[AddressIn] = Field(min_length=1, max_length=32)
    values: list[Uint256In] = Field(min_length=1, max_length=32)
    calldatas: list[Annotated[str, Field(pattern=_HEX_BYTES, max_length=65_536)]] = Field(
        min_length=1, max_length=32
    )
    description: str = Field(min_length=1, max_length=20_000)


SUPPORT = {"against": 0, "for": 1, "abstain": 2}


class VoteRequest(AssetRequest):
    proposal_id: Uint256In
    support: Literal["for", "against", "abstain"]
    reason: str = Field(default="", max_length=5_000)


class ListRequest(AssetRequest):
    shares: Uint256In
    price_per_share: Uint256In = Field(description="In payment token units.")
    expires_at: Uint256In = Field(description="Unix seconds.")


class FillRequest(TxRequest):
    listing_id: Uint256In
    shares: Uint256In
    max_price_per_share: Uint256In | None = Field(
        default=None, description="Highest price accepted; the listing's price when absent."
    )


class ListingRequest(TxRequest):
    listing_id: Uint256In


class ApproveSharesRequest(AssetRequest):
    shares: Uint256In = Field(description="The market's allowance after this approval.")


class SaleTermsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_token: AddressIn | None = Field(
        default=None, description="The platform's stablecoin when absent."
    )
    total_shares: Uint256In
    share_price: Uint256In
    start: Uint256In
    end: Uint256In
    min_raise: Uint256In
    max_shares_per_buyer: Uint256In
    treasury: AddressIn


class GovernanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    voting_delay: int = Field(ge=0, lt=2**48)
    voting_period: int = Field(ge=0, lt=2**32)
    proposal_threshold: Uint256In
    quorum_percent: int = Field(ge=0, lt=256)
    timelock_delay: int = Field(ge=0, lt=2**32)


KINDS = ("solar", "wind", "hydro", "storage")


class RegisterAssetRequest(TxRequest):
    kind: Literal["solar", "wind", "hydro", "storage"]
    capacity_watts: int = Field(ge=0, le=MAX_SAFE_INTEGER)
    name: str = Field(min_length=1, max_length=200)
    symbol: str = Field(min_length=1, max_length=32)
    location: str = Field(max_length=200, description='"<ISO country code>:<place>".')
    metadata_uri: str = Field(max_length=2_000)
    sale: SaleTermsIn
    governance: GovernanceIn
    reserve_bps: int = Field(ge=0, lt=2**16)
    requires_verification: bool = False


class DepositRequest(AssetRequest):
    amount: Uint256In
    production_report_id: Uint256In = 0


class SubmitReadingRequest(TxRequest):
    meter: AddressIn
    period_start: int = Field(ge=0, le=MAX_SAFE_INTEGER)


class AssetRef(BaseModel):
    """An asset's contracts and sale terms, as the index (or the chain) knows them."""

    asset_id: int
    operator: str
    share_token: str
    governor: str
    payment_token: str
    share_price: int
    name: str
    symbol: str


class ListingRef(BaseModel):
    """A listing as the market contract holds it now."""

    seller: str
    share_token: str
    asset_id: int
    remaining: Uint256
    price_per_share: Uint256
    payment_token: str
    expires_at: int

    @field_validator("seller", "share_token", "payment_token")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class CertificateClaimRequest(TxRequest):
    """Claims the sender's part of production reports as certificates."""

    report_ids: list[Uint256In] | None = Field(
        default=None,
        max_length=100,
        description="The reports to claim (at most 100); by default every report with something"
        " left to claim for the sender (from the index).",
    )


class CertificateTransferRequest(TxRequest):
    token_id: Uint256In = Field(description="The certificate's id (asset and vintage).")
    to: AddressIn
    energy_wh: Uint256In


class CertificateRetireRequest(TxRequest):
    token_id: Uint256In = Field(description="The certificate's id (asset and vintage).")
    energy_wh: Uint256In
    beneficiary: str = Field(min_length=1, max_length=200, description="Who consumed the energy.")
    purpose: str = Field(default="", max_length=200, description="What for.")
    location: str = Field(default="", max_length=200, description="Where it was consumed.")
