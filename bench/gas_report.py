"""Gas used per user action, and proof that revenue deposits and claims, and energy certificate
issuance and claims, cost the same at any scale.

Usage (from any directory; the script changes to the repository root):

    .venv/bin/python bench/gas_report.py          # print the report, refresh bench/gas-snapshot.txt
    .venv/bin/python bench/gas_report.py --check  # print it; exit 1 if it differs from the snapshot

ape starts a local anvil (`ethereum:local:foundry`, see ape-config.yaml) and stops it at the end.
The script deploys the platform with `scripts._lib.deploy_platform`, runs each user action and
reads its gas from the receipt (`receipt.gas_used`). Two assets of 10,000 shares show that a
deposit and a claim cost the same with 10 holders as with 1,000; the second asset is bought by one
account that then sends one share to each of 999 fresh addresses (automine off, a few JSON-RPC
batches, then a handful of blocks). Blocks are one second apart from a fixed start, so every run
gives the same figures: the committed snapshot (`bench/gas-snapshot.txt`) changes only when gas
does, and `--check` can guard it in CI. Takes about half a minute.

Certificates: after a warm-up report on each asset, each asset's meter reports an hour (the report
issues certificates and takes the share token's snapshot); the claimant claims it ("first": its
first certificates); a second report follows, the claimant moves one share (so the claim reads its
balance from a snapshot checkpoint) and claims again.

The last line is always `gas claim@10=<n> claim@1000=<n> deposit@10=<n> deposit@1000=<n>
certificates@10=<n> certificates@1000=<n>` (on one line).
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click
from _services import NETWORK
from ape import accounts, chain, networks
from ape.api import AccountAPI, ReceiptAPI
from ape.contracts import ContractInstance
from ape.logging import LogLevel, logger
from eth_abi import encode
from eth_account import Account
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "bench" / "gas-snapshot.txt"
# ape reads the project (contracts, ape-config.yaml) from the working directory when
# `scripts._lib` imports it, and `scripts._lib` lives at the repository root.
os.chdir(ROOT)
sys.path.insert(0, str(ROOT))

from scripts._lib import (  # noqa: E402
    DAY,
    OPERATOR_ROLE,
    USDC,
    Asset,
    Platform,
    advance_time,
    asset_params,
    deploy_platform,
    register_asset,
    role,
    sign_reading,
)

START_TIMESTAMP = 2_000_000_000  # fixed, so calldata and storage hold the same values every run
SHARES = 10_000
PRICE = 50 * USDC
REVENUE = 12_345 * USDC
REVENUE_FEE_BPS, MARKET_FEE_BPS, RESERVE_BPS = 250, 100, 1_000
BATCH_SIZE = 250  # transfers per JSON-RPC batch
HOUR = 3_600
ENERGY_WH = 1_234_567


@dataclass
class Report:
    """Gas per action, then deposit and claim gas per number of holders."""

    actions: list[tuple[str, int]] = field(default_factory=list)
    scale: dict[int, dict[str, int]] = field(default_factory=dict)

    def record(self, label: str, receipt: ReceiptAPI) -> None:
        self.actions.append((label, int(receipt.gas_used)))

    def lines(self) -> Iterator[str]:
        yield f"Gas per user action (anvil through ape; fees: {REVENUE_FEE_BPS} bps of revenue,"
        yield f"{MARKET_FEE_BPS} bps of market fills; maintenance reserve: {RESERVE_BPS} bps of revenue)"
        yield ""
        width = max(len(label) for label, _ in self.actions)
        yield f"{'action':<{width}}  {'gas':>9}"
        yield from (f"{label:<{width}}  {gas:>9}" for label, gas in self.actions)
        yield ""
        holders = sorted(self.scale)
        yield f"Revenue and certificates by number of holders ({SHARES} shares each; without"
        yield "'(first)': a later deposit or report, and a claim by a holder that claimed before)"
        yield f"{'':<{width}}" + "".join(f"  {f'{n} holders':>13}" for n in holders)
        for label in self.scale[holders[0]]:
            yield f"{label:<{width}}" + "".join(f"  {self.scale[n][label]:>13}" for n in holders)
        # A report's calldata carries the meter's signature, whose zero bytes cost less: reports
        # differ by a few gas between assets whatever their holders, so they are not compared.
        compared = [k for k in self.scale[holders[0]] if not k.startswith("report")]
        flat = all(len({self.scale[n][k] for n in holders}) == 1 for k in compared)
        yield f"same gas at every scale (deposits and claims): {'yes' if flat else 'NO'}"
        yield ""
        small, large = holders[0], holders[-1]
        yield (
            f"gas claim@{small}={self.scale[small]['claim revenue']}"
            f" claim@{large}={self.scale[large]['claim revenue']}"
            f" deposit@{small}={self.scale[small]['deposit revenue']}"
            f" deposit@{large}={self.scale[large]['deposit revenue']}"
            f" certificates@{small}={self.scale[small]['claim certificates']}"
            f" certificates@{large}={self.scale[large]['claim certificates']}"
        )


@dataclass(frozen=True)
class Setup:
    """The deployed platform and the accounts that act on it."""

    platform: Platform
    usdc: ContractInstance
    admin: AccountAPI  # meter admin
    operator: AccountAPI
    treasury: AccountAPI
    buyers: list[AccountAPI]  # ten buyers of the small asset
    whale: AccountAPI  # sole buyer of the large asset
    newcomers: list[AccountAPI]  # accounts that join later, through a transfer or a fill


def _setup() -> Setup:
    """Deploys the platform and funds every account.

    Every wallet that receives stablecoins during a measurement already holds some (the fee
    recipient too), so no figure depends on which asset happens to pay someone first.
    """
    test = accounts.test_accounts
    admin, operator, treasury, fee_recipient = test[0], test[1], test[2], test[3]
    platform = deploy_platform(admin)
    platform.registry.grantRole(role(platform.registry, OPERATOR_ROLE), operator, sender=admin)
    platform.registry.setPlatformFees(REVENUE_FEE_BPS, MARKET_FEE_BPS, fee_recipient, sender=admin)
    assert platform.stablecoin is not None
    usdc = platform.stablecoin
    buyers, whale, newcomers = list(test[4:14]), test[14], list(test[15:18])
    for account in [*buyers, whale, *newcomers]:
        usdc.mint(account, 2 * SHARES * PRICE, sender=account)
        usdc.approve(platform.sale, SHARES * PRICE, sender=account)
        usdc.approve(platform.market, SHARES * PRICE, sender=account)
    usdc.mint(operator, 100 * REVENUE, sender=operator)
    usdc.mint(fee_recipient, 1, sender=fee_recipient)
    return Setup(platform, usdc, admin, operator, treasury, buyers, whale, newcomers)


def _register(setup: Setup, name: str, symbol: str, max_per_buyer: int) -> tuple[Asset, ReceiptAPI]:
    """Registers a 10,000-share asset; returns it and the registration's receipt."""
    params = asset_params(
        payment_token=setup.usdc,
        treasury=setup.treasury,
        name=name,
        symbol=symbol,
        total_shares=SHARES,
        share_price=PRICE,
        max_shares_per_buyer=max_per_buyer,
        reserve_bps=RESERVE_BPS,
    )
    asset = register_asset(setup.platform, setup.operator, params)
    return asset, chain.history[setup.operator.address][-1]


