"""Invisible text: zero-width, Unicode tag, bidi control and smuggling characters.

The injection classifier's normaliser strips these before classifying; this scanner
reports them, because their presence in a prompt or document is itself a signal (ASCII
smuggling with tag characters, Trojan-Source bidi reordering, hidden instructions).
Legitimate uses stay quiet: a zero-width joiner inside an emoji sequence, a ZWNJ between
letters of a script that needs it, one variation selector after a symbol.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import ClassVar

from aisec.core.findings import Finding, FrameworkRef, Location, Severity
from aisec.guard._scanner import Direction, ScanContext, Scanner, ScanResult

__all__ = [
    "HIDDEN_KEY",
    "InvisibleMatch",
    "InvisibleTextScanner",
    "find_invisible",
    "strip_invisible",
]

FRAMEWORKS = (FrameworkRef("OWASP-LLM", "LLM01:2025"), FrameworkRef("ATLAS", "AML.T0051"))

_TAGS = "\U000e0000-\U000e007f"
_BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060-\u2064\ufeff\u180e\u00ad\u034f\u115f\u1160\u3164\uffa0"
_SELECTORS = "\ufe00-\ufe0f\U000e0100-\U000e01ef"
_ANY = re.compile(f"[{_TAGS}{_BIDI}{_ZERO_WIDTH}{_SELECTORS}]+")

_RULES = {
    "tag": ("guard-invisible-tag-chars", "Unicode tag characters (hidden ASCII)", Severity.HIGH),
    "bidi": ("guard-invisible-bidi", "bidirectional control characters", Severity.MEDIUM),
    "zero_width": ("guard-invisible-zero-width", "zero-width characters", Severity.MEDIUM),
    "selector": (
        "guard-invisible-variation-selectors",
        "variation selector run (data smuggling)",
        Severity.HIGH,
    ),
}
_SCORES = {"tag": 1.0, "selector": 0.9, "bidi": 0.8, "zero_width": 0.7}


@dataclass(frozen=True, slots=True)
class InvisibleMatch:
    """A run of invisible characters of one class, with the hidden ASCII a tag run spells."""

    kind: str
    start: int
    end: int
    hidden: str = ""


def _kind(ch: str) -> str:
    cp = ord(ch)
    if 0xE0000 <= cp <= 0xE007F:
        return "tag"
    if 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF:
        return "selector"
    if ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c":
        return "bidi"
    return "zero_width"


_JOINING_SCRIPTS = (
    (0x0590, 0x08FF),  # Hebrew, Arabic, Syriac, Thaana, N'Ko, Arabic supplements
    (0x0900, 0x0DFF),  # Indic scripts, Sinhala
    (0x0F00, 0x109F),  # Tibetan, Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0xFB1D, 0xFDFF),  # Hebrew and Arabic presentation forms
    (0xFE70, 0xFEFF),
)


def _joining_script(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _JOINING_SCRIPTS)


def _emoji_part(ch: str) -> bool:
    cp = ord(ch)
    return (
        cp >= 0x1F000
        or 0x2190 <= cp <= 0x2BFF  # arrows, symbols, dingbats
        or ch == "\ufe0f"
        or unicodedata.category(ch) in ("So", "Sk")
    )


def _benign(text: str, start: int, end: int, kind: str) -> bool:
    run = text[start:end]
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if kind == "selector":
        # one selector after a visible symbol picks emoji/text presentation
        return len(run) == 1 and before != "" and not before.isspace()
    if kind == "zero_width" and len(run) == 1 and before and after:
        if run in ("\u200d", "\u200c"):
            # ZWJ inside an emoji sequence; ZWJ/ZWNJ between letters of scripts that need
            # them (Arabic, Persian, Indic...). Between Latin or Cyrillic letters (homoglyphs
            # included) they only split words.
            if run == "\u200d" and _emoji_part(before) and _emoji_part(after):
                return True
            return _joining_script(before) and _joining_script(after)
        if run == "\u00ad":  # soft hyphen inside a word
            return before.isalpha() and after.isalpha()
    if kind == "bidi" and run in ("\u200e", "\u200f", "\u061c"):
        # a lone direction mark next to right-to-left text is ordinary typesetting
        return any(unicodedata.bidirectional(c) in ("R", "AL") for c in (before, after) if c)
    return kind == "zero_width" and run == "\ufeff" and start == 0  # byte-order mark


def find_invisible(text: str) -> list[InvisibleMatch]:
    """Suspicious invisible runs in ``text`` (one entry per run of one class)."""
    if text.isascii():
        return []
    out: list[InvisibleMatch] = []
    for m in _ANY.finditer(text):
        i = m.start()
        while i < m.end():  # split a mixed run by class
            kind = _kind(text[i])
            j = i + 1
            while j < m.end() and _kind(text[j]) == kind:
                j += 1
            if not _benign(text, i, j, kind):
                hidden = ""
                if kind == "tag":
                    hidden = "".join(
                        chr(ord(c) - 0xE0000) for c in text[i:j] if 0x20 <= ord(c) - 0xE0000 < 0x7F
                    )
                out.append(InvisibleMatch(kind, i, j, hidden))
            i = j
    return out


def strip_invisible(text: str, matches: list[InvisibleMatch]) -> str:
    """``text`` without the flagged runs."""
    out: list[str] = []
    pos = 0
    for m in matches:
        out.append(text[pos : m.start])
        pos = m.end
    out.append(text[pos:])
    return "".join(out)


HIDDEN_KEY = "guard.output.hidden_text"


def _hidden_text(text: str) -> str:
    from aisec.guard._normalise import normalise

    return normalise(text).hidden


def _preview(hidden: str) -> str:
    """The first 40 hidden characters with any PII or secret in them masked."""
    from aisec.guard._pii import find_pii
    from aisec.guard._secrets import find_secrets

    head = hidden[:40]
    spans = [(m.start, m.end) for m in find_pii(head)]
    spans += [(m.start, m.end) for m in find_secrets(head)]
    for start, end in sorted(spans, reverse=True):
        head = head[:start] + "***" + head[end:]
    return head


class InvisibleTextScanner(Scanner):
    """Flags hidden characters; in ``redact`` mode removes them."""

    name: ClassVar[str] = "invisible_text"
    default_mode: ClassVar[str] = "redact"
    directions: ClassVar[frozenset[Direction]] = frozenset(
        {
            Direction.INPUT,
            Direction.OUTPUT,
            Direction.DOCUMENT,
            Direction.TOOL_RESULT,
            Direction.SYSTEM,
        }
    )
    supports_redact: ClassVar[bool] = True

    def scan(self, text: str, ctx: ScanContext) -> ScanResult:
        matches = find_invisible(text)
        if ctx.direction is Direction.OUTPUT:
            # what the stripped characters spelled (tag characters, variation-selector
            # bytes): the system-prompt leak scanner, which runs on the stripped text, looks
            # for the canary in it too
            ctx.state[HIDDEN_KEY] = _hidden_text(text) if matches else ""
        if not matches:
            return ScanResult(0.0)
        findings: list[Finding] = []
        for m in matches:
            rule_id, title, severity = _RULES[m.kind]
            evidence = f"{m.end - m.start} chars U+{ord(text[m.start]):04X}"
            if m.hidden and ctx.direction is Direction.OUTPUT:
                # hidden text in a response may be data being smuggled out: length only
                evidence += f", {len(m.hidden)} hidden ASCII chars"
            elif m.hidden:
                evidence += f", hidden text: {_preview(m.hidden)!r}"
            findings.append(
                Finding(
                    rule_id=rule_id,
                    title=title,
                    severity=severity,
                    asset=ctx.route or "",
                    location=Location(offset=m.start, pointer=ctx.direction.value),
                    evidence=evidence,
                    frameworks=FRAMEWORKS,
                    remediation="Strip invisible characters before the text reaches the model.",
                )
            )
        score = max(_SCORES[m.kind] for m in matches)
        return ScanResult(score, tuple(findings), strip_invisible(text, matches))
