"""The indexing loop: backfill, head following, reorgs, retries and leadership.

    leader lock -> checkpoint -> [prefetch ranges] -> decode + project -> one commit -> publish
                       ^------------- rollback to the common ancestor on a reorg

Everything between two commits can be lost (a crash, a fault) without harm: the loop restarts from
the committed checkpoint, so each log is committed exactly once.
"""

from __future__ import annotations

import gc
import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
import sqlalchemy.exc

from indexer import metrics
from indexer.abi import DEPLOYED_KINDS, Abis
from indexer.commit_message import Hops, PublishedEvent, Status
from indexer.committer import Committer
from indexer.decode import UNKNOWN, Decoder, published
from indexer.exceptions import (
    ChainChanged,
    ConfigurationError,
    NodeBehind,
    NodeUnavailable,
    RetryableError,
)
from indexer.fetch import Batch, Prefetcher, RangeFetcher
from indexer.handlers import HANDLERS_BY_KIND, TransferRun
from indexer.heads import HeadWatcher
from indexer.projection import EntityCache, Event, Projection
from indexer.publish import Publisher
from indexer.rpc import RpcClient
from indexer.settings import LOCAL_CHAIN_IDS, IndexerSettings
from indexer.store import BatchWrite, Store

log = logging.getLogger("indexer.engine")
Checkpoint = tuple[int, str] | None
HEAD_BLOCKS = 4  # ranges shorter than this are fetched and committed without the threads


