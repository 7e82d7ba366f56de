"""Yearly statements over the demo (which spans three calendar years), each figure checked against
the contracts: their views at the year's bounds and their events read from the node, decoded here;
who may read a statement; the CSV; years out of range."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import eth_abi
import pytest
from _stack import Views, rpc
from _wallet import bearer
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from fastapi.testclient import TestClient

from api.settings import ApiSettings
from infra.abi import canonical_type

ZERO = "0x" + "0" * 40


class Chain:
    """The demo chain as the node tells it: block times, views at a moment, decoded events."""

    def __init__(self, url: str, views: Views, deployments: Path) -> None:
        self.url, self.views = url, views
        self.contracts = json.loads((deployments / "31337.json").read_text())["contracts"]
        self.head = int(rpc(url, "eth_blockNumber"), 16)

    @cache  # noqa: B019  # one Chain per module; blocks never change
    def time(self, block: int) -> int:
        return int(rpc(self.url, "eth_getBlockByNumber", hex(block), False)["timestamp"], 16)

    def block_before(self, moment: int) -> int:
        """The last block dated before `moment` (its state is the state at `moment`)."""
        low, high = 0, self.head
        if self.time(high) < moment:
            return high
        while low < high:  # the last block with time < moment: low ends on it
            middle = (low + high + 1) // 2
            low, high = (middle, high) if self.time(middle) < moment else (low, middle - 1)
        return low

    def view(self, token: str, function: str, account: str, block: int) -> int:
        return int(self.views.call("ShareToken", token, function, account, block=block))

    def events(self, contract_type: str, address: str, name: str) -> list[dict[str, Any]]:
        """Every `name` event of the contract, decoded, with its position and block time."""
        abi = next(e for e in self.views.types[contract_type]["abi"]
                   if e.get("type") == "event" and e["name"] == name)  # fmt: skip
        types = [canonical_type(p) for p in abi["inputs"]]
        topic = "0x" + keccak(text=f"{name}({','.join(types)})").hex()
        logs = rpc(self.url, "eth_getLogs", {"address": address, "topics": [topic],
                                             "fromBlock": "0x0", "toBlock": hex(self.head)})  # fmt: skip
        found = []
        for log in logs:
            indexed = [p for p in abi["inputs"] if p["indexed"]]
            plain = [p for p in abi["inputs"] if not p["indexed"]]
            values = dict(zip([p["name"] for p in plain],
                              eth_abi.decode([canonical_type(p) for p in plain],
                                             bytes.fromhex(log["data"][2:])), strict=True))  # fmt: skip
            for p, raw in zip(indexed, log["topics"][1:], strict=True):
                values[p["name"]] = eth_abi.decode([canonical_type(p)], bytes.fromhex(raw[2:]))[0]
            values = {k: v.lower() if isinstance(v, str) else v for k, v in values.items()}
            block = int(log["blockNumber"], 16)
            found.append({**values, "block_number": block, "log_index": int(log["logIndex"], 16),
                          "tx_hash": log["transactionHash"], "timestamp": self.time(block)})  # fmt: skip
        return found


@pytest.fixture(scope="module")
def chain(demo_chain: tuple[str, Path], views: Views) -> Chain:
    return Chain(demo_chain[0], views, demo_chain[1])


@pytest.fixture(scope="module")
def years(chain: Chain) -> list[int]:
    """The calendar years the demo spans (three: it starts in December and plays a year)."""
    first, last = (datetime.fromtimestamp(chain.time(b), UTC).year for b in (1, chain.head))
    assert last - first >= 2
    return list(range(first, last + 1))


@pytest.fixture(scope="module")
def tokens(client: TestClient) -> dict[str, str]:
    """Share token (lowercase) by asset id."""
    assets = client.get("/assets", params={"limit": 50}).json()["data"]
    return {a["asset_id"]: a["share_token"].lower() for a in assets}


@pytest.fixture(scope="module")
def accounts(chain: Chain, tokens: dict[str, str]) -> list[str]:
    """Every account that ever held shares (from the tokens' Transfer events), checksummed."""
    found = set()
    for token in tokens.values():
        found |= {e["to"] for e in chain.events("ShareToken", token, "Transfer")} - {ZERO}
    return sorted(to_checksum_address(a) for a in found)


@pytest.fixture(scope="module")
def statements(
    client: TestClient, demo_settings: ApiSettings, accounts: list[str], years: list[int]
) -> dict[tuple[str, int], dict[str, Any]]:
    """Every account's statement of every year, each read with the account's own token."""
    found = {}
    for account in accounts:
        headers = bearer(demo_settings, account)
        for year in years:
            answer = client.get(f"/accounts/{account}/statements/{year}", headers=headers)
            assert answer.status_code == 200, answer.text
            found[account, year] = answer.json()
    return found


def bounds(year: int) -> tuple[int, int]:
    start = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    return start, int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())


