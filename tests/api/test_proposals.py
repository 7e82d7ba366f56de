"""Governance reads over the demo: proposals, their derived state, tallies and quorum, and votes,
checked against each asset's governor (now, and block by block through every proposal's life)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from _stack import Replay, Views, walk
from fastapi.testclient import TestClient

# OpenZeppelin's IGovernor.ProposalState, by its index.
GOVERNOR_STATES = (
    "pending", "active", "canceled", "defeated", "succeeded", "queued", "expired", "executed",
)  # fmt: skip


def governor_state(views: Views, proposal: dict[str, Any], block: int | str = "latest") -> str:
    index = views.call(
        "AssetGovernor", proposal["governor"], "state", int(proposal["proposal_id"]), block=block
    )
    return GOVERNOR_STATES[index]


def path_of(proposal: dict[str, Any]) -> str:
    return f"/governance/proposals/{proposal['asset_id']}/{proposal['proposal_id']}"


def test_every_proposal_matches_its_governor(client: TestClient, views: Views) -> None:
    proposals = walk(client, "/governance/proposals", limit=1)

    assert Counter(p["state"] for p in proposals) == {"executed": 3, "defeated": 1}
    for p in proposals:
        governor, proposal_id = p["governor"], int(p["proposal_id"])
        asset = client.get(f"/assets/{p['asset_id']}").json()
        assert asset["governance"]["governor"] == governor
        assert p["state"] == governor_state(views, p)
        against, in_favour, abstain = views.call("AssetGovernor", governor, "proposalVotes",
                                                 proposal_id)  # fmt: skip
        tally = p["tally"]
        assert (int(tally["against_votes"]), int(tally["for_votes"]),
                int(tally["abstain_votes"])) == (against, in_favour, abstain)  # fmt: skip
        assert p["vote_start"] == views.call(
            "AssetGovernor", governor, "proposalSnapshot", proposal_id
        )
        assert p["vote_end"] == views.call(
            "AssetGovernor", governor, "proposalDeadline", proposal_id
        )
        assert int(p["quorum"]) == views.call("AssetGovernor", governor, "quorum", p["vote_start"])
        assert p["quorum_reached"] == (in_favour + abstain >= int(p["quorum"]))
        assert p["vote_succeeded"] == (in_favour > against)
        assert (p["eta"] or 0) == views.call("AssetGovernor", governor, "proposalEta", proposal_id)
        assert p["proposer"].lower() == views.call(
            "AssetGovernor", governor, "proposalProposer", proposal_id
        )
        assert client.get(path_of(p)).json() == p


def test_votes_add_up_to_the_tallies_and_weigh_what_voters_held_at_the_snapshot(
    client: TestClient, views: Views
) -> None:
    for p in walk(client, "/governance/proposals", limit=10):
        governor, proposal_id = p["governor"], int(p["proposal_id"])
        votes = walk(client, path_of(p) + "/votes", limit=4)

        assert len(votes) == p["tally"]["voter_count"] == 6
        for side in ("for", "against", "abstain"):
            weights = [int(v["weight"]) for v in votes if v["support"] == side]
            assert sum(weights) == int(p["tally"][f"{side}_votes"])
            chosen = walk(client, path_of(p) + "/votes", {"support": side}, limit=4)
            assert chosen == [v for v in votes if v["support"] == side]
        for vote in votes:
            assert views.call("AssetGovernor", governor, "hasVoted", proposal_id, vote["voter"])
            assert int(vote["weight"]) == views.call(
                "AssetGovernor", governor, "getVotes", vote["voter"], p["vote_start"]
            )
            assert p["vote_start"] < vote["block_timestamp"] <= p["vote_end"]
        newest_first = walk(client, path_of(p) + "/votes", {"order": "desc"}, limit=4)
        assert newest_first == votes[::-1]


def test_proposal_state_follows_the_governor_block_by_block(
    client: TestClient, views: Views, replay: Replay
) -> None:
    proposals = client.get("/governance/proposals", params={"limit": 10}).json()["data"]
    blocks = sorted(
        {b for p in proposals for b in range(p["created_block"], p["updated_block"] + 2)}
    )
    seen: Counter[str] = Counter()

    for block in blocks:
        api = replay.to(block)
        for p in proposals:
            if p["created_block"] > block:
                assert api.get(path_of(p)).status_code == 404
                continue
            then = api.get(path_of(p)).json()
            expected = governor_state(views, p, block)
            assert then["state"] == expected, f"{p['description']} at block {block}"
            against, in_favour, abstain = views.call(
                "AssetGovernor", p["governor"], "proposalVotes", int(p["proposal_id"]), block=block
            )
            assert (int(then["tally"]["against_votes"]), int(then["tally"]["for_votes"]),
                    int(then["tally"]["abstain_votes"])) == (against, in_favour, abstain)  # fmt: skip
            seen[expected] += 1

    assert set(seen) == {"pending", "active", "succeeded", "queued", "executed", "defeated"}


def test_proposals_filter_by_asset_state_and_proposer_newest_first(client: TestClient) -> None:
    everything = walk(client, "/governance/proposals", limit=3)
    created = [p["created_block"] for p in everything]

    assert created == sorted(created, reverse=True)
    for asset_id in ("1", "2", "4", "5"):
        mine = [p for p in everything if p["asset_id"] == asset_id]
        assert walk(client, "/governance/proposals", {"asset_id": asset_id}, limit=1) == mine
        assert walk(client, f"/assets/{asset_id}/proposals", limit=1) == mine
    for state in ("executed", "defeated", "active"):
        chosen = [p for p in everything if p["state"] == state]
        assert walk(client, "/governance/proposals", {"state": state}, limit=1) == chosen
        assert walk(client, "/assets/1/proposals", {"state": state}, limit=1) == [
            p for p in chosen if p["asset_id"] == "1"
        ]
    proposer = everything[-1]["proposer"]
    by_proposer = [p for p in everything if p["proposer"] == proposer]
    assert walk(client, "/governance/proposals", {"proposer": proposer.lower()}) == by_proposer
    assert walk(client, "/governance/proposals", {"proposer": "0x" + "00" * 20}) == []


def test_unknown_and_malformed_proposals_are_problems(client: TestClient) -> None:
    some = client.get("/governance/proposals", params={"asset_id": 2}).json()["data"][0]

    for path in (
        "/governance/proposals/1/12345",
        "/governance/proposals/1/12345/votes",
        f"/governance/proposals/1/{some['proposal_id']}",  # asset 2's proposal, asked of asset 1
        f"/governance/proposals/9/{some['proposal_id']}/votes",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"] == "application/problem+json"
    for path in (
        "/governance/proposals/1/abc",
        "/governance/proposals/1/-5",
        f"/governance/proposals/1/{2**256}",
        "/governance/proposals?state=bogus",
        "/governance/proposals?proposer=0x1234",
        f"{path_of(some)}/votes?support=maybe",
        "/governance/proposals?limit=100000",
    ):
        assert client.get(path).status_code == 422, path
    other_list = client.get("/market/fills", params={"limit": 1}).json()["next_cursor"]
    for cursor in ("garbage", other_list):
        answer = client.get("/governance/proposals", params={"cursor": cursor})
        assert answer.status_code == 400
        assert answer.json()["type"].endswith("invalid-cursor")