def _fresh_addresses(count: int) -> list[str]:
    return [
        to_checksum_address(keccak(b"holder" + i.to_bytes(4, "big"))[12:]) for i in range(count)
    ]


def _transfer_to_many(token: ContractInstance, sender: AccountAPI, recipients: list[str]) -> None:
    """Sends one share to each recipient, fast: with automine off, every transfer goes into
    anvil's pool in a few JSON-RPC batches of `eth_sendTransaction` (anvil holds the test
    accounts' keys), then blocks are mined until every receipt is there and successful."""
    provider = chain.provider.web3.provider
    selector = function_signature_to_4byte_selector("transfer(address,uint256)")
    first_nonce = sender.nonce
    txs = [
        {
            "from": sender.address,
            "to": str(token.address),
            "data": "0x" + (selector + encode(["address", "uint256"], [recipient, 1])).hex(),
            "gas": hex(300_000),
            "nonce": hex(first_nonce + index),
        }
        for index, recipient in enumerate(recipients)
    ]
    provider.make_request("evm_setAutomine", [False])
    try:
        pending: list[str] = []
        for start in range(0, len(txs), BATCH_SIZE):
            batch = [("eth_sendTransaction", [tx]) for tx in txs[start : start + BATCH_SIZE]]
            sent = provider.make_batch_request(batch)
            assert isinstance(sent, list) and all("result" in r for r in sent), sent
            pending += [r["result"] for r in sent]
        for _ in range(len(txs)):  # a block holds at least one transfer
            if not pending:
                break
            provider.make_request("evm_mine", [])
            answers = provider.make_batch_request(
                [("eth_getTransactionReceipt", [h]) for h in pending]
            )
            assert isinstance(answers, list)
            receipts = [a["result"] for a in answers]
            assert all(r["status"] == "0x1" for r in receipts if r), "a transfer failed"
            pending = [h for h, r in zip(pending, receipts, strict=True) if r is None]
        assert not pending, f"{len(pending)} transfers were never mined"
    finally:
        provider.make_request("evm_setAutomine", [True])


