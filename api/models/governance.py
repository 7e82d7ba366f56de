"""Models of governance: proposals with their derived state and tallies, and votes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from api.types import Address, Hash, Uint256

ProposalState = Literal[
    "pending", "active", "canceled", "defeated", "succeeded", "queued", "executed"
]
Support = Literal["against", "for", "abstain"]
SUPPORT: tuple[Support, ...] = ("against", "for", "abstain")
"""The governor's support values (GovernorCountingSimple): 0 against, 1 for, 2 abstain."""


def _support_name(value: Any) -> Any:
    return SUPPORT[value] if isinstance(value, int) and 0 <= value < len(SUPPORT) else value


STATE_RULES = """Derived as OpenZeppelin's `Governor.state()` does, with the governor's timestamp
clock read as the last indexed block's time (`now`), in this order: `executed` / `canceled` once
the governor emitted ProposalExecuted / ProposalCanceled; `pending` while `now <= vote_start` (the
snapshot); `active` while `now <= vote_end`; then `defeated` unless the quorum is reached
(`for + abstain >= quorum`) and `for > against`; then `queued` once queued in the timelock, else
`succeeded`. Operations run or cancelled on the timelock directly (not through the governor) are
not seen."""

QUORUM_RULES = """Votes (for + abstain) needed: `total supply x quorum numerator / 100`, rounded
down, as `GovernorVotesQuorumFraction.quorum(vote_start)` computes it. The numerator is the last
one the governor set at or before the snapshot (its QuorumNumeratorUpdated events); the supply is
the asset's current one, which is also its supply at any snapshot: proposals open only after a
successful sale, and shares are minted and burned only during the sale and its refunds."""


class Tally(BaseModel):
    """Votes cast, weighted by shares."""

    for_votes: Uint256
    against_votes: Uint256
    abstain_votes: Uint256
    voter_count: int


class Proposal(BaseModel):
    """A proposal of an asset's governor."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "asset_id": "1",
                    "governor": "0xb0279Db6a2F1E01fbC8483FCCef0Be2bC6299cC3",
                    "proposal_id": "32329805704028135040052792250983044646536916653703790073304375505935201130794",
                    "proposer": "0xcF2d5b3cBb4D7bF04e3F7bFa8e27081B52191f91",
                    "description": "Replace two string inverters: pay 6,500.00 mUSDC to Iberian"
                    " Inverter Services",
                    "targets": ["0x0DCd1Bf9A1b36cE34237eEaFef220932846BCD82"],
                    "values": ["0"],
                    "calldatas": [
                        "0xa9059cbb000000000000000000000000494bbda5e2d1f048b37ba13cc397b69e"
                        "1722ffdc00000000000000000000000000000000000000000000000000000001"
                        "836e2100"
                    ],
                    "vote_start": 1809223201,
                    "vote_end": 1809655201,
                    "state": "executed",
                    "lifecycle": "executed",
                    "tally": {
                        "for_votes": "11387",
                        "against_votes": "2683",
                        "abstain_votes": "2677",
                        "voter_count": 6,
                    },
                    "quorum": "7000",
                    "quorum_reached": True,
                    "vote_succeeded": True,
                    "eta": 1809828004,
                    "created_block": 241,
                    "created_at": 1809136801,
                    "tx_hash": "0xd073a264e4991cfebe67cc8176167e84eb8950062b846300f5ce123cf46d1e78",
                    "updated_block": 252,
                }
            ]
        }
    )

    asset_id: Uint256
    governor: Address
    proposal_id: Uint256
    proposer: Address
    description: str
    targets: list[Address]
    values: list[Uint256] = Field(description="Wei sent with each call.")
    calldatas: list[str] = Field(description="Each call's data, hex.")
    vote_start: int = Field(description="The vote snapshot; voting opens after it (unix seconds).")
    vote_end: int = Field(description="Voting closes after this time (unix seconds).")
    state: ProposalState = Field(description=STATE_RULES)
    lifecycle: Literal["created", "queued", "executed", "canceled"] = Field(
        description="What the governor's events said last (no time involved)."
    )
    tally: Tally
    quorum: Uint256 = Field(description=QUORUM_RULES)
    quorum_reached: bool
    vote_succeeded: bool = Field(description="More votes for than against.")
    eta: int | None = Field(description="When the timelock lets it run (once queued).")
    created_block: int
    created_at: int
    tx_hash: Hash = Field(description="The transaction that proposed it.")
    updated_block: int


class Vote(BaseModel):
    """A vote cast on a proposal."""

    voter: Address
    support: Annotated[Support, BeforeValidator(_support_name)]
    weight: Uint256 = Field(description="Votes at the proposal's snapshot.")
    reason: str
    block_number: int
    log_index: int
    block_timestamp: int
    tx_hash: Hash
