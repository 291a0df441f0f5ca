"""non_overlapping: priority order decides contested ranges; output sorted, disjoint."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from aisec.guard._spans import non_overlapping


@dataclass(frozen=True, slots=True)
class S:
    start: int
    end: int


spans = st.lists(
    st.tuples(st.integers(0, 200), st.integers(1, 30)).map(lambda t: S(t[0], t[0] + t[1])),
    max_size=60,
)


@given(spans)
def test_kept_are_sorted_disjoint_and_dropped_lost_to_earlier(candidates: list[S]) -> None:
    kept = non_overlapping(candidates)
    assert all(a.end <= b.start for a, b in pairwise(kept))
    for i, c in enumerate(candidates):
        if c not in kept:
            assert any(k.start < c.end and c.start < k.end for k in candidates[:i] if k in kept)


def test_priority_wins() -> None:
    assert non_overlapping([S(5, 10), S(0, 20), S(10, 12)]) == [S(5, 10), S(10, 12)]
