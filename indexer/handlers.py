"""Projections of the platform's events into the domain tables: one decoded event in, row changes out.

Each handler reads and changes rows only through the `Projection` it is given, so replaying the same
events on the same rows always gives the same result. Amounts stay Python ints end to end.
"""

from __future__ import annotations

from collections.abc import Callable

from indexer.projection import Event, Projection

ZERO_ADDRESS = "0x" + "0" * 40
KINDS = ("solar", "wind", "hydro", "storage")
STATUSES = ("funding", "active", "failed", "decommissioned")
SUPPORT = ("against", "for", "abstain")

Handler = Callable[[Projection, Event], None]
# The one handler registry: by contract kind, then event name (what `indexer.batch` looks up).
HANDLERS: dict[str, dict[str, Handler]] = {
    kind: {} for kind in ("registry", "identity", "sale", "oracle", "market", "certificates",
                          "share_token", "governor", "timelock")
}  # fmt: skip


def on(kind: str, *names: str) -> Callable[[Handler], Handler]:
    """Registers a handler for events of a contract kind."""

    def register(handler: Handler) -> Handler:
        for name in names:
            HANDLERS[kind][name] = handler
        return handler

    return register


def _asset(p: Projection, asset_id: int | None, event: Event) -> dict:
    row = p.get("assets", (asset_id,))
    if row is None:
        raise LookupError(f"event {event.name} at {event.block_number}:{event.log_index} names"
                          f" asset {asset_id}, which was never registered")  # fmt: skip
    row["updated_block"] = event.block_number
    return row


# -- registry ----------------------------------------------------------------------------------


@on("registry", "AssetRegistered")
def asset_registered(p: Projection, e: Event) -> None:
    """A new asset; the engine has already started following its contracts (see `discovery`)."""
    a = e.args
    contracts, params = a["contracts"], a["params"]
    sale, gov = params["sale"], params["governance"]
    asset_id = a["assetId"]
    location = params["location"]
    p.create(
        "assets", (asset_id,),
        operator=a["operator"], share_token=contracts["shareToken"], governor=contracts["governor"],
        timelock=contracts["timelock"], kind=KINDS[params["kind"]], status="funding",
        capacity_watts=params["capacityWatts"], name=params["name"], symbol=params["symbol"],
        location=location, country=location.split(":", 1)[0].upper() if ":" in location else "",
        metadata_uri=params["metadataURI"], payment_token=sale["paymentToken"],
        total_shares=sale["totalShares"], share_price=sale["sharePrice"], sale_start=sale["start"],
        sale_end=sale["end"], min_raise=sale["minRaise"],
        max_shares_per_buyer=sale["maxSharesPerBuyer"], treasury=sale["treasury"],
        voting_delay=gov["votingDelay"], voting_period=gov["votingPeriod"],
        proposal_threshold=gov["proposalThreshold"], quorum_percent=gov["quorumPercent"],
        timelock_delay=gov["timelockDelay"], reserve_bps=params["reserveBps"],
        requires_verification=params["requiresVerification"], registered_block=e.block_number,
        registered_at=e.timestamp, updated_block=e.block_number,
    )  # fmt: skip


@on("registry", "AssetOperatorChanged")
def operator_changed(p: Projection, e: Event) -> None:
    _asset(p, e.args["assetId"], e)["operator"] = e.args["newOperator"]


@on("registry", "AssetStatusChanged")
def status_changed(p: Projection, e: Event) -> None:
    _asset(p, e.args["assetId"], e)["status"] = STATUSES[e.args["status"]]


@on("registry", "AssetPauseSet")
def asset_paused(p: Projection, e: Event) -> None:
    """Two pause authorities, each with its own flag; the asset is paused while either holds."""
    asset = _asset(p, e.args["assetId"], e)
    asset["paused_by_pauser"] = e.args["pausedByPauser"]
    asset["paused_by_governance"] = e.args["pausedByGovernance"]
    asset["paused"] = e.args["pausedByPauser"] or e.args["pausedByGovernance"]


