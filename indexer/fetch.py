"""Fetching: log ranges that adapt to the node, with their block headers, prefetched in a thread.

A range grows while the node answers quickly with few logs and shrinks when it refuses ("too many
results", range limits) or times out, so a backfill never stalls on a node's limits. Headers come in
batched JSON-RPC requests: the blocks that carry logs, the range's last block, and every block of
the range that is still reversible (those form the parent-hash chain a reorg is detected on).

Contracts the registry creates are followed here, where ranges are planned: a range that creates
some ends at that block, holding their logs of it, and the next range follows them too. The ranges
already read ahead stay good, so the read-ahead never starts over.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from eth_hash.auto import keccak

from indexer.batch import NewContract
from indexer.exceptions import ChainChanged, NodeBehind, RangeTooLarge, RpcError
from indexer.rpc import NodeTimeout, RpcClient


def _bloom_positions(value: bytes) -> tuple[int, int, int]:
    """The three bits a value sets in a 2048-bit logs bloom."""
    digest = keccak(value)
    return tuple(((digest[i] << 8) | digest[i + 1]) & 2047 for i in (0, 2, 4))  # type: ignore[return-value]


def _bloom_hit(bloom: str, positions: list[tuple[int, int, int]]) -> bool:
    """Whether a block's bloom may hold a log of any of the addresses."""
    value = int(bloom, 16)
    return any(all(value >> bit & 1 for bit in bits) for bits in positions)


@dataclass
class Batch:
    """The logs and headers of an inclusive block range, checked against each other.

    Attributes:
        created: The contracts the registry creates in the batch's last block (its logs include
            theirs of that block); empty when it creates none.
    """

    from_block: int
    to_block: int
    logs: list[dict[str, Any]]
    headers: dict[int, dict[str, Any]]
    reversible_from: int
    created: tuple[NewContract, ...] = ()


# Finds the contracts a range's logs create in the first block that creates any (empty: none).
# It is given the logs and the addresses already followed.
Discover = Callable[[Sequence[dict[str, Any]], Sequence[str]], list[NewContract]]


