"""Models of the assets: summaries for lists, the full record, holders, production and revenue.

Amounts are uint256 decimal strings in the smallest unit of their token (shares have 0 decimals;
the payment token's decimals are in `payment_token`). Ratios are integers in basis points
(1/100 of a percent) or exact decimal strings, never floats.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.types import Address, Hash, Uint256

Kind = Literal["solar", "wind", "hydro", "storage"]
Status = Literal["funding", "active", "failed", "decommissioned"]
FundingState = Literal["upcoming", "open", "funded", "failed"]

FUNDING_RULES = """The primary sale's state, at the time of the last indexed block:
`upcoming` before `sale_start`; `open` from `sale_start` through `sale_end` while shares remain;
`funded` once the sale succeeded (finalized with the minimum raise met) or when its outcome is
decided but not yet finalized (sold out, or the window closed) with `raised >= min_raise`; `failed`
when finalized without success, or decided with `raised < min_raise`."""


class PaymentToken(BaseModel):
    """The stablecoin an asset's shares are bought with and its revenue is paid in."""

    address: Address
    symbol: str | None = Field(
        description="From the deployment record (null when it does not say).", examples=["mUSDC"]
    )
    decimals: int | None = Field(
        description="Decimals of the token's amounts (null when unknown).", examples=[6]
    )


class FundingProgress(BaseModel):
    """How far the primary sale went."""

    state: FundingState = Field(description=FUNDING_RULES)
    shares_sold: Uint256
    total_shares: Uint256
    sold_bps: int = Field(description="shares_sold / total_shares in basis points, rounded down.")
    raised: Uint256 = Field(description="Payment token units paid in (before refunds).")
    min_raise: Uint256
    raised_of_min_bps: int = Field(
        description="raised / min_raise in basis points, rounded down (10000 = minimum met)."
    )


class AssetSummary(BaseModel):
    """An asset as lists show it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "asset_id": "1",
                    "name": "Alentejo Solar Share",
                    "symbol": "ALSUN",
                    "kind": "solar",
                    "status": "active",
                    "capacity_watts": 5000000,
                    "location": "PT:Alentejo",
                    "country": "PT",
                    "operator": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                    "share_token": "0x856E4424f806D16E8CBC702B3c0F2ede5468eAE5",
                    "payment_token": {
                        "address": "0x0DCd1Bf9A1b36cE34237eEaFef220932846BCD82",
                        "symbol": "mUSDC",
                        "decimals": 6,
                    },
                    "share_price": "100000000",
                    "funding": {
                        "state": "funded",
                        "shares_sold": "35000",
                        "total_shares": "35000",
                        "sold_bps": 10000,
                        "raised": "3500000000000",
                        "min_raise": "2100000000000",
                        "raised_of_min_bps": 16666,
                    },
                    "holder_count": 17,
                    "energy_wh": "7457334318",
                    "revenue_distributed": "362985747940",
                    "last_price": "118000000",
                    "paused": False,
                    "registered_block": 20,
                    "registered_at": 1795850813,
                }
            ]
        }
    )

    asset_id: Uint256
    name: str
    symbol: str
    kind: Kind
    status: Status
    capacity_watts: int = Field(description="Nameplate capacity in watts.")
    location: str = Field(description='"<ISO country code>:<place>" by convention.')
    country: str = Field(description="The location's country code (empty when it has none).")
    operator: Address
    share_token: Address
    payment_token: PaymentToken
    share_price: Uint256 = Field(description="Primary sale price of one share (payment units).")
    funding: FundingProgress
    holder_count: int = Field(description="Accounts holding at least one share.")
    energy_wh: Uint256 = Field(description="Energy reported so far, in watt-hours.")
    revenue_distributed: Uint256 = Field(
        description="Revenue distributed to holders so far (after fees and reserve)."
    )
    last_price: Uint256 | None = Field(description="Price per share of the last market fill.")
    paused: bool = Field(
        description="Paused by the platform's pauser or by the asset's governance."
    )
    paused_by_pauser: bool = Field(
        default=False, description="Paused by the platform's pauser (only a pauser lifts it)."
    )
    paused_by_governance: bool = Field(
        default=False, description="Paused by the asset's governance (only governance lifts it)."
    )
    registered_block: int
    registered_at: int = Field(description="Registration time (unix seconds).")


class SaleTerms(BaseModel):
    """The primary sale's terms and outcome."""

    start: int = Field(description="Opening time of the funding window (unix seconds).")
    end: int = Field(description="Closing time of the funding window (unix seconds, inclusive).")
    max_shares_per_buyer: Uint256
    treasury: Address = Field(description="Receives the raise once the minimum is met.")
    finalized: bool
    succeeded: bool | None = Field(description="Null until finalized.")
    refunded_shares: Uint256
    refunded_amount: Uint256
    raise_deferred: Uint256 = Field(description="A raise the treasury refused, waiting to be paid.")
    cancelled: bool = Field(
        default=False, description="Cancelled before its end by the operator or the platform admin."
    )


class Governance(BaseModel):
    """The asset's governance settings (as registered)."""

    governor: Address
    timelock: Address
    voting_delay: int = Field(description="Seconds between a proposal and its vote snapshot.")
    voting_period: int = Field(description="Seconds a vote stays open.")
    proposal_threshold: Uint256 = Field(description="Votes needed to make a proposal.")
    quorum_percent: int = Field(description="Percent of the supply that must vote for or abstain.")
    timelock_delay: int = Field(description="Seconds a passed proposal waits in the timelock.")


