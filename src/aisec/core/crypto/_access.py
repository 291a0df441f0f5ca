"""Authorize then audit: every key operation goes through :func:`guarded`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from aisec.core.errors import AisecError

DetailValue = str | int | float | bool | None


@contextmanager
def guarded(
    permission: str, target: str, details: Mapping[str, DetailValue] | None = None
) -> Iterator[dict[str, DetailValue]]:
    """Require ``permission``, run the block, then audit it as ``permission`` on ``target``.

    The block may add details (never key material) to the yielded dict. A failure is
    audited with outcome ``error`` and its message class, then re-raised.
    """
    from aisec.core.audit import record
    from aisec.core.authz import authorize

    principal = authorize(permission)  # audits the denial itself
    extra: dict[str, DetailValue] = dict(details or {})
    try:
        yield extra
    except AisecError as exc:
        extra["error"] = type(exc).__name__
        record(permission, target, outcome="error", details=extra, actor=principal)
        raise
    record(permission, target, outcome="ok", details=extra, actor=principal)