@on("registry", "AssetReserveChanged")
def reserve_changed(p: Projection, e: Event) -> None:
    _asset(p, e.args["assetId"], e)["reserve_bps"] = e.args["reserveBps"]


@on("registry", "AssetMetadataChanged")
def metadata_changed(p: Projection, e: Event) -> None:
    _asset(p, e.args["assetId"], e)["metadata_uri"] = e.args["metadataURI"]


def _platform(p: Projection) -> dict:
    return p.get_or_create("platform", ())


@on("registry", "PlatformPauseSet")
def platform_paused(p: Projection, e: Event) -> None:
    _platform(p)["paused"] = e.args["paused"]


@on("registry", "PlatformFeesChanged")
def fees_changed(p: Projection, e: Event) -> None:
    row = _platform(p)
    row["revenue_fee_bps"] = e.args["revenueFeeBps"]
    row["market_fee_bps"] = e.args["marketFeeBps"]
    row["fee_recipient"] = e.args["recipient"]
    # Every fee change drops a pending rise (an announcement in the same transaction follows it).
    row["pending_revenue_fee_bps"] = row["pending_market_fee_bps"] = None
    row["pending_fees_effective_at"] = None


@on("registry", "PlatformFeesAnnounced")
def fees_announced(p: Projection, e: Event) -> None:
    row = _platform(p)
    row["pending_revenue_fee_bps"] = e.args["revenueFeeBps"]
    row["pending_market_fee_bps"] = e.args["marketFeeBps"]
    row["pending_fees_effective_at"] = e.args["effectiveAt"]


@on("registry", "ModulesConnected")
def modules_connected(p: Projection, e: Event) -> None:
    row = _platform(p)
    row["primary_sale"] = e.args["primarySale"]
    row["production_oracle"] = e.args["productionOracle"]
    row["share_market"] = e.args["shareMarket"]


@on("registry", "PaymentTokenAllowed")
def payment_token_allowed(p: Projection, e: Event) -> None:
    p.get_or_create("payment_tokens", (e.args["token"],), allowed=False)["allowed"] = e.args[
        "allowed"
    ]


def role_changed(p: Projection, e: Event) -> None:
    row = p.get_or_create(
        "roles", (e.address, e.args["role"], e.args["account"]), active=False,
        updated_block=e.block_number,
    )  # fmt: skip
    row["active"] = e.name == "RoleGranted"
    row["updated_block"] = e.block_number


for _kind in ("registry", "identity", "timelock"):
    on(_kind, "RoleGranted", "RoleRevoked")(role_changed)


# -- identity ----------------------------------------------------------------------------------


@on("identity", "IdentityVerified", "IdentityRevoked")
def identity_changed(p: Projection, e: Event) -> None:
    a = e.args
    row = p.get_or_create(
        "identities", (a["account"],), verified=False, updated_block=e.block_number
    )
    row["verified"] = e.name == "IdentityVerified"
    row["verifier"] = a["verifier"]
    row["updated_block"] = e.block_number
    if row["verified"]:
        row["expires_at"] = a["expiresAt"]
        row["country"] = a["country"]


# -- primary sale ------------------------------------------------------------------------------


@on("sale", "SharesPurchased")
def shares_purchased(p: Projection, e: Event) -> None:
    a = e.args
    asset = _asset(p, a["assetId"], e)
    asset["shares_sold"] = a["totalSold"]
    asset["raised"] = a["totalRaised"]
    p.append("purchases", e, asset_id=a["assetId"], buyer=a["buyer"], shares=a["shares"],
             cost=a["cost"], total_sold=a["totalSold"], total_raised=a["totalRaised"])  # fmt: skip


@on("sale", "SaleFinalized")
def sale_finalized(p: Projection, e: Event) -> None:
    asset = _asset(p, e.args["assetId"], e)
    asset["sale_finalized"] = True
    asset["sale_succeeded"] = e.args["succeeded"]
    asset["shares_sold"] = e.args["totalSold"]
    asset["raised"] = e.args["totalRaised"]


