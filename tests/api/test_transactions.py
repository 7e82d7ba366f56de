"""Transactions prepared for wallets, on the demo chain: each action's steps are signed with the
account's own key and sent raw, like a wallet would, and the contracts' views show the effect;
actions that would revert answer 422 with the contract's error in plain words."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any

import eth_abi
import psycopg
import pytest
from _stack import Views, api_process, free_port, rpc
from _wallet import (
    ADMIN,
    METER_ADMIN,
    OPERATOR,
    TREASURY,
    USDC,
    account,
    advance,
    bearer,
    call,
    chain_time,
    sandbox,
    send,
    send_steps,
)
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from api.transactions.abi import Abis
from api.transactions.ranges import OutOfRange
from api.transactions.reverts import MESSAGES, Money, RevertContext, decode_revert, format_time
from api.types import MAX_UINT256
from infra.abi import canonical_type

__all__ = ["sandbox"]  # the fixture, imported for the tests below
DAY = 86_400


@pytest.fixture(scope="module")
def contracts(demo_chain: tuple[str, Path]) -> dict[str, str]:
    named = json.loads((demo_chain[1] / "31337.json").read_text())["contracts"]
    return {name: entry["address"] for name, entry in named.items()}


def share_token(views: Views, contracts: dict[str, str], asset_id: int) -> str:
    record = views.call("AssetRegistry", contracts["AssetRegistry"], "asset", asset_id)
    return str(record[5][0])  # (operator, status, paused, governancePaused, reserve, contracts)


def holder(index: Any, asset_id: int, *, claimable: bool = False) -> Any:
    """The test account holding the most shares of an asset (with revenue owed, if asked)."""
    rows = index(
        "SELECT account, balance, claimable FROM holdings WHERE asset_id = %s AND balance > 0"
        " AND (NOT %s OR claimable > 0) ORDER BY balance DESC",
        asset_id, claimable,
    )  # fmt: skip
    by_address = {account(i).address.lower(): account(i) for i in range(40)}
    return next(by_address[row[0]] for row in rows if row[0] in by_address)


def mint(url: str, views: Views, contracts: dict[str, str], who: Any, amount: int) -> None:
    call(url, views, who, "MockStablecoin", contracts["MockStablecoin"], "mint", who.address,
         amount)  # fmt: skip


def usdc_balance(views: Views, contracts: dict[str, str], address: str) -> int:
    return int(views.call("MockStablecoin", contracts["MockStablecoin"], "balanceOf", address))


def open_sale(client: TestClient, url: str, *, total: int = 1_000, min_raise: int,
              days: int = 30) -> int:  # fmt: skip
    """Registers an asset through the API as the demo's operator; gives its id."""
    now = chain_time(url)
    body = {
        "from": account(OPERATOR).address, "kind": "solar", "capacity_watts": 1_000_000,
        "name": "Test Farm Share", "symbol": "TFRM", "location": "PT:Test",
        "metadata_uri": "ipfs://test",
        "sale": {"total_shares": str(total), "share_price": str(10 * USDC), "start": str(now),
                 "end": str(now + days * DAY), "min_raise": str(min_raise),
                 "max_shares_per_buyer": str(total // 2), "treasury": account(TREASURY).address},
        "governance": {"voting_delay": DAY, "voting_period": 5 * DAY, "proposal_threshold": "10",
                       "quorum_percent": 20, "timelock_delay": 2 * DAY},
        "reserve_bps": 1_000,
    }  # fmt: skip
    answer = client.post("/tx/assets/register", json=body)
    assert answer.status_code == 200, answer.text
    (receipt,) = send_steps(url, account(OPERATOR), answer.json())
    registered = keccak(text="AssetRegistered(uint256,address,(address,address,address),"
                        "(uint8,uint64,string,string,string,string,(address,uint256,uint256,"
                        "uint64,uint64,uint256,uint256,address),(uint48,uint32,uint256,uint8,"
                        "uint32),uint16,bool))")  # fmt: skip
    log = next(x for x in receipt["logs"] if x["topics"][0] == "0x" + registered.hex())
    asset_id = int(log["topics"][1], 16)
    assert str(asset_id) == answer.json()["details"]["expected_asset_id"]
    return asset_id


def assert_reverts(answer: Any, error: str) -> dict[str, Any]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = answer.json()
    assert problem["error"] == error, problem
    assert problem["type"].endswith("/transaction-would-revert")
    return problem


# -- decoding ----------------------------------------------------------------------------------


def _dummy(kind: str) -> Any:
    if kind == "address":
        return "0x" + "22" * 20
    if kind.startswith(("uint", "int")):
        return 7
    if kind.startswith("bytes") and kind != "bytes":
        return b"\x01" * int(kind[5:])
    return {"bool": True, "string": "text", "bytes": b"\x01"}[kind]


def test_every_error_of_the_contracts_reads_in_plain_words() -> None:
    abis = Abis.load(Path(__file__).resolve().parents[2] / ".build" / "__local__.json")
    context = RevertContext(sender="0x" + "11" * 20, now=1_800_000_000, money=Money("mUSDC", 6))
    for selector, spec in abis.errors.items():
        types = [canonical_type(p) for p in spec.inputs]
        data = selector + eth_abi.encode(types, [_dummy(t) for t in types])
        decoded = decode_revert(abis, data, context)

        assert spec.name in MESSAGES, f"no words for {spec.signature}"
        assert decoded.name == spec.name
        assert set(decoded.args) == {p["name"] for p in spec.inputs}
        assert "{" not in decoded.detail and "refused with" not in decoded.detail


def test_revert_words_show_amounts_with_decimals_and_times_as_utc_dates() -> None:
    abis = Abis.load(Path(__file__).resolve().parents[2] / ".build" / "__local__.json")
    context = RevertContext(sender="0x" + "11" * 20, now=1_772_370_000, money=Money("mUSDC", 6))
    closed = keccak(text="SaleNotOpen(uint256,uint64,uint64)")[:4] + eth_abi.encode(
        ["uint256", "uint64", "uint64"], [3, 1_769_860_800, 1_772_366_400]
    )
    short = keccak(text="ERC20InsufficientBalance(address,uint256,uint256)")[:4] + eth_abi.encode(
        ["address", "uint256", "uint256"], ["0x" + "11" * 20, 1_234_500_000, 20_000_000_000]
    )
    error = keccak(text="Error(string)")[:4] + eth_abi.encode(["string"], ["nope"])  # fmt: skip

    assert decode_revert(abis, closed, context).detail == (
        "the funding window of asset #3 closed on 2026-03-01 12:00 UTC"
    )
    assert decode_revert(abis, short, context).detail == (
        "your account holds only 1,234.50 mUSDC; 20,000.00 mUSDC are needed"
    )
    assert decode_revert(abis, error, context).detail == "the contract refused: nope"
    assert decode_revert(abis, b"\x12\x34\x56\x78", context).name == "Unknown"  # fmt: skip


# -- primary sale ------------------------------------------------------------------------------


def test_buy_with_approval_sends_the_approval_first_then_the_purchase(
    client: TestClient, sandbox: str, views: Views, contracts: dict[str, str], index: Any
) -> None:
    asset_id = open_sale(client, sandbox, min_raise=1_000 * USDC)
    buyer = account(METER_ADMIN)  # never approved the sale
    mint(sandbox, views, contracts, buyer, 500 * USDC)

    answer = client.post("/tx/buy", json={"from": buyer.address, "asset_id": str(asset_id),
                                          "shares": "25"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    prepared = answer.json()
    approve, purchase = prepared["steps"]
    assert approve["params"]["to"].lower() == contracts["MockStablecoin"].lower()
    assert purchase["params"]["to"].lower() == contracts["PrimarySale"].lower()
    assert prepared["details"]["cost"] == str(250 * USDC)
    assert "250.00 mUSDC" in prepared["summary"]
    send_steps(sandbox, buyer, prepared)

    token = share_token(views, contracts, asset_id)
    assert views.call("ShareToken", token, "balanceOf", buyer.address) == 25
    assert usdc_balance(views, contracts, buyer.address) == 250 * USDC
    approved = holder(index, 1)  # approved the sale for any amount in the demo
    again = client.post("/tx/buy", json={"from": approved.address, "asset_id": str(asset_id),
                                         "shares": "1"}).json()  # fmt: skip
    assert [step["summary"] for step in again["steps"]] == [again["summary"]]


def test_buy_with_a_signed_permit_takes_one_transaction(
    client: TestClient, sandbox: str, views: Views, contracts: dict[str, str]
) -> None:
    asset_id = open_sale(client, sandbox, min_raise=1_000 * USDC)
    buyer = account(TREASURY)  # never approved the sale
    mint(sandbox, views, contracts, buyer, 100 * USDC)
    before = usdc_balance(views, contracts, buyer.address)
    body = {"from": buyer.address, "asset_id": str(asset_id), "shares": "10", "method": "permit"}

    first = client.post("/tx/buy", json=body).json()
    (sign,) = first["steps"]
    assert sign["method"] == "eth_signTypedData_v4"
    typed = sign["typed_data"]
    assert typed["domain"]["verifyingContract"].lower() == contracts["MockStablecoin"].lower()
    assert typed["message"]["value"] == str(100 * USDC)
    signature = Account.sign_message(encode_typed_data(full_message=typed), buyer.key).signature
    permit = {"deadline": typed["message"]["deadline"], "signature": "0x" + signature.hex()}
    second = client.post("/tx/buy", json=body | {"permit": permit})
    assert second.status_code == 200, second.text
    (purchase,) = second.json()["steps"]
    send(sandbox, buyer, purchase["params"])

    token = share_token(views, contracts, asset_id)
    assert views.call("ShareToken", token, "balanceOf", buyer.address) == 10
    assert usdc_balance(views, contracts, buyer.address) == before - 100 * USDC
    sale = contracts["PrimarySale"]
    assert views.call("MockStablecoin", contracts["MockStablecoin"], "allowance", buyer.address,
                      sale) == 0  # fmt: skip


def test_permit_signed_by_another_key_is_refused(
    client: TestClient, sandbox: str, views: Views, contracts: dict[str, str]
) -> None:
    asset_id = open_sale(client, sandbox, min_raise=1_000 * USDC)
    body = {"from": account(TREASURY).address, "asset_id": str(asset_id), "shares": "10",
            "method": "permit"}  # fmt: skip
    typed = client.post("/tx/buy", json=body).json()["steps"][0]["typed_data"]
    forged = Account.sign_message(encode_typed_data(full_message=typed), account(5).key)
    permit = {"deadline": typed["message"]["deadline"], "signature": "0x" + forged.signature.hex()}

    answer = client.post("/tx/buy", json=body | {"permit": permit})

    assert answer.status_code == 422
    assert "not the buyer's" in answer.json()["detail"]


def test_buy_after_the_sale_closed_names_the_closing_date(
    client: TestClient, index: Any, demo_chain: tuple[str, Path]
) -> None:
    ((end,),) = index("SELECT sale_end FROM assets WHERE asset_id = 1")

    problem = assert_reverts(client.post("/tx/buy", json={
        "from": account(7).address, "asset_id": "1", "shares": "5"}), "SaleNotOpen")  # fmt: skip

    assert problem["detail"] == f"the funding window of asset #1 closed on {format_time(end)}"
    assert problem["args"] == {"assetId": "1", "start": problem["args"]["start"], "end": str(end)}


def test_refund_of_a_failed_sale_returns_the_payment(
    client: TestClient, sandbox: str, views: Views, contracts: dict[str, str]
) -> None:
    asset_id = open_sale(client, sandbox, min_raise=5_000 * USDC, days=2)
    buyer = account(METER_ADMIN)
    mint(sandbox, views, contracts, buyer, 40 * USDC)
    send_steps(sandbox, buyer, client.post("/tx/buy", json={
        "from": buyer.address, "asset_id": str(asset_id), "shares": "4"}).json())  # fmt: skip
    early = client.post("/tx/refund", json={"from": buyer.address, "asset_id": str(asset_id)})
    assert_reverts(early, "SaleNotRefundable")
    advance(sandbox, 3 * DAY)

    prepared = client.post("/tx/refund", json={"from": buyer.address, "asset_id": str(asset_id)})
    assert prepared.json()["details"]["amount"] == str(40 * USDC)
    send_steps(sandbox, buyer, prepared.json())

    assert usdc_balance(views, contracts, buyer.address) == 40 * USDC
    assert views.call("PrimarySale", contracts["PrimarySale"], "contributionOf", asset_id,
                      buyer.address) == 0  # fmt: skip


def test_refund_reverts_when_nothing_was_paid(client: TestClient) -> None:
    problem = assert_reverts(client.post("/tx/refund", json={
        "from": account(METER_ADMIN).address, "asset_id": "5"}), "SaleNothingToRefund")  # fmt: skip
    assert problem["detail"] == (
        "your account paid nothing into the sale of asset #5, or was already refunded"
    )


# -- revenue, transfers, votes -----------------------------------------------------------------


def test_claim_pays_the_revenue_owed(
    client: TestClient, sandbox: str, views: Views, contracts: dict[str, str], index: Any
) -> None:
    owner = holder(index, 1, claimable=True)
    token = share_token(views, contracts, 1)
    owed = views.call("ShareToken", token, "claimableRevenueOf", owner.address)
    before = usdc_balance(views, contracts, owner.address)

    prepared = client.post("/tx/claim", json={"from": owner.address, "asset_id": "1"}).json()
    assert prepared["details"]["amount"] == str(owed) and owed > 0
    send_steps(sandbox, owner, prepared)

    assert usdc_balance(views, contracts, owner.address) == before + owed
    assert views.call("ShareToken", token, "claimableRevenueOf", owner.address) == 0


def test_claim_to_a_recipient_pays_the_recipient(
    client: TestClient, sandbox: str, views: Views, contracts: dict[str, str], index: Any
) -> None:
    owner, to = holder(index, 1, claimable=True), account(METER_ADMIN).address
    token = share_token(views, contracts, 1)
    owed = views.call("ShareToken", token, "claimableRevenueOf", owner.address)
    before = usdc_balance(views, contracts, to)

    prepared = client.post("/tx/claim", json={
        "from": owner.address, "asset_id": "1", "recipient": to}).json()  # fmt: skip
    assert prepared["summary"].endswith(f"to {to}") and owed > 0
    send_steps(sandbox, owner, prepared)

    assert usdc_balance(views, contracts, to) == before + owed
    assert views.call("ShareToken", token, "claimableRevenueOf", owner.address) == 0


def test_claim_reverts_when_nothing_is_owed(client: TestClient) -> None:
    problem = assert_reverts(client.post("/tx/claim", json={
        "from": account(METER_ADMIN).address, "asset_id": "1"}), "ShareNothingToClaim")  # fmt: skip
    assert problem["detail"] == "your account has no revenue to claim"
    assert problem["args"] == {"account": account(METER_ADMIN).address}


def test_transfer_moves_shares(
    client: TestClient, sandbox: str, views: Views, contracts: dict[str, str], index: Any
) -> None:
    owner, to = holder(index, 1), account(METER_ADMIN).address
    token = share_token(views, contracts, 1)
    before = views.call("ShareToken", token, "balanceOf", owner.address)

    send_steps(sandbox, owner, client.post("/tx/transfer", json={
        "from": owner.address, "asset_id": "1", "to": to, "shares": "7"}).json())  # fmt: skip

    assert views.call("ShareToken", token, "balanceOf", owner.address) == before - 7
    assert views.call("ShareToken", token, "balanceOf", to) == 7


def test_transfer_of_more_than_the_balance_is_refused(
    client: TestClient, views: Views, contracts: dict[str, str], index: Any
) -> None:
    owner = holder(index, 1)
    balance = views.call("ShareToken", share_token(views, contracts, 1), "balanceOf", owner.address)

    problem = assert_reverts(client.post("/tx/transfer", json={
        "from": owner.address, "asset_id": "1", "to": account(METER_ADMIN).address,
        "shares": str(balance + 1)}), "ERC20InsufficientBalance")  # fmt: skip

    assert problem["detail"] == (f"your account holds only {balance:,} shares; {balance + 1:,} "
                                 "shares are needed")  # fmt: skip


def test_transfer_to_an_unverified_holder_of_a_verified_only_asset_is_refused(
    client: TestClient, index: Any
) -> None:
    owner = holder(index, 3)
    problem = assert_reverts(client.post("/tx/transfer", json={
        "from": owner.address, "asset_id": "3", "to": account(METER_ADMIN).address,
        "shares": "1"}), "ShareRecipientNotVerified")  # fmt: skip
    assert "not a verified holder" in problem["detail"]


def test_delegate_moves_the_votes(
    client: TestClient, sandbox: str, views: Views, contracts: dict[str, str], index: Any
) -> None:
    owner, delegatee = holder(index, 4), account(METER_ADMIN).address
    token = share_token(views, contracts, 4)
    balance = views.call("ShareToken", token, "balanceOf", owner.address)

    send_steps(sandbox, owner, client.post("/tx/delegate", json={
        "from": owner.address, "asset_id": "4", "delegatee": delegatee}).json())  # fmt: skip

    assert views.call("ShareToken", token, "delegates", owner.address).lower() == delegatee.lower()
    assert views.call("ShareToken", token, "getVotes", delegatee) == balance


def test_propose_then_vote_once_with_a_reason(
    client: TestClient, sandbox: str, views: Views, contracts: dict[str, str], index: Any
) -> None:
    proposer = holder(index, 1)
    ((governor,),) = index("SELECT governor FROM assets WHERE asset_id = 1")
    usdc = contracts["MockStablecoin"]
    calldata = keccak(text="transfer(address,uint256)")[:4] + eth_abi.encode(
        ["address", "uint256"], [account(METER_ADMIN).address, 0]
    )
    proposed = client.post("/tx/propose", json={
        "from": proposer.address, "asset_id": "1", "targets": [usdc], "values": ["0"],
        "calldatas": ["0x" + calldata.hex()], "description": "Test: a proposal from the API"}).json()  # fmt: skip
    send_steps(sandbox, proposer, proposed)
    proposal_id = int(proposed["details"]["proposal_id"])
    assert views.call("AssetGovernor", governor, "state", proposal_id) == 0  # pending
    vote = {"from": proposer.address, "asset_id": "1", "proposal_id": str(proposal_id),
            "support": "for", "reason": "cheaper repairs"}  # fmt: skip

    early = assert_reverts(client.post("/tx/vote", json=vote), "GovernorUnexpectedProposalState")
    assert early["detail"] == f"voting on proposal {proposal_id} has not started: it is pending"
    advance(sandbox, DAY + 60)
    send_steps(sandbox, proposer, client.post("/tx/vote", json=vote).json())
    assert views.call("AssetGovernor", governor, "hasVoted", proposal_id, proposer.address)
    against, in_favour, _ = views.call("AssetGovernor", governor, "proposalVotes", proposal_id)
    assert in_favour == views.call("ShareToken", share_token(views, contracts, 1), "balanceOf",
                                   proposer.address) and against == 0  # fmt: skip

    twice = assert_reverts(client.post("/tx/vote", json=vote), "GovernorAlreadyCastVote")
    assert twice["detail"] == "your account has already voted on this proposal"


# -- market ------------------------------------------------------------------------------------


def test_list_fill_and_cancel_with_the_approvals_the_market_needs(
    client: TestClient, sandbox: str, views: Views, contracts: dict[str, str], index: Any
) -> None:
    seller, buyer = holder(index, 1), account(METER_ADMIN)
    token, market = share_token(views, contracts, 1), contracts["ShareMarket"]
    call(sandbox, views, seller, "ShareToken", token, "approve", market, 0)
    listed = client.post("/tx/market/list", json={
        "from": seller.address, "asset_id": "1", "shares": "40",
        "price_per_share": str(120 * USDC), "expires_at": str(chain_time(sandbox) + 7 * DAY)}).json()  # fmt: skip
    assert [s["params"]["to"].lower() for s in listed["steps"]] == [token.lower(), market.lower()]
    send_steps(sandbox, seller, listed)
    listing_id = views.call("ShareMarket", market, "listingCount")
    mint(sandbox, views, contracts, buyer, 1_200 * USDC)
    seller_usdc = usdc_balance(views, contracts, seller.address)

    filled = client.post("/tx/market/fill", json={
        "from": buyer.address, "listing_id": str(listing_id), "shares": "10"}).json()  # fmt: skip
    assert len(filled["steps"]) == 2 and filled["details"]["paid"] == str(1_200 * USDC)
    send_steps(sandbox, buyer, filled)
    assert views.call("ShareToken", token, "balanceOf", buyer.address) == 10
    fee = 1_200 * USDC * views.call("ShareMarket", market, "listing", listing_id)[7] // 10_000
    assert usdc_balance(views, contracts, seller.address) == seller_usdc + 1_200 * USDC - fee

    send_steps(sandbox, seller, client.post("/tx/market/cancel", json={
        "from": seller.address, "listing_id": str(listing_id)}).json())  # fmt: skip
    assert views.call("ShareMarket", market, "listing", listing_id)[3] == 0
    gone = client.post("/tx/market/fill", json={
        "from": buyer.address, "listing_id": str(listing_id), "shares": "1"})  # fmt: skip
    assert assert_reverts(gone, "MarketListingNotOpen")["detail"] == (
        f"listing #{listing_id} is not open (it was never listed, or was cancelled, filled or invalidated)"
    )


def test_fill_of_an_expired_listing_names_its_expiry(client: TestClient, index: Any) -> None:
    ((listing_id, expires),) = index(
        "SELECT listing_id, expires_at FROM listings WHERE status = 'open' ORDER BY listing_id"
        " LIMIT 1")  # fmt: skip

    problem = assert_reverts(client.post("/tx/market/fill", json={
        "from": account(METER_ADMIN).address, "listing_id": str(listing_id), "shares": "1"}),
        "MarketListingExpired")  # fmt: skip

    assert problem["detail"] == f"listing #{listing_id} expired on {format_time(expires)}"


def test_invalidate_kills_every_listing_of_the_seller(
    client: TestClient, sandbox: str, views: Views, contracts: dict[str, str], index: Any
) -> None:
    ((listing_id, seller),) = index(
        "SELECT listing_id, seller FROM listings WHERE status = 'open' LIMIT 1"
    )
    market = contracts["ShareMarket"]
    assert views.call("ShareMarket", market, "listing", int(listing_id))[3] > 0

    signer = next(account(i) for i in range(40) if account(i).address.lower() == seller)
    send_steps(sandbox, signer, client.post("/tx/market/invalidate", json={
        "from": signer.address}).json())  # fmt: skip

    assert views.call("ShareMarket", market, "listing", int(listing_id))[3] == 0
    assert views.call("ShareMarket", market, "listingNonceOf", seller) == 1


def test_cancel_by_someone_else_is_refused(client: TestClient, index: Any) -> None:
    ((listing_id,),) = index("SELECT listing_id FROM listings WHERE status = 'open' LIMIT 1")
    problem = assert_reverts(client.post("/tx/market/cancel", json={
        "from": account(METER_ADMIN).address, "listing_id": str(listing_id)}), "MarketNotSeller")  # fmt: skip
    assert problem["detail"].startswith("only the seller 0x")


# -- operator ----------------------------------------------------------------------------------


def test_deposit_revenue_approves_the_share_token_then_distributes(
    client: TestClient, sandbox: str, views: Views, contracts: dict[str, str]
) -> None:
    operator, token = account(OPERATOR), share_token(views, contracts, 1)
    call(sandbox, views, operator, "MockStablecoin", contracts["MockStablecoin"], "approve",
         token, 0)  # fmt: skip
    mint(sandbox, views, contracts, operator, 10_000 * USDC)
    before = views.call("ShareToken", token, "totalRevenueDistributed")

    prepared = client.post("/tx/revenue/deposit", json={
        "from": operator.address, "asset_id": "1", "amount": str(10_000 * USDC)}).json()  # fmt: skip
    assert len(prepared["steps"]) == 2
    send_steps(sandbox, operator, prepared)

    fee_bps = views.call("AssetRegistry", contracts["AssetRegistry"], "revenueFeeBps")
    reserve_bps = views.call("AssetRegistry", contracts["AssetRegistry"], "asset", 1)[4]
    kept = 10_000 * USDC * fee_bps // 10_000 + 10_000 * USDC * reserve_bps // 10_000
    assert (
        views.call("ShareToken", token, "totalRevenueDistributed") == before + 10_000 * USDC - kept
    )


def test_deposit_by_someone_not_the_operator_is_refused(client: TestClient) -> None:
    problem = assert_reverts(client.post("/tx/revenue/deposit", json={
        "from": account(7).address, "asset_id": "1", "amount": "1000"}), "ShareNotRevenueDepositor")  # fmt: skip
    assert "only the asset's operator or its timelock deposits revenue" in problem["detail"]


def bare_asset(sender: str, **sale: str) -> dict[str, Any]:
    """A registration body whose sale never closes (enough for refusals)."""
    return {
        "from": sender, "kind": "wind", "capacity_watts": 1, "name": "No Share", "symbol": "NO",
        "location": "PT:x", "metadata_uri": "",
        "sale": {"total_shares": "10", "share_price": "1", "start": "1", "end": str(2**63),
                 "min_raise": "1", "max_shares_per_buyer": "1", "treasury": account(2).address,
                 **sale},
        "governance": {"voting_delay": 3_600, "voting_period": DAY, "proposal_threshold": "0",
                       "quorum_percent": 10, "timelock_delay": DAY},
        "reserve_bps": 0,
    }  # fmt: skip


def test_register_asset_needs_the_operator_role(client: TestClient) -> None:
    body = bare_asset(account(METER_ADMIN).address)
    problem = assert_reverts(client.post("/tx/assets/register", json=body),
                             "AccessControlUnauthorizedAccount")  # fmt: skip
    assert problem["detail"] == "your account lacks the operator role (OPERATOR_ROLE)"


def test_a_payment_token_that_is_no_token_contract_is_refused(client: TestClient) -> None:
    body = bare_asset(account(OPERATOR).address, payment_token=account(9).address)

    answer = client.post("/tx/assets/register", json=body)

    assert answer.status_code == 422
    assert answer.json()["detail"] == (f"{account(9).address} does not answer symbol() as "
                                       "an ERC-20 token would: is it the right contract?")  # fmt: skip


# -- requests ----------------------------------------------------------------------------------


def test_from_must_be_the_signed_in_account_when_a_token_is_given(
    client: TestClient, demo_settings: ApiSettings
) -> None:
    body = {"from": account(METER_ADMIN).address, "asset_id": "1"}

    other = client.post("/tx/claim", json=body, headers=bearer(demo_settings, account(5).address))
    bad = client.post("/tx/claim", json=body, headers={"Authorization": "Bearer not-a-token"})
    own = client.post("/tx/claim", json=body,
                      headers=bearer(demo_settings, account(METER_ADMIN).address))  # fmt: skip

    assert other.status_code == 403
    assert bad.status_code == 401
    assert own.status_code == 422  # prepared (and simulated) for its own account


def test_bad_input_gets_reasons(client: TestClient) -> None:
    unknown = client.post("/tx/claim", json={"from": account(3).address, "asset_id": "999"})
    no_from = client.post("/tx/claim", json={"asset_id": "1"})
    amount = client.post("/tx/transfer", json={"from": account(3).address, "asset_id": "1",
                                               "to": account(4).address, "shares": "1.5"})  # fmt: skip

    assert unknown.status_code == 404 and unknown.json()["detail"] == "asset #999 is not registered"
    assert no_from.status_code == 422 and no_from.json()["errors"][0]["field"] == "from"
    assert amount.status_code == 422 and "decimal string" in amount.json()["detail"]


def test_a_node_that_does_not_answer_gives_503(demo_settings: ApiSettings) -> None:
    dead = demo_settings.model_copy(update={"rpc_url": f"http://127.0.0.1:{free_port()}",
                                            "chain_id": 31337})  # fmt: skip
    with TestClient(create_app(dead)) as offline:
        answer = offline.post("/tx/claim", json={"from": account(ADMIN).address, "asset_id": "1"})

    assert answer.status_code == 503
    assert answer.json()["type"].endswith("/node-unavailable")
    assert "cannot be reached" in answer.json()["detail"]
    assert rpc(demo_settings.rpc_url, "eth_chainId") == "0x7a69"


# -- ranges: every value the API puts into a transaction fits its ABI type -------------------


@pytest.mark.parametrize("method", ["approve", "permit"])
def test_a_purchase_whose_cost_overflows_uint256_is_422_with_the_reason(
    client: TestClient, method: str
) -> None:
    answer = client.post("/tx/buy", json={"from": account(7).address, "asset_id": "1",
                                          "shares": str(MAX_UINT256), "method": method})  # fmt: skip

    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["type"].endswith("/out-of-range")
    assert problem["detail"].startswith(f"the cost of {MAX_UINT256} shares at ")
    assert "more than a uint256 amount can be" in problem["detail"]


def test_a_fill_whose_price_overflows_uint256_is_422_with_the_reason(
    client: TestClient, index: Any
) -> None:
    ((listing_id,),) = index("SELECT listing_id FROM listings WHERE status = 'open' LIMIT 1")

    answer = client.post("/tx/market/fill", json={
        "from": account(METER_ADMIN).address, "listing_id": str(listing_id),
        "shares": str(MAX_UINT256)})  # fmt: skip

    assert answer.status_code == 422, answer.text
    assert answer.json()["type"].endswith("/out-of-range")
    assert answer.json()["detail"].startswith(f"the price of {MAX_UINT256} shares at ")


def test_a_listing_whose_allowance_overflows_uint256_is_422_with_the_reason(
    client: TestClient, demo_index: tuple[str, str], demo_chain: tuple[str, Path]
) -> None:
    """The allowance needed is the new shares plus those of the seller's open listings (in the
    index: one of the demo's, kept open past the chain's clock for the test)."""
    now = chain_time(demo_chain[0])
    with psycopg.connect(demo_index[0], autocommit=True) as conn:
        listing_id, seller, asset_id, expires = conn.execute(
            "SELECT listing_id, seller, asset_id, expires_at FROM listings WHERE status = 'open'"
            " AND remaining > 0 ORDER BY listing_id LIMIT 1").fetchone() or (0, "", 0, 0)  # fmt: skip
        conn.execute("UPDATE listings SET expires_at = %s WHERE listing_id = %s",
                     (now + 30 * DAY, listing_id))  # fmt: skip
        try:
            answer = client.post("/tx/market/list", json={
                "from": seller, "asset_id": str(asset_id), "shares": str(MAX_UINT256),
                "price_per_share": "1", "expires_at": str(now + 7 * DAY)})  # fmt: skip
        finally:
            conn.execute("UPDATE listings SET expires_at = %s WHERE listing_id = %s",
                         (expires, listing_id))  # fmt: skip

    assert answer.status_code == 422, answer.text
    assert answer.json()["type"].endswith("/out-of-range")
    assert "already listed" in answer.json()["detail"]


def test_every_encoded_value_is_checked_against_its_abi_type() -> None:
    """The net under every builder: a value too large for a narrower type is refused by name."""
    build_abis = Abis.load(Path(__file__).resolve().parents[2] / ".build" / "__local__.json")
    with pytest.raises(OutOfRange, match=r"expiresAt is 18446744073709551616, out of range: a"
                       r" uint64 is at most 18446744073709551615"):  # fmt: skip
        build_abis.encode("ShareMarket", "list", "0x" + "11" * 20, 1, 1, 2**64)
    with pytest.raises(OutOfRange, match=r"support is 256, out of range: a uint8"):
        build_abis.encode("AssetGovernor", "castVote", 1, 256)
    with pytest.raises(OutOfRange, match=r"params\.governance\.votingDelay is 281474976710656"):
        build_abis.encode("AssetRegistry", "registerAsset", (
            0, 1, "n", "s", "PT:x", "", ("0x" + "11" * 20, 1, 1, 0, 1, 0, 1, "0x" + "22" * 20),
            (2**48, 1, 0, 0, 0), 0, False))  # fmt: skip
    with pytest.raises(OutOfRange, match=r"values\[1\] is -1"):
        build_abis.encode("AssetGovernor", "propose", ["0x" + "11" * 20] * 2, [0, -1],
                          [b"", b""], "d")  # fmt: skip
    assert build_abis.encode("ShareMarket", "list", "0x" + "11" * 20, 1, 1, 2**64 - 1)


def test_an_out_of_range_amount_keeps_the_keep_alive_connection(
    demo_settings: ApiSettings, tmp_path: Path
) -> None:
    """Over a real server: the 422 leaves the connection open for the client's next request (the
    500 it replaces made uvicorn drop it, failing that request too)."""
    secret = demo_settings.jwt_secret
    assert secret is not None
    env = {"DATABASE_URL": str(demo_settings.database_url), "RPC_URL": demo_settings.rpc_url,
           "DEPLOYMENTS_DIR": str(demo_settings.deployments_dir), "API_DATA_DIR": str(tmp_path),
           "API_JWT_SECRET": str(secret.get_secret_value())}  # fmt: skip
    process, url = api_process(env, tmp_path / "api.log")
    body = json.dumps({"from": account(7).address, "asset_id": "1", "shares": str(MAX_UINT256)})
    try:
        connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=30)
        sockets = []
        for _ in range(3):
            connection.request("POST", "/tx/buy", body, {"Content-Type": "application/json"})
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 422
            assert not answer.will_close
            sockets.append(connection.sock)
        assert sockets[0] is not None and sockets.count(sockets[0]) == 3
        connection.close()
    finally:
        process.terminate()
        process.wait(10)
