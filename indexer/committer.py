"""Commits prepared batches in a thread of their own, in order, so PostgreSQL works on one batch
while the next is decoded and projected.

A batch is submitted fully prepared (its rows copied, so later batches cannot change them). The
first failed commit stops the thread; the error is raised in the submitting thread at its next call,
and everything queued behind it is dropped: the caller restarts from the committed checkpoint.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from indexer.store import BatchWrite

Work = tuple[BatchWrite, Any]


class Committer:
    """One writer thread fed through a bounded queue.

    Args:
        write: Commits a batch (the store's `write`).
        after: Runs after each commit with the batch and its note (metrics, publishing, callbacks).
        depth: Batches waiting at most; `submit` blocks beyond it.
    """

    def __init__(self, write: Callable[[BatchWrite], None], after: Callable[[BatchWrite, Any], None],
                 depth: int = 2) -> None:  # fmt: skip
        self._write = write
        self._after = after
        self._queue: queue.Queue[Work | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="committer", daemon=True)
        self._thread.start()

    def submit(self, batch: BatchWrite, note: Any = None) -> None:
        """Queues a batch for commit; raises the error of an earlier failed commit."""
        self._raise()
        self._queue.put((batch, note))

    def drain(self) -> None:
        """Waits until every queued batch is committed; raises the first commit error."""
        self._queue.join()
        self._raise()

    def close(self) -> None:
        """Stops the thread after what is queued (errors are left to `drain`)."""
        self._queue.put(None)
        self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while True:
            work = self._queue.get()
            try:
                if work is None:
                    return
                if self._error is None:
                    batch, note = work
                    self._write(batch)
                    self._after(batch, note)
            except BaseException as error:  # handed to the submitting thread
                self._error = error
            finally:
                self._queue.task_done()
