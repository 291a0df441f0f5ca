"""Size limits: characters and an approximate token count, checked before anything costly.

The token count is an estimate that errs high, so a limit is never silently exceeded by
much: ASCII text counts one token per 4 characters or per word-or-symbol piece, whichever
is more; every non-ASCII character counts as one token (CJK and emoji often take one or
more tokens each in BPE vocabularies).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from aisec.core.findings import Finding, FrameworkRef, Location, Severity
from aisec.guard._options import number_option
from aisec.guard._scanner import Direction, ScanContext, Scanner, ScanResult

__all__ = ["LimitsScanner", "approx_tokens"]

FRAMEWORKS = (FrameworkRef("OWASP-LLM", "LLM10:2025"), FrameworkRef("ATLAS", "AML.T0029"))

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_PIECES = re.compile(r"[A-Za-z]+|\d{1,3}|[^\sA-Za-z\d]")


def approx_tokens(text: str) -> int:
    """An upper-leaning estimate of the number of BPE tokens in ``text``."""
    if text.isascii():
        return max((len(text) + 3) // 4, len(_PIECES.findall(text)))
    non_ascii = len(_NON_ASCII.findall(text))
    ascii_part = len(text) - non_ascii
    return (ascii_part + 3) // 4 + non_ascii


class LimitsScanner(Scanner):
    """Flags texts over ``max_chars`` (default 32 000) or ``max_tokens`` (default 8 000)."""

    name: ClassVar[str] = "limits"
    default_mode: ClassVar[str] = "block"
    directions: ClassVar[frozenset[Direction]] = frozenset(
        {Direction.INPUT, Direction.DOCUMENT, Direction.TOOL_RESULT}
    )

    option_names: ClassVar[frozenset[str]] = frozenset({"max_chars", "max_tokens"})

    def __init__(self, threshold: float | None = None, **options: Any) -> None:
        super().__init__(threshold, **options)
        self.max_chars = int(number_option(self.name, options, "max_chars", 32_000, 1, 1e9))
        self.max_tokens = int(number_option(self.name, options, "max_tokens", 8_000, 1, 1e9))

    def scan(self, text: str, ctx: ScanContext) -> ScanResult:
        findings: list[Finding] = []
        if len(text) > self.max_chars:
            findings.append(self._finding("chars", len(text), self.max_chars, ctx))
        # counting tokens costs a pass over the text; a short text cannot exceed the limit
        elif len(text) > self.max_tokens:
            tokens = approx_tokens(text)
            if tokens > self.max_tokens:
                findings.append(self._finding("tokens", tokens, self.max_tokens, ctx))
        return ScanResult(1.0 if findings else 0.0, tuple(findings))

    @staticmethod
    def _finding(unit: str, size: int, limit: int, ctx: ScanContext) -> Finding:
        return Finding(
            rule_id=f"guard-limits-{unit}",
            title=f"text longer than the {unit} limit",
            severity=Severity.MEDIUM,
            asset=ctx.route or "",
            location=Location(pointer=ctx.direction.value),
            evidence=f"{size} {unit} > {limit}",
            frameworks=FRAMEWORKS,
            remediation=f"Shorten the text or raise the scanner's max_{unit} in aisec.yaml.",
        )