class ProductionTotals(BaseModel):
    """Energy reported for the asset."""

    energy_wh: Uint256
    report_count: int


class RevenueTotals(BaseModel):
    """Revenue deposited for the asset, in payment token units."""

    deposits: int = Field(description="Number of deposits.")
    gross: Uint256 = Field(description="Paid in by the operator or the timelock.")
    fees: Uint256 = Field(description="Taken by the platform.")
    reserve: Uint256 = Field(description="Kept by the asset's timelock as maintenance reserve.")
    distributed: Uint256 = Field(description="gross - fees - reserve: owed to holders.")
    claimed: Uint256 = Field(description="Claimed by holders.")
    unclaimed: Uint256 = Field(description="distributed - claimed (rounding dust included).")


class RevenuePerShare(BaseModel):
    """Everything distributed per share since the start, exactly, from the token's accumulator.

    The token keeps `magnified_revenue_per_share` = revenue per share x 2**128; the decimal
    strings are that value divided by 2**128, written out in full (every such quotient has a
    finite decimal expansion), trailing zeros removed.
    """

    magnified: Uint256 = Field(description="The accumulator as the token holds it.")
    base_units: str = Field(
        description="Per share, in the payment token's smallest unit.",
        examples=["10371021.3697..."],
    )
    tokens: str | None = Field(
        description="Per share, in whole payment tokens (base_units / 10**decimals); null when "
        "the decimals are unknown.",
        examples=["10.3710213697..."],
    )


class AnnualYield(BaseModel):
    """Revenue per share over a trailing year, against the primary sale price.

    The window ends at the last indexed block and starts a year (365 days) earlier, or when the
    sale was finalized if that is later. `revenue_per_share` is the growth of the accumulator over
    the window (deposits in the window, divided by 2**128); the yield is that revenue divided by
    the share price and scaled from the window's length to 365 days. Rounded down.
    """

    window_start: int = Field(description="Unix seconds.")
    window_end: int = Field(description="Unix seconds (the last indexed block's time).")
    revenue_per_share: str = Field(description="In the payment token's smallest unit, exact.")
    yield_bps: int = Field(description="Annualised yield in basis points.", examples=[1037])
    percent: str = Field(
        description="The same as a percentage with two decimals.", examples=["10.37"]
    )


class AssetDetail(AssetSummary):
    """An asset with every indexed field and its figures."""

    metadata_uri: str
    reserve_bps: int = Field(description="Share of each operator deposit kept as reserve.")
    requires_verification: bool = Field(description="Holders must be verified identities.")
    transfers_active: bool = Field(description="Shares are transferable (the sale succeeded).")
    total_supply: Uint256 = Field(description="Shares in existence.")
    traded_shares: Uint256 = Field(description="Shares bought on the market so far.")
    sale: SaleTerms
    governance: Governance
    production: ProductionTotals
    revenue: RevenueTotals
    revenue_per_share: RevenuePerShare
    annual_yield: AnnualYield | None = Field(
        description="Null before the sale succeeded (or when no time has passed since)."
    )
    updated_block: int = Field(description="The last block that changed the asset.")
    indexed_block: int = Field(description="The last indexed block these figures are as of.")
    indexed_at: int = Field(description="Its time (unix seconds): the 'now' of `funding.state`.")


class Holder(BaseModel):
    """An account holding shares of an asset."""

    account: Address
    balance: Uint256 = Field(description="Shares held.")
    supply_bps: int = Field(description="balance / total supply in basis points, rounded down.")
    votes: Uint256 = Field(description="Voting power delegated to the account.")
    delegate: Address | None
    claimed: Uint256 = Field(description="Revenue claimed so far (payment token units).")
    claimable: Uint256 = Field(description="Revenue it can claim now.")
    first_block: int = Field(description="The block of its first share movement.")


class ProductionReport(BaseModel):
    """A meter's signed reading, recorded by the oracle."""

    report_id: Uint256
    meter: Address
    period_start: int = Field(description="Unix seconds, inclusive.")
    period_end: int = Field(description="Unix seconds, exclusive.")
    energy_wh: Uint256
    asset_total_wh: Uint256 = Field(description="The asset's total after this report.")
    block_number: int
    log_index: int
    block_timestamp: int
    tx_hash: Hash


class ProductionBucket(BaseModel):
    """Energy of the reports whose period starts in one UTC day or month."""

    bucket: str = Field(description="`YYYY-MM-DD` or `YYYY-MM` (UTC).", examples=["2027-06"])
    start: int = Field(description="The bucket's first second (unix, UTC).")
    energy_wh: Uint256
    report_count: int


class RevenueDeposit(BaseModel):
    """Revenue paid in for an asset."""

    deposit_id: Uint256
    depositor: Address
    production_report_id: Uint256 = Field(description="The report it pays for (0: none).")
    gross: Uint256
    fee: Uint256
    reserve: Uint256
    distributed: Uint256
    magnified_revenue_per_share: Uint256 = Field(description="The accumulator after it.")
    block_number: int
    log_index: int
    block_timestamp: int
    tx_hash: Hash


class RevenueClaim(BaseModel):
    """Revenue a holder claimed."""

    account: Address
    amount: Uint256
    total_claimed: Uint256 = Field(description="Everything the account claimed, after this.")
    block_number: int
    log_index: int
    block_timestamp: int
    tx_hash: Hash
