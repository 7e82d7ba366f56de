"""Tells the rest of the platform what each commit changed, on Redis pub/sub.

One message per commit on `platform:<chain id>:events` (its schema: `indexer.commit_message`): the
status (`added` or `removed`), the block range, the new head, the events with their positions and
the times of the commit's hops. A commit with more events than the limit (a backfill) is announced
as a range only; consumers read it from PostgreSQL, which they must do anyway to resume.
Publishing never blocks indexing: a Redis that is down costs a warning.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from indexer.commit_message import CommitMessage, Head, Hops, PublishedEvent, Status
from infra.resp import RespConnection, RespError

log = logging.getLogger(__name__)


def channel(chain_id: int, namespace: str = "platform") -> str:
    """The pub/sub channel of a chain's indexed events.

    Pub/sub channels are global to a Redis server (whatever the database number), so deployments
    sharing one server set distinct namespaces (`REDIS_NAMESPACE`).
    """
    return f"{namespace}:{chain_id}:events"


class Publisher:
    """Publishes commits to Redis.

    Args:
        redis_url: The Redis server, or None to publish nothing.
        chain_id: Names the channel.
        limit: Most events sent in full in one message.
        namespace: Prefix of the channel (see `channel`).
    """

    def __init__(self, redis_url: str | None, chain_id: int, *, limit: int,
                 namespace: str = "platform") -> None:  # fmt: skip
        self.channel = channel(chain_id, namespace)
        self.limit = limit
        self.chain_id = chain_id
        self._client = RespConnection(redis_url, timeout=2) if redis_url is not None else None

    def publish(self, status: Status, *, from_block: int, to_block: int, head: tuple[int, str],
                count: int, events: Sequence[PublishedEvent] | None,
                hops: Hops | None = None) -> None:  # fmt: skip
        """Sends one commit's message (events omitted when over the limit or not given)."""
        if self._client is None:
            return
        hops = hops or Hops()
        hops.published = time.time()
        message = CommitMessage(
            chain_id=self.chain_id,
            status=status,
            from_block=from_block,
            to_block=to_block,
            head=Head(head[0], head[1]),
            count=count,
            events=list(events) if events is not None and count <= self.limit else None,
            hops=hops,
        )
        try:
            self._client.command("PUBLISH", self.channel, message.encode())
        except RespError as error:
            log.warning("could not publish to Redis", extra={"error": str(error)})

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
