"""Size limits: characters and an approximate token count, checked before anything costly.

The Engine runs this scanner before every other one (it is a *gate*); when it blocks, no
other scanner sees the text, so an oversized prompt or response costs one ``len()``, not a
pass of every scanner over it. Inputs (prompts, retrieved documents, tool results) and
model outputs have separate limits: ``max_chars`` / ``max_tokens`` and
``max_output_chars`` / ``max_output_tokens``.

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
    """Flags inputs over ``max_chars`` (default 32 000) or ``max_tokens`` (default 8 000)
    and model outputs over ``max_output_chars`` (default 128 000) or ``max_output_tokens``
    (default 32 000)."""

    name: ClassVar[str] = "limits"
    default_mode: ClassVar[str] = "block"
    directions: ClassVar[frozenset[Direction]] = frozenset(
        {
            Direction.INPUT,
            Direction.DOCUMENT,
            Direction.TOOL_RESULT,
            Direction.OUTPUT,
            Direction.SYSTEM,
        }
    )
    gate: ClassVar[bool] = True  # the Engine runs it first and stops when it blocks

    option_names: ClassVar[frozenset[str]] = frozenset(
        {"max_chars", "max_tokens", "max_output_chars", "max_output_tokens"}
    )

    def __init__(self, threshold: float | None = None, **options: Any) -> None:
        super().__init__(threshold, **options)
        self.max_chars = int(number_option(self.name, options, "max_chars", 32_000, 1, 1e9))
        self.max_tokens = int(number_option(self.name, options, "max_tokens", 8_000, 1, 1e9))
        self.max_output_chars = int(
            number_option(self.name, options, "max_output_chars", 128_000, 1, 1e9)
        )
        self.max_output_tokens = int(
            number_option(self.name, options, "max_output_tokens", 32_000, 1, 1e9)
        )

    def scan(self, text: str, ctx: ScanContext) -> ScanResult:
        findings: list[Finding] = []
        output = ctx.direction is Direction.OUTPUT
        max_chars = self.max_output_chars if output else self.max_chars
        max_tokens = self.max_output_tokens if output else self.max_tokens
        prefix = "output_" if output else ""
        if not isinstance(text, str):
            findings.append(self._finding(f"{prefix}chars", -1, max_chars, ctx))
        elif len(text) > max_chars:
            findings.append(self._finding(f"{prefix}chars", len(text), max_chars, ctx))
        # counting tokens costs a pass over the text; a short text cannot exceed the limit
        elif len(text) > max_tokens:
            tokens = approx_tokens(text)
            if tokens > max_tokens:
                findings.append(self._finding(f"{prefix}tokens", tokens, max_tokens, ctx))
        return ScanResult(1.0 if findings else 0.0, tuple(findings))

    @staticmethod
    def _finding(option: str, size: int, limit: int, ctx: ScanContext) -> Finding:
        unit = option.rsplit("_", 1)[-1]
        return Finding(
            rule_id=f"guard-limits-{unit}",
            title=f"text longer than the {unit} limit",
            severity=Severity.MEDIUM,
            asset=ctx.route or "",
            location=Location(pointer=ctx.direction.value),
            evidence=f"{size} {unit} > {limit}" if size >= 0 else "not a text",
            frameworks=FRAMEWORKS,
            remediation=f"Shorten the text or raise the scanner's max_{option} in aisec.yaml.",
        )
