"""A yearly statement of one account: per asset, what it held, bought, sold, earned and produced.

Every figure is defined in docs/architecture/api/statements.md; every amount is in the asset's
payment token's base units (a decimal string), energy in Wh, and every line names its log.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.types import Address, Hash, Uint256

DEFINITIONS = "docs/architecture/api/statements.md"


class Trace(BaseModel):
    """The log a line comes from: `(block_number, log_index)` is its position on the chain."""

    block_number: int
    log_index: int
    tx_hash: Hash
    timestamp: int = Field(description="The block's time, Unix seconds.")


class Purchase(Trace):
    """Shares bought in the asset's primary sale (`SharesPurchased`)."""

    shares: Uint256
    price_per_share: Uint256 = Field(description="The sale's share price.")
    cost: Uint256 = Field(description="What the buyer paid (shares * price).")
    fee: Uint256 = Field(description="Always 0: the primary sale charges buyers no fee.")


class Refund(Trace):
    """Shares of a failed sale given back for their cost (`Refunded`)."""

    shares: Uint256
    amount: Uint256


class MarketTrade(Trace):
    """A fill of a market listing (`ListingFilled`), from the account's side."""

    listing_id: Uint256
    shares: Uint256
    price_per_share: Uint256
    paid: Uint256 = Field(description="What the buyer paid, fee included.")
    fee: Uint256 = Field(description="The platform's fee, taken out of the seller's proceeds.")
    proceeds: Uint256 = Field(description="What the seller received: paid - fee.")
    counterparty: Address = Field(description="The seller of a buy, the buyer of a sell.")


class Transfer(Trace):
    """Shares moved to or from the account outside the sale and the market (a gift, say)."""

    shares: Uint256
    counterparty: Address


class Shares(BaseModel):
    """Shares held, and how they moved during the year: start + purchased - refunded + bought -
    sold + transferred_in - transferred_out = end."""

    start: Uint256 = Field(description="`balanceOf` at the year's start.")
    end: Uint256 = Field(description="`balanceOf` at the year's end (or the indexed head).")
    purchased: Uint256
    refunded: Uint256
    bought: Uint256
    sold: Uint256
    transferred_in: Uint256
    transferred_out: Uint256


class Trades(BaseModel):
    """The year's purchases, refunds, market buys and sells and other transfers, with totals."""

    purchases: list[Purchase]
    refunds: list[Refund]
    market_buys: list[MarketTrade]
    market_sells: list[MarketTrade]
    transfers_in: list[Transfer]
    transfers_out: list[Transfer]
    purchases_cost: Uint256
    refunds_amount: Uint256
    market_buys_paid: Uint256
    market_sells_proceeds: Uint256
    market_sells_fees: Uint256


class RevenueShare(Trace):
    """A revenue deposit of the year (`RevenueDeposited`) and what it earned the account."""

    deposit_id: Uint256
    distributed: Uint256 = Field(description="What the deposit gave all holders.")
    shares: Uint256 = Field(description="The account's shares when it was deposited.")
    earned: Uint256 = Field(
        description="The account's entitlement after the deposit minus before it, each rounded"
        " down to a base unit as the token does (so the year's lines add up to `earned`)."
    )


class Claim(Trace):
    """Revenue the account claimed (`RevenueClaimed`)."""

    amount: Uint256
    recipient: Address = Field(description="Where the payment went (the account unless it chose"
                               " another recipient).")  # fmt: skip


class Revenue(BaseModel):
    """Revenue of the year: unclaimed_start + earned - claimed = unclaimed_end."""

    unclaimed_start: Uint256 = Field(description="`claimableRevenueOf` at the year's start.")
    earned: Uint256 = Field(
        description="Entitlement at the end minus at the start, where entitlement is"
        " `claimedRevenueOf + claimableRevenueOf`: the revenue deposited during the year that"
        " is the account's, claimed or not."
    )
    claimed: Uint256 = Field(description="The sum of the year's claims.")
    unclaimed_end: Uint256 = Field(
        description="Earned but not yet claimed at the year's end: `claimableRevenueOf` at the"
        " year's end (or the indexed head), whenever it was earned."
    )
    deposits: list[RevenueShare] = Field(description="The year's deposits the account shared.")
    claims: list[Claim]


class EnergyShare(Trace):
    """A production report of the year (`ProductionReported`) and the account's part of it."""

    report_id: Uint256
    period_start: int
    period_end: int
    report_wh: Uint256 = Field(description="The energy the report certifies for the asset.")
    shares: Uint256 = Field(description="The account's shares at the report's log.")
    supply: Uint256 = Field(description="The token's total supply at the report's log.")
    attributed_wh: Uint256 = Field(description="shares * report_wh / supply, rounded down.")


class Energy(BaseModel):
    """Energy attributed to the account for the reports logged during the year."""

    attributed_wh: Uint256
    reports: list[EnergyShare] = Field(description="The reports it had a share of.")


class CertificateLine(Trace):
    """A certificate claim or retirement of the account (filled once certificates exist)."""

    vintage: str
    energy_wh: Uint256


class Certificates(BaseModel):
    """Energy certificates claimed and retired during the year."""

    available: bool = Field(
        description="False while the platform has no certificates contract: the figures are then"
        " zero because no certificate exists, not because none were claimed."
    )
    claimed_wh: Uint256
    retired_wh: Uint256
    claims: list[CertificateLine]
    retirements: list[CertificateLine]


class AssetStatement(BaseModel):
    """One asset's part of the statement."""

    asset_id: Uint256
    name: str
    symbol: str
    share_token: Address
    payment_token: Address
    shares: Shares
    trades: Trades
    revenue: Revenue
    energy: Energy
    certificates: Certificates


class Period(BaseModel):
    """The calendar year in UTC, and how much of it the index covers."""

    start: int = Field(description="January 1st, 00:00 UTC, Unix seconds (included).")
    end: int = Field(description="January 1st of the next year, 00:00 UTC (excluded).")
    complete: bool = Field(
        description="False while the chain's indexed head is still inside the year: the figures"
        " 'at the end' are then at the indexed head."
    )
    start_state_block: int | None = Field(
        description="The last block before the year with a platform event: the views at any block"
        " from it to the year's first block give the figures 'at the start' (null: none)."
    )
    end_state_block: int | None = Field(
        description="The last block of the year with a platform event: likewise for 'at the end'."
    )


class Statement(BaseModel):
    """An account's yearly statement: every asset it held or traded, with each line's log."""

    account: Address
    year: int
    period: Period
    indexed_block: int
    definitions: str = Field(default=DEFINITIONS, description="Where each figure is defined.")
    assets: list[AssetStatement] = Field(
        description="Each asset the account held, traded, earned or was owed revenue from during"
        " the year, by asset id."
    )
