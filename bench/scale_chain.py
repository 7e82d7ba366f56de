"""Builds a platform-sized chain on an anvil through the real contracts, fast (`make bench-scale`).

The platform is deployed and its assets registered and sold out through ape (a few hundred
transactions). Everything else goes straight to anvil as JSON-RPC batches of unsigned
transactions (anvil signs for its own accounts and for impersonated ones), with automine off and
one `evm_mine` for many transactions: `TransferFan` contracts hand out the shares (thousands of
transfers per transaction), holders are impersonated where the caller must be the holder (their
transfers, claims, listings, fills and votes), and gas costs nothing (base fee 0).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import click
from eth_utils import keccak
from indexer_bench import _fan_jobs, _fan_out

from indexer.rpc import RpcClient

DAY = 86_400
MONTH = 30 * DAY
ZERO = "0x" + "0" * 40
RPC_BATCH = 500
DEPOSIT = 10**12  # revenue per asset and month: every holder's part is above zero
GAS = hex(2_000_000)
LISTED = (
    "0x"
    + keccak(
        text="Listed(uint256,address,uint256,address,uint256,uint256,address,uint64,uint16)"
    ).hex()
)


@dataclass(frozen=True)
class Sizes:
    """What the chain holds; the issue's platform at scale 1."""

    assets: int
    holders: int
    transfers: int
    months: int
    claims: int
    listings: int
    proposals: int
    voters: int

    @classmethod
    def at(cls, scale: float) -> Sizes:
        def part(full: int, least: int) -> int:
            return max(least, round(full * scale))

        return cls(assets=part(20, 2), holders=part(50_000, 40), transfers=part(1_000_000, 200),
                   months=part(60, 3), claims=part(100_000, 20), listings=part(10_000, 10),
                   proposals=part(500, 2), voters=20)  # fmt: skip

    def describe(self) -> str:
        return ", ".join(f"{k}={v:,}" for k, v in asdict(self).items())


def holder_addresses(count: int) -> list[str]:
    """Deterministic addresses nobody holds a key for (impersonated when they must act)."""
    return ["0x" + keccak(b"scale-holder" + i.to_bytes(4, "big"))[12:].hex() for i in range(count)]


class Sender:
    """Sends unsigned transactions in batches with automine off, then mines until all are in."""

    def __init__(self, rpc: RpcClient) -> None:
        self.rpc = rpc
        self.impersonated: set[str] = set()
        self.transactions = 0

    def impersonate(self, addresses: Sequence[str]) -> None:
        fresh = sorted(set(addresses) - self.impersonated)
        for start in range(0, len(fresh), RPC_BATCH):
            self.rpc.batch(
                [("anvil_impersonateAccount", [a]) for a in fresh[start : start + RPC_BATCH]]
            )
        self.impersonated.update(fresh)

    def send(self, txs: Sequence[dict[str, str]], per_block: int = 2_000) -> None:
        """Mines `txs` (from, to, data) in order, `per_block` at most per block; fails on any revert.

        anvil numbers an impersonated account's transaction from its mined nonce, so each of
        those accounts sends one transaction per round: its second waits for the next round.
        """
        rounds: list[list[dict[str, str]]] = [[]]
        seen: dict[str, int] = {}
        for item in txs:
            sender = item["from"]
            turn = seen[sender] = seen.get(sender, -1) + 1 if sender in self.impersonated else 0
            while len(rounds) <= turn:
                rounds.append([])
            rounds[turn].append(item)
        for chosen in rounds:
            if chosen:
                self._send(chosen, per_block)

    def _send(self, txs: Sequence[dict[str, str]], per_block: int) -> None:
        self.rpc.call("evm_setAutomine", [False])
        try:
            for start in range(0, len(txs), per_block):
                chunk = [
                    {"gas": GAS, "gasPrice": "0x0", **tx} for tx in txs[start : start + per_block]
                ]
                hashes: list[str] = []
                for at in range(0, len(chunk), RPC_BATCH):
                    hashes += self.rpc.batch(
                        [("eth_sendTransaction", [tx]) for tx in chunk[at : at + RPC_BATCH]]
                    )
                while hashes:
                    self.rpc.call("evm_mine")
                    receipts: list[Any] = []
                    for at in range(0, len(hashes), RPC_BATCH):
                        receipts += self.rpc.batch(
                            [
                                ("eth_getTransactionReceipt", [h])
                                for h in hashes[at : at + RPC_BATCH]
                            ]
                        )
                    failed = [r for r in receipts if r is not None and r["status"] != "0x1"]
                    if failed:
                        raise click.ClickException(f"a building transaction reverted: {failed[0]}")
                    hashes = [h for h, r in zip(hashes, receipts, strict=True) if r is None]
                self.transactions += len(chunk)
        finally:
            self.rpc.call("evm_setAutomine", [True])

    def advance(self, seconds: int) -> int:
        """Moves the clock on and mines a block; returns the new block's timestamp."""
        self.rpc.call("evm_increaseTime", [seconds])
        self.rpc.call("evm_mine")
        return int(self.rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)