@on("sale", "RaisePaymentDeferred")
def raise_deferred(p: Projection, e: Event) -> None:
    _asset(p, e.args["assetId"], e)["raise_deferred"] = e.args["amount"]


@on("sale", "RaiseRedirected")
def raise_redirected(p: Projection, e: Event) -> None:
    _asset(p, e.args["assetId"], e)["treasury"] = e.args["newTreasury"]


@on("sale", "SaleCancelled")
def sale_cancelled(p: Projection, e: Event) -> None:
    """A sale ended early; the `SaleFinalized` (failed) that follows records the outcome."""
    _asset(p, e.args["assetId"], e)["sale_cancelled"] = True


@on("sale", "RaiseReleased")
def raise_released(p: Projection, e: Event) -> None:
    _asset(p, e.args["assetId"], e)["raise_deferred"] = 0


@on("sale", "Refunded")
def refunded(p: Projection, e: Event) -> None:
    a = e.args
    asset = _asset(p, a["assetId"], e)
    asset["refunded_shares"] += a["shares"]
    asset["refunded_amount"] += a["amount"]
    p.append("refunds", e, asset_id=a["assetId"], buyer=a["buyer"], shares=a["shares"],
             amount=a["amount"])  # fmt: skip


# -- production oracle -------------------------------------------------------------------------


@on("oracle", "MeterRegistered", "MeterRevoked")
def meter_changed(p: Projection, e: Event) -> None:
    row = p.get_or_create("meters", (e.args["meter"],), asset_id=e.args["assetId"], active=False,
                          updated_block=e.block_number)  # fmt: skip
    row["asset_id"] = e.args["assetId"]
    row["active"] = e.name == "MeterRegistered"
    row["updated_block"] = e.block_number


@on("oracle", "ProductionReported")
def production_reported(p: Projection, e: Event) -> None:
    a = e.args
    asset = _asset(p, a["assetId"], e)
    asset["energy_wh"] = a["assetTotalWh"]
    asset["report_count"] += 1
    # The period a holder's energy is attributed over: this report, at the supply of the moment.
    p.create("energy_periods", (a["assetId"], asset["report_count"]), energy_wh=a["energyWh"],
             total_supply=asset["total_supply"], updated_block=e.block_number)  # fmt: skip
    p.append("production_reports", e, report_id=a["reportId"], asset_id=a["assetId"],
             meter=a["meter"], period_start=a["periodStart"], period_end=a["periodEnd"],
             energy_wh=a["energyWh"], asset_total_wh=a["assetTotalWh"])  # fmt: skip


# -- energy certificates -----------------------------------------------------------------------


def vintage_of(token_id: int) -> tuple[int, int, int]:
    """A certificate token id's asset and production period (start, end), as the contract packs them."""
    return token_id >> 128, (token_id >> 64) & (2**64 - 1), token_id & (2**64 - 1)


def _certificate_balance(p: Projection, e: Event, token_id: int, account: str) -> dict:
    asset_id, start, end = vintage_of(token_id)
    row = p.get_or_create("certificate_balances", (token_id, account), asset_id=asset_id,
                          period_start=start, period_end=end, updated_block=e.block_number)  # fmt: skip
    row["updated_block"] = e.block_number
    return row


@on("certificates", "CertificatesIssued")
def certificates_issued(p: Projection, e: Event) -> None:
    a = e.args
    _asset(p, a["assetId"], e)["certified_wh"] = a["assetCertifiedWh"]
    p.append("certificate_issuances", e, report_id=a["reportId"], asset_id=a["assetId"],
             token_id=a["id"], period_start=a["periodStart"], period_end=a["periodEnd"],
             energy_wh=a["energyWh"], supply=a["supply"], snapshot_id=a["snapshotId"],
             asset_certified_wh=a["assetCertifiedWh"])  # fmt: skip