def sections(
    statements: dict[tuple[str, int], dict[str, Any]],
) -> Iterator[tuple[str, int, dict[str, Any]]]:
    for (account, year), statement in statements.items():
        for section in statement["assets"]:
            yield account, year, section


def test_shares_and_revenue_equal_the_token_views_at_the_years_bounds(
    chain: Chain, tokens: dict[str, str], statements: dict[tuple[str, int], dict[str, Any]]
) -> None:
    checked = 0
    for (account, year), statement in statements.items():
        start, end = (chain.block_before(moment) for moment in bounds(year))
        assert statement["period"]["complete"] == (chain.time(chain.head) >= bounds(year)[1])
        listed = {s["asset_id"]: s for s in statement["assets"]}
        for asset_id, token in tokens.items():
            balance = [chain.view(token, "balanceOf", account, b) for b in (start, end)]
            claimable = [chain.view(token, "claimableRevenueOf", account, b) for b in (start, end)]
            claimed = [chain.view(token, "claimedRevenueOf", account, b) for b in (start, end)]
            if asset_id not in listed:  # left out only when there is nothing to state
                assert balance == claimable == [0, 0], (account, year, asset_id)
                continue
            shares, revenue = listed[asset_id]["shares"], listed[asset_id]["revenue"]
            assert [int(shares["start"]), int(shares["end"])] == balance
            assert [int(revenue["unclaimed_start"]), int(revenue["unclaimed_end"])] == claimable
            assert int(revenue["claimed"]) == claimed[1] - claimed[0]
            assert int(revenue["earned"]) == claimed[1] + claimable[1] - claimed[0] - claimable[0]
            checked += 1
    assert checked > 50


def test_each_line_is_one_event_of_the_year_with_its_figures(
    chain: Chain, tokens: dict[str, str], statements: dict[tuple[str, int], dict[str, Any]]
) -> None:
    sale, market = (
        chain.contracts["PrimarySale"]["address"],
        chain.contracts["ShareMarket"]["address"],
    )
    purchases = chain.events("PrimarySale", sale, "SharesPurchased")
    fills = chain.events("ShareMarket", market, "ListingFilled")
    claims = {
        token: chain.events("ShareToken", token, "RevenueClaimed") for token in tokens.values()
    }
    position = ("block_number", "log_index", "tx_hash", "timestamp")

    def of_year(events: list[dict[str, Any]], year: int) -> list[dict[str, Any]]:
        start, end = bounds(year)
        return [e for e in events if start <= e["timestamp"] < end]

    seen = {"purchase": 0, "fill": 0, "claim": 0}
    for account, year, section in sections(statements):
        asset, mine = int(section["asset_id"]), account.lower()
        expected = [{**{k: p[k] for k in position}, "shares": str(p["shares"]), "cost": str(p["cost"])}
                    for p in of_year(purchases, year) if p["assetId"] == asset and p["buyer"] == mine]  # fmt: skip
        got = [
            {k: p[k] for k in (*position, "shares", "cost")} for p in section["trades"]["purchases"]
        ]
        assert got == expected
        for side, lines in (("buyer", section["trades"]["market_buys"]),
                            ("seller", section["trades"]["market_sells"])):  # fmt: skip
            expected = [{**{k: f[k] for k in position}, "shares": str(f["amount"]),
                         "price_per_share": str(f["pricePerShare"]), "paid": str(f["paid"]),
                         "fee": str(f["fee"]), "proceeds": str(f["paid"] - f["fee"])}
                        for f in of_year(fills, year) if f["assetId"] == asset and f[side] == mine]  # fmt: skip
            keys = (*position, "shares", "price_per_share", "paid", "fee", "proceeds")
            assert [{k: line[k] for k in keys} for line in lines] == expected
            seen["fill"] += len(lines)
        expected = [{**{k: c[k] for k in position}, "amount": str(c["amount"]),
                     "recipient": to_checksum_address(c["recipient"])}
                    for c in of_year(claims[section["share_token"].lower()], year) if c["account"] == mine]  # fmt: skip
        assert section["revenue"]["claims"] == expected
        seen["purchase"] += len(got)
        seen["claim"] += len(expected)
    assert all(seen.values()), seen


