"""Holders' running energy totals, settled as balances move, equal a replay of the whole history:
at every production report, `balance * energy // supply` for each holder, whichever path (one
transfer at a time, or summed runs of transfers between reports) built them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.handlers import TransferRun, production_reported, transfer
from indexer.projection import EntityCache, Event, Projection
from indexer.store import Key, Row

TOKEN = "0x" + "7a" * 20
ASSET = 3
ZERO = "0x" + "00" * 20
ACCOUNTS = [ZERO] + ["0x" + f"{i:02x}" * 20 for i in range(1, 5)]
DEFAULTS = {
    "holders": {"balance": 0, "correction": 0, "claimed": 0, "delegate": None, "votes": 0,
                "energy_wh": 0, "reports_shared": 0, "energy_settled": 0, "snapshot_id": 0},
    "energy_periods": {},
    "share_snapshots": {},
}  # fmt: skip

Action = tuple[
    str, Any
]  # ("transfer", (sender, recipient, value, block)) or ("report", (wh, block))


class Rows:
    """An empty index but for the asset, as the store would load it."""

    def __init__(self) -> None:
        self.asset = {"asset_id": ASSET, "total_supply": 0, "updated_block": 1, "holder_count": 0,
                      "magnified_revenue_per_share": 0, "report_count": 0, "energy_wh": 0,
                      "snapshot_id": 0}  # fmt: skip

    def load(self, table: str, key: Key) -> Row | None:
        return dict(self.asset) if table == "assets" else None

    def load_many(self, table: str, keys: Sequence[Key]) -> dict[Key, Row]:
        return {key: row for key in keys if (row := self.load(table, key)) is not None}

    def new_row(self, table: str, key: Key, values: dict[str, Any]) -> Row:
        return {**DEFAULTS[table], "key": key, **values}


@st.composite
def histories(draw: st.DrawFn) -> list[Action]:
    """Mints, moves, burns and production reports over a few blocks."""
    balances: dict[str, int] = {}
    actions: list[Action] = []
    block = 100
    for _ in range(draw(st.integers(1, 40))):
        block += draw(st.integers(0, 2))
        if draw(st.integers(0, 4)) == 0:
            actions.append(("report", (draw(st.integers(0, 10**9)), block)))
            continue
        sender, recipient = draw(st.sampled_from(ACCOUNTS)), draw(st.sampled_from(ACCOUNTS))
        if sender == recipient == ZERO:
            continue
        value = draw(st.integers(0, 10**6 if sender == ZERO else balances.get(sender, 0)))
        balances[sender] = balances.get(sender, 0) - value
        balances[recipient] = balances.get(recipient, 0) + value
        actions.append(("transfer", (sender, recipient, value, block)))
    return actions


def project(actions: list[Action], *, run: bool) -> dict[str, Any]:
    """The rows after the actions, as the engine builds them (runs applied before each report)."""
    projection = Projection(Rows(), EntityCache(), reversible_from=None)
    batch = TransferRun()
    for index, (kind, what) in enumerate(actions):
        if kind == "transfer":
            sender, recipient, value, block = what
            projection.begin(block)
            if run:
                batch.add(TOKEN, ASSET, sender, recipient, value, block)
            else:
                args = {"from": sender, "to": recipient, "value": value}
                transfer(projection, event(block, index, "share_token", "Transfer", args))
        else:
            energy, block = what
            batch.apply(projection)
            projection.begin(block)
            args = {"assetId": ASSET, "reportId": index, "meter": ZERO, "periodStart": 0,
                    "periodEnd": 1, "energyWh": energy, "assetTotalWh": 0}  # fmt: skip
            production_reported(
                projection, event(block, index, "oracle", "ProductionReported", args)
            )
    batch.apply(projection)
    return {table: dict(rows) for table, rows in projection.cache.tables.items()}


def event(block: int, index: int, kind: str, name: str, args: dict[str, Any]) -> Event:
    return Event(block, index, f"0x{block:064x}", f"0x{index:064x}", 0, TOKEN, 1_700_000_000,
                 kind, ASSET, name, args)  # fmt: skip


def replayed(actions: list[Action]) -> dict[str, tuple[int, int]]:
    """Energy and reports shared per account, the simple way: every holder at every report."""
    balances: dict[str, int] = {}
    totals: dict[str, tuple[int, int]] = {}
    for kind, what in actions:
        if kind == "transfer":
            sender, recipient, value, _ = what
            balances[sender] = balances.get(sender, 0) - value
            balances[recipient] = balances.get(recipient, 0) + value
        elif (supply := -balances.get(ZERO, 0)) > 0:
            for account, balance in balances.items():
                if account != ZERO:
                    energy, shared = totals.get(account, (0, 0))
                    totals[account] = (energy + balance * what[0] // supply, shared + (balance > 0))
    return {a: t for a, t in totals.items() if t != (0, 0)}


def served(rows: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """What the portfolio reads: the settled total plus the periods since, at today's balance."""
    periods = rows.get("energy_periods", {})
    found = {}
    for (_, account), holder in rows.get("holders", {}).items():
        energy, shared = holder["energy_wh"], holder["reports_shared"]
        for (_, seq), period in periods.items():
            if (
                seq > holder["energy_settled"]
                and period["total_supply"] > 0
                and holder["balance"] > 0
            ):
                energy += holder["balance"] * period["energy_wh"] // period["total_supply"]
                shared += 1
        if (energy, shared) != (0, 0):
            found[account] = (energy, shared)
    return found


@settings(max_examples=300, deadline=None)
@given(histories())
def test_settled_energy_equals_a_replay_whichever_path_built_it(actions: list[Action]) -> None:
    one_by_one = project(actions, run=False)
    at_once = project(actions, run=True)
    assert at_once == one_by_one
    assert served(one_by_one) == replayed(actions)


def test_a_holder_who_sold_before_a_report_shares_none_of_it() -> None:
    alice, bob = ACCOUNTS[1], ACCOUNTS[2]
    actions: list[Action] = [
        ("transfer", (ZERO, alice, 30, 1)), ("transfer", (ZERO, bob, 10, 1)),
        ("report", (1_000, 2)), ("transfer", (alice, bob, 30, 3)), ("report", (1_000, 4)),
    ]  # fmt: skip
    rows = project(actions, run=True)
    assert served(rows) == {alice: (750, 1), bob: (250 + 1_000, 2)}