class RangeFetcher:
    """Fetches block ranges of a set of contracts, sizing the ranges to what the node accepts.

    Args:
        rpc: The node.
        addresses: The contracts whose logs to fetch.
        span: The first range size, in blocks.
        max_span: The largest range size.
        target_logs: Logs per request the sizing aims at.
        header_chunk: Headers per batched request.
        discover: Finds the contracts a range creates (None: the followed set never grows).
        restart_span: The range size after new contracts are followed (their density is unknown).
    """

    def __init__(self, rpc: RpcClient, addresses: Sequence[str], *, span: int, max_span: int,
                 target_logs: int, header_chunk: int, discover: Discover | None = None,
                 restart_span: int | None = None) -> None:  # fmt: skip
        self.rpc = rpc
        self.addresses = sorted(addresses)
        self.span = span
        self.restart_span = span if restart_span is None else restart_span
        self.discover = discover
        self.max_span = max_span
        self.target_logs = target_logs
        self.header_chunk = header_chunk
        # The bloom bits of the last address list asked about, kept as one pair (set at once).
        self._bits: tuple[tuple[str, ...], list[tuple[int, int, int]]] = ((), [])

    def logs(self, from_block: int, to_block: int, *,
             addresses: Sequence[str] | None = None) -> list[dict[str, Any]]:  # fmt: skip
        """Every log of the range (of `addresses`, else of all followed contracts), split as often
        as the node requires."""
        addresses = self.addresses if addresses is None else addresses
        logs: list[dict[str, Any]] = []
        cursor = from_block
        while cursor <= to_block:
            end = min(to_block, cursor + self.span - 1)
            started = time.monotonic()
            try:
                part = self.rpc.get_logs(addresses, cursor, end)
            except (RangeTooLarge, NodeTimeout) as error:
                if end == cursor:
                    raise RpcError(0, f"the node refuses even one block's logs: {error}") from error
                self.span = max(1, (end - cursor + 1) // 2)
                continue
            self._resize(len(part), time.monotonic() - started, end - cursor + 1)
            logs.extend(part)
            cursor = end + 1
        return logs

    def fetch(self, from_block: int, to_block: int, reversible_from: int,
              known: dict[int, dict[str, Any]] | None = None) -> Batch:  # fmt: skip
        """The logs of a range with the headers they need, consistent with one another.

        When the range creates contracts (`discover`), the batch ends at the first block that
        does, with their logs of that block, and they are followed from then on.

        Raises:
            ChainChanged: A log's block hash does not match its header, or the reversible headers
                do not form a chain: the chain moved while fetching.
            NodeBehind: The node has no block for a number in the range.
        """
        addresses = self.addresses  # replaced, never changed in place: a stable snapshot
        logs = [log for log in self.logs(from_block, to_block, addresses=addresses)
                if not log.get("removed")]  # fmt: skip
        batch = self.complete(from_block, to_block, logs, reversible_from, known, addresses)
        # Asked of the checked logs, those a bloom recheck added included: what the loop sees.
        created = [] if self.discover is None else self.discover(batch.logs, addresses)
        if not created:
            return batch
        cut, new = created[0].block, [c.address for c in created]
        fresh = [log for log in self.logs(cut, cut, addresses=new) if not log.get("removed")]
        kept = [log for log in batch.logs if int(log["blockNumber"], 16) <= cut]
        following = sorted({*addresses, *new})
        batch = self.complete(from_block, cut, _merged(kept, fresh), reversible_from,
                              batch.headers, following)  # fmt: skip
        self.addresses = following
        self.span = self.restart_span  # the followed set's density changed
        return replace(batch, created=tuple(created))

    def complete(self, from_block: int, to_block: int, logs: list[dict[str, Any]],
                 reversible_from: int, known: dict[int, dict[str, Any]] | None = None,
                 addresses: Sequence[str] | None = None) -> Batch:  # fmt: skip
        """Adds the headers a range's logs need and checks that logs and headers agree.

        `addresses` are the contracts whose logs `logs` are (the followed ones by default).
        """
        addresses = self.addresses if addresses is None else addresses
        wanted = {int(log["blockNumber"], 16) for log in logs}
        wanted.add(to_block)
        if reversible_from <= to_block:
            wanted.update(range(max(from_block, reversible_from), to_block + 1))
        headers = dict(known or {})
        missing = [n for n in wanted if n not in headers]
        for number, header in self.rpc.headers(missing, chunk=self.header_chunk).items():
            if header is None:
                raise NodeBehind(f"the node has no block {number} yet")
            headers[number] = header
        for log in logs:
            if log["blockHash"] != headers[int(log["blockNumber"], 16)]["hash"]:
                raise ChainChanged(f"block {int(log['blockNumber'], 16)} changed while fetching")
        for number in range(max(from_block, reversible_from) + 1, to_block + 1):
            if headers[number]["parentHash"] != headers[number - 1]["hash"]:
                raise ChainChanged(f"block {number} changed while fetching")
        logs = self._recheck_blooms(logs, headers, max(from_block, reversible_from), to_block,
                                    addresses)  # fmt: skip
        return Batch(from_block, to_block, logs, headers, reversible_from)

    def _recheck_blooms(self, logs: list[dict[str, Any]], headers: dict[int, dict[str, Any]],
                        first: int, last: int, addresses: Sequence[str]) -> list[dict[str, Any]]:  # fmt: skip
        """Fetches again, by block hash, the reversible blocks whose bloom says they may hold logs
        of `addresses` that the range query did not return (it ran while the chain was changing)."""
        with_logs = {int(log["blockNumber"], 16) for log in logs}
        bits = self._bloom_bits(addresses)
        suspects = [
            n for n in range(first, last + 1)
            if n not in with_logs and _bloom_hit(headers[n].get("logsBloom", "0x0"), bits)
        ]  # fmt: skip
        if not suspects:
            return logs
        calls = [("eth_getLogs", [{"blockHash": headers[n]["hash"], "address": list(addresses)}])
                 for n in suspects]  # fmt: skip
        try:
            found = self.rpc.batch(calls)
        except RpcError as error:
            raise ChainChanged(f"a block vanished while fetching: {error}") from error
        extra = [log for part in found for log in part if not log.get("removed")]
        if not extra:
            return logs
        return _merged(logs, extra)

    def _bloom_bits(self, addresses: Sequence[str]) -> list[tuple[int, int, int]]:
        key = tuple(addresses)
        cached_for, bits = self._bits
        if cached_for != key:
            bits = [_bloom_positions(bytes.fromhex(a[2:])) for a in key]
            self._bits = (key, bits)
        return bits

    def _resize(self, count: int, seconds: float, span: int) -> None:
        """Sizes the next range to bring about `target_logs` logs, within a factor of 4 per step."""
        if seconds > 5.0:
            self.span = max(1, span // 2)
            return
        ideal = span * self.target_logs // max(count, 1)
        self.span = max(1, min(self.max_span, span * 4, max(span // 4, ideal)))


def _merged(logs: list[dict[str, Any]], more: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Two lists of one range's logs as one, in chain order, each log once."""
    by_position = {(int(g["blockNumber"], 16), int(g["logIndex"], 16)): g for g in logs + more}
    return [by_position[position] for position in sorted(by_position)]


class Prefetcher:
    """Fetches ranges ahead of the writer in a thread, a bounded number of batches ahead.

    Iterating yields batches in block order; an error in the thread is raised in the iterating one.
    `close()` stops the thread at its next range (and is safe to call twice).
    """

    _DONE = object()

    def __init__(self, fetcher: RangeFetcher, from_block: int, to_block: int, *,
                 reversible_from: int, depth: int) -> None:  # fmt: skip
        self.fetcher = fetcher
        self.from_block = from_block
        self.to_block = to_block
        self.reversible_from = reversible_from
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="prefetch", daemon=True)
        self._thread.start()

    def __iter__(self) -> Iterator[Batch]:
        while True:
            item = self._queue.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        cursor = self.from_block
        try:
            while cursor <= self.to_block and not self._stop.is_set():
                end = min(self.to_block, cursor + self.fetcher.span - 1)
                batch = self.fetcher.fetch(cursor, end, self.reversible_from)
                if not self._put(batch):
                    return
                cursor = batch.to_block + 1
        except BaseException as error:  # handed to the writer, which decides what to do
            self._put(error)
            return
        self._put(self._DONE)
