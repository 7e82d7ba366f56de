"""Each user action as a `Plan`: the calls (and approvals, permits) a wallet needs for it.

Live figures a wallet depends on (allowances, nonces, listings) are read from the node; the rest
(an asset's contracts and terms) from the index, or the chain for an asset not indexed yet.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from api.exceptions import InvalidInput
from api.models.transactions import (
    KINDS,
    SUPPORT,
    ApproveSharesRequest,
    AssetRequest,
    BuyRequest,
    ClaimRequest,
    DelegateRequest,
    DepositRequest,
    FillRequest,
    ListingRequest,
    ListRequest,
    ProposeRequest,
    RegisterAssetRequest,
    Step,
    TransferRequest,
    TxRequest,
    VoteRequest,
)
from api.queries.transactions import listed_shares
from api.transactions.abi import ERC20, encode_args
from api.transactions.build import Call, Chain, Plan
from api.transactions.ranges import uint256
from api.transactions.reverts import SHARES, Money, RevertContext, format_amount, format_time
from api.types import ZERO_ADDRESS, checksum

UINT64 = 2**64


def _approve(chain: Chain, token: str, spender: str, amount: int, summary: str) -> Call:
    return Call(token, chain.abis.encode(ERC20, "approve", spender, amount), summary)


async def _approval_if_short(chain: Chain, token: str, owner: str, spender: str, needed: int,
                             summary: str) -> list[Call]:  # fmt: skip
    allowance = await chain.view(ERC20, token, "allowance", owner, spender)
    return [] if allowance >= needed else [_approve(chain, token, spender, needed, summary)]


def _split_signature(signature: str) -> tuple[int, bytes, bytes]:
    raw = bytes.fromhex(signature[2:])
    v = raw[64] + 27 if raw[64] < 27 else raw[64]
    return v, raw[:32], raw[32:64]


async def buy(chain: Chain, body: BuyRequest) -> Plan:
    """Buys shares in a primary sale, after an approval or with a permit."""
    asset, platform = await chain.asset(body.asset_id), await chain.platform()
    token, sale = asset.payment_token, platform.sale
    money = await chain.money(token)
    cost = uint256(body.shares * asset.share_price,
                   f"the cost of {body.shares} shares at {asset.share_price} each")  # fmt: skip
    context = RevertContext(money=money, erc20=money)
    summary = (f"Buy {format_amount(body.shares, SHARES)} of {asset.name} (#{asset.asset_id}) for"
               f" {format_amount(cost, money)}")  # fmt: skip
    allow = f"Allow the primary sale to take {format_amount(cost, money)}"
    details: dict[str, Any] = {"cost": str(cost), "payment_token": checksum(token),
                               "spender": checksum(sale)}  # fmt: skip
    buy_call = Call(sale, chain.abis.encode("PrimarySale", "buy", body.asset_id, body.shares),
                    summary)  # fmt: skip
    if body.method == "approve":
        calls = await _approval_if_short(chain, token, body.sender, sale, cost, allow)
        return Plan("buy", summary, [*calls, buy_call], context, details=details)
    if body.permit is None:
        deadline = body.deadline or await chain.now() + chain.state.settings.permit_seconds
        typed = await chain.permit_typed_data(token, owner=body.sender, spender=sale, value=cost,
                                              deadline=deadline)  # fmt: skip
        details.update(deadline=str(deadline), next="sign the permit, then POST /tx/buy again"
                       " with the same body and permit {deadline, signature}")  # fmt: skip
        step = Step(kind="signature", method="eth_signTypedData_v4", typed_data=typed,
                    summary=f"Sign a permit: {allow.lower()} until {format_time(deadline)}")  # fmt: skip
        approve = _approve(chain, token, sale, cost, allow)
        approve.returned = buy_call.returned = False  # simulated as the permit's equivalent
        return Plan("buy", summary, [approve, buy_call], context, step, details)
    deadline = body.permit.deadline
    typed = await chain.permit_typed_data(token, owner=body.sender, spender=sale, value=cost,
                                          deadline=deadline)  # fmt: skip
    try:
        signer = Account.recover_message(encode_typed_data(full_message=typed),
                                         signature=body.permit.signature).lower()  # fmt: skip
    except Exception as error:  # malformed r, s or v
        raise InvalidInput(
            "the permit signature is not a valid signature", "invalid-permit"
        ) from error
    if signer != body.sender:
        raise InvalidInput("the permit signature is not the buyer's for this purchase (it must "
                           "permit exactly the cost, with the current nonce and the given deadline)",
                           "invalid-permit")  # fmt: skip
    now = await chain.now()
    if deadline < now:
        raise InvalidInput(f"the permit expired on {format_time(deadline)}: sign a new one",
                           "invalid-permit")  # fmt: skip
    v, r, s = _split_signature(body.permit.signature)
    data = chain.abis.encode("PrimarySale", "buyWithPermit", body.asset_id, body.shares, deadline,
                             v, r, s)  # fmt: skip
    return Plan("buy", summary, [Call(sale, data, summary)], context, details=details)


async def claim(chain: Chain, body: ClaimRequest) -> Plan:
    """Claims an asset's revenue owed to the sender, to itself or to the recipient it names."""
    asset = await chain.asset(body.asset_id)
    money = await chain.money(asset.payment_token)
    owed = await chain.view("ShareToken", asset.share_token, "claimableRevenueOf", body.sender)
    summary = f"Claim {format_amount(owed, money)} of revenue from {asset.name}"
    if body.recipient is None or body.recipient == body.sender:
        data = chain.abis.encode("ShareToken", "claimRevenue")
    else:
        summary += f" to {checksum(body.recipient)}"
        data = chain.abis.encode("ShareToken", "claimRevenueTo", body.recipient)
    return Plan("claim", summary, [Call(asset.share_token, data, summary)],
                RevertContext(money=money, erc20=money), details={"amount": str(owed)})  # fmt: skip