def test_deposit_and_energy_lines_are_the_accounts_part_at_their_block_and_add_up(
    chain: Chain, statements: dict[tuple[str, int], dict[str, Any]]
) -> None:
    oracle = chain.contracts["ProductionOracle"]["address"]
    reports = {(r["block_number"], r["log_index"]): r
               for r in chain.events("ProductionOracle", oracle, "ProductionReported")}  # fmt: skip
    lines = 0
    for account, _, section in sections(statements):
        token, revenue, energy = section["share_token"], section["revenue"], section["energy"]
        for deposit in revenue["deposits"]:
            block = deposit["block_number"]
            assert int(deposit["shares"]) == chain.view(token, "balanceOf", account, block)
        assert sum(int(d["earned"]) for d in revenue["deposits"]) == int(revenue["earned"])
        for line in energy["reports"]:
            report, block = reports[line["block_number"], line["log_index"]], line["block_number"]
            supply = int(chain.views.call("ShareToken", token, "totalSupply", block=block))
            shares = chain.view(token, "balanceOf", account, block)
            assert (int(line["report_wh"]), line["tx_hash"]) == (
                report["energyWh"],
                report["tx_hash"],
            )
            assert (int(line["shares"]), int(line["supply"])) == (shares, supply)
            assert int(line["attributed_wh"]) == shares * report["energyWh"] // supply
            lines += 1
        assert sum(int(r["attributed_wh"]) for r in energy["reports"]) == int(
            energy["attributed_wh"]
        )
    assert lines > 100


def test_shares_and_revenue_reconcile_from_start_to_end(
    statements: dict[tuple[str, int], dict[str, Any]],
) -> None:
    for _, _, section in sections(statements):
        s, r = {k: int(v) for k, v in section["shares"].items()}, section["revenue"]
        assert (s["start"] + s["purchased"] - s["refunded"] + s["bought"] - s["sold"]
                + s["transferred_in"] - s["transferred_out"]) == s["end"]  # fmt: skip
        assert int(r["unclaimed_start"]) + int(r["earned"]) - int(r["claimed"]) == int(
            r["unclaimed_end"]
        )
        assert int(r["claimed"]) == sum(int(c["amount"]) for c in r["claims"])
        c = section["certificates"]
        assert c["available"] is True
        assert int(c["claimed_wh"]) == sum(int(line["energy_wh"]) for line in c["claims"])
        assert int(c["retired_wh"]) == sum(int(line["energy_wh"]) for line in c["retirements"])


