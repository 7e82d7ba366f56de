"""Governance: proposals with their state derived from the index, and their votes.

The state follows OpenZeppelin's `Governor.state()` (see `api.models.governance.STATE_RULES`),
with the governor's timestamp clock read as the last indexed block's time.
"""

from __future__ import annotations

from typing import Any

from api.db import Database
from api.models.governance import SUPPORT, Proposal, ProposalState, Support, Tally, Vote
from api.pagination import Page, page_of
from api.queries.events import (
    INDEXED_TIME,
    Order,
    as_int,
    as_text,
    by_position,
    cursor_key,
    keyset,
    order_by,
)

PROPOSALS = f"""WITH clock AS (SELECT {INDEXED_TIME} AS now),
counted AS (
    SELECT p.*, div(a.total_supply * COALESCE(q.numerator, a.quorum_percent), 100) AS quorum
    FROM proposals p
    JOIN assets a ON a.chain_id = p.chain_id AND a.asset_id = p.asset_id
    LEFT JOIN LATERAL (
        SELECT (r.args->>'newQuorumNumerator')::numeric AS numerator FROM raw_logs r
        WHERE r.chain_id = p.chain_id AND r.address = p.governor
            AND r.event = 'QuorumNumeratorUpdated' AND r.block_timestamp <= p.vote_start
        ORDER BY r.block_number DESC, r.log_index DESC LIMIT 1) q ON true
    WHERE p.chain_id = %(chain)s),
stated AS (
    SELECT counted.*, CASE
        WHEN lifecycle = 'executed' THEN 'executed'
        WHEN lifecycle = 'canceled' THEN 'canceled'
        WHEN clock.now <= vote_start THEN 'pending'
        WHEN clock.now <= vote_end THEN 'active'
        WHEN for_votes + abstain_votes < quorum OR for_votes <= against_votes THEN 'defeated'
        WHEN lifecycle = 'queued' THEN 'queued'
        ELSE 'succeeded' END AS state
    FROM counted, clock)
SELECT * FROM stated WHERE true"""
"""Every proposal of the chain with its quorum and state; callers append `AND` conditions."""


def _proposal(row: dict[str, Any]) -> Proposal:
    state: ProposalState = row["state"]
    tally = Tally(**{name: row[name] for name in (
        "for_votes", "against_votes", "abstain_votes", "voter_count")})  # fmt: skip
    return Proposal(
        **{name: row[name] for name in (
            "asset_id", "governor", "proposal_id", "proposer", "description", "targets",
            "calldatas", "vote_start", "vote_end", "lifecycle", "quorum", "eta", "created_block",
            "created_at", "tx_hash", "updated_block",
        )},
        values=[int(value) for value in row["values"]],
        state=state,
        tally=tally,
        quorum_reached=tally.for_votes + tally.abstain_votes >= row["quorum"],
        vote_succeeded=tally.for_votes > tally.against_votes,
    )  # fmt: skip


async def proposals(
    db: Database,
    *,
    chain_id: int,
    asset_id: int | None = None,
    state: ProposalState | None = None,
    proposer: str | None = None,
    cursor: str | None = None,
    limit: int,
) -> Page[Proposal]:
    """Proposals, newest first, of one asset, in one state or by one proposer if given.

    Raises:
        InvalidCursor: The cursor is not one of this list's.
    """
    key = cursor_key("proposals", cursor, (as_int, as_text, as_int))
    params: dict[str, Any] = {"chain": chain_id, "limit": limit + 1}
    sql = PROPOSALS
    for name, value in (("asset_id", asset_id), ("state", state), ("proposer", proposer)):
        if value is not None:
            params[name] = value
            sql += f" AND {name} = %({name})s"
    columns = ("created_block", "governor", "proposal_id")
    rows = await db.fetch(
        sql + keyset(columns, key, params, descending=True)
        + order_by(columns, descending=True) + " LIMIT %(limit)s",
        params,
    )  # fmt: skip
    page = page_of(
        "proposals", rows, limit, lambda r: (r["created_block"], r["governor"], r["proposal_id"])
    )
    return Page[Proposal](data=[_proposal(row) for row in page.data], next_cursor=page.next_cursor)


async def proposal(
    db: Database, *, chain_id: int, asset_id: int, proposal_id: int
) -> Proposal | None:
    """One proposal of an asset's governor; None if there is no such proposal."""
    row = await db.fetch_one(
        PROPOSALS + " AND asset_id = %(asset)s AND proposal_id = %(proposal)s",
        {"chain": chain_id, "asset": asset_id, "proposal": proposal_id},
    )
    return None if row is None else _proposal(row)


async def votes(
    db: Database,
    *,
    chain_id: int,
    asset_id: int,
    proposal_id: int,
    support: Support | None = None,
    order: Order = "asc",
    cursor: str | None = None,
    limit: int,
) -> Page[Vote]:
    """Votes cast on a proposal by position (oldest first by default), of one side if given.

    Raises:
        InvalidCursor: The cursor is not one of this list's.
    """
    params: dict[str, Any] = {"chain": chain_id, "asset": asset_id, "proposal": proposal_id}
    select = (
        "SELECT voter, support, weight, reason, block_number, log_index, block_timestamp, tx_hash"
        " FROM votes WHERE chain_id = %(chain)s AND asset_id = %(asset)s"
        " AND proposal_id = %(proposal)s AND governor = (SELECT governor FROM assets"
        " WHERE chain_id = %(chain)s AND asset_id = %(asset)s)"
    )
    if support is not None:
        params["support"] = SUPPORT.index(support)
        select += " AND support = %(support)s"
    return await by_position(
        db, Vote, kind="votes", select=select, params=params, order=order, cursor=cursor,
        limit=limit,
    )  # fmt: skip