async def refund(chain: Chain, body: AssetRequest) -> Plan:
    """Takes a refund from a failed sale."""
    asset, platform = await chain.asset(body.asset_id), await chain.platform()
    money = await chain.money(asset.payment_token)
    paid = await chain.view("PrimarySale", platform.sale, "contributionOf", body.asset_id,
                            body.sender)  # fmt: skip
    summary = f"Take a refund of {format_amount(paid, money)} from the sale of {asset.name}"
    data = chain.abis.encode("PrimarySale", "refund", body.asset_id)
    return Plan("refund", summary, [Call(platform.sale, data, summary)],
                RevertContext(money=money, erc20=money), details={"amount": str(paid)})  # fmt: skip


async def transfer(chain: Chain, body: TransferRequest) -> Plan:
    """Sends shares to another account."""
    asset = await chain.asset(body.asset_id)
    summary = (f"Send {format_amount(body.shares, SHARES)} of {asset.name} to"
               f" {checksum(body.to)}")  # fmt: skip
    data = chain.abis.encode("ShareToken", "transfer", body.to, body.shares)
    return Plan("transfer", summary, [Call(asset.share_token, data, summary)],
                RevertContext(erc20=SHARES))  # fmt: skip


async def delegate(chain: Chain, body: DelegateRequest) -> Plan:
    """Delegates the sender's votes of an asset."""
    asset = await chain.asset(body.asset_id)
    summary = f"Delegate your {asset.symbol} votes to {checksum(body.delegatee)}"
    data = chain.abis.encode("ShareToken", "delegate", body.delegatee)
    return Plan("delegate", summary, [Call(asset.share_token, data, summary)])


async def propose(chain: Chain, body: ProposeRequest) -> Plan:
    """Makes a governance proposal for an asset."""
    asset = await chain.asset(body.asset_id)
    calldatas = [bytes.fromhex(c[2:]) for c in body.calldatas]
    proposal_id = int.from_bytes(keccak(encode_args(
        ["address[]", "uint256[]", "bytes[]", "bytes32"],
        [body.targets, body.values, calldatas, keccak(text=body.description)])), "big")  # fmt: skip
    title = body.description.strip().splitlines()[0][:120]
    summary = f"Propose to {asset.name} holders: {title}"
    data = chain.abis.encode("AssetGovernor", "propose", body.targets, body.values, calldatas,
                             body.description)  # fmt: skip
    return Plan("propose", summary, [Call(asset.governor, data, summary)],
                details={"proposal_id": str(proposal_id)})  # fmt: skip


