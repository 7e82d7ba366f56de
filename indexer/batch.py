"""One batch of logs in, the rows to write and the messages to publish out: the one projection path.

Both the indexing loop (`indexer.engine`) and the re-projection (`indexer.reproject`) hand their
logs here; nothing in this module talks to the node, the database or Redis. Rows the handlers read
come through the `Projection` the caller gives (its cache, then its row source), so the result
depends only on the logs, the followed contracts and the rows already projected.

    logs (JSON-RPC shape) --decode--> Event --handlers / TransferRun--> row groups + appends
                              \\--> raw_logs COPY text            \\--> events to publish
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from indexer.commit_message import PublishedEvent
from indexer.decode import Decoder, published
from indexer.handlers import HANDLERS, TransferRun
from indexer.projection import Event, Projection
from indexer.store import Key, Row

# address -> (contract kind, asset id): what the store's `contracts()` returns.
Followed = Mapping[str, tuple[str, int | None]]
RowGroups = list[tuple[int | None, dict[str, dict[Key, Row]]]]


class NewContract(NamedTuple):
    """A contract to follow from `block` on, created by the registry."""

    address: str
    kind: str
    asset_id: int | None
    block: int


class Projected(NamedTuple):
    """What one batch of logs changes.

    Attributes:
        raw_copy: The `raw_logs` rows in COPY text format (empty when not asked for).
        event_counts: Logs of the followed contracts per block number.
        groups: Domain rows to upsert, grouped by the block they are journaled under (None: final).
        appends: Rows of the append-only tables, by table.
        events: The events to publish, or None when there are more than the publish limit.
        total: Logs of the followed contracts in the batch.
    """

    raw_copy: bytes
    event_counts: dict[int, int]
    groups: RowGroups
    appends: dict[str, list[Row]]
    events: list[PublishedEvent] | None
    total: int


def project(
    logs: Iterable[Mapping[str, Any]],
    *,
    followed: Followed,
    decoder: Decoder,
    timestamps: Mapping[int, int],
    projection: Projection,
    journaled_from: int | None,
    publish_limit: int | None,
    raw_rows: bool = True,
) -> Projected:
    """Decodes and projects a batch of logs in chain order.

    Share transfers of final blocks (below `journaled_from`) are summed per holder by a
    `TransferRun` and applied before any other handler runs (same rows, far fewer row visits);
    in journaled blocks every event takes its handler, block by block.

    Args:
        logs: Logs as `eth_getLogs` returns them (hex quantities), in (block, log index) order.
        followed: The contracts whose logs count; other logs are skipped.
        decoder: Decodes by topic0.
        timestamps: Block timestamps (Unix seconds) of every block that has a log.
        projection: Collects the row changes (journaling blocks from its `reversible_from`).
        journaled_from: First block whose events go through their handlers one by one (None:
            every block is final).
        publish_limit: Most events to return for publishing (None: return none).
        raw_rows: Whether to build the `raw_logs` COPY text.

    Returns:
        The rows and messages of the batch.
    """
    chain_id = decoder.chain_id
    decode = decoder.decode
    handlers = HANDLERS
    transfers = TransferRun()
    if not isinstance(logs, Sequence):
        logs = list(logs)  # read twice: for the keys, then to project
    projection.prefetch("holders", holder_keys(logs, followed))
    final_below = journaled_from if journaled_from is not None else 1 << 62
    lines: list[str] = []
    events: list[PublishedEvent] | None = None if publish_limit is None else []
    limit = publish_limit or 0
    counts: dict[int, int] = {}
    current = -1
    timestamp = 0
    count = 0
    for raw in logs:  # the hot loop: kept flat on purpose
        address = raw["address"].lower()
        known = followed.get(address)
        if known is None:
            continue
        topics = raw["topics"]
        data = raw["data"]
        name, args, text = decode(topics, data)
        number = int(raw["blockNumber"], 16)
        if number != current:
            current = number
            timestamp = timestamps[number]
            counts[number] = 0
        counts[number] += 1
        count += 1
        log_index = int(raw["logIndex"], 16)
        tx_hash = raw["transactionHash"]
        tx_index = int(raw["transactionIndex"], 16)
        block_hash = raw["blockHash"]
        if raw_rows:
            copy_text = text.replace("\\", "\\\\") if "\\" in text else text  # COPY escaping
            lines.append(
                f"{chain_id}\t{number}\t{log_index}\t{block_hash}\t{tx_hash}\t{tx_index}\t"
                f"{address}\t{name}\t{{{','.join(topics)}}}\t{data}\t{copy_text}\t{timestamp}\n"
            )
        kind = known[0]
        if kind == "share_token" and name == "Transfer" and number < final_below:
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
    return Projected(
        raw_copy="".join(lines).encode(),
        event_counts=counts,
        groups=projection.finish(),
        appends=dict(projection.appends),
        events=events,
        total=count,
    )


def holder_keys(logs: Sequence[Mapping[str, Any]], followed: Followed) -> set[tuple[str, str]]:
    """The `holders` keys a batch may touch, loaded together before it is projected: every
    indexed topic of a share token's log read as an address (its transfers, delegations, votes
    and claims name their holders there; a key that is no holder just loads nothing)."""
    keys: set[tuple[str, str]] = set()
    for raw in logs:
        address = raw["address"].lower()
        if followed.get(address, ("",))[0] == "share_token":
            keys.update((address, "0x" + topic[26:]) for topic in raw["topics"][1:])
    return keys


def discover(
    logs: Sequence[Mapping[str, Any]], followed: Followed, decoder: Decoder
) -> list[NewContract]:
    """Contracts the registry creates in the first block of the batch that creates any.

    They are followed from that block on: the fetcher ends its range there, with their logs of it.
    """
    found: list[NewContract] = []
    seen = set(followed)
    for raw in logs:
        topics = raw["topics"]
        if not topics or topics[0] != decoder.asset_registered:
            continue
        if followed.get(raw["address"].lower(), ("",))[0] != "registry":
            continue
        block = int(raw["blockNumber"], 16)
        if found and block != found[0].block:
            break
        _, args, _ = decoder.decode(topics, raw["data"])
        for key, kind in (("shareToken", "share_token"), ("governor", "governor"),
                          ("timelock", "timelock")):  # fmt: skip
            address = args["contracts"][key]
            if address not in seen:
                seen.add(address)
                found.append(NewContract(address, kind, args["assetId"], block))
    return found


def followed_with(
    followed: Followed, new: Sequence[NewContract]
) -> dict[str, tuple[str, int | None]]:
    """The followed contracts once `new` are followed too."""
    merged = dict(followed)
    merged.update((c.address, (c.kind, c.asset_id)) for c in new)
    return merged