def test_certificate_lines_are_the_accounts_claims_and_retirements_of_the_year(
    chain: Chain, statements: dict[tuple[str, int], dict[str, Any]], years: list[int]
) -> None:
    certificates = chain.contracts["EnergyCertificates"]["address"]
    expected: dict[tuple[str, int, str], list[tuple[int, int, int]]] = {}
    for kind, name in (("claims", "CertificatesClaimed"), ("retirements", "CertificatesRetired")):
        for e in chain.events("EnergyCertificates", certificates, name):
            year = datetime.fromtimestamp(e["timestamp"], UTC).year
            if year in years:
                key = (to_checksum_address(e["account"]), year, kind)
                expected.setdefault(key, []).append((e["block_number"], e["log_index"],
                                                     e["energyWh"]))  # fmt: skip
    assert any(kind == "retirements" for _, _, kind in expected)  # the demo retires some
    found: dict[tuple[str, int, str], list[tuple[int, int, int]]] = {}
    for account, year, section in sections(statements):
        for kind in ("claims", "retirements"):
            for line in section["certificates"][kind]:
                found.setdefault((account, year, kind), []).append(
                    (line["block_number"], line["log_index"], int(line["energy_wh"]))
                )
    assert {k: sorted(v) for k, v in found.items()} == {k: sorted(v) for k, v in expected.items()}


def test_the_portfolio_energy_is_the_sum_of_the_years_statements(
    client: TestClient, statements: dict[tuple[str, int], dict[str, Any]], accounts: list[str]
) -> None:
    for account in accounts[:10]:
        per_asset: dict[str, int] = {}
        for (owner, _), statement in statements.items():
            for section in statement["assets"] if owner == account else []:
                per_asset[section["asset_id"]] = (per_asset.get(section["asset_id"], 0)
                                                  + int(section["energy"]["attributed_wh"]))  # fmt: skip
        holdings = client.get(f"/accounts/{account}").json()["holdings"]
        assert {h["asset_id"]: int(h["energy_wh"]) for h in holdings if int(h["energy_wh"])} == {
            asset: wh for asset, wh in per_asset.items() if wh
        }


# -- who may read a statement ---------------------------------------------------------------------


def put_viewers(client: TestClient, settings: ApiSettings, owner: str, viewers: list[str]) -> Any:
    return client.put("/me/preferences", headers=bearer(settings, owner),
                      json={"statement_viewers": viewers})  # fmt: skip


def test_a_statement_needs_sign_in(
    client: TestClient, accounts: list[str], years: list[int]
) -> None:
    answer = client.get(f"/accounts/{accounts[0]}/statements/{years[1]}")

    assert answer.status_code == 401
    assert "sign in first" in answer.json()["detail"]


def test_another_account_is_refused_until_granted_and_again_once_revoked(
    client: TestClient, demo_settings: ApiSettings, accounts: list[str], years: list[int],
    statements: dict[tuple[str, int], dict[str, Any]],
) -> None:  # fmt: skip
    owner, accountant = accounts[0], Account.create().address
    path = f"/accounts/{owner}/statements/{years[1]}"

    refused = client.get(path, headers=bearer(demo_settings, accountant))
    assert put_viewers(client, demo_settings, owner, [accountant]).status_code == 200
    granted = client.get(path, headers=bearer(demo_settings, accountant))
    grants = client.get("/me/statement-grants", headers=bearer(demo_settings, accountant)).json()
    put_viewers(client, demo_settings, owner, [])
    revoked = client.get(path, headers=bearer(demo_settings, accountant))

    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        f"only {owner.lower()} itself, or an address it lists in the statement_viewers of its"
        f" preferences, may read its statements; the signed-in {accountant.lower()} is neither"
    )
    assert granted.status_code == 200 and granted.json() == statements[owner, years[1]]
    assert granted.headers["cache-control"] == "private, no-store"
    assert [g["owner"] for g in grants] == [owner]
    assert revoked.status_code == 403  # never answered from a cache


