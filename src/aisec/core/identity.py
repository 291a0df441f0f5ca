"""Principals, roles and permissions; one check, :func:`require`.

Roles and their permissions are declared in one table (:data:`ROLES`). The CLI's
principal comes from ``AISEC_PRINCIPAL`` (default: the OS user); its roles come from the
policy's ``access:`` section. With no policy file at all, aisec runs in single-user mode
and the local OS user is ``admin`` (it can read every key file anyway); a name that the
policy does not list gets ``access.default_role`` (none unless set).
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aisec.core.errors import AuthorizationError

if TYPE_CHECKING:
    from aisec.core.policy import Policy

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "Principal",
    "current_principal",
    "has_permission",
    "os_user",
    "require",
]

PERMISSIONS: dict[str, str] = {
    "policy.read": "read and check the policy",
    "audit.read": "read the audit log",
    "audit.write": "record audit events from other tools",
    "audit.verify": "verify the audit log's integrity",
    "findings.read": "read findings and reports",
    "scan.run": "scan model artifacts and projects",
    "keys.read": "list keys and their metadata (never key material)",
    "keys.create": "create keys",
    "keys.rotate": "rotate keys",
    "keys.disable": "disable key versions",
    "keys.rewrap": "re-wrap encrypted files under the current key",
    "keys.use": "encrypt and decrypt with keys",
    "data.encrypt": "encrypt data sets and fields",
    "data.decrypt": "decrypt data sets and fields",
    "registry.push": "register model versions",
    "registry.promote": "promote model versions to an environment",
    "registry.rollback": "roll back to the last known good model",
    "guard.scan": "run guard scanners",
    "guard.configure": "change guard modes and thresholds",
    "gateway.admin": "administer gateway routes, keys and quotas",
    "apikey.manage": "create, list and revoke gateway API keys",
    "access.grant": "grant roles and just-in-time access",
    "playbook.run": "run incident playbooks",
}

_READ = frozenset({"policy.read", "audit.read", "findings.read", "keys.read"})
_ML = frozenset(
    {
        "scan.run",
        "registry.push",
        "keys.use",
        "data.encrypt",
        "data.decrypt",
        "guard.scan",
        "audit.write",
    }
)

ROLES: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "security": frozenset(PERMISSIONS) - {"access.grant", "gateway.admin"},
    "ml-engineer": _READ | _ML,
    "auditor": _READ | {"audit.verify"},
    "service": frozenset({"audit.write", "keys.use", "guard.scan", "scan.run", "policy.read"}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """A person or a service acting through aisec."""

    name: str
    kind: str = "person"
    roles: tuple[str, ...] = ()

    @property
    def permissions(self) -> frozenset[str]:
        out: set[str] = set()
        for role in self.roles:
            out |= ROLES.get(role, frozenset())
        return frozenset(out)


def os_user() -> str:
    """The operating-system user running this process."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid-{os.getuid()}"


def current_principal(policy: Policy | None = None) -> Principal:
    """The principal running this process, with roles resolved from the policy."""
    name = os.environ.get("AISEC_PRINCIPAL") or os_user()
    if policy is None:
        from aisec.core.policy import active_policy

        policy = active_policy()
    if policy is None:
        return Principal(name=name, roles=("admin",))
    for p in policy.access.principals:
        if p.name == name:
            return Principal(name=name, kind=p.kind, roles=tuple(p.roles))
    default = policy.access.default_role
    return Principal(name=name, roles=(default,) if default else ())


def has_permission(principal: Principal, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")  # a bug in the caller
    return permission in principal.permissions


def require(principal: Principal, permission: str) -> None:
    """Raise AuthorizationError (and audit the denial) unless ``principal`` may ``permission``."""
    if has_permission(principal, permission):
        return
    from aisec.core.audit import record

    record(
        "access.denied",
        permission,
        outcome="denied",
        details={"roles": ",".join(principal.roles) or "none"},
        actor=principal.name,
    )
    roles = ", ".join(principal.roles) or "no role"
    holders = ", ".join(r for r, perms in ROLES.items() if permission in perms)
    raise AuthorizationError(
        f"{principal.name} ({roles}) may not {permission} ({PERMISSIONS[permission]}); "
        f"roles that may: {holders}"
    )
