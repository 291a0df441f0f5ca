"""The output guard on a stream: a sliding window over the deltas of each choice.

A secret, canary or PII value can arrive split over several SSE chunks; scanning each
chunk alone would let every piece through. Each choice keeps the text it has not yet
released; after every delta the whole unreleased text is scanned, and only what lies
more than ``window`` characters before its end is released (redacted if the guard said
so). A value of at most ``window`` characters that is still incomplete therefore lies
wholly in the held-back tail, and is redacted in full once its last piece arrives. When a
redaction touches the tail (a value that may still be growing), nothing is released until
it settles or the buffer reaches ``8 * window``; at the end of the choice everything left
is scanned and released. Each scan also sees the last ``window`` characters already
sent, so a construct whose start has left (a markdown image whose URL is still arriving)
is judged whole; a blocking decision ends the stream with an error event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aisec.guard import Decision

__all__ = ["StreamBlocked", "WindowGuard"]

Scan = Callable[[str], Decision]


class StreamBlocked(Exception):  # noqa: N818 - an outcome, raised to end the stream
    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason)
        self.decision = decision


@dataclass(slots=True)
class _Choice:
    raw: str = ""  # not yet released, as the upstream sent it
    sent: str = ""  # the last ``window`` characters released (as released)


def _common_suffix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[-1 - i] == b[-1 - i]:
        i += 1
    return i


class WindowGuard:
    """Hold back and scan streamed text per choice index; ``feed`` returns what may go out."""

    def __init__(self, scan: Scan, window: int) -> None:
        self._scan = scan
        self.window = window
        self._choices: dict[int, _Choice] = {}
        self.decisions: list[Decision] = []

    def _decide(self, text: str) -> Decision:
        decision = self._scan(text)
        if decision.outcomes and any(o.fired for o in decision.outcomes):
            self.decisions.append(decision)
        if decision.blocked:
            raise StreamBlocked(decision)
        return decision

    def _check(self, choice: _Choice) -> str:
        """Scan the held text with what was sent just before it (a link or block whose
        start already left is still judged whole; block decisions see it), and return
        the held text redacted if the guard says so."""
        raw = choice.raw
        if not choice.sent:
            return self._decide(raw).text
        decision = self._decide(choice.sent + raw)
        if decision.action.value == "allow":
            return raw
        return self._decide(raw).text  # redact only what has not left yet

    def feed(self, index: int, delta: str) -> str:
        """Add ``delta`` to choice ``index``; return the text now safe to send (maybe "")."""
        choice = self._choices.setdefault(index, _Choice())
        choice.raw += delta
        raw = choice.raw
        if len(raw) <= self.window:
            return ""
        checked = self._check(choice)
        keep = self.window
        if checked != raw:
            settled = _common_suffix(raw, checked)
            if settled < self.window:
                if len(raw) < 8 * self.window:
                    return ""  # a redaction reaches into the tail: the value may still grow
                keep = settled
        out = checked[: len(checked) - keep]
        choice.raw = raw[len(raw) - keep :]
        choice.sent = (choice.sent + out)[-self.window :]
        return out

    def finish(self, index: int) -> str:
        """Choice ``index`` ended: scan and release everything it still holds."""
        choice = self._choices.pop(index, None)
        if choice is None or not choice.raw:
            return ""
        return self._check(choice)

    def finish_all(self) -> dict[int, str]:
        return {i: self.finish(i) for i in sorted(self._choices)}