async def vote(chain: Chain, body: VoteRequest) -> Plan:
    """Votes on a proposal, with a reason when one is given."""
    asset = await chain.asset(body.asset_id)
    support = SUPPORT[body.support]
    summary = f"Vote {body.support} proposal {body.proposal_id} of {asset.name}"
    if body.reason:
        data = chain.abis.encode("AssetGovernor", "castVoteWithReason", body.proposal_id, support,
                                 body.reason)  # fmt: skip
    else:
        data = chain.abis.encode("AssetGovernor", "castVote", body.proposal_id, support)
    return Plan("vote", summary, [Call(asset.governor, data, summary)])


async def market_list(chain: Chain, body: ListRequest) -> Plan:
    """Lists shares for sale, approving the market for them first when needed."""
    if body.expires_at >= UINT64:
        raise InvalidInput("expires_at must be a unix time below 2**64")
    asset, platform = await chain.asset(body.asset_id), await chain.platform()
    money = await chain.money(asset.payment_token)
    listed = await listed_shares(chain.state.db, chain_id=chain.chain_id, seller=body.sender,
                                 share_token=asset.share_token, now=await chain.now())  # fmt: skip
    needed = uint256(listed + body.shares, f"the {body.shares} shares to list with the {listed}"
                     " already listed")  # fmt: skip
    approve = f"Allow the market to move {format_amount(needed, SHARES)} of {asset.name}"
    calls = await _approval_if_short(chain, asset.share_token, body.sender, platform.market,
                                     needed, approve)  # fmt: skip
    summary = (f"List {format_amount(body.shares, SHARES)} of {asset.name} at"
               f" {format_amount(body.price_per_share, money)} each until"
               f" {format_time(body.expires_at)}")  # fmt: skip
    data = chain.abis.encode("ShareMarket", "list", asset.share_token, body.shares,
                             body.price_per_share, body.expires_at)  # fmt: skip
    calls.append(Call(platform.market, data, summary))
    return Plan("list", summary, calls, RevertContext(money=money, erc20=SHARES),
                details={"market_allowance_needed": str(needed)})  # fmt: skip


async def market_fill(chain: Chain, body: FillRequest) -> Plan:
    """Buys shares from a listing, approving the market for the payment first when needed."""
    platform = await chain.platform()
    listing = await chain.view("ShareMarket", platform.market, "listing", body.listing_id)
    price, token = listing["pricePerShare"], listing["paymentToken"]
    max_price = price if body.max_price_per_share is None else body.max_price_per_share
    paid = uint256(body.shares * price, f"the price of {body.shares} shares at {price} each")
    money: Money | None = None
    calls: list[Call] = []
    if token != ZERO_ADDRESS:
        money = await chain.money(token)
        allow = f"Allow the market to take {format_amount(paid, money)}"
        calls = await _approval_if_short(chain, token, body.sender, platform.market, paid, allow)
    summary = (f"Buy {format_amount(body.shares, SHARES)} from listing #{body.listing_id} for"
               f" {format_amount(paid, money)}")  # fmt: skip
    data = chain.abis.encode("ShareMarket", "fill", body.listing_id, body.shares, max_price)
    calls.append(Call(platform.market, data, summary))
    return Plan("fill", summary, calls, RevertContext(money=money, erc20=money),
                details={"paid": str(paid), "price_per_share": str(price)})  # fmt: skip


async def market_cancel(chain: Chain, body: ListingRequest) -> Plan:
    """Withdraws a listing."""
    platform = await chain.platform()
    summary = f"Cancel listing #{body.listing_id}"
    data = chain.abis.encode("ShareMarket", "cancel", body.listing_id)
    return Plan("cancel", summary, [Call(platform.market, data, summary)])


