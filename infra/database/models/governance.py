"""Governance: proposals (journaled) and votes (append-only)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Index
from sqlmodel import SQLModel

from infra.database.models.columns import (
    JOURNALED_TABLE,
    bigint,
    integer,
    jsonb,
    smallint,
    string,
    u256,
)
from infra.database.models.events import EventRow


class Proposal(SQLModel, table=True):
    __tablename__ = "proposals"
    __table_args__ = JOURNALED_TABLE

    chain_id: int = bigint(key=True)
    governor: str = string(key=True)
    proposal_id: Decimal = u256(key=True)
    asset_id: Decimal = u256()
    proposer: str = string()
    targets: list = jsonb()
    values: list = jsonb()
    calldatas: list = jsonb()
    description: str = string()
    vote_start: int = bigint()
    vote_end: int = bigint()
    for_votes: Decimal = u256(default="0")
    against_votes: Decimal = u256(default="0")
    abstain_votes: Decimal = u256(default="0")
    voter_count: int = integer(default="0")
    lifecycle: str = string()
    eta: int | None = bigint(null=True)
    created_block: int = bigint()
    created_at: int = bigint()
    tx_hash: str = string()
    updated_block: int = bigint()


class Vote(EventRow, table=True):
    __tablename__ = "votes"
    __table_args__ = (
        Index(
            "votes_by_proposal", "chain_id", "governor", "proposal_id", "block_number", "log_index"
        ),
        Index("votes_by_voter", "chain_id", "voter", "block_number", "log_index"),
    )

    governor: str = string()
    asset_id: Decimal = u256()
    proposal_id: Decimal = u256()
    voter: str = string()
    support: int = smallint()
    weight: Decimal = u256()
    reason: str = string()