@on("certificates", "CertificatesClaimed")
def certificates_claimed(p: Projection, e: Event) -> None:
    """A claim; the ERC-1155 mint that follows moves the balance."""
    a = e.args
    asset_id = vintage_of(a["id"])[0]
    _certificate_balance(p, e, a["id"], a["account"])["claimed"] += a["energyWh"]
    _asset(p, asset_id, e)["certificates_claimed_wh"] += a["energyWh"]
    p.append("certificate_claims", e, report_id=a["reportId"], account=a["account"],
             token_id=a["id"], asset_id=asset_id, energy_wh=a["energyWh"])  # fmt: skip


@on("certificates", "TransferSingle", "TransferBatch")
def certificates_moved(p: Projection, e: Event) -> None:
    """ERC-1155 mints (claims), transfers and burns (retirements) move balances."""
    a = e.args
    if e.name == "TransferSingle":
        moves = [(a["id"], a["value"])]
    else:
        moves = list(zip(a["ids"], a["values"], strict=True))
    for token_id, value in moves:
        if a["from"] != ZERO_ADDRESS:
            _certificate_balance(p, e, token_id, a["from"])["balance"] -= value
        if a["to"] != ZERO_ADDRESS:
            _certificate_balance(p, e, token_id, a["to"])["balance"] += value


@on("certificates", "CertificatesRetired")
def certificates_retired(p: Projection, e: Event) -> None:
    """A retirement (the burn before it moved the balance): the public proof."""
    a = e.args
    asset_id, start, end = vintage_of(a["id"])
    _certificate_balance(p, e, a["id"], a["account"])["retired"] += a["energyWh"]
    _asset(p, asset_id, e)["certificates_retired_wh"] += a["energyWh"]
    p.append("certificate_retirements", e, retirement_id=a["retirementId"], account=a["account"],
             token_id=a["id"], asset_id=asset_id, period_start=start, period_end=end,
             energy_wh=a["energyWh"], beneficiary=a["beneficiary"], purpose=a["purpose"],
             location=a["location"], claim_hash=a["claimHash"])  # fmt: skip


# -- share market ------------------------------------------------------------------------------


@on("market", "Listed")
def listed(p: Projection, e: Event) -> None:
    a = e.args
    p.create(
        "listings", (a["listingId"],), seller=a["seller"], asset_id=a["assetId"],
        share_token=a["shareToken"], amount=a["amount"], remaining=a["amount"],
        price_per_share=a["pricePerShare"], payment_token=a["paymentToken"],
        expires_at=a["expiresAt"], fee_bps=a["feeBps"], status="open",
        created_block=e.block_number, created_at=e.timestamp, tx_hash=e.tx_hash,
        updated_block=e.block_number,
    )  # fmt: skip
    seller = _seller(p, e, a["seller"])
    seller["open_listings"] = [*seller["open_listings"], a["listingId"]]


def _seller(p: Projection, e: Event, seller: str) -> dict:
    row = p.get_or_create("market_sellers", (seller,), listing_nonce=0, open_listings=[],
                          updated_block=e.block_number)  # fmt: skip
    row["updated_block"] = e.block_number
    return row


@on("market", "ListingsInvalidated")
def listings_invalidated(p: Projection, e: Event) -> None:
    """Every listing the seller made before is dead, whatever it still has left."""
    seller = _seller(p, e, e.args["seller"])
    seller["listing_nonce"] = e.args["nonce"]
    for listing_id in seller["open_listings"]:
        listing = p.get("listings", (listing_id,))
        if listing is not None and listing["status"] == "open":
            listing["status"] = "invalidated"
            listing["updated_block"] = e.block_number
    seller["open_listings"] = []


