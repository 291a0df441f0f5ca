"""Authorization in one place: every library entry point asks :func:`authorize`.

The CLI, the gateway and the Python API reach the same entry points (``scan_path``, the
guard ``Engine``, the keyring …), so they all get the same answer. A denial is audited.
"""

from __future__ import annotations

import os
import time

from aisec.core.audit import record
from aisec.core.errors import AuthorizationError
from aisec.core.identity import (
    PERMISSIONS,
    ROLES,
    ClaimRefusedError,
    Principal,
    current_principal,
    has_permission,
)

__all__ = ["authorize", "forget_principal", "require"]

# The current principal, established at most once a second per process and setting: a
# library caller scanning file by file (scan_path per file) would otherwise read the identity
# and the policy files for every file. A policy edit takes effect within _TTL_S.
_TTL_S = 1.0
_cached: tuple[tuple[object, ...], float, Principal] | None = None


def forget_principal() -> None:
    """Drop the cached current principal (tests; after changing the policy in-process)."""
    global _cached
    _cached = None


def _current() -> Principal:
    global _cached
    key = (
        os.environ.get("AISEC_PRINCIPAL"),
        os.environ.get("AISEC_POLICY"),
        os.environ.get("AISEC_HOME"),
        os.getcwd(),  # noqa: PTH109 - a string is all the key needs
        os.geteuid(),
    )
    now = time.monotonic()
    cached = _cached
    if cached is not None and cached[0] == key and now < cached[1]:
        return cached[2]
    principal = current_principal()  # a refused claim raises and is never cached
    _cached = (key, now + _TTL_S, principal)
    return principal


def require(principal: Principal, permission: str) -> None:
    """Raise AuthorizationError (and audit the denial) unless ``principal`` may ``permission``."""
    if has_permission(principal, permission):
        return
    record(
        "access.denied",
        permission,
        outcome="denied",
        details={"roles": ",".join(principal.roles) or "none"},
        actor=principal,
    )
    roles = ", ".join(principal.roles) or "no role"
    holders = ", ".join(r for r, perms in ROLES.items() if permission in perms)
    raise AuthorizationError(
        f"{principal.name} ({roles}) may not {permission} ({PERMISSIONS[permission]}); "
        f"roles that may: {holders}"
    )


def authorize(permission: str, principal: Principal | None = None) -> Principal:
    """The principal (default: the current one) if it may ``permission``; else raise.

    Raises AuthorizationError when it may not, and also when the current principal is a
    claim the policy does not allow (see :func:`aisec.core.identity.current_principal`).
    """
    if principal is None:
        try:
            principal = _current()
        except ClaimRefusedError as exc:
            record(
                "access.claim-refused",
                exc.claimed,
                outcome="denied",
                details={"permission": permission},
                actor=exc.user,
            )
            raise
    require(principal, permission)
    return principal
