"""The backfill's progress bar on a terminal: blocks done, events and events per second."""

from __future__ import annotations

import sys
import time
from typing import Any


class Progress:
    """A tqdm bar over a block range, shown only for long ranges and (by default) on a terminal.

    Args:
        show: True or False to force; None to show on a terminal only.
    """

    def __init__(self, show: bool | None) -> None:
        self.show = sys.stderr.isatty() if show is None else show
        self._bar: Any = None
        self._events = 0
        self._started = 0.0

    def start(self, first: int, last: int) -> None:
        """Starts a bar over [first, last] when it is worth one (1,000 blocks or more)."""
        if not self.show or last - first < 1_000:
            return
        from tqdm import tqdm

        self.close()
        self._bar = tqdm(total=last - first + 1, unit="block", unit_scale=True, desc="backfill",
                         smoothing=0.1)  # fmt: skip
        self._events = 0
        self._started = time.monotonic()

    def update(self, blocks: int, events: int) -> None:
        """Advances the bar by a committed batch; closes it at the end of the range."""
        bar = self._bar
        if bar is None:
            return
        self._events += events
        elapsed = max(1e-9, time.monotonic() - self._started)
        bar.set_postfix(events=self._events, events_per_s=int(self._events / elapsed),
                        refresh=False)  # fmt: skip
        bar.update(blocks)
        if bar.n >= bar.total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