@on("market", "ListingFilled")
def listing_filled(p: Projection, e: Event) -> None:
    a = e.args
    listing = p.get("listings", (a["listingId"],))
    if listing is not None:
        listing["remaining"] = a["remaining"]
        listing["status"] = "open" if a["remaining"] else "filled"
        listing["updated_block"] = e.block_number
        if not a["remaining"]:
            _closed(p, e, listing)
    asset = _asset(p, a["assetId"], e)
    asset["last_price"] = a["pricePerShare"]
    asset["traded_shares"] += a["amount"]
    p.append("fills", e, listing_id=a["listingId"], asset_id=a["assetId"], buyer=a["buyer"],
             seller=a["seller"], amount=a["amount"], price_per_share=a["pricePerShare"],
             paid=a["paid"], fee=a["fee"], remaining=a["remaining"])  # fmt: skip


@on("market", "ListingCancelled")
def listing_cancelled(p: Projection, e: Event) -> None:
    listing = p.get("listings", (e.args["listingId"],))
    if listing is not None:
        listing["status"] = "cancelled"
        listing["updated_block"] = e.block_number
        _closed(p, e, listing)


def _closed(p: Projection, e: Event, listing: dict) -> None:
    """A listing no longer open leaves its seller's list of listings an invalidation would kill."""
    seller = _seller(p, e, listing["seller"])
    seller["open_listings"] = [i for i in seller["open_listings"] if i != listing["listing_id"]]


# -- share tokens ------------------------------------------------------------------------------


def _new_holder(p: Projection, e: Event, account: str, asset: dict | None = None) -> dict:
    """A holder row; its energy starts at the asset's next report (it held nothing before)."""
    if asset is None:
        asset = p.read("assets", (e.asset_id,))
    return p.create("holders", (e.address, account), asset_id=e.asset_id,
                    first_block=e.block_number, updated_block=e.block_number,
                    energy_settled=asset["report_count"] if asset else 0)  # fmt: skip


def settle_energy(p: Projection, asset: dict, holder: dict) -> None:
    """Adds to the holder's running energy total the periods reported since it was last settled,
    at its balance (constant since then); called before the balance moves.

    A holder's share of a period is `balance * energy // supply`, rounded down per period, as the
    portfolio reports it; `reports_shared` counts the periods it held shares in.
    """
    count = asset["report_count"]
    settled = holder["energy_settled"]
    if settled == count:
        return
    balance = holder["balance"]
    if balance > 0:
        asset_id = asset["asset_id"]
        for seq in range(settled + 1, count + 1):
            period = p.read("energy_periods", (asset_id, seq))
            if period is None:
                raise LookupError(f"asset {asset_id} has no energy period {seq}")
            supply = period["total_supply"]
            if supply > 0:
                holder["energy_wh"] += balance * period["energy_wh"] // supply
                holder["reports_shared"] += 1
    holder["energy_settled"] = count


def _holder(p: Projection, e: Event, account: str) -> dict:
    row = p.get("holders", (e.address, account)) or _new_holder(p, e, account)
    row["updated_block"] = e.block_number
    return row


@on("share_token", "Transfer")
def transfer(p: Projection, e: Event) -> None:
    """Moves shares, and the revenue correction that keeps claims unchanged by the move.

    The hottest handler by far (one call per transfer), so written out without helpers.
    """
    a = e.args
    value, sender, recipient, block = a["value"], a["from"], a["to"], e.block_number
    asset = _asset(p, e.asset_id, e)
    correction = asset["magnified_revenue_per_share"] * value
    snapshot = asset["snapshot_id"]
    if sender == ZERO_ADDRESS:
        asset["total_supply"] += value
    else:
        row = p.get("holders", (e.address, sender)) or _new_holder(p, e, sender, asset)
        if row["energy_settled"] != asset["report_count"]:
            settle_energy(p, asset, row)
        before = row["balance"]
        if snapshot != row["snapshot_id"]:
            _keep_snapshot_balance(p, e.address, sender, row, snapshot, block)
        row["balance"] = before - value
        row["correction"] += correction
        row["updated_block"] = block
        if before and before == value:
            asset["holder_count"] -= 1
    if recipient == ZERO_ADDRESS:
        asset["total_supply"] -= value
    else:
        row = p.get("holders", (e.address, recipient)) or _new_holder(p, e, recipient, asset)
        if row["energy_settled"] != asset["report_count"]:
            settle_energy(p, asset, row)
        before = row["balance"]
        if snapshot != row["snapshot_id"]:
            _keep_snapshot_balance(p, e.address, recipient, row, snapshot, block)
        row["balance"] = before + value
        row["correction"] -= correction
        row["updated_block"] = block
        if not before and value:
            asset["holder_count"] += 1