def _revenue_round(
    setup: Setup, asset: Asset, claimant: AccountAPI, holders: int, report: Report
) -> None:
    """Two deposits and two claims; the second of each is the steady-state figure."""
    token, operator = asset.token, setup.operator
    setup.usdc.approve(token, 2 * REVENUE, sender=operator)
    first_deposit = token.depositRevenue(REVENUE, 0, sender=operator)
    first_claim = token.claimRevenue(sender=claimant)
    deposit = token.depositRevenue(REVENUE, 0, sender=operator)
    claim = token.claimRevenue(sender=claimant)
    report.scale[holders] = {
        "deposit revenue (first)": int(first_deposit.gas_used),
        "claim revenue (first)": int(first_claim.gas_used),
        "deposit revenue": int(deposit.gas_used),
        "claim revenue": int(claim.gas_used),
    }


def _report_hour(setup: Setup, asset: Asset) -> ReceiptAPI:
    """The asset's meter (registered on first use) reports the last hour; returns the receipt."""
    oracle = setup.platform.oracle
    key = "0x" + (0xE1EC7000 + asset.asset_id).to_bytes(32, "big").hex()
    meter = Account.from_key(key).address
    if int(oracle.meterAsset(meter)) == 0:
        oracle.registerMeter(meter, asset.asset_id, sender=setup.admin)
    advance_time(HOUR)
    end = int(chain.blocks.head.timestamp)
    reading, signature = sign_reading(
        oracle, key, asset_id=asset.asset_id, period_start=end - HOUR, period_end=end,
        energy_wh=ENERGY_WH,
    )  # fmt: skip
    return oracle.submitReading(reading, signature, sender=setup.operator)


def _warm_up_certificates(setup: Setup, small: Asset, large: Asset) -> None:
    """A report on each asset and a claim by another holder, so that no measured figure pays for
    a platform-wide first (the oracle's report counter, the certificates' total supply, an asset's
    first snapshot)."""
    _report_hour(setup, small)
    _report_hour(setup, large)
    setup.platform.certificates.claim(
        [setup.platform.oracle.reportCount() - 1], sender=setup.buyers[1]
    )


def _certificate_round(
    setup: Setup, asset: Asset, claimant: AccountAPI, holders: int, report: Report
) -> int:
    """Two reports and two claims; before the second claim the claimant moves a share, so its
    balance at the report is read from a snapshot checkpoint. Returns the last report's id."""
    certificates, oracle = setup.platform.certificates, setup.platform.oracle
    first_report = _report_hour(setup, asset)
    first_claim = certificates.claim([oracle.reportCount()], sender=claimant)
    second_report = _report_hour(setup, asset)
    asset.token.transfer(setup.newcomers[2], 1, sender=claimant)
    claim = certificates.claim([oracle.reportCount()], sender=claimant)
    report.scale[holders].update(
        {
            "report production + certify (first)": int(first_report.gas_used),
            "claim certificates (first)": int(first_claim.gas_used),
            "report production + certify": int(second_report.gas_used),
            "claim certificates": int(claim.gas_used),
        }
    )
    return int(oracle.reportCount())


def _certificate_actions(setup: Setup, report_id: int, report: Report) -> None:
    """A transfer and a retirement of the certificates of a report of the small asset."""
    certificates, holder = setup.platform.certificates, setup.buyers[0]
    vintage = certificates.issuance(report_id).id
    report.record(
        "transfer certificates",
        certificates.safeTransferFrom(holder, setup.buyers[1], vintage, 1_000, b"", sender=holder),
    )
    report.record(
        "retire certificates",
        certificates.retire(vintage, 5_000, "Escola Basica de Evora", "2028", "PT", sender=holder),
    )


