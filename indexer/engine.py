"""The indexing loop: backfill, head following, reorgs, retries and leadership.

    leader lock -> checkpoint -> [prefetch ranges] -> batch.project -> one commit -> publish
                       ^------------- rollback to the common ancestor on a reorg

The engine keeps the loop; what one batch becomes (rows and messages) is `indexer.batch`, the path
`reindex` takes too. The deployments file is read by `indexer.deployments`, the progress bar is
`indexer.progress`.

Everything between two commits can be lost (a crash, a fault) without harm: the loop restarts from
the committed checkpoint, so each log is committed exactly once.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import psycopg

from indexer import metrics
from indexer.batch import Followed, NewContract, discover, followed_with, project
from indexer.commit_message import Hops, PublishedEvent, Status
from indexer.committer import Committer
from indexer.decode import Decoder
from indexer.deployments import deployed_contracts
from indexer.exceptions import (
    ChainChanged,
    ConfigurationError,
    NodeBehind,
    NodeUnavailable,
    RetryableError,
)
from indexer.fetch import Batch, Discover, Prefetcher, RangeFetcher
from indexer.heads import HeadWatcher
from indexer.progress import Progress
from indexer.projection import EntityCache, Projection
from indexer.publish import Publisher
from indexer.rpc import RpcClient
from indexer.settings import IndexerSettings
from indexer.store import BatchWrite, Store, declared_indexes
from infra.abi import Abis
from infra.settings import LOCAL_CHAIN_IDS

log = logging.getLogger("indexer.engine")
Checkpoint = tuple[int, str] | None
HEAD_BLOCKS = 4  # ranges shorter than this are fetched and committed without the threads


class CommitNote(NamedTuple):
    """What the loop needs after a batch is committed (metrics, progress, publishing)."""

    from_block: int
    started: float  # time.monotonic() when the batch began to be prepared
    events: list[PublishedEvent] | None  # to publish; None when over the publish limit
    total: int  # logs of the followed contracts
    hops: Hops  # when the batch's head arrived and it was fetched (committed is added after)


class Indexer:
    """Follows the platform's contracts into the store.

    Args:
        settings: What to follow and how.
        database_url: The PostgreSQL to write to.
        redis_url: Where to publish commits, or None.
        on_commit: Called after each commit with the new checkpoint (tests and tools use it).
    """

    def __init__(self, settings: IndexerSettings, database_url: str, redis_url: str | None, *,
                 on_commit: Callable[[int], None] | None = None) -> None:  # fmt: skip
        self.settings = settings
        self.rpc = RpcClient(settings.rpc_url, timeout=settings.request_timeout)
        self.database_url = database_url
        self.redis_url = redis_url
        self.on_commit = on_commit
        self.abis = Abis.from_build(settings.build_file)
        self.chain_id: int | None = None
        self.store: Store | None = None
        self.cache = EntityCache()
        self.failures = 0
        self._unanalyzed = 0  # events committed since the last ANALYZE this process ran
        self._deferred: dict[str, str] = {}  # raw_logs indexes dropped for this backfill
        self.node_head = 0
        self.progress = Progress(settings.progress)
        self._span = settings.initial_range
        self._caught_up = False
        self._alarmed = -1e9
        self._heads: HeadWatcher | None = None

    # -- the outer loop ------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None, *, until: int | None = None) -> None:
        """Indexes until `stop` is set (or block `until` is committed), surviving passing faults.

        Raises:
            ReorgTooDeep, ConfigurationError, RpcError: What retrying cannot fix.
        """
        stop = stop or threading.Event()
        heads = None
        # The fetch and commit threads mostly wait on sockets; a short switch interval hands
        # them the GIL soon after their data arrives instead of after 5 ms of decoding.
        sys.setswitchinterval(self.settings.switch_interval)
        # Batches allocate a dict per log but make no reference cycles: collecting young objects
        # every 700 allocations (the default) would walk every batch again and again.
        gc.freeze()
        gc.set_threshold(200_000, 50, 50)
        try:
            while not stop.is_set():
                try:
                    self._start()
                    if heads is None and self.settings.use_websocket:
                        heads = self._heads = HeadWatcher(self.settings.rpc_url)
                    if not self._lead(stop):
                        return
                    if self._follow(stop, until, heads):
                        return
                except ChainChanged as change:
                    log.info("chain moved during a fetch; starting again from the checkpoint",
                             extra={"reason": str(change)})  # fmt: skip
                    self.cache.clear()
                except (RetryableError, psycopg.OperationalError) as fault:
                    self.cache.clear()
                    self.failures += 1
                    metrics.RETRIES.labels(type(fault).__name__).inc()
                    if self.failures > 10_000:
                        raise
                    delay = min(self.settings.max_backoff, 0.1 * 2 ** min(self.failures, 10))
                    log.warning("retrying after a fault",
                                extra={"fault": type(fault).__name__, "reason": str(fault),
                                       "attempt": self.failures, "delay_s": round(delay, 2)})  # fmt: skip
                    if self.store is not None and not isinstance(fault, NodeUnavailable):
                        self.store.close()
                    stop.wait(delay)
        finally:
            if heads is not None:
                heads.close()
            self.progress.close()
            if self.store is not None:
                self.store.close()
            metrics.set_leader(None)

    def _start(self) -> None:
        """Connects to the node and the database, migrating and seeding on the first connection."""
        if self.chain_id is None:
            self.chain_id = self.rpc.chain_id()
        if self.store is None or self.store._conn is None:
            from infra.database.migrate import upgrade

            upgrade(self.database_url)
            self.store = Store(self.database_url, self.chain_id)
            self.store.connect()
            self.cache.clear()
        self._publisher_of_chain()  # a Redis URL it cannot use stops the start, not a commit

    def _lead(self, stop: threading.Event) -> bool:
        assert self.store is not None
        if self.store.try_lead():
            metrics.set_leader(True)
            return True
        log.info("another indexer leads this chain; waiting as a hot standby")
        metrics.set_leader(False)
        if not self.store.wait_to_lead(self.settings.standby_poll, stop):
            return False
        metrics.set_leader(True)
        log.info("took over as the leading indexer")
        return True

    # -- following the chain -------------------------------------------------------------------

    def _follow(self, stop: threading.Event, until: int | None, heads: HeadWatcher | None) -> bool:
        """Indexes up to the head and keeps following; True once `until` is committed."""
        store = self.store
        assert store is not None and self.chain_id is not None
        deployed = deployed_contracts(self.settings, self.chain_id)
        store.seed_contracts(deployed)
        self._check_indexes(store)
        start = self.settings.from_block
        if start is None:
            start = min(block for _, _, _, block in deployed)
        indexed = store.checkpoint()
        timestamp = None if indexed is None else store.block_timestamp(indexed[0])
        if timestamp is not None:
            metrics.INDEXED_TIMESTAMP.set(timestamp)
        while not stop.is_set():
            checkpoint = store.checkpoint()
            notified = None if heads is None else heads.fresh_head()
            head = self.rpc.block_number() if notified is None else notified
            self.node_head = head
            metrics.set_position(head, None if checkpoint is None else checkpoint[0])
            if checkpoint is not None:
                self._alarm_on_lag(head - checkpoint[0])
                if head < checkpoint[0]:
                    self._node_behind(checkpoint, head)
                    continue
                if until is not None and checkpoint[0] >= until:
                    if self._tip_changed(checkpoint):
                        continue
                    self._after_backfill()
                    return True
            target = head - self.settings.confirmations
            if until is not None:
                target = min(target, until)
            next_block = start if checkpoint is None else checkpoint[0] + 1
            if next_block > target:
                if checkpoint is not None and self._tip_changed(checkpoint):
                    continue
                self.failures = 0
                self._after_backfill()
                if heads is not None:
                    heads.wait(self.settings.poll_interval, stop)
                else:
                    stop.wait(self.settings.poll_interval)
                continue
            self._run_ranges(stop, checkpoint, next_block, target, head)
        return False

    def _alarm_on_lag(self, lag: int) -> None:
        """Warns (once a minute at most) when a caught-up indexer falls behind the head."""
        if lag <= self.settings.confirmations:
            self._caught_up = True
            return
        now = time.monotonic()
        if self._caught_up and lag > self.settings.lag_alarm_blocks and now - self._alarmed > 60:
            self._alarmed = now
            log.warning("the indexer lags the chain", extra={"lag_blocks": lag})

    def _run_ranges(self, stop: threading.Event, checkpoint: Checkpoint, first: int, last: int,
                    head: int) -> None:  # fmt: skip
        """Indexes [first, last]: fetch thread -> decode and project here -> commit thread; a few
        blocks at the head are done in this thread alone."""
        store = self.store
        assert store is not None
        if last - first < HEAD_BLOCKS:
            self._run_at_head(checkpoint, first, last, head)
            return
        contracts: Followed = store.contracts()
        fetcher = self._fetcher(contracts)
        reversible_from = self._reversible_from(head)
        self.progress.start(first, last)
        prefetcher = Prefetcher(fetcher, first, last, reversible_from=reversible_from,
                                depth=self.settings.prefetch_batches)  # fmt: skip
        committer = Committer(store.write, self._after_commit)
        try:
            for batch in prefetcher:
                if stop.is_set():
                    break
                if not self._parent_matches(batch, checkpoint):
                    committer.drain()
                    self._undo_reorg(checkpoint, head)
                    break
                write, note, contracts = self._prepare(batch, checkpoint, contracts)
                committer.submit(write, note)
                checkpoint = (write.to_block, write.to_hash)
                self._span = fetcher.span
                if len(self.cache) > self.cache.limit:
                    committer.drain()  # no commit in flight may need a row the trim forgets
                    self.cache.trim()
            committer.drain()
        except BaseException:
            self.cache.clear()  # it may hold changes that were never committed
            raise
        finally:
            committer.close()
            prefetcher.close()

    def _reversible_from(self, head: int) -> int:
        """The first block a reorg may still replace, with the chain at `head`."""
        return max(0, head - self.settings.reorg_window + 1)

    def _fetcher(self, contracts: Followed) -> RangeFetcher:
        """A range fetcher of the followed contracts, starting at the last range size used, that
        follows the contracts the registry creates as it meets them."""
        return RangeFetcher(
            self.rpc, sorted(contracts), span=self._span, max_span=self.settings.max_range,
            target_logs=self.settings.target_logs_per_request,
            header_chunk=self.settings.header_batch_size, discover=self._discoverer(contracts),
            restart_span=self.settings.initial_range,
        )  # fmt: skip

    def _discoverer(self, contracts: Followed) -> Discover:
        """What the fetcher asks, in its own thread, of each range it reads: the contracts the
        registry creates in the first block of it that creates any (`batch.discover`)."""
        decoder = self._decoder()
        registries = {a: k for a, k in contracts.items() if k[0] == "registry"}

        def created(
            logs: Sequence[Mapping[str, Any]], addresses: Sequence[str]
        ) -> list[NewContract]:
            known: dict[str, tuple[str, int | None]] = dict.fromkeys(addresses, ("", None))
            known.update(registries)  # the kind is all `discover` reads, and only registries'
            return discover(logs, known, decoder)

        return created

    def _run_at_head(self, checkpoint: Checkpoint, first: int, last: int, head: int) -> None:
        """Fetches, prepares, commits and publishes [first, last] (or its first part) in this
        thread: following the head, the threads' hand-offs cost more time than they save."""
        store = self.store
        assert store is not None
        contracts = store.contracts()
        fetcher = self._fetcher(contracts)
        heads = self._heads
        known = {} if heads is None else {
            n: found for n in range(first, last + 1) if (found := heads.header(n)) is not None
        }  # fmt: skip
        batch = fetcher.fetch(first, last, self._reversible_from(head), known)
        if not self._parent_matches(batch, checkpoint):
            self._undo_reorg(checkpoint, head)
            return
        try:
            write, note, _ = self._prepare(batch, checkpoint, contracts)
            store.write(write)
        except BaseException:
            self.cache.clear()  # it may hold changes that were never committed
            raise
        self._after_commit(write, note)
        if len(self.cache) > self.cache.limit:
            self.cache.trim()

    def _parent_matches(self, batch: Batch, checkpoint: Checkpoint) -> bool:
        header = batch.headers.get(batch.from_block)
        if checkpoint is None or header is None or checkpoint[0] != batch.from_block - 1:
            return True
        return bool(header["parentHash"] == checkpoint[1])

    def _tip_changed(self, checkpoint: tuple[int, str]) -> bool:
        """Checks the last indexed block is still on the chain; undoes a reorg if not."""
        header = self.rpc.headers([checkpoint[0]])[checkpoint[0]]
        if header is None or header["hash"] == checkpoint[1]:
            return False
        self._undo_reorg(checkpoint, checkpoint[0])
        return True

    def _node_behind(self, checkpoint: tuple[int, str], head: int) -> None:
        """The node's head is below the checkpoint: a syncing node, or a local chain rolled back."""
        assert self.store is not None
        ours = self.store.block_hashes([head]).get(head)
        theirs = self.rpc.headers([head])[head]
        same_chain = theirs is not None and ours == theirs["hash"]
        if same_chain and self.chain_id not in LOCAL_CHAIN_IDS:
            raise NodeBehind(f"the node's head {head} is below the indexed block {checkpoint[0]}")
        self._undo_reorg(checkpoint, head)

    # -- reorgs --------------------------------------------------------------------------------

    def _undo_reorg(self, checkpoint: Checkpoint, head: int) -> None:
        """Rolls every table back to the last block both the index and the node agree on."""
        store = self.store
        assert store is not None
        checkpoint = store.checkpoint()  # the committed one, whatever the caller last saw
        if checkpoint is None:
            return
        ancestor, ancestor_hash = self._common_ancestor(min(checkpoint[0], head))
        self.cache.clear()
        removed = store.rollback_to(ancestor, ancestor_hash)
        hops = Hops(head=None if self._heads is None else self._heads.latest(),
                    committed=time.time())  # fmt: skip
        metrics.REORGS.inc()
        metrics.REMOVED.inc(len(removed))
        log.warning("reorg undone", extra={"ancestor": ancestor, "old_head": checkpoint[0],
                                           "depth": checkpoint[0] - ancestor,
                                           "removed_events": len(removed)})  # fmt: skip
        self._publish("removed", ancestor + 1, checkpoint[0], (ancestor, ancestor_hash),
                      [PublishedEvent(**r) for r in removed], len(removed), hops)  # fmt: skip

    def _common_ancestor(self, start: int) -> tuple[int, str]:
        store = self.store
        assert store is not None
        number, window = start, 4  # most reorgs are a block or two deep: look there first
        while number >= 0:
            low = max(0, number - window + 1)
            window = min(64, window * 4)
            numbers = list(range(low, number + 1))
            ours = store.block_hashes(numbers)
            theirs = self.rpc.headers(numbers)
            lowest_reversible = store.lowest_reversible_block()
            for n in reversed(numbers):
                header = theirs[n]
                if header is None:
                    raise NodeBehind(f"the node has no block {n}")
                # A block the store did not keep is final (only reversible blocks are all kept).
                final = n not in ours and (lowest_reversible is None or n < lowest_reversible)
                if final or ours.get(n) == header["hash"]:
                    return n, str(header["hash"])
            number = low - 1
        raise ConfigurationError("the node's chain shares no block with the index: wrong chain?")

    # -- one batch -----------------------------------------------------------------------------

    def _prepare(self, batch: Batch, checkpoint: Checkpoint,
                 followed: Followed) -> tuple[BatchWrite, CommitNote, Followed]:  # fmt: skip
        """Decodes and projects one batch into the rows to commit, a note for after the commit,
        and the contracts followed after it.

        A batch whose registry creates contracts ends at that block with their logs of it: the
        fetcher cut it there, and follows them in the ranges after it.
        """
        store = self.store
        assert store is not None
        started = time.monotonic()
        hops = Hops(fetched=time.time())
        if self._heads is not None:
            hops.head = self._heads.arrived(batch.to_block)
        decoder = self._decoder()
        discovered = list(batch.created)  # found by the fetcher, which cut the range there
        if discovered:
            followed = followed_with(followed, discovered)
        headers = batch.headers
        projected = project(
            batch.logs, followed=followed, decoder=decoder,
            timestamps={n: int(h["timestamp"], 16) for n, h in headers.items()},
            projection=Projection(store, self.cache, batch.reversible_from),
            journaled_from=batch.reversible_from, publish_limit=self.settings.publish_limit,
        )  # fmt: skip
        counts = projected.event_counts
        write = BatchWrite(
            expected=checkpoint,
            to_block=batch.to_block,
            to_hash=str(headers[batch.to_block]["hash"]),
            chain_head=max(self.node_head, batch.to_block),
            raw_copy=projected.raw_copy,
            blocks=[
                (n, h["hash"], h["parentHash"], int(h["timestamp"], 16), counts.get(n, 0),
                 n >= batch.reversible_from)
                for n, h in sorted(headers.items())
                if batch.from_block <= n <= batch.to_block
            ],
            groups=projected.groups,
            appends=projected.appends,
            contracts=list(discovered),
            finalized_below=batch.reversible_from - 1 if batch.reversible_from > 0 else None,
        )  # fmt: skip
        note = CommitNote(batch.from_block, started, projected.events, projected.total, hops)
        return write, note, followed

    def _after_commit(self, write: BatchWrite, note: CommitNote) -> None:
        """Metrics, progress, publishing and the caller's callback, once a batch is committed."""
        from_block, started, events, count, hops = note
        hops.committed = time.time()
        elapsed = time.monotonic() - started
        metrics.EVENTS.inc(count)
        self._unanalyzed += count
        metrics.set_position(max(self.node_head, write.to_block), write.to_block)
        if write.blocks and write.blocks[-1][0] == write.to_block:
            metrics.INDEXED_TIMESTAMP.set(write.blocks[-1][3])
        metrics.BATCH_SECONDS.observe(elapsed)
        self.progress.update(write.to_block - from_block + 1, count)
        self._publish("added", from_block, write.to_block, (write.to_block, write.to_hash), events,
                      count, hops)  # fmt: skip
        if self.on_commit is not None:
            self.on_commit(write.to_block)

    def _check_indexes(self, store: Store) -> None:
        """Builds raw_logs indexes an interrupted backfill left dropped; on a first backfill
        (`defer_indexes`, raw_logs empty), drops them until it has caught up."""
        if self._deferred:
            return  # this process's backfill goes on after a passing fault
        missing = store.missing_indexes()
        if missing:
            started = time.monotonic()
            declared = declared_indexes()
            built = store.build_indexes({name: declared[name] for name in missing})
            log.info("built raw_logs indexes missing at start",
                     extra={"indexes": built, "seconds": round(time.monotonic() - started, 2)})  # fmt: skip
        if self.settings.defer_indexes and store.checkpoint() is None:
            self._deferred = store.defer_indexes()
            if self._deferred:
                log.info("raw_logs keeps its key alone until the backfill has caught up",
                         extra={"indexes": sorted(self._deferred)})  # fmt: skip

    def _after_backfill(self) -> None:
        """Once caught up: builds the indexes a first backfill deferred, then refreshes the
        planner's statistics if the backfill was large."""
        if self._deferred and self.store is not None:
            started = time.monotonic()
            built = self.store.build_indexes(self._deferred)
            self._deferred = {}
            log.info("built raw_logs indexes after the backfill",
                     extra={"indexes": built, "events": self._unanalyzed,
                            "seconds": round(time.monotonic() - started, 2)})  # fmt: skip
        self._analyze_after_backfill()

    def _analyze_after_backfill(self) -> None:
        """Refreshes the planner's statistics once a backfill of `analyze_after_events` or more has
        caught up: until autovacuum gets to the new rows, the planner still sees the tables as
        nearly empty, and on the platform-sized chain a page of an asset's holders took 37 ms
        instead of 2 ms (`make bench-scale`)."""
        threshold = self.settings.analyze_after_events
        if self._unanalyzed >= threshold and self.store is not None:
            started = time.monotonic()
            self.store.analyze()
            log.info("planner statistics refreshed after a backfill",
                     extra={"events": self._unanalyzed,
                            "seconds": round(time.monotonic() - started, 2)})  # fmt: skip
        self._unanalyzed = 0 if self._unanalyzed >= threshold else self._unanalyzed

    _decoder_cache: Decoder | None = None

    def _decoder(self) -> Decoder:
        if self._decoder_cache is None:
            assert self.chain_id is not None
            self._decoder_cache = Decoder(self.abis, self.chain_id)
        return self._decoder_cache

    # -- publishing ----------------------------------------------------------------------------

    _publisher: Publisher | None = None

    def _publish(self, status: Status, first: int, last: int, head: tuple[int, str],
                 events: list[PublishedEvent] | None, count: int, hops: Hops) -> None:  # fmt: skip
        self._publisher_of_chain().publish(status, from_block=first, to_block=last, head=head,
                                           count=count, events=events, hops=hops)  # fmt: skip

    def _publisher_of_chain(self) -> Publisher:
        if self._publisher is None:
            assert self.chain_id is not None
            self._publisher = Publisher(self.redis_url, self.chain_id,
                                        limit=self.settings.publish_limit,
                                        namespace=self.settings.redis_namespace)  # fmt: skip
        return self._publisher
