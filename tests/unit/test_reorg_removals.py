"""What a resuming client on a reorged branch is told was removed, and where its view rejoins."""

from __future__ import annotations

from typing import Any

from api.feeds.resume import Removal, removed_since


def ev(block: int, index: int, block_hash: str) -> dict[str, Any]:
    return {"block_number": block, "log_index": index, "block_hash": block_hash}


def test_a_client_inside_a_removed_block_gets_what_it_saw_newest_first() -> None:
    removed = [ev(11, 0, "0xa11"), ev(11, 1, "0xa11"), ev(12, 0, "0xa12")]
    found = removed_since(11, "0xa11", 0, [Removal(seq=5, ancestor=10, events=removed)])
    assert found == ([ev(11, 0, "0xa11")], 10)


def test_a_client_at_a_whole_block_gets_all_its_events() -> None:
    removed = [ev(11, 0, "0xa11"), ev(11, 1, "0xa11"), ev(12, 0, "0xa12")]
    found = removed_since(12, "0xa12", None, [Removal(seq=5, ancestor=10, events=removed)])
    assert found is not None and [e["log_index"] for e in found[0]] == [0, 1, 0][::-1]
    assert found[1] == 10


def test_a_later_deeper_reorg_adds_what_it_removed_below_the_common_block() -> None:
    first = Removal(seq=5, ancestor=10, events=[ev(11, 0, "0xa11")])
    deeper = Removal(seq=6, ancestor=8, events=[ev(9, 0, "0xb09"), ev(11, 0, "0xb11")])
    found = removed_since(11, "0xa11", None, [first, deeper])
    assert found == ([ev(11, 0, "0xa11"), ev(9, 0, "0xb09")], 8)


def test_a_shallower_later_reorg_changes_nothing_for_the_client() -> None:
    first = Removal(seq=5, ancestor=8, events=[ev(9, 0, "0xa09")])
    shallower = Removal(seq=6, ancestor=9, events=[ev(10, 0, "0xb10")])
    assert removed_since(9, "0xa09", None, [first, shallower]) == ([ev(9, 0, "0xa09")], 8)


def test_unknown_positions_and_unpublished_removals_cannot_be_answered() -> None:
    assert removed_since(11, "0xdead", None, [Removal(seq=1, ancestor=10, events=[])]) is None
    first = Removal(seq=5, ancestor=10, events=[ev(11, 0, "0xa11")])
    too_big = Removal(seq=6, ancestor=7, events=None)
    assert removed_since(11, "0xa11", None, [first, too_big]) is None
