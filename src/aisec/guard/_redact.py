"""Secret redaction for what aisec itself stores or shows (audit details, evidence).

Not a guard entry point: it scans no user's text on anyone's behalf, it removes
credentials from aisec's own records, so it needs no permission (the audit log calls it
while recording an authorization denial, which must not need ``guard.scan``).
"""

from __future__ import annotations

from functools import cache

from aisec.core.policy import Direction
from aisec.guard._scanner import ScanContext
from aisec.guard._secrets import SecretsScanner

__all__ = ["redact_secrets"]


@cache
def _scanner() -> SecretsScanner:
    return SecretsScanner()


def redact_secrets(text: str) -> str:
    """``text`` with every credential the guard's secrets scanner finds replaced by
    ``<SECRET:kind>``; an exception from the scanner propagates (callers fail closed)."""
    result = _scanner().scan(text, ScanContext(direction=Direction.DOCUMENT))
    return text if result.redacted_text is None else result.redacted_text
