"""Make text that did not come from aisec safe to show on a terminal.

File names, archive member names, audit targets and details, finding evidence and error
messages can hold anything an attacker chose. Shown raw they could drive the terminal
(ANSI escapes move the cursor, recolour or hide what follows, set the window title), spoof
what is shown (bidi overrides reorder a name, zero-width characters hide one, a newline
fakes a table row) or, through rich markup, restyle or hide text and crash the renderer.

:func:`visible` is the one function that neutralises a string: every control or format
character (Unicode categories Cc, Cf, Cs, Zl, Zp: C0 and C1 controls, DEL, ESC, bidi
embeddings, overrides and isolates, zero-width characters, tag characters, lone
surrogates from undecodable file names) is written as its escape (``\\x1b``, ``\\u202e``),
so it is seen and cannot act. Rich markup is neutralised separately, by putting the text
in a ``rich.text.Text`` (see :func:`aisec.cli._output.cell`), never in a markup string.

This module imports nothing heavy: ``aisec encrypt`` uses it without loading rich.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["one_line", "visible"]

# Fast path: printable ASCII (and tab-free) text needs no work. Anything else is checked
# character by character against the Unicode categories below.
_PLAIN = re.compile(r"[\x20-\x7e]*")
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(ch: str) -> str:
    short = _SHORT.get(ch)
    if short is not None:
        return short
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: object) -> str:
    """``text`` with every control/format character written as a visible escape."""
    s = text if isinstance(text, str) else str(text)
    if _PLAIN.fullmatch(s):
        return s
    return "".join(
        _escape(ch) if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in s
    )


def one_line(text: object, limit: int = 300) -> str:
    """:func:`visible`, cut to ``limit`` characters with an ellipsis (for error excerpts)."""
    s = visible(text)
    return s if len(s) <= limit else s[: limit - 1] + "…"
