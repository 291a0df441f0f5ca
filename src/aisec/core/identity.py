"""Principals, roles and permissions: who is acting, and what each role may do.

Roles and their permissions are declared in one table (:data:`ROLES`); a trusted policy
may add roles (``access.roles``) but not redefine these. The CLI acts as the OS user;
``AISEC_PRINCIPAL`` may name another principal only where the policy lets that OS user act
as it (``may_act_as``), and the principal then carries who claimed it. Roles come from the
policy's ``access:`` section, which only a trusted policy sets (see
:mod:`aisec.core.policy`). With no policy file at all, aisec runs in single-user mode and
the OS user is ``admin`` (it can read every key file anyway); a name the policy does not
list gets ``access.default_role`` (none unless set). The check itself, which also audits
denials, is :func:`aisec.core.authz.authorize`.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aisec.core.errors import AuthorizationError

if TYPE_CHECKING:
    from aisec.core.policy import Policy

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "ClaimRefusedError",
    "Principal",
    "current_principal",
    "has_permission",
    "os_user",
    "reference_errors",
]

PERMISSIONS: dict[str, str] = {
    "policy.read": "read and check the policy",
    "audit.read": "read the audit log",
    "audit.write": "record audit events from other tools",
    "audit.verify": "verify the audit log's integrity",
    "findings.read": "read findings and reports",
    "scan.run": "scan model artifacts and projects",
    "artifacts.sign": "sign model artifacts",
    "artifacts.verify": "verify model artifact signatures",
    "keys.read": "list keys and their metadata (never key material)",
    "keys.create": "create keys",
    "keys.rotate": "rotate keys",
    "keys.disable": "disable and re-enable key versions",
    "keys.rewrap": "re-wrap encrypted files under the current key",
    "keys.use": "encrypt and decrypt with keys",
    "data.encrypt": "encrypt data sets and fields",
    "data.decrypt": "decrypt data sets and fields",
    "data.check": "profile data sets and check them against contracts",
    "data.read": "read the data provenance ledger and verify data sets against it",
    "data.record": "record data sets in the provenance ledger",
    "data.approve": "approve recorded data sets for use",
    "data.quarantine": "quarantine data sets and release them",
    "registry.push": "register model versions",
    "registry.promote": "promote model versions to an environment",
    "registry.rollback": "roll back to the last known good model",
    "registry.read": "list and show model versions, check deployments against them",
    "registry.pull": "download model versions from the registry",
    "registry.quarantine": "quarantine model versions and release them",
    "registry.override": "promote past a failed gate (with a reason, audited)",
    "guard.scan": "run guard scanners",
    "guard.configure": "change guard modes and thresholds",
    "gateway.admin": "administer gateway routes, keys and quotas",
    "apikey.manage": "create, list and revoke gateway API keys",
    "access.grant": "grant roles and just-in-time access",
    "playbook.run": "run incident playbooks",
    "playbook.approve": "approve another principal's run of a playbook that needs approval",
    "monitor.run": "compute monitoring signals and raise alerts",
    "alerts.read": "list and show monitoring alerts",
    "alerts.ack": "acknowledge monitoring alerts",
}

_READ = frozenset(
    {
        "policy.read",
        "audit.read",
        "findings.read",
        "keys.read",
        "registry.read",
        "data.read",
        "alerts.read",
    }
)
_ML = frozenset(
    {
        "scan.run",
        "artifacts.sign",
        "artifacts.verify",
        "registry.push",
        "registry.pull",
        "keys.use",
        "data.encrypt",
        "data.decrypt",
        "data.check",
        "data.read",
        "data.record",
        "guard.scan",
        "audit.write",
    }
)

ROLES: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "security": frozenset(PERMISSIONS) - {"access.grant", "gateway.admin"},
    "ml-engineer": _READ | _ML,
    "auditor": _READ | {"audit.verify"},
    "service": frozenset(
        {
            "audit.write",
            "keys.use",
            "guard.scan",
            "scan.run",
            "policy.read",
            "artifacts.verify",
            "registry.read",
            "registry.pull",
            "data.check",
            "data.read",
            "data.record",
        }
    ),
}


class ClaimRefusedError(AuthorizationError):
    """``AISEC_PRINCIPAL`` names someone the OS user may not act as."""

    def __init__(self, message: str, claimed: str, user: str) -> None:
        super().__init__(message)
        self.claimed = claimed
        self.user = user


@dataclass(frozen=True, slots=True)
class Principal:
    """A person or a service acting through aisec.

    ``claimed_by`` is the OS user who claimed this principal with ``AISEC_PRINCIPAL``
    (None when the principal is the OS user itself); ``established`` says how aisec
    came to believe who this is, in words.
    """

    name: str
    kind: str = "person"
    roles: tuple[str, ...] = ()
    extra_roles: tuple[tuple[str, frozenset[str]], ...] = ()
    claimed_by: str | None = None
    established: str = "OS user"

    @property
    def permissions(self) -> frozenset[str]:
        custom = dict(self.extra_roles)
        out: set[str] = set()
        for role in self.roles:
            out |= ROLES.get(role) or custom.get(role, frozenset())
        return frozenset(out)


def os_user() -> str:
    """The operating-system user running this process, from its effective uid.

    Not ``getpass.getuser()``: that believes ``LOGNAME``/``USER``, which anyone can set.
    """
    uid = os.geteuid()
    name = _OS_USERS.get(uid)
    if name is None:
        try:
            name = pwd.getpwuid(uid).pw_name
        except KeyError:  # a uid with no passwd entry (containers)
            name = f"uid-{uid}"
        _OS_USERS[uid] = name
    return name


_OS_USERS: dict[int, str] = {}  # uid -> name: the passwd lookup reads a file each time


def reference_errors(policy: Policy) -> list[str]:
    """Every reference in ``access:`` that names nothing (unknown roles and permissions,
    built-in roles redefined, principals named twice), each with its YAML path."""
    errors: list[str] = []
    access = policy.access
    for role, perms in access.roles.items():
        if role in ROLES:
            errors.append(f"access.roles.{role}: the built-in role {role!r} cannot be redefined")
        for i, perm in enumerate(perms):
            if perm not in PERMISSIONS:
                errors.append(
                    f"access.roles.{role}[{i}]: unknown permission {perm!r} "
                    "(see: aisec access roles)"
                )
    known = set(ROLES) | set(access.roles)
    if access.default_role is not None and access.default_role not in known:
        errors.append(
            f"access.default_role: unknown role {access.default_role!r}; expected one of "
            + ", ".join(sorted(known))
        )
    seen: set[str] = set()
    for i, p in enumerate(access.principals):
        if p.name in seen:
            errors.append(f"access.principals[{i}].name: {p.name!r} is listed twice")
        seen.add(p.name)
        for j, role in enumerate(p.roles):
            if role not in known:
                errors.append(
                    f"access.principals[{i}].roles[{j}]: unknown role {role!r}; expected one "
                    "of " + ", ".join(sorted(known))
                )
    return errors


def _check_references(policy: Policy) -> None:
    errors = reference_errors(policy)
    if errors:
        from aisec.core.errors import PolicyError

        raise PolicyError(f"policy: {len(errors)} error(s) in access", errors)


# Resolved principals per (OS user, claimed name, policy): the check runs on every guard
# scan, and a policy object is immutable (a changed file is a new object).
# The entry keeps the policy object alive, so its id cannot be reused by another policy.
_RESOLVED: dict[tuple[str, str, int], tuple[Policy | None, Principal]] = {}


def current_principal(policy: Policy | None = None) -> Principal:
    """The principal running this process, with roles resolved from the policy.

    The CLI acts as the OS user. ``AISEC_PRINCIPAL`` naming someone else is a claim: it is
    believed only when the policy lists the OS user with that name in ``may_act_as``, and
    the principal then records who claimed it; otherwise AuthorizationError.
    """
    user = os_user()
    claimed = os.environ.get("AISEC_PRINCIPAL") or user
    if policy is None:
        from aisec.core.policy import active_policy

        policy = active_policy()
    key = (user, claimed, id(policy))
    cached = _RESOLVED.get(key)
    if cached is not None and cached[0] is policy:
        return cached[1]
    principal = _resolve(user, claimed, policy)
    if len(_RESOLVED) > 64:
        _RESOLVED.clear()
    _RESOLVED[key] = (policy, principal)
    return principal


def _resolve(user: str, claimed: str, policy: Policy | None) -> Principal:
    claimed_by = None if claimed == user else user
    if policy is None:
        if claimed_by is not None:
            raise ClaimRefusedError(
                f"AISEC_PRINCIPAL={claimed!r}, but this process runs as OS user {user!r} and "
                "there is no policy allowing that user to act as anyone else; unset "
                f"AISEC_PRINCIPAL, or list {user!r} with may_act_as: [{claimed}] in the home "
                "policy (access.principals)",
                claimed,
                user,
            )
        return Principal(name=user, roles=("admin",), established="OS user (no policy: admin)")
    _check_references(policy)
    entries = {p.name: p for p in policy.access.principals}
    how = "OS user"
    if claimed_by is not None:
        me = entries.get(user)
        if me is None or claimed not in me.may_act_as:
            raise ClaimRefusedError(
                f"AISEC_PRINCIPAL={claimed!r}, but OS user {user!r} may not act as "
                f"{claimed!r}: the home policy must list {user!r} under access.principals "
                f"with may_act_as: [{claimed}]",
                claimed,
                user,
            )
        how = f"claimed by OS user {user} (allowed by may_act_as)"
    extra = tuple((r, frozenset(perms)) for r, perms in policy.access.roles.items())
    entry = entries.get(claimed)
    if entry is not None:
        return Principal(claimed, entry.kind, tuple(entry.roles), extra, claimed_by, how)
    default = policy.access.default_role
    roles = (default,) if default else ()
    return Principal(
        claimed, "person", roles, extra, claimed_by, how + ", not listed: default role"
    )


def has_permission(principal: Principal, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")  # a bug in the caller
    return permission in principal.permissions
