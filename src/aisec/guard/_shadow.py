"""Shadow copies of a text for detection, each with an offset map back to the original.

Detectors look at a *shadow* and redaction cuts the *original*: a secret written in
fullwidth or Cyrillic look-alikes, split by invisible characters or by separators, is found
in the shadow and the original span that produced it is removed.

- :func:`shadow` folds each character on its own: NFKC (fullwidth, mathematical
  alphanumerics, circled letters), look-alike letters (Cyrillic, Greek, Armenian, small
  capitals), every dash to ``-``, every space to `` ``, dot-like marks (``·``, ``•``, U+30FB)
  to ``.``; it drops every default-ignorable and format character (categories Cf, Mn, Me,
  Cc other than line breaks and tabs, variation selectors, Hangul fillers, Mongolian
  free variation selectors, tags: swept by Unicode class, not listed by hand).
- :func:`joined` keeps only the ASCII letters and digits of a shadow, as fragments: a key
  spelled one character at a time, wrapped over lines, split over table cells or JSON
  array items reads as one run there.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from aisec.guard._normalise import _CONFUSABLES

__all__ = ["Joined", "Shadow", "joined", "shadow"]

_DOTS = "\u00b7\u0387\u2022\u2027\u2219\u22c5\u30fb\uff65\u2024\u2e31"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d\u2e3a\u2e3b"
# default-ignorable code points that are not category Cf (Unicode DerivedCoreProperties)
_IGNORABLE_RANGES = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0xE0000, 0xE0FFF),
    (0x2060, 0x206F),
)
_CACHE_LIMIT = 16_384
_cache: dict[str, str] = {}
_NON_ASCII = re.compile(r"[^\x00-\x7f]+|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+")


def _ignorable(ch: str, cp: int) -> bool:
    if any(lo <= cp <= hi for lo, hi in _IGNORABLE_RANGES):
        return True
    cat = unicodedata.category(ch)
    return cat in ("Cf", "Mn", "Me", "Cs", "Co") or (cat == "Cc" and ch not in "\t\n\r")


def _fold_char(ch: str) -> str:
    """The shadow of one character (empty when it is dropped)."""
    cp = ord(ch)
    if ch in "\u2028\u2029\x85":
        return "\n"
    if _ignorable(ch, cp):
        return ""
    if ch in _DASHES:
        return "-"
    if ch in _DOTS:
        return "."
    if ch.isspace():
        return " "
    out = []
    for c in unicodedata.normalize("NFKC", ch):
        c = _CONFUSABLES.get(c, c)
        if c in _DASHES:
            c = "-"
        elif c in _DOTS:
            c = "."
        elif c.isspace() and c not in "\n\t\r":
            c = " "
        elif _ignorable(c, ord(c)):
            c = ""
        out.append(c)
    return "".join(out)


def _fold(ch: str) -> str:
    folded = _cache.get(ch)
    if folded is None:
        folded = _fold_char(ch)
        if len(_cache) < _CACHE_LIMIT:
            _cache[ch] = folded
    return folded


@dataclass(frozen=True, slots=True)
class Shadow:
    """A folded copy of a text; ``index[i]`` is the original offset of shadow character i
    (``None``: the shadow is the text itself)."""

    text: str
    index: list[int] | None
    length: int

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span that produced shadow characters ``start:end``."""
        if self.index is None:
            return start, end
        if end <= start:
            pos = self.index[start] if start < len(self.index) else self.length
            return pos, pos
        return self.index[start], self.index[end - 1] + 1

    @property
    def identity(self) -> bool:
        return self.index is None


@lru_cache(maxsize=4)  # several scanners fold the same output in turn
def shadow(text: str) -> Shadow:
    """Fold ``text`` for detection (see the module docstring); linear in its length."""
    if text.isascii() and not _NON_ASCII.search(text):
        return Shadow(text, None, len(text))
    parts: list[str] = []
    index: list[int] = []
    pos = 0
    for m in _NON_ASCII.finditer(text):
        start, end = m.span()
        if start > pos:
            parts.append(text[pos:start])
            index.extend(range(pos, start))
        for i in range(start, end):
            folded = _fold(text[i])
            if folded:
                parts.append(folded)
                index.extend([i] * len(folded))
        pos = end
    if pos < len(text):
        parts.append(text[pos:])
        index.extend(range(pos, len(text)))
    return Shadow("".join(parts), index, len(text))


_FRAGMENT = re.compile(r"[A-Za-z0-9]+")
_MAX_GAP_CHARS = 16  # table cell padding, closing and opening tags


@dataclass(frozen=True, slots=True)
class Joined:
    """The ASCII letters and digits of a shadow, run together.

    ``starts[k]`` is where fragment k begins in ``text``; ``spans[k]`` its span in the
    shadow; ``breaks[k]`` says the gap before fragment k is too long to bridge (more than
    sixteen characters, or a paragraph break). ``complete``: the run ended by itself (a gap,
    ``stop``, the text's end), not at ``endpos``. ``touched[0]``: the highest fragment index
    :meth:`fragment` or :meth:`fragment_at` gave out, so a caller can tell whether a
    longer window could have changed what it read."""

    text: str
    starts: list[int]
    spans: list[tuple[int, int]]
    breaks: list[bool]
    complete: bool = True
    touched: list[int] = field(default_factory=lambda: [-1])

    def fragment_at(self, pos: int) -> int:
        """Index of the fragment holding joined offset ``pos``."""
        k = bisect_right(self.starts, pos) - 1
        self.touched[0] = max(self.touched[0], k)
        return k

    def shadow_span(self, start: int, end: int) -> tuple[int, int]:
        """The shadow span of joined characters ``start:end`` (end > start)."""
        first = self.fragment_at(start)
        last = self.fragment_at(end - 1)
        s = self.spans[first][0] + (start - self.starts[first])
        e = self.spans[last][0] + (end - self.starts[last])
        return s, e

    def fragment(self, k: int) -> str:
        self.touched[0] = max(self.touched[0], k)
        end = self.starts[k + 1] if k + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[k] : end]


def joined(
    text: str,
    pos: int = 0,
    endpos: int | None = None,
    stop: Callable[[str], bool] | None = None,
    patience: int = 0,
) -> Joined:
    """Fragments of ASCII letters and digits of ``text`` (a shadow) from ``pos``, run
    together. With ``stop``, the run ends at the first gap too long to bridge, or once
    ``patience`` fragments in a row (after the first twelve characters) satisfy ``stop``."""
    starts: list[int] = []
    spans: list[tuple[int, int]] = []
    breaks: list[bool] = []
    parts: list[str] = []
    total = 0
    last_end = pos
    streak = 0
    end = len(text) if endpos is None else min(endpos, len(text))
    complete = True
    for m in _FRAGMENT.finditer(text, pos, end):
        s, e = m.span()
        gap = text[last_end:s]
        broken = not spans or len(gap) > _MAX_GAP_CHARS or gap.count("\n") > 1
        if stop is not None and spans and broken:
            break
        frag = m.group()
        if stop is not None and total >= 12:
            streak = streak + 1 if stop(frag) else 0
            if streak > patience:
                break
        breaks.append(broken)
        starts.append(total)
        spans.append((s, e))
        parts.append(frag)
        total += e - s
        last_end = e
    else:
        complete = end >= len(text)
    return Joined("".join(parts), starts, spans, breaks, complete)
