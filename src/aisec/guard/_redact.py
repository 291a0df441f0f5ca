"""Secret redaction for what aisec itself stores or shows (audit details, evidence).

Not a guard entry point: it scans no user's text on anyone's behalf, it removes
credentials from aisec's own records, so it needs no permission (the audit log calls it
while recording an authorization denial, which must not need ``guard.scan``).

Most texts it sees (audit details on every gateway request, paths, names) hold nothing to
redact, so a cheap pre-filter, :func:`might_hold_secret`, decides whether the secrets
scanner runs at all. It is a superset of what the scanner looks for: every scanner rule
needs a 16+ character token, a key-like word before a value, credentials in a URL, or a
PEM block. The scanner itself is loaded on the first text that passes.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from aisec.core.policy import Direction

if TYPE_CHECKING:
    from aisec.guard._secrets import SecretsScanner

__all__ = ["might_hold_secret", "redact_secrets"]

_CANDIDATE = re.compile(
    r"[A-Za-z0-9+/=_.~-]{16,}"  # any token long enough to be a key or token
    r"|key|secret|token|passw|pwd|passphrase|credential|bearer|auth"  # a key-like name
    r"|://[^\s/]*@"  # userinfo in a URL
    r"|PRIVATE",  # a PEM block
    re.IGNORECASE,
)


def might_hold_secret(text: str) -> bool:
    """False only when the secrets scanner cannot find anything in ``text``."""
    return _CANDIDATE.search(text) is not None


@cache
def _scanner() -> SecretsScanner:
    from aisec.guard._secrets import SecretsScanner

    return SecretsScanner()


def redact_secrets(text: str) -> str:
    """``text`` with every credential the guard's secrets scanner finds replaced by
    ``<SECRET:kind>``; an exception from the scanner propagates (callers fail closed)."""
    if not text or not might_hold_secret(text):
        return text
    from aisec.guard._scanner import ScanContext

    result = _scanner().scan(text, ScanContext(direction=Direction.DOCUMENT))
    return text if result.redacted_text is None else result.redacted_text
