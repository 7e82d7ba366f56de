"""Range sizing: the next getLogs range aims at the target log count, moving at most fourfold."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from indexer.fetch import RangeFetcher


def fetcher(span: int, max_span: int = 100_000, target_logs: int = 5_000) -> RangeFetcher:
    # The node is never called by the sizing, so none is given.
    return RangeFetcher(None, [], span=span, max_span=max_span, target_logs=target_logs,  # type: ignore[arg-type]
                        header_chunk=100)  # fmt: skip


@given(st.integers(1, 100_000), st.integers(0, 10**6), st.floats(0, 5))
def test_the_next_range_stays_within_a_factor_of_four_and_the_cap(span: int, count: int,
                                                                  seconds: float) -> None:  # fmt: skip
    f = fetcher(span)
    f._resize(count, seconds, span)
    assert max(1, span // 4) <= f.span <= min(100_000, span * 4)


@given(st.integers(1, 100_000), st.integers(0, 10**6))
def test_a_slow_answer_halves_the_range(span: int, count: int) -> None:
    f = fetcher(span)
    f._resize(count, 6.0, span)
    assert f.span == max(1, span // 2)


def test_a_range_that_met_its_target_keeps_its_size() -> None:
    f = fetcher(2_000)
    f._resize(5_000, 0.2, 2_000)
    assert f.span == 2_000


def test_a_sparse_range_grows_fourfold_and_a_dense_one_shrinks_fourfold() -> None:
    f = fetcher(1_000)
    f._resize(10, 0.1, 1_000)
    assert f.span == 4_000
    f._resize(1_000_000, 0.1, 4_000)
    assert f.span == 1_000
