"""Secret redaction for text aisec stores or shows: audit details and finding evidence.

``aisec.core`` may not import the guard, so :func:`install` hands :func:`redact_secrets`
to ``aisec.core.audit.set_redactor``; the CLI installs it at start-up. The guard's
``redact_secrets`` skips, with a cheap pre-filter, the texts that cannot hold a secret,
and loads only its secrets scanner (not NumPy or the classifier) for the rest.
"""

from __future__ import annotations

__all__ = ["WITHHELD", "install", "redact_secrets"]

WITHHELD = "[withheld: the secret scanner failed on this text]"


def redact_secrets(text: str) -> str:
    """``text`` with every credential the guard detects replaced by ``<SECRET:kind>``;
    if the scanner fails, nothing of the text is kept (fail closed)."""
    from aisec.guard import redact_secrets as guard_redact

    try:
        return guard_redact(text)
    except Exception:
        return WITHHELD


def install() -> None:
    """Make the audit log run :func:`redact_secrets` over targets and details it stores."""
    from aisec.core.audit import set_redactor

    set_redactor(redact_secrets)