def deployed_contracts(
    settings: IndexerSettings, chain_id: int
) -> list[tuple[str, str, None, int]]:
    """The platform contracts of a chain's deployments file: (address, kind, None, block)."""
    path = settings.deployments_dir / f"{chain_id}.json"
    try:
        named = json.loads(path.read_text())["contracts"]
    except FileNotFoundError as error:
        raise ConfigurationError(
            f"no deployments for chain {chain_id}: {path} is missing"
        ) from error
    found = [
        (entry["address"].lower(), DEPLOYED_KINDS[name], None, int(entry["block"]))
        for name, entry in named.items()
        if name in DEPLOYED_KINDS and entry.get("block") is not None
    ]
    if not any(kind == "registry" for _, kind, _, _ in found):
        raise ConfigurationError(f"{path} names no AssetRegistry")
    return found


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
        self.node_head = 0
        self.progress: Any = None
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
                except (
                    RetryableError,
                    psycopg.OperationalError,
                    sqlalchemy.exc.OperationalError,
                ) as fault:
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
            if self.progress is not None:
                self.progress.close()
            if self.store is not None:
                self.store.close()
            metrics.set_leader(None)

    def _start(self) -> None:
        """Connects to the node and the database, migrating and seeding on the first connection."""
        if self.chain_id is None:
            self.chain_id = self.rpc.chain_id()
        if self.store is None or self.store._conn is None:
            from indexer.migrate import upgrade

            upgrade(self.database_url)
            self.store = Store(self.database_url, self.chain_id)
            self.store.connect()
            self.cache.clear()

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
        start = self.settings.from_block
        if start is None:
            start = min(block for _, _, _, block in deployed)
        indexed = store.checkpoint()
        timestamp = None if indexed is None else store.block_timestamp(indexed[0])
        if timestamp is not None:
            metrics.INDEXED_TIMESTAMP.set(timestamp)
        while not stop.is_set():
            checkpoint = store.checkpoint()
            head = self.rpc.block_number()
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
                    return True
            target = head - self.settings.confirmations
            if until is not None:
                target = min(target, until)
            next_block = start if checkpoint is None else checkpoint[0] + 1
            if next_block > target:
                if checkpoint is not None and self._tip_changed(checkpoint):
                    continue
                self.failures = 0
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
        contracts = store.contracts()
        fetcher = RangeFetcher(
            self.rpc, sorted(contracts), span=self._span, max_span=self.settings.max_range,
            target_logs=self.settings.target_logs_per_request,
            header_chunk=self.settings.header_batch_size,
        )  # fmt: skip
        reversible_from = max(0, head - self.settings.reorg_window + 1)
        self._progress_start(first, last)
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
                write, note, restart = self._prepare(batch, checkpoint, contracts, fetcher)
                committer.submit(write, note)
                checkpoint = (write.to_block, write.to_hash)
                if restart:
                    break
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

    def _run_at_head(self, checkpoint: Checkpoint, first: int, last: int, head: int) -> None:
        """Fetches, prepares, commits and publishes [first, last] (or its first part) in this
        thread: following the head, the threads' hand-offs cost more time than they save."""
        store = self.store
        assert store is not None
        contracts = store.contracts()
        fetcher = RangeFetcher(
            self.rpc, sorted(contracts), span=self._span, max_span=self.settings.max_range,
            target_logs=self.settings.target_logs_per_request,
            header_chunk=self.settings.header_batch_size,
        )  # fmt: skip
        batch = fetcher.fetch(first, last, max(0, head - self.settings.reorg_window + 1))
        if not self._parent_matches(batch, checkpoint):
            self._undo_reorg(checkpoint, head)
            return
        try:
            write, note, _ = self._prepare(batch, checkpoint, contracts, fetcher)
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
        number = start
        while number >= 0:
            low = max(0, number - 31)
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
                 contracts: dict[str, tuple[str, int | None]],
                 fetcher: RangeFetcher) -> tuple[BatchWrite, Any, bool]:  # fmt: skip
        """Decodes and projects one batch: the rows to commit, a note for after the commit, and
        whether to re-plan the ranges (new contracts to follow)."""
        store = self.store
        assert store is not None and self.chain_id is not None
        started = time.monotonic()
        hops = Hops(fetched=time.time())
        if self._heads is not None:
            hops.head = self._heads.arrived(batch.to_block)
        decoder = self._decoder()
        discovered = self._discover(batch, contracts, decoder)
        if discovered:
            # The batch ends at the block that created new contracts; their logs in that block are
            # fetched now, and the ranges after it are planned again with them followed.
            cut = discovered[0][3]
            fresh = fetcher.logs(cut, cut, addresses=[a for a, _, _, _ in discovered])
            kept = [g for g in batch.logs if int(g["blockNumber"], 16) <= cut]
            merged = sorted(kept + fresh,
                            key=lambda g: (int(g["blockNumber"], 16), int(g["logIndex"], 16)))  # fmt: skip
            batch = fetcher.complete(batch.from_block, cut, merged, batch.reversible_from,
                                     batch.headers)  # fmt: skip
            self._span = self.settings.initial_range  # the followed set's density changed
        projection = Projection(store, self.cache, batch.reversible_from)
        lines: list[str] = []
        events: list[PublishedEvent] | None = []
        limit = self.settings.publish_limit
        counts: dict[int, int] = {}
        chain_id = self.chain_id
        headers = batch.headers
        by_topic = decoder.by_topic
        handlers = HANDLERS_BY_KIND
        transfers = TransferRun()
        journaled_from = batch.reversible_from
        current = -1
        timestamp = 0
        for raw in batch.logs:  # the hot loop: kept flat on purpose
            address = raw["address"].lower()
            known = contracts.get(address)
            if known is None:
                continue
            topics = raw["topics"]
            data = raw["data"]
            entry = by_topic.get(topics[0]) if topics else None
            if entry is None:
                name, args, text = UNKNOWN, {}, "{}"
            else:
                try:
                    name, (args, text) = entry[0], entry[1](topics, data)
                except Exception as error:  # malformed data is stored raw, never fatal
                    name, args, text = decoder.undecodable(entry[0], error)
            number = int(raw["blockNumber"], 16)
            if number != current:
                current = number
                timestamp = int(headers[number]["timestamp"], 16)
                counts[number] = 0
            counts[number] += 1
            log_index = int(raw["logIndex"], 16)
            tx_hash = raw["transactionHash"]
            tx_index = int(raw["transactionIndex"], 16)
            block_hash = raw["blockHash"]
            copy_text = text.replace("\\", "\\\\") if "\\" in text else text  # COPY escaping
            lines.append(
                f"{chain_id}\t{number}\t{log_index}\t{block_hash}\t{tx_hash}\t{tx_index}\t"
                f"{address}\t{name}\t{{{','.join(topics)}}}\t{data}\t{copy_text}\t{timestamp}\n"
            )
            kind = known[0]
            if kind == "share_token" and name == "Transfer" and number < journaled_from:
                # Final blocks: transfers are summed per holder and applied together (same rows,
                # far fewer row visits); reversible blocks take the handler, block by block.
                transfers.add(address, known[1], args["from"], args["to"], args["value"], number)
                event = None
            else:
                handler = handlers[kind].get(name)
                event = Event(number, log_index, block_hash, tx_hash, tx_index, address,
                              timestamp, kind, known[1], name, args)  # fmt: skip
                if handler is not None:
                    transfers.apply(projection)  # what the handler reads must be up to date
                    projection.begin(number)
                    handler(projection, event)
            if events is not None:
                if event is None:
                    event = Event(number, log_index, block_hash, tx_hash, tx_index, address,
                                  timestamp, kind, known[1], name, args)  # fmt: skip
                events.append(published(event, text))
                if len(events) > limit:
                    events = None
        transfers.apply(projection)
        groups = projection.finish()
        to_hash = str(headers[batch.to_block]["hash"])
        write = BatchWrite(
            expected=checkpoint,
            to_block=batch.to_block,
            to_hash=to_hash,
            chain_head=max(self.node_head, batch.to_block),
            raw_copy="".join(lines).encode(),
            blocks=[
                (n, h["hash"], h["parentHash"], int(h["timestamp"], 16), counts.get(n, 0),
                 n >= batch.reversible_from)
                for n, h in sorted(headers.items())
                if batch.from_block <= n <= batch.to_block
            ],
            groups=groups,
            appends=dict(projection.appends),
            contracts=discovered,
            finalized_below=batch.reversible_from - 1 if batch.reversible_from > 0 else None,
        )  # fmt: skip
        return write, (batch.from_block, started, events, len(lines), hops), bool(discovered)

    def _after_commit(self, write: BatchWrite, note: Any) -> None:
        """Metrics, progress, publishing and the caller's callback, once a batch is committed."""
        from_block, started, events, count, hops = note
        hops.committed = time.time()
        elapsed = time.monotonic() - started
        metrics.EVENTS.inc(count)
        metrics.set_position(max(self.node_head, write.to_block), write.to_block)
        if write.blocks and write.blocks[-1][0] == write.to_block:
            metrics.INDEXED_TIMESTAMP.set(write.blocks[-1][3])
        metrics.BATCH_SECONDS.observe(elapsed)
        self._progress_update(write.to_block - from_block + 1, count)
        self._publish("added", from_block, write.to_block, (write.to_block, write.to_hash), events,
                      count, hops)  # fmt: skip
        if self.on_commit is not None:
            self.on_commit(write.to_block)

    def _discover(self, batch: Batch, contracts: dict[str, tuple[str, int | None]],
                  decoder: Decoder) -> list[tuple[str, str, int | None, int]]:  # fmt: skip
        """Contracts the registry created in the first block of the batch that creates any."""
        found: list[tuple[str, str, int | None, int]] = []
        for raw in batch.logs:
            topics = raw["topics"]
            if not topics or topics[0] != decoder.asset_registered:
                continue
            if contracts.get(raw["address"].lower(), ("",))[0] != "registry":
                continue
            block = int(raw["blockNumber"], 16)
            if found and block != found[0][3]:
                break
            _, args, _ = decoder.decode(topics, raw["data"])
            for key, kind in (("shareToken", "share_token"), ("governor", "governor"),
                              ("timelock", "timelock")):  # fmt: skip
                address = args["contracts"][key]
                if address not in contracts:
                    contracts[address] = (kind, args["assetId"])
                    found.append((address, kind, args["assetId"], block))
        return found

    _decoder_cache: Decoder | None = None

    def _decoder(self) -> Decoder:
        if self._decoder_cache is None:
            assert self.chain_id is not None
            self._decoder_cache = Decoder(self.abis, self.chain_id)
        return self._decoder_cache

    # -- publishing and progress ---------------------------------------------------------------

    _publisher: Publisher | None = None

    def _publish(self, status: Status, first: int, last: int, head: tuple[int, str],
                 events: list[PublishedEvent] | None, count: int, hops: Hops) -> None:  # fmt: skip
        if self._publisher is None:
            assert self.chain_id is not None
            self._publisher = Publisher(self.redis_url, self.chain_id,
                                        limit=self.settings.publish_limit,
                                        namespace=self.settings.redis_namespace)  # fmt: skip
        self._publisher.publish(status, from_block=first, to_block=last, head=head,
                                count=count, events=events, hops=hops)  # fmt: skip

    def _progress_start(self, first: int, last: int) -> None:
        show = self.settings.progress
        if show is None:
            import sys

            show = sys.stderr.isatty()
        if not show or last - first < 1_000:
            return
        from tqdm import tqdm

        if self.progress is not None:
            self.progress.close()
        self.progress = tqdm(total=last - first + 1, unit="block", unit_scale=True,
                             desc="backfill", smoothing=0.1)  # fmt: skip
        self.progress.events = 0
        self.progress.started = time.monotonic()

    def _progress_update(self, blocks: int, count: int) -> None:
        bar = self.progress
        if bar is None:
            return
        bar.events += count
        elapsed = max(1e-9, time.monotonic() - bar.started)
        bar.set_postfix(events=bar.events, events_per_s=int(bar.events / elapsed), refresh=False)
        bar.update(blocks)
        if bar.n >= bar.total:
            bar.close()
            self.progress = None
