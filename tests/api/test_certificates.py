"""Energy certificates through the API, on the demo chain (whose story claims, gives and retires
some): an account's certificates and claimable parts equal the contract's views, an asset's
issuance and retirements, the public retirement proof, the claim / transfer / retire transactions
signed and sent like a wallet would, and the feed's topics for retirements."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from _stack import Views
from _wallet import account, sandbox, send_steps
from eth_abi import encode
from eth_utils import keccak
from fastapi.testclient import TestClient

from api.db import Database
from api.feeds.topics import RETIREMENTS, event_topics, parse
from api.models.certificates import CertificateYearFigures
from api.queries.certificates import certificate_figures

__all__ = ["sandbox"]  # the fixture, imported for the tests below
SOLAR = 1
NOBODY = "0x" + "12" * 20  # never held anything


@pytest.fixture(scope="module")
def certs(demo_chain: tuple[str, Path]) -> str:
    named = json.loads((demo_chain[1] / "31337.json").read_text())["contracts"]
    return str(named["EnergyCertificates"]["address"])


@pytest.fixture(scope="module")
def views(demo_chain: tuple[str, Path]) -> Views:
    return Views(demo_chain[0])


def test_every_holders_certificates_equal_the_contracts_views(
    client: TestClient, views: Views, certs: str, index: Any
) -> None:
    accounts = [row[0] for row in index("SELECT DISTINCT account FROM holders WHERE asset_id = %s",
                                        SOLAR)]  # fmt: skip
    seen_claimed = seen_unclaimed = 0
    for address in accounts:
        body = client.get(f"/accounts/{address}/certificates").json()
        for holding in body["holdings"]:
            token_id = int(holding["token_id"])
            assert views.call("EnergyCertificates", certs, "balanceOf", address,
                              token_id) == int(holding["balance_wh"])  # fmt: skip
            assert holding["asset_id"] == str(token_id >> 128)
        for part in body["claimable"]:
            report = int(part["report_id"])
            assert views.call("EnergyCertificates", certs, "claimableOf", address,
                              report) == int(part["claimable_wh"]) > 0  # fmt: skip
            assert views.call("EnergyCertificates", certs, "entitlementOf", address,
                              report) == int(part["entitlement_wh"])  # fmt: skip
        seen_claimed += int(body["claimed_wh"]) > 0
        seen_unclaimed += bool(body["claimable"])
    assert seen_claimed and seen_unclaimed  # the demo claimed for some holders, not all


def test_an_asset_issuance_adds_up_to_its_certified_energy(
    client: TestClient, views: Views, certs: str
) -> None:
    issued = client.get(f"/assets/{SOLAR}/certificates/issuances?limit=100").json()["data"]
    assert len(issued) == 12  # a report a month
    total = sum(int(i["energy_wh"]) for i in issued)
    assert total == views.call("EnergyCertificates", certs, "certifiedEnergyOf", SOLAR)
    assert all(int(i["claimed_wh"]) <= int(i["energy_wh"]) for i in issued)
    assert [int(i["block_number"]) for i in issued] == sorted(
        (int(i["block_number"]) for i in issued), reverse=True
    )


def test_a_retirement_proof_names_the_transaction_beneficiary_energy_asset_and_vintage(
    client: TestClient, views: Views, certs: str
) -> None:
    [listed] = client.get(f"/assets/{SOLAR}/certificates/retirements").json()["data"]
    proof = client.get(f"/certificates/retirements/{listed['retirement_id']}").json()
    assert proof == listed
    assert proof["beneficiary"] == "Escola Básica n.º 1 de Évora"
    assert (proof["purpose"], proof["location"]) == ("2028 electricity consumption", "Évora, PT")
    on_chain = views.call("EnergyCertificates", certs, "retirement", int(proof["retirement_id"]))
    account_, retired_at, token_id, energy, claim_hash = on_chain
    assert (account_.lower(), retired_at, token_id, energy) == (
        proof["account"].lower(),
        proof["retired_at"],
        int(proof["token_id"]),
        int(proof["energy_wh"]),
    )
    expected_hash = keccak(encode(["string"] * 3, [proof["beneficiary"], proof["purpose"],
                                                  proof["location"]]))  # fmt: skip
    assert bytes(claim_hash) == expected_hash == bytes.fromhex(proof["claim_hash"][2:])
    assert (int(proof["token_id"]) >> 128, proof["asset_id"]) == (SOLAR, str(SOLAR))
    assert proof["period_start"] < proof["period_end"]
    assert len(proof["tx_hash"]) == 66


def test_an_unknown_retirement_is_a_404_and_a_bad_id_a_422(client: TestClient) -> None:
    assert client.get("/certificates/retirements/999999").status_code == 404
    assert client.get("/certificates/retirements/0").status_code == 422


def test_a_holder_claims_transfers_and_retires_through_prepared_transactions(
    client: TestClient, sandbox: str, views: Views, certs: str, index: Any
) -> None:
    by_address = {account(i).address.lower(): account(i) for i in range(40)}
    body = next(
        b
        for b in (client.get(f"/accounts/{a}/certificates").json() for a in by_address)
        if b["claimable"]
    )
    holder = by_address[body["account"].lower()]
    prepared = client.post("/tx/certificates/claim", json={"from": holder.address})
    assert prepared.status_code == 200, prepared.text
    assert prepared.json()["details"]["energy_wh"] == body["claimable_wh"]
    send_steps(sandbox, holder, prepared.json())
    first = body["claimable"][0]
    token_id = int(first["token_id"])
    held = views.call("EnergyCertificates", certs, "balanceOf", holder.address, token_id)
    assert held >= int(first["claimable_wh"])

    friend = account(39)
    sent = client.post("/tx/certificates/transfer", json={
        "from": holder.address, "token_id": str(token_id), "to": friend.address, "energy_wh": "10",
    }).json()  # fmt: skip
    send_steps(sandbox, holder, sent)
    assert views.call("EnergyCertificates", certs, "balanceOf", friend.address, token_id) >= 10

    count = views.call("EnergyCertificates", certs, "retirementCount")
    retired = client.post("/tx/certificates/retire", json={
        "from": holder.address, "token_id": str(token_id), "energy_wh": "5",
        "beneficiary": "Test café", "purpose": "Espresso", "location": "Porto, PT",
    }).json()  # fmt: skip
    send_steps(sandbox, holder, retired)
    assert views.call("EnergyCertificates", certs, "retirementCount") == count + 1


def test_retiring_more_than_held_is_refused_in_plain_words(
    client: TestClient, views: Views, certs: str
) -> None:
    answer = client.post("/tx/certificates/retire", json={
        "from": NOBODY, "token_id": str((SOLAR << 128) | 1), "energy_wh": "7",
        "beneficiary": "Someone",
    })  # fmt: skip
    assert answer.status_code == 422
    assert "holds only 0 Wh of certificate" in answer.json()["detail"]


def test_a_claim_with_nothing_to_claim_is_refused(client: TestClient) -> None:
    answer = client.post("/tx/certificates/claim", json={"from": NOBODY})
    assert answer.status_code == 422
    assert "no certificates to claim" in answer.json()["detail"]


def test_a_retirement_without_beneficiary_is_a_422(client: TestClient) -> None:
    answer = client.post("/tx/certificates/retire", json={
        "from": NOBODY, "token_id": "1", "energy_wh": "1", "beneficiary": "",
    })  # fmt: skip
    assert answer.status_code == 422


def test_the_feed_announces_retirements_under_their_own_topic_and_their_asset() -> None:
    contracts = {"0xce": ("certificates", None)}
    retired = {"address": "0xce", "event": "CertificatesRetired",
               "args": {"retirementId": 3, "account": "0x" + "ab" * 20, "id": str((7 << 128) | 5)}}  # fmt: skip
    topics = event_topics(retired, contracts)
    assert topics[0] == "asset:7"
    assert {RETIREMENTS, "certificates", "events", "account:0x" + "ab" * 20} <= set(topics)
    claimed = dict(retired, event="CertificatesClaimed")
    assert RETIREMENTS not in event_topics(claimed, contracts)
    assert parse("retirements") == RETIREMENTS


def test_the_statements_figures_add_up_to_the_accounts_certificates(
    client: TestClient, demo_index: tuple[str, str], index: Any
) -> None:
    """`certificate_figures` (what the yearly statement shows) over all time equals the account's
    certificates, and an empty period has no figure."""
    [(retirer,)] = index("SELECT account FROM certificate_retirements WHERE asset_id = %s", SOLAR)
    body = client.get(f"/accounts/{retirer}/certificates").json()

    async def figures(start: int, end: int) -> list[CertificateYearFigures]:
        db = Database(demo_index[0])
        await db.open()
        try:
            return await certificate_figures(
                db, chain_id=31337, account=retirer, start=start, end=end
            )
        finally:
            await db.close()

    everything = {f.asset_id: f for f in asyncio.run(figures(0, 2**62))}
    solar = everything[SOLAR]
    held = [h for h in body["holdings"] if h["asset_id"] == str(SOLAR)]
    assert solar.claimed_wh == sum(int(h["claimed_wh"]) for h in held) > 0
    assert solar.retired_wh == sum(int(h["retired_wh"]) for h in held) > 0
    assert solar.attributed_wh >= solar.claimed_wh
    assert len(solar.retirement_txs) == 1 and solar.claim_txs
    assert asyncio.run(figures(0, 1)) == []
