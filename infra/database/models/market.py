"""The share market: listings and sellers (journaled), fills (append-only)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Index
from sqlalchemy import text as sql
from sqlmodel import SQLModel

from infra.database.models.columns import JOURNALED_TABLE, bigint, integer, jsonb, string, u256
from infra.database.models.events import EventRow


class Listing(SQLModel, table=True):
    __tablename__ = "listings"
    __table_args__ = (
        Index(
            "listings_open",
            "chain_id",
            "asset_id",
            "price_per_share",
            postgresql_where=sql("status = 'open'"),
        ),
        Index("listings_by_seller", "chain_id", "seller", "listing_id"),
        Index("listings_by_status", "chain_id", "status", "listing_id"),
        JOURNALED_TABLE,
    )

    chain_id: int = bigint(key=True)
    listing_id: Decimal = u256(key=True)
    seller: str = string()
    asset_id: Decimal = u256()
    share_token: str = string()
    amount: Decimal = u256()
    remaining: Decimal = u256()
    price_per_share: Decimal = u256()
    payment_token: str = string()
    expires_at: int = bigint()
    fee_bps: int = integer()
    status: str = string()
    created_block: int = bigint()
    created_at: int = bigint()
    tx_hash: str = string()
    updated_block: int = bigint()


class MarketSeller(SQLModel, table=True):
    __tablename__ = "market_sellers"
    __table_args__ = JOURNALED_TABLE

    chain_id: int = bigint(key=True)
    seller: str = string(key=True)
    listing_nonce: Decimal = u256(default="0")
    open_listings: list = jsonb(default="'[]'::jsonb")
    updated_block: int = bigint()


class Fill(EventRow, table=True):
    __tablename__ = "fills"
    __table_args__ = (
        Index("fills_by_asset", "chain_id", "asset_id", "block_number"),
        Index("fills_by_buyer", "chain_id", "buyer", "block_number", "log_index"),
        Index("fills_by_seller", "chain_id", "seller", "block_number", "log_index"),
    )

    listing_id: Decimal = u256()
    asset_id: Decimal = u256()
    buyer: str = string()
    seller: str = string()
    amount: Decimal = u256()
    price_per_share: Decimal = u256()
    paid: Decimal = u256()
    fee: Decimal = u256()
    remaining: Decimal = u256()