def tx(sender: str, contract: Any, data: bytes) -> dict[str, str]:
    return {"from": sender, "to": str(contract.address), "data": "0x" + data.hex()}


def build(sizes: Sizes, rpc_url: str, step: Callable[[str], None]) -> dict[str, Any]:
    """Builds the chain (inside ape's network context); returns what the reads are asked about.

    Must run inside an ape network context connected to the anvil at `rpc_url`.
    """
    from ape import accounts, chain, project

    from scripts._lib import asset_params, deploy_platform, register_asset, sign_reading

    rpc = RpcClient(rpc_url, timeout=900)
    rpc.call("anvil_setBlockGasLimit", [hex(2_000_000_000)])
    send = Sender(rpc)
    admin = accounts.test_accounts[0]
    platform = deploy_platform(admin)
    usdc, sale, oracle, market = (
        platform.stablecoin,
        platform.sale,
        platform.oracle,
        platform.market,
    )
    assert usdc is not None
    holders = holder_addresses(sizes.holders)
    per_asset = math.ceil(sizes.transfers / sizes.assets)
    peer = per_asset // 20  # holder-to-holder transfers per asset; the fans do the rest
    fanned = per_asset - peer
    assets = []
    for a in range(sizes.assets):
        shares = fanned + 10 * sizes.holders
        params = asset_params(payment_token=usdc, treasury=admin, name=f"Scale Asset {a + 1}",
                              symbol=f"SC{a + 1}", total_shares=shares, share_price=1,
                              min_raise=1, max_shares_per_buyer=shares)  # fmt: skip
        asset = register_asset(platform, admin, params)
        usdc.mint(admin, shares, sender=admin)
        usdc.approve(sale, shares, sender=admin)
        sale.buy(asset.asset_id, shares, sender=admin)
        sale.finalize(asset.asset_id, sender=admin)
        assets.append(asset)
    step(f"platform and {len(assets)} assets")

    # Holders: each holds two assets, handed out by one fan per asset (the fan abstains from voting,
    # the holders are self-delegated on first receipt, as every real holder is).
    owners: dict[int, list[str]] = {}
    for i, holder in enumerate(holders):
        for a in {i % sizes.assets, (i * 7 + 3) % sizes.assets}:
            owners.setdefault(a, []).append(holder)
    for a, asset in enumerate(assets):
        mine = owners.get(a, [])
        fan = admin.deploy(project.TransferFan, asset.token)
        asset.token.transfer(fan, fanned, sender=admin)
        recipients = mine[:2_000] if len(mine) > 2_000 else mine
        jobs: list[tuple[list[str], int]] = []
        # Every owner receives at least one share; the rest goes round the first 2,000 of them.
        for start in range(0, len(mine), 2_000):
            jobs.append((mine[start : start + 2_000], 1))
        rest = fanned - len(mine)
        if rest > 0:
            jobs += _fan_jobs(rest, recipients, max(1, 4_000 // len(recipients)))
        _fan_out(rpc, admin.address, str(fan.address), jobs)
        # Holders trade among themselves too, each transfer a transaction of its own, sent by the
        # holders the fan gave more than one share (one who gave away its only share would have
        # nothing to claim, list or vote with later).
        senders = recipients[: max(1, min(len(recipients), peer))]
        send.impersonate(senders)
        send.send([tx(s, asset.token, asset.token.transfer.encode_input(mine[(k * 13 + 1) % len(mine)], 1))
                   for k, s in zip(range(peer), _cycle(senders), strict=False)])  # fmt: skip
    step(f"{sizes.holders:,} holders, {sizes.transfers:,} share transfers")

    # Five years of months: a signed production report and a revenue deposit per asset, then claims.
    meters = [f"0x{0x5CA1E0000 + a:064x}" for a in range(sizes.assets)]
    from eth_account import Account

    for a, asset in enumerate(assets):
        oracle.registerMeter(Account.from_key(meters[a]).address, asset.asset_id, sender=admin)
    revenue = DEPOSIT * sizes.months * sizes.assets
    usdc.mint(admin, revenue, sender=admin)
    for asset in assets:
        usdc.approve(asset.token, revenue, sender=admin)
    claims_per_month = math.ceil(sizes.claims / sizes.months)
    send.impersonate(holders)
    last_end = send.advance(60)
    claimed = 0
    for month in range(sizes.months):
        end = send.advance(MONTH)
        reports = int(oracle.reportCount())
        batch = []
        for a, asset in enumerate(assets):
            reading, signature = sign_reading(oracle, meters[a], asset_id=asset.asset_id,
                                              period_start=last_end, period_end=end - 1,
                                              energy_wh=1_000_000 + 7_919 * month + a)  # fmt: skip
            batch.append(
                tx(admin.address, oracle, oracle.submitReading.encode_input(reading, signature))
            )
        for a, asset in enumerate(assets):
            batch.append(tx(admin.address, asset.token,
                            asset.token.depositRevenue.encode_input(DEPOSIT, reports + a + 1)))  # fmt: skip
        send.send(batch)
        last_end = end - 1
        count = min(claims_per_month, sizes.claims - claimed)
        # Distinct holders within a month (104,729 is a prime, so coprime with the holder count).
        picks = [(month * 7_919 + k * 104_729) % len(holders) for k in range(count)]
        claim = assets[0].token.claimRevenue.encode_input()
        send.send([tx(holders[i], assets[i % sizes.assets].token, claim) for i in picks])
        claimed += count
    step(f"{sizes.months} months of reports and deposits, {claimed:,} claims")

    # Market: holders list one share each, other holders fill.
    expires = last_end + 20 * 365 * DAY
    sellers = sorted({(k * 31) % len(holders) for k in range(sizes.listings)})
    sellers = (sellers * math.ceil(sizes.listings / len(sellers)))[: sizes.listings]
    first_block = rpc.block_number() + 1
    send.send([tx(holders[i], assets[i % sizes.assets].token,
                  assets[0].token.approve.encode_input(market, 10**9)) for i in set(sellers)])  # fmt: skip
    send.send([tx(holders[i], market, market.list.encode_input(assets[i % sizes.assets].token, 1,
                                                               2, expires)) for i in sellers])  # fmt: skip
    listed = [log for log in rpc.get_logs([str(market.address)], first_block, rpc.block_number())
              if log["topics"][0] == LISTED]  # fmt: skip
    # Each listing filled by a holder other than its seller (a self-fill reverts).
    fills = []
    for k, log in enumerate(listed):
        seller = "0x" + log["topics"][2][-40:]
        buyer = holders[(k * 17 + 5) % len(holders)]
        if buyer == seller:
            buyer = holders[(k * 17 + 6) % len(holders)]
        fills.append((int(log["topics"][1], 16), buyer))
    buyers = sorted({b for _, b in fills})
    send.impersonate(buyers)
    send.send([tx(b, usdc, usdc.mint.encode_input(b, 10**6)) for b in buyers]
              + [tx(b, usdc, usdc.approve.encode_input(market, 10**12)) for b in buyers])  # fmt: skip
    send.send([tx(b, market, market.fill.encode_input(i, 1, 2)) for i, b in fills])
    step(f"{sizes.listings:,} listings and fills")

    # Governance: proposals by holders, each voted on by `voters` holders of the asset.
    proposals = []
    for p in range(sizes.proposals):
        asset = assets[p % sizes.assets]
        mine = owners[p % sizes.assets]
        description = f"Scale proposal {p}"
        call = (asset.token.address, 0, asset.token.assetId.encode_input())
        proposals.append((asset, mine, call, description))
    send.send([tx(mine[0], asset.governor, asset.governor.propose.encode_input(
        [call[0]], [call[1]], [call[2]], description)) for asset, mine, call, description in proposals])  # fmt: skip
    send.advance(DAY + 60)
    votes = []
    ids = []
    for asset, mine, call, description in proposals:
        proposal_id = asset.governor.hashProposal([call[0]], [call[1]], [call[2]],
                                                  keccak(text=description))  # fmt: skip
        ids.append([asset.asset_id, int(proposal_id)])
        for k in range(min(sizes.voters, len(mine))):
            votes.append(tx(mine[k], asset.governor,
                            asset.governor.castVote.encode_input(proposal_id, k % 3)))  # fmt: skip
    send.send(votes)
    step(f"{sizes.proposals:,} proposals, {len(votes):,} votes")
    return {
        "asset_ids": [a.asset_id for a in assets],
        "holders": holders,
        "proposals": ids[:50],
        "transactions": send.transactions,
        "chain_id": chain.chain_id,
        "platform": platform,
    }


def _cycle(items: Sequence[str]) -> Any:
    while True:
        yield from items


def timed(label: str) -> Callable[[str], None]:
    started = time.monotonic()

    def step(what: str) -> None:
        click.echo(f"  {label}: {what} ({time.monotonic() - started:,.0f} s)")

    return step
