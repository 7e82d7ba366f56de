"""A run of share transfers applied at once leaves the rows exactly as the transfers one by one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.handlers import TransferRun, transfer
from indexer.projection import EntityCache, Event, Projection
from indexer.store import Key, Row

TOKEN = "0x" + "7a" * 20
ASSET = 3
ZERO = "0x" + "00" * 20
ACCOUNTS = [ZERO] + ["0x" + f"{i:02x}" * 20 for i in range(1, 6)]
PER_SHARE = 7 * 2**128 + 13  # a revenue accumulator well past zero, so corrections move
HOLDER_DEFAULTS = {
    "balance": 0,
    "correction": 0,
    "claimed": 0,
    "delegate": None,
    "votes": 0,
    "energy_wh": 0,
    "reports_shared": 0,
    "energy_settled": 0,
    "snapshot_id": 0,
}
SNAPSHOT = 2  # the token's last snapshot (a production report's): a holder's first move after it
# keeps its balance of that moment in `share_snapshots`


class Rows:
    """The rows a batch starts from, as the store would load them; new rows get the defaults."""

    def __init__(self, tables: dict[str, dict[Key, Row]]) -> None:
        self.tables = tables

    def load(self, table: str, key: Key) -> Row | None:
        row = self.tables.get(table, {}).get(key)
        return dict(row) if row is not None else None

    def load_many(self, table: str, keys: Sequence[Key]) -> dict[Key, Row]:
        return {key: row for key in keys if (row := self.load(table, key)) is not None}

    def new_row(self, table: str, key: Key, values: dict[str, Any]) -> Row:
        if table == "share_snapshots":
            return {"token": key[0], "account": key[1], "snapshot_id": key[2], **values}
        assert table == "holders"
        return {**HOLDER_DEFAULTS, "token": key[0], "account": key[1], **values}


@st.composite
def histories(draw: st.DrawFn) -> tuple[dict[str, int], list[tuple[str, str, int, int]]]:
    """Starting balances, and valid transfers (mints, moves, burns, zero amounts) over blocks."""
    balances = {a: draw(st.integers(0, 10**6)) for a in ACCOUNTS[1:] if draw(st.booleans())}
    current = dict(balances)
    transfers, block = [], 100
    for _ in range(draw(st.integers(1, 30))):
        block += draw(st.integers(0, 2))
        sender, recipient = draw(st.sampled_from(ACCOUNTS)), draw(st.sampled_from(ACCOUNTS))
        if sender == recipient == ZERO:
            continue
        available = 10**9 if sender == ZERO else current.get(sender, 0)
        value = draw(st.integers(0, available))
        if sender != ZERO:
            current[sender] = current.get(sender, 0) - value
        if recipient != ZERO:
            current[recipient] = current.get(recipient, 0) + value
        transfers.append((sender, recipient, value, block))
    return balances, transfers


def starting_rows(balances: dict[str, int]) -> Rows:
    holders = {
        (TOKEN, account): {**HOLDER_DEFAULTS, "token": TOKEN, "account": account, "asset_id": ASSET,
                           "balance": balance, "correction": -PER_SHARE * balance,
                           "first_block": 1, "updated_block": 1,
                           "snapshot_id": SNAPSHOT if int(account[2:4], 16) % 2 else 0}
        for account, balance in balances.items()
    }  # fmt: skip
    supply = sum(balances.values())
    asset = {"asset_id": ASSET, "total_supply": supply, "updated_block": 1,
             "holder_count": sum(1 for b in balances.values() if b > 0),
             "magnified_revenue_per_share": PER_SHARE, "report_count": 0,
             "snapshot_id": SNAPSHOT}  # fmt: skip
    return Rows({"holders": holders, "assets": {(ASSET,): asset}})


def event(sender: str, recipient: str, value: int, block: int, index: int) -> Event:
    return Event(block, index, f"0x{block:064x}", f"0x{index:064x}", 0, TOKEN, 1_700_000_000 + block,
                 "share_token", ASSET, "Transfer", {"from": sender, "to": recipient, "value": value})  # fmt: skip


def project(rows: Rows, transfers: list[tuple[str, str, int, int]], *, run: bool) -> dict[str, Any]:
    projection = Projection(rows, EntityCache(), reversible_from=None)
    batch = TransferRun()
    for index, (sender, recipient, value, block) in enumerate(transfers):
        projection.begin(block)
        if run:
            batch.add(TOKEN, ASSET, sender, recipient, value, block)
        else:
            transfer(projection, event(sender, recipient, value, block, index))
    batch.apply(projection)
    return {table: dict(rows) for table, rows in projection.cache.tables.items()}


@settings(max_examples=400, deadline=None)
@given(histories())
def test_a_run_of_transfers_equals_the_transfers_one_by_one(history: Any) -> None:
    balances, transfers = history
    one_by_one = project(starting_rows(balances), transfers, run=False)
    at_once = project(starting_rows(balances), transfers, run=True)
    assert at_once == one_by_one


def test_a_run_counts_a_holder_who_leaves_and_one_who_arrives() -> None:
    alice, bob = ACCOUNTS[1], ACCOUNTS[2]
    rows = project(starting_rows({alice: 10}), [(alice, bob, 10, 5)], run=True)
    asset = rows["assets"][(ASSET,)]
    assert asset["holder_count"] == 1 and asset["total_supply"] == 10
    assert rows["holders"][(TOKEN, bob)]["first_block"] == 5
    assert rows["holders"][(TOKEN, alice)]["balance"] == 0
    # Alice's row already holds the snapshot's balance (its first move since was earlier); Bob,
    # new, had nothing at the snapshot, and that is kept before his first move.
    kept = rows["share_snapshots"]
    assert (TOKEN, alice, SNAPSHOT) not in kept
    assert kept[(TOKEN, bob, SNAPSHOT)]["balance"] == 0