def _keep_snapshot_balance(p: Projection, token: str, account: str, holder: dict, snapshot: int,
                           block: int) -> None:  # fmt: skip
    """Before a holder's first balance change after the token's snapshot `snapshot`, keeps the
    balance it had then, as the share token itself does (`balanceOfAt`): the certificates of the
    report that took the snapshot are owed on it."""
    p.create("share_snapshots", (token, account, snapshot), asset_id=holder["asset_id"],
             balance=holder["balance"], updated_block=block)  # fmt: skip
    holder["snapshot_id"] = snapshot


class TransferRun:
    """Share transfers of final blocks, summed per token and holder, applied to the rows at once.

    Applying the sums gives the rows the `transfer` handler gives one event at a time: a holder's
    balance and revenue correction move by its net amount (the accumulator cannot change inside a
    run: a revenue deposit is an event with a handler, before which the run is applied), its
    `updated_block` is the last block that moved it, the holder count follows who is above zero
    before and after, and a new holder's `first_block` is the block it first appears in.
    """

    def __init__(self) -> None:
        # token -> (asset id, {account: [net amount, first block, last block]}, [supply change, last block])
        self.tokens: dict[str, tuple[int | None, dict[str, list[int]], list[int]]] = {}

    def add(self, token: str, asset_id: int | None, sender: str, recipient: str, value: int,
            block: int) -> None:  # fmt: skip
        run = self.tokens.get(token)
        if run is None:
            run = self.tokens[token] = (asset_id, {}, [0, block])
        accounts, supply = run[1], run[2]
        supply[1] = block
        for account, amount in ((sender, -value), (recipient, value)):
            if account == ZERO_ADDRESS:
                supply[0] -= amount
                continue
            moved = accounts.get(account)
            if moved is None:
                accounts[account] = [amount, block, block]
            else:
                moved[0] += amount
                moved[2] = block

    def apply(self, p: Projection) -> None:
        """Writes the sums into the rows and starts a new run."""
        for token, (asset_id, accounts, (supply, last_block)) in self.tokens.items():
            asset = p.get("assets", (asset_id,))
            if asset is None:
                raise LookupError(f"transfers of {token} name asset {asset_id}, never registered")
            asset["updated_block"] = last_block
            asset["total_supply"] += supply
            per_share = asset["magnified_revenue_per_share"]
            snapshot = asset["snapshot_id"]  # no snapshot is taken inside a run (it has a handler)
            p.prefetch("holders", [(token, account) for account in accounts])
            for account, (amount, first_block, block) in accounts.items():
                row = p.get("holders", (token, account)) or p.create(
                    "holders", (token, account), asset_id=asset_id, first_block=first_block,
                    updated_block=block, energy_settled=asset["report_count"],
                )  # fmt: skip
                if row["energy_settled"] != asset["report_count"]:
                    settle_energy(p, asset, row)
                before = row["balance"]
                if snapshot != row["snapshot_id"]:
                    _keep_snapshot_balance(p, token, account, row, snapshot, first_block)
                row["balance"] = after = before + amount
                row["correction"] -= per_share * amount
                row["updated_block"] = block
                asset["holder_count"] += (after > 0) - (before > 0)
        self.tokens.clear()


@on("share_token", "DelegateChanged")
def delegate_changed(p: Projection, e: Event) -> None:
    _holder(p, e, e.args["delegator"])["delegate"] = e.args["toDelegate"]