def test_an_account_cannot_list_itself_as_a_viewer(
    client: TestClient, demo_settings: ApiSettings, accounts: list[str]
) -> None:
    answer = put_viewers(client, demo_settings, accounts[1], [accounts[1]])

    assert answer.status_code == 422
    assert "always reads its own statements" in answer.json()["detail"]


# -- CSV and years ----------------------------------------------------------------------------------


def test_the_csv_has_a_total_row_per_figure_and_an_item_row_per_line(
    client: TestClient, demo_settings: ApiSettings, accounts: list[str], years: list[int],
    statements: dict[tuple[str, int], dict[str, Any]],
) -> None:  # fmt: skip
    account, year = accounts[0], years[1]
    statement = statements[account, year]
    headers = bearer(demo_settings, account)

    by_query = client.get(f"/accounts/{account}/statements/{year}?format=csv", headers=headers)
    by_accept = client.get(f"/accounts/{account}/statements/{year}",
                           headers={**headers, "Accept": "text/csv"})  # fmt: skip
    json_wins = client.get(f"/accounts/{account}/statements/{year}?format=json",
                           headers={**headers, "Accept": "text/csv"})  # fmt: skip

    assert by_query.headers["content-type"] == "text/csv; charset=utf-8"
    assert by_query.headers["content-disposition"] == (
        f'attachment; filename="statement-{account}-{year}.csv"'
    )
    assert by_accept.text == by_query.text
    assert json_wins.json() == statement
    rows = list(csv.DictReader(io.StringIO(by_query.text)))
    assert list(rows[0]) == ["asset_id", "asset", "row", "figure", "value", "unit", "shares",
                             "price_per_share", "fee", "counterparty", "block_number", "log_index",
                             "tx_hash", "time_utc"]  # fmt: skip
    for section in statement["assets"]:
        mine = [r for r in rows if r["asset_id"] == section["asset_id"]]
        totals = {r["figure"]: r["value"] for r in mine if r["row"] == "total"}
        assert len(totals) == 20
        assert totals["shares_start"] == section["shares"]["start"]
        assert totals["revenue_earned"] == section["revenue"]["earned"]
        assert totals["revenue_unclaimed_end"] == section["revenue"]["unclaimed_end"]
        assert totals["energy_attributed"] == section["energy"]["attributed_wh"]
        items = [r for r in mine if r["row"] == "item"]
        trades = section["trades"]
        assert len(items) == sum(len(trades[k]) for k in ("purchases", "refunds", "market_buys",
                                                          "market_sells", "transfers_in",
                                                          "transfers_out")) + len(
            section["revenue"]["deposits"]) + len(section["revenue"]["claims"]) + len(
            section["energy"]["reports"]) + len(section["certificates"]["claims"]) + len(
            section["certificates"]["retirements"])  # fmt: skip
        assert all(r["tx_hash"].startswith("0x") and r["block_number"] for r in items)
        claims = [(r["tx_hash"], r["value"]) for r in items if r["figure"] == "revenue_claim"]
        assert claims == [(c["tx_hash"], c["amount"]) for c in section["revenue"]["claims"]]


@pytest.mark.parametrize(
    ("year", "reason"),
    [(-1, "the first year with a statement is"), (+1, "has not begun on chain"),
     (1969, "greater than or equal to 1970"), ("20x7", "integer")],
    ids=["before-the-first-block", "not-begun", "before-1970", "not-a-number"],
)  # fmt: skip
def test_a_year_out_of_range_is_422_with_the_reason(
    client: TestClient, demo_settings: ApiSettings, accounts: list[str], years: list[int],
    year: int | str, reason: str,
) -> None:  # fmt: skip
    asked = {-1: years[0] - 1, +1: years[-1] + 1}.get(year, year) if isinstance(year, int) else year

    answer = client.get(f"/accounts/{accounts[0]}/statements/{asked}",
                        headers=bearer(demo_settings, accounts[0]))  # fmt: skip

    assert answer.status_code == 422, answer.text
    assert reason in json.dumps(answer.json())
