"""A one-line progress bar for long file operations, drawn on a terminal without rich.

``aisec encrypt``/``decrypt`` must stay within 64 MB of RSS; rich's Progress costs about
3.5 MB there (its imports and its refresh thread), so this bar is drawn by the callback
itself, at most ten times a second, and erased when done.
"""

from __future__ import annotations

import time
from typing import TextIO

from aisec.cli._text import visible

__all__ = ["ProgressLine"]

_WIDTH = 30
_EVERY_S = 0.1


class ProgressLine:
    """Call with the number of bytes just processed; :meth:`close` erases the line."""

    def __init__(self, label: str, total: int, stream: TextIO) -> None:
        self.label = visible(label)  # file names: shown, never acted on
        self.total = max(total, 1)
        self.done = 0
        self._stream = stream
        self._start = time.monotonic()
        self._drawn = 0.0

    def __call__(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._drawn >= _EVERY_S:
            self._drawn = now
            self._stream.write("\r" + self.render(now))
            self._stream.flush()

    def render(self, now: float) -> str:
        share = min(self.done / self.total, 1.0)
        filled = int(share * _WIDTH)
        rate = self.done / 1e6 / max(now - self._start, 1e-9)
        return (
            f"{self.label} [{'#' * filled}{'-' * (_WIDTH - filled)}] {share:4.0%} "
            f"{self.done / 1e6:,.0f}/{self.total / 1e6:,.0f} MB {rate:,.0f} MB/s"
        )

    def close(self) -> None:
        self._stream.write("\r\x1b[2K")  # erase the line: the command prints its own summary
        self._stream.flush()
