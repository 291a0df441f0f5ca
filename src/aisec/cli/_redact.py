"""Secret redaction for text aisec stores or shows: audit details and finding evidence.

The guard's secrets scanner (through ``aisec.guard.redact_secrets``, which needs no
permission: it cleans aisec's own records) replaces each credential with
``<SECRET:kind>``. ``aisec.core`` may not import the guard, so :func:`install` hands
:func:`redact_secrets` to ``aisec.core.audit.set_redactor``; the CLI installs it at
start-up.

Loading the guard costs about half a second and ~25 MB (NumPy), which ``aisec encrypt``'s
64 MB budget cannot pay on every audited key use. So a cheap pre-filter decides whether a
text could hold anything the scanner would redact; it is a superset of what the scanner
looks for (every scanner rule needs a 16+ character token, a key-like word before a value,
credentials in a URL, or a PEM block), and only texts that pass it load the guard.
"""

from __future__ import annotations

import re

__all__ = ["WITHHELD", "install", "might_hold_secret", "redact_secrets"]

WITHHELD = "[withheld: the secret scanner failed on this text]"

_CANDIDATE = re.compile(
    r"[A-Za-z0-9+/=_.~-]{16,}"  # any token long enough to be a key or token
    r"|key|secret|token|passw|pwd|passphrase|credential|bearer|auth"  # a key-like name
    r"|://[^\s/]*@"  # userinfo in a URL
    r"|PRIVATE",  # a PEM block
    re.IGNORECASE,
)


def might_hold_secret(text: str) -> bool:
    """False only when the guard's secrets scanner cannot find anything in ``text``."""
    return _CANDIDATE.search(text) is not None


def redact_secrets(text: str) -> str:
    """``text`` with every credential the guard detects replaced by ``<SECRET:kind>``;
    if the scanner fails, nothing of the text is kept (fail closed)."""
    if not text or not might_hold_secret(text):
        return text
    from aisec.guard import redact_secrets as guard_redact

    try:
        return guard_redact(text)
    except Exception:
        return WITHHELD


def install() -> None:
    """Make the audit log run :func:`redact_secrets` over targets and details it stores."""
    from aisec.core.audit import set_redactor

    set_redactor(redact_secrets)