@on("share_token", "DelegateVotesChanged")
def votes_changed(p: Projection, e: Event) -> None:
    _holder(p, e, e.args["delegate"])["votes"] = e.args["newVotes"]


@on("share_token", "RevenueDeposited")
def revenue_deposited(p: Projection, e: Event) -> None:
    a = e.args
    asset = _asset(p, e.asset_id, e)
    asset["magnified_revenue_per_share"] = a["magnifiedRevenuePerShare"]
    asset["revenue_deposits"] += 1
    asset["revenue_gross"] += a["gross"]
    asset["revenue_fees"] += a["fee"]
    asset["revenue_reserve"] += a["reserve"]
    asset["revenue_distributed"] += a["distributed"]
    p.append("revenue_deposits", e, asset_id=e.asset_id, token=e.address,
             deposit_id=a["depositId"], depositor=a["depositor"],
             production_report_id=a["productionReportId"], gross=a["gross"], fee=a["fee"],
             reserve=a["reserve"], distributed=a["distributed"],
             magnified_revenue_per_share=a["magnifiedRevenuePerShare"])  # fmt: skip


@on("share_token", "RevenueClaimed")
def revenue_claimed(p: Projection, e: Event) -> None:
    a = e.args
    _holder(p, e, a["account"])["claimed"] = a["totalClaimed"]
    _asset(p, e.asset_id, e)["revenue_claimed"] += a["amount"]
    p.append("revenue_claims", e, asset_id=e.asset_id, token=e.address, account=a["account"],
             recipient=a["recipient"], amount=a["amount"],
             total_claimed=a["totalClaimed"])  # fmt: skip


@on("share_token", "SnapshotTaken")
def snapshot_taken(p: Projection, e: Event) -> None:
    """A report was accepted: later balance changes keep the balances of this moment."""
    _asset(p, e.asset_id, e)["snapshot_id"] = e.args["snapshotId"]


@on("share_token", "TransfersActivated")
def transfers_activated(p: Projection, e: Event) -> None:
    _asset(p, e.asset_id, e)["transfers_active"] = True


# -- governance --------------------------------------------------------------------------------


@on("governor", "ProposalCreated")
def proposal_created(p: Projection, e: Event) -> None:
    a = e.args
    p.create(
        "proposals", (e.address, a["proposalId"]), asset_id=e.asset_id, proposer=a["proposer"],
        targets=a["targets"], values=[str(v) for v in a["values"]], calldatas=a["calldatas"],
        description=a["description"], vote_start=a["voteStart"], vote_end=a["voteEnd"],
        lifecycle="created", created_block=e.block_number, created_at=e.timestamp,
        tx_hash=e.tx_hash, updated_block=e.block_number,
    )  # fmt: skip


def _proposal(p: Projection, e: Event) -> dict | None:
    row = p.get("proposals", (e.address, e.args["proposalId"]))
    if row is not None:
        row["updated_block"] = e.block_number
    return row


@on("governor", "VoteCast", "VoteCastWithParams")
def vote_cast(p: Projection, e: Event) -> None:
    a = e.args
    proposal = _proposal(p, e)
    if proposal is not None:
        column = f"{SUPPORT[a['support']]}_votes"
        proposal[column] += a["weight"]
        proposal["voter_count"] += 1
    p.append("votes", e, governor=e.address, asset_id=e.asset_id, proposal_id=a["proposalId"],
             voter=a["voter"], support=a["support"], weight=a["weight"], reason=a["reason"])  # fmt: skip


@on("governor", "ProposalQueued")
def proposal_queued(p: Projection, e: Event) -> None:
    proposal = _proposal(p, e)
    if proposal is not None:
        proposal["lifecycle"] = "queued"
        proposal["eta"] = e.args["etaSeconds"]


@on("governor", "ProposalExecuted", "ProposalCanceled")
def proposal_closed(p: Projection, e: Event) -> None:
    proposal = _proposal(p, e)
    if proposal is not None:
        proposal["lifecycle"] = "executed" if e.name == "ProposalExecuted" else "canceled"
