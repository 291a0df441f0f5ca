"""Evidence outside the inventory that controls are judged by: the policy that applies to
the assessed tree (guard, gateway routes, data contracts) and the keyring's rotation state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING

from aisec.core.errors import AisecError

if TYPE_CHECKING:
    from aisec.core.policy import Policy, RoutePolicy

__all__ = ["Evidence", "KeyState", "gather_evidence"]


@dataclass(frozen=True, slots=True)
class KeyState:
    """What the keyring says: ``status`` ok / fail / unknown and a sentence why."""

    status: str
    note: str


@dataclass(frozen=True, slots=True)
class Evidence:
    """Policy and keyring facts for one assessment (tests build it directly)."""

    policy_files: tuple[str, ...] = ()
    guard_configured: bool = False
    guard_scanners: tuple[str, ...] = ()
    guard_defaults: bool = True
    tools_allowlist: bool = False
    routes: tuple[RoutePolicy, ...] = ()
    gateway_auth: bool = False
    dataset_globs: tuple[str, ...] = ()
    keys: KeyState = field(default_factory=lambda: KeyState("unknown", "keyring not read"))

    def guarded_routes(self) -> list[RoutePolicy]:
        return [r for r in self.routes if r.guard]

    def route_for(self, model: str | None) -> RoutePolicy | None:
        """The guarded route serving ``model`` (any guarded route when the model is not known)."""
        for route in self.guarded_routes():
            if model is None or any(fnmatch(model, pattern) for pattern in route.models):
                return route
        return None

    def has_contract(self, path: str) -> bool:
        name = Path(path).name
        return any(fnmatch(name, g) or fnmatch(path, g) for g in self.dataset_globs)


def _policies(root: Path | None) -> tuple[list[Policy], list[str]]:
    """The trusted policy and the assessed tree's own ``aisec.yaml`` (a project policy);
    a tree that is not a local folder (``None``) has only the trusted one."""
    from aisec.core.policy import load_policy, load_project_policy, policy_sources

    loaded: list[Policy] = []
    files: list[str] = []
    sources = policy_sources(root) if root is not None else policy_sources()
    for source in sources:
        if source.role == "project" and root is None:
            continue
        if source.role == "project":
            loaded.append(load_project_policy(source.path))
        else:
            loaded.append(load_policy(source.path))
        files.append(str(source.path))
    return loaded, files


def _key_state(policy: Policy | None) -> KeyState:
    from aisec.core.crypto import list_keys

    try:
        keys = list_keys()
    except AisecError as exc:
        return KeyState("unknown", f"keyring not readable: {exc.message}")
    enabled = [k for k in keys if k.state == "enabled"]
    if not enabled:
        return KeyState("unknown", "no enabled key in the keyring: encryption at rest not shown")
    now = datetime.now(UTC)
    due = [
        k.name
        for k in enabled
        if (
            policy is not None
            and now - k.last_rotation >= timedelta(days=policy.keys.rotation_days(k.name))
        )
        or (policy is None and now - k.last_rotation >= timedelta(days=90))
    ]
    if due:
        return KeyState("fail", f"{len(due)} key(s) past their rotation date: {', '.join(due)}")
    return KeyState("ok", f"{len(enabled)} key(s), none due for rotation")


def gather_evidence(root: Path | None, *, read_keys: bool = True) -> Evidence:
    """Evidence for assessing ``root``: its policy (home/explicit plus its own aisec.yaml)
    and, when ``read_keys``, the keyring's rotation state."""
    policies, files = _policies(root)
    from aisec.core.policy import merge_policies

    merged: Policy | None = None
    for p in policies:
        merged = p if merged is None else merge_policies(merged, p)
    guard_set = any("guard" in p.model_fields_set for p in policies)
    keys = _key_state(merged) if read_keys else KeyState("unknown", "keyring not read")
    if merged is None:
        return Evidence(keys=keys)
    globs = tuple(d.path for d in merged.data.datasets)
    contracts = getattr(merged.data, "contracts", None) or ()
    globs += tuple(str(getattr(c, "path", "")) for c in contracts if getattr(c, "path", ""))
    return Evidence(
        policy_files=tuple(files),
        guard_configured=guard_set,
        guard_scanners=tuple(s.name for s in merged.guard.scanners if s.mode != "off"),
        guard_defaults=merged.guard.defaults,
        tools_allowlist=guard_set and merged.guard.tools is not None,
        routes=tuple(merged.gateway.routes),
        gateway_auth=any("gateway_auth" in p.model_fields_set for p in policies),
        dataset_globs=globs,
        keys=keys,
    )