async def market_invalidate(chain: Chain, body: TxRequest) -> Plan:
    """Invalidates every listing the sender has made so far, at once."""
    platform = await chain.platform()
    summary = "Invalidate all your listings made so far"
    data = chain.abis.encode("ShareMarket", "invalidateListings")
    return Plan("invalidate", summary, [Call(platform.market, data, summary)])


async def market_approve(chain: Chain, body: ApproveSharesRequest) -> Plan:
    """Sets how many of the sender's shares the market may move."""
    asset, platform = await chain.asset(body.asset_id), await chain.platform()
    summary = f"Allow the market to move {format_amount(body.shares, SHARES)} of {asset.name}"
    call = _approve(chain, asset.share_token, platform.market, body.shares, summary)
    return Plan("approve", summary, [call], RevertContext(erc20=SHARES))


async def register_asset(chain: Chain, body: RegisterAssetRequest) -> Plan:
    """Registers an asset operated by the sender (who needs the operator role)."""
    platform = await chain.platform()
    terms = body.sale
    token = terms.payment_token or platform.stablecoin
    if token is None:
        raise InvalidInput("sale.payment_token is required: this chain has no default stablecoin")
    if terms.start >= UINT64 or terms.end >= UINT64:
        raise InvalidInput("sale.start and sale.end must be unix times below 2**64")
    money = await chain.money(token)
    gov = body.governance
    params = (
        KINDS.index(body.kind), body.capacity_watts, body.name, body.symbol, body.location,
        body.metadata_uri,
        (token, terms.total_shares, terms.share_price, terms.start, terms.end, terms.min_raise,
         terms.max_shares_per_buyer, terms.treasury),
        (gov.voting_delay, gov.voting_period, gov.proposal_threshold, gov.quorum_percent,
         gov.timelock_delay),
        body.reserve_bps, body.requires_verification,
    )  # fmt: skip
    count = await chain.view("AssetRegistry", platform.registry, "assetCount")
    summary = (f"Register {body.name} ({body.kind}, {body.capacity_watts:,} W): "
               f"{format_amount(terms.total_shares, SHARES)} at "
               f"{format_amount(terms.share_price, money)}, on sale from "
               f"{format_time(terms.start)} to {format_time(terms.end)}")  # fmt: skip
    data = chain.abis.encode("AssetRegistry", "registerAsset", params)
    return Plan("register", summary, [Call(platform.registry, data, summary)],
                RevertContext(money=money, erc20=money),
                details={"expected_asset_id": str(count + 1)})  # fmt: skip


async def deposit_revenue(chain: Chain, body: DepositRequest) -> Plan:
    """Deposits revenue for an asset's holders, approving its share token first when needed."""
    asset = await chain.asset(body.asset_id)
    money = await chain.money(asset.payment_token)
    amount = format_amount(body.amount, money)
    calls = await _approval_if_short(chain, asset.payment_token, body.sender, asset.share_token,
                                     body.amount, f"Allow {asset.symbol} to take {amount}")  # fmt: skip
    report = body.production_report_id
    summary = f"Deposit {amount} of revenue for {asset.name} holders" + (
        f" (paying for production report #{report})" if report else "")  # fmt: skip
    data = chain.abis.encode("ShareToken", "depositRevenue", body.amount, report)
    calls.append(Call(asset.share_token, data, summary))
    return Plan("deposit", summary, calls, RevertContext(money=money, erc20=money))


async def submit_reading(chain: Chain, reading: dict[str, Any]) -> Plan:
    """Relays a stored, meter-signed reading to the production oracle."""
    platform = await chain.platform()
    values = (reading["asset_id"], reading["meter"], reading["period_start"],
              reading["period_end"], reading["energy_wh"])  # fmt: skip
    summary = (f"Record {reading['energy_wh']:,} Wh of asset #{reading['asset_id']} from "
               f"{format_time(reading['period_start'])} to {format_time(reading['period_end'])}"
               f" (meter {checksum(reading['meter'])})")  # fmt: skip
    signature = bytes.fromhex(reading["signature"][2:])
    data = chain.abis.encode("ProductionOracle", "submitReading", values, signature)
    return Plan("submit-reading", summary, [Call(platform.oracle, data, summary)])