def _small_asset(setup: Setup, report: Report) -> Asset:
    """Ten buyers of 1,000 shares; the sale sells out and is finalized."""
    asset, registration = _register(setup, "Sunfield Solar Share", "SUNF", SHARES // 10)
    report.record("register asset", registration)
    sale = setup.platform.sale
    for index, buyer in enumerate(setup.buyers):
        receipt = sale.buy(asset.asset_id, SHARES // 10, sender=buyer)
        if index < 2:  # the first purchase also sets the sale's and the token's totals
            report.record(
                f"buy (primary sale, {'first' if index == 0 else 'later'} buyer)", receipt
            )
    report.record("finalize sale (sold out)", sale.finalize(asset.asset_id, sender=setup.whale))
    return asset


def _large_asset(setup: Setup) -> Asset:
    """One buyer takes all 10,000 shares, then gives one each to 999 fresh addresses."""
    asset, _ = _register(setup, "Northwind Share", "NWND", SHARES)
    setup.platform.sale.buy(asset.asset_id, SHARES, sender=setup.whale)
    setup.platform.sale.finalize(asset.asset_id, sender=setup.whale)
    _transfer_to_many(asset.token, setup.whale, _fresh_addresses(999))
    assert asset.token.balanceOf(setup.whale) == SHARES - 999
    return asset


def _user_actions(setup: Setup, asset: Asset, report: Report) -> None:
    """Transfers, market, delegation and a vote on the small asset."""
    token, market, governor = asset.token, setup.platform.market, asset.governor
    seller, other, newcomer, buyer = setup.buyers[1], setup.buyers[2], *setup.newcomers[:2]
    report.record("transfer (to a holder)", token.transfer(other, 10, sender=seller))
    report.record("transfer (to a new holder)", token.transfer(newcomer, 10, sender=seller))
    report.record("approve the market (shares)", token.approve(market, 100, sender=seller))
    expires = chain.pending_timestamp + 30 * DAY
    report.record("list (market)", market.list(token, 100, 60 * USDC, expires, sender=seller))
    listing = market.listingCount()
    report.record(
        "fill (market, partial; new holder)", market.fill(listing, 40, 60 * USDC, sender=buyer)
    )
    report.record("cancel listing", market.cancel(listing, sender=seller))
    delegate = token.invoke_transaction("delegate", other, sender=setup.buyers[3])
    report.record("delegate votes", delegate)
    calldata = setup.platform.registry.setMetadataURI.encode_input(asset.asset_id, "ipfs://v2")
    proposal = ([setup.platform.registry.address], [0], [calldata], "Update the metadata")
    report.record("propose", governor.propose(*proposal, sender=seller))
    proposal_id = governor.hashProposal(*proposal[:3], keccak(text=proposal[3]))
    advance_time(DAY + 1)
    report.record("vote (castVote)", governor.castVote(proposal_id, 1, sender=other))


def measure() -> Report:
    """Deploys the platform on a fresh anvil and measures every action."""
    report = Report()
    with networks.parse_network_choice(NETWORK):
        chain.provider.make_request("anvil_setBlockTimestampInterval", [1])
        chain.mine(timestamp=START_TIMESTAMP)
        setup = _setup()
        small = _small_asset(setup, report)
        large = _large_asset(setup)
        _revenue_round(setup, small, setup.buyers[0], 10, report)
        _revenue_round(setup, large, setup.whale, 1_000, report)
        _warm_up_certificates(setup, small, large)
        small_report = _certificate_round(setup, small, setup.buyers[0], 10, report)
        _certificate_round(setup, large, setup.whale, 1_000, report)
        for label in (
            "deposit revenue", "claim revenue", "report production + certify", "claim certificates"
        ):  # fmt: skip
            report.actions.append((f"{label} (10 holders)", report.scale[10][label]))
        _certificate_actions(setup, small_report, report)
        _user_actions(setup, small, report)
    return report


def _prepare_environment() -> None:
    """anvil and the solc-js shim come from the repository, as in the Makefile."""
    os.environ["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}"
    os.environ.setdefault("SOLCX_BINARY_PATH", str(ROOT / "tools" / "solcjs"))


@click.command()
@click.option("--check", is_flag=True, help="Compare with the snapshot instead of rewriting it.")
def main(check: bool) -> None:
    """Prints gas per user action; writes (or checks) bench/gas-snapshot.txt."""
    _prepare_environment()
    logger.set_level(LogLevel.ERROR)
    text = "\n".join(measure().lines()) + "\n"
    click.echo(text, nl=False)
    if not check:
        SNAPSHOT.write_text(text)
        return
    committed = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""
    if committed != text:
        diff = difflib.unified_diff(committed.splitlines(), text.splitlines(), "snapshot", "now")
        click.echo("\n".join(diff), err=True)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
