"""Models of the secondary market: listings, fills and prices.

Prices are per share, in the smallest unit of the listing's payment token (the demo's stablecoin
has 6 decimals: "118000000" is 118.00).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.types import Address, Hash, Uint256

ListingStatus = Literal["open", "expired", "filled", "cancelled", "invalidated"]

LISTING_STATUS_RULES = """`open`: shares left and not expired at the last indexed block's time;
`expired`: shares left but `expires_at` has passed (the market refuses fills from then on);
`filled`: every share sold; `cancelled`: withdrawn by the seller; `invalidated`: the seller
invalidated all its earlier listings at once (the market refuses fills from then on)."""


class Listing(BaseModel):
    """An offer to sell shares (the shares stay in the seller's wallet until a fill)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "listing_id": "1",
                    "asset_id": "1",
                    "seller": "0x1aaC82773CB722166D7dA0d5b0FA35B0307dD99D",
                    "share_token": "0x856E4424f806D16E8CBC702B3c0F2ede5468eAE5",
                    "amount": "600",
                    "remaining": "350",
                    "filled": "250",
                    "price_per_share": "118000000",
                    "payment_token": "0x0DCd1Bf9A1b36cE34237eEaFef220932846BCD82",
                    "expires_at": 1809050400,
                    "fee_bps": 50,
                    "status": "open",
                    "created_block": 190,
                    "created_at": 1803873600,
                    "tx_hash": "0x" + "ab" * 32,
                    "updated_block": 190,
                }
            ]
        }
    )

    listing_id: Uint256
    asset_id: Uint256
    seller: Address
    share_token: Address
    amount: Uint256 = Field(description="Shares listed.")
    remaining: Uint256 = Field(
        description="Shares still offered, as the market contract holds them (0 once filled or "
        "cancelled; an expired listing keeps its count)."
    )
    filled: Uint256 = Field(description="Shares bought from it.")
    price_per_share: Uint256
    payment_token: Address
    expires_at: int = Field(description="Fills are refused from this time on (unix seconds).")
    fee_bps: int = Field(description="The platform's fee on fills, fixed when listed.")
    status: ListingStatus = Field(description=LISTING_STATUS_RULES)
    created_block: int
    created_at: int
    tx_hash: Hash = Field(description="The transaction that listed it.")
    updated_block: int


class Fill(BaseModel):
    """A purchase from a listing."""

    listing_id: Uint256
    asset_id: Uint256
    buyer: Address
    seller: Address
    amount: Uint256 = Field(description="Shares bought.")
    price_per_share: Uint256
    paid: Uint256 = Field(description="What the buyer paid (amount x price).")
    fee: Uint256 = Field(description="The platform's part of `paid`; the seller got the rest.")
    remaining: Uint256 = Field(description="Shares left on the listing after the fill.")
    block_number: int
    log_index: int
    block_timestamp: int
    tx_hash: Hash


class AssetPrice(BaseModel):
    """An asset's market prices: the last trade and the best open offer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "asset_id": "1",
                    "symbol": "ALSUN",
                    "payment_token": "0x0DCd1Bf9A1b36cE34237eEaFef220932846BCD82",
                    "share_price": "100000000",
                    "last_price": "118000000",
                    "last_trade_block": 205,
                    "last_trade_at": 1806465600,
                    "traded_shares": "600",
                    "best_ask": None,
                    "best_ask_listing_id": None,
                    "best_ask_amount": None,
                    "open_listings": 0,
                }
            ]
        }
    )

    asset_id: Uint256
    symbol: str
    payment_token: Address
    share_price: Uint256 = Field(description="The primary sale's price, for comparison.")
    last_price: Uint256 | None = Field(description="Price per share of the last fill.")
    last_trade_block: int | None
    last_trade_at: int | None = Field(description="Time of the last fill (unix seconds).")
    traded_shares: Uint256 = Field(description="Shares bought on the market so far.")
    best_ask: Uint256 | None = Field(description="Lowest price of an open listing.")
    best_ask_listing_id: Uint256 | None = Field(description="That listing (oldest first on ties).")
    best_ask_amount: Uint256 | None = Field(description="Shares left on that listing.")
    open_listings: int = Field(description="Listings open at the last indexed block's time.")
