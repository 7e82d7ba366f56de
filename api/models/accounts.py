"""Models of an account's portfolio and history: public on-chain data, read from the index."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.models.market import Listing
from api.types import Address, Hash, Uint256

PriceSource = Literal["last_trade", "sale_price"]
HistoryKind = Literal[
    "purchase", "refund", "claim", "transfer_in", "transfer_out", "market_buy", "market_sell",
    "listing_created", "listing_cancelled", "vote",
]  # fmt: skip
HISTORY_KINDS: tuple[HistoryKind, ...] = (
    "purchase", "refund", "claim", "transfer_in", "transfer_out", "market_buy", "market_sell",
    "listing_created", "listing_cancelled", "vote",
)  # fmt: skip
SUPPORT = ("against", "for", "abstain")

ENERGY_ROUNDING = (
    "For each production report of the asset, the holder's balance / the token's total supply"
    " (both after every transfer logged before the report, within its block too) times the"
    " report's energy, rounded down to a whole Wh; then summed over the reports. Reports while"
    " the supply is zero count for nobody. Summed over all holders, it is at most the asset's"
    " energy and short of it by less than one Wh per holder per report."
)


class Holding(BaseModel):
    """What an account holds of one asset (every asset it ever held shares or votes of)."""

    asset_id: Uint256
    name: str
    symbol: str
    status: str = Field(description="funding, active, failed or decommissioned.")
    share_token: Address
    payment_token: Address
    balance: Uint256 = Field(description="Shares held (the token's `balanceOf`).")
    total_supply: Uint256
    share_of_supply: str = Field(
        description="balance / total supply as a decimal fraction, rounded down to 9 places."
    )
    price_per_share: Uint256 = Field(description="In payment token units.")
    price_source: PriceSource = Field(
        description="last_trade: the last market fill; sale_price: never traded, so the primary"
        " sale's share price."
    )
    value: Uint256 = Field(description="balance * price_per_share, in payment token units.")
    claimable: Uint256 = Field(description="Revenue claimable now (`claimableRevenueOf`).")
    claimed: Uint256 = Field(description="Revenue claimed so far (`claimedRevenueOf`).")
    energy_wh: Uint256 = Field(description="Energy attributable to the holder. " + ENERGY_ROUNDING)
    reports_shared: int = Field(description="Production reports the holder had a share of.")
    votes: Uint256 = Field(description="Voting power (`getVotes`).")
    delegate: Address | None = Field(description="Who the account delegates to (`delegates`).")
    first_block: int
    updated_block: int


class PaymentTotals(BaseModel):
    """The account's figures summed over the assets paid in one payment token."""

    payment_token: Address
    value: Uint256
    claimable: Uint256
    claimed: Uint256


class Portfolio(BaseModel):
    """An account's holdings, revenue, energy, votes and open listings at the indexed block."""

    address: Address
    indexed_block: int
    holdings: list[Holding]
    listings: list[Listing] = Field(
        description="Its market listings still open (shares left, not expired), oldest first."
    )
    totals: list[PaymentTotals]


class HistoryItem(BaseModel):
    """One thing that happened to an account, at one log of the chain.

    Transfers are the share movements that are not purchases (mints), refunds (burns) or market
    fills (each listed under its own kind).
    """

    kind: HistoryKind
    block_number: int
    log_index: int
    tx_hash: Hash
    timestamp: int
    asset_id: Uint256
    shares: Uint256 | None = Field(
        default=None, description="Shares bought, refunded, moved, filled, listed, or vote weight."
    )
    amount: Uint256 | None = Field(
        default=None, description="Payment: cost, refund, claim, or what the fill's buyer paid."
    )
    price_per_share: Uint256 | None = None
    fee: Uint256 | None = None
    counterparty: Address | None = Field(
        default=None, description="The other side of a transfer or a fill."
    )
    listing_id: Uint256 | None = None
    proposal_id: Uint256 | None = None
    support: str | None = Field(default=None, description="A vote's: against, for or abstain.")
