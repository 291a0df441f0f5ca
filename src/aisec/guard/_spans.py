"""Choosing non-overlapping spans: earlier candidates (by priority) win a contested range."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from typing import Protocol, TypeVar

__all__ = ["Span", "non_overlapping"]


class Span(Protocol):
    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


S = TypeVar("S", bound=Span)


def non_overlapping(candidates: Iterable[S]) -> list[S]:
    """Keep each candidate, in the given priority order, that overlaps none kept before;
    return them sorted by start. O(n log n) searches, so many matches stay cheap."""
    starts: list[int] = []
    kept: list[S] = []
    for c in candidates:
        i = bisect_left(starts, c.start)
        if i and kept[i - 1].end > c.start:
            continue
        if i < len(kept) and kept[i].start < c.end:
            continue
        starts.insert(i, c.start)
        kept.insert(i, c)
    return kept
