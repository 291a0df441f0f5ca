"""Evidence outside the inventory that controls are judged by: the policy that applies to
the assessed tree (guard, gateway routes, data contracts), the keyring's rotation state and
the robustness and privacy tests recorded in the store for model files (by content)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING

from aisec.core.errors import AisecError

if TYPE_CHECKING:
    from aisec.core.policy import Policy, RoutePolicy
    from aisec.core.store import Store

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
    # model file SHA-256 -> evidence kind ("robustness", "privacy_testing") -> (ok/fail, why)
    model_tests: Mapping[str, Mapping[str, tuple[str, str]]] = field(default_factory=dict)

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


# The record of a test run on a model file -> the evidence kind it answers, and the rule
# that the same run stores when the model failed it (aisec.robustness._findings).
_TESTED = {
    "robustness-evasion-tested": ("robustness", "robustness-evasion-accuracy-drop"),
    "robustness-membership-tested": ("privacy_testing", "robustness-membership-leak"),
}


def model_tests(store: Store) -> dict[str, dict[str, tuple[str, str]]]:
    """The latest robustness and privacy test of each model file in the store, by the
    file's SHA-256: ``ok`` when that run raised nothing, ``fail`` (and why) when it did."""
    with store.read() as conn:
        rows = conn.execute(
            "SELECT run_id, rule_id, asset, evidence, created FROM findings "
            "WHERE source = ? ORDER BY id",
            ("robustness",),
        ).fetchall()
        runs: dict[str, list[tuple[str, str, str, str]]] = {}
        for run_id, rule_id, asset, evidence, created in rows:
            day = conn.time_value(created).date().isoformat()
            runs.setdefault(str(run_id), []).append((str(rule_id), str(asset), evidence, day))
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for findings in runs.values():  # oldest run first: a later test of a file wins
        for rule_id, asset, evidence, day in findings:
            if rule_id not in _TESTED or not asset.startswith("sha256:"):
                continue
            kind, failed_rule = _TESTED[rule_id]
            failed = [e for r, _, e, _ in findings if r == failed_rule]
            verdict = (
                ("fail", f"{failed_rule} on {day}: {failed[0][:200]}")
                if failed
                else ("ok", f"tested {day}: {evidence[:200]}")
            )
            out.setdefault(asset.removeprefix("sha256:"), {})[kind] = verdict
    return out


def gather_evidence(
    root: Path | None, *, read_keys: bool = True, store: Store | None = None
) -> Evidence:
    """Evidence for assessing ``root``: its policy (home/explicit plus its own aisec.yaml),
    when ``read_keys`` the keyring's rotation state, and with a ``store`` the model tests
    recorded in it."""
    policies, files = _policies(root)
    from aisec.core.policy import merge_policies

    merged: Policy | None = None
    for p in policies:
        merged = p if merged is None else merge_policies(merged, p)
    guard_set = any("guard" in p.model_fields_set for p in policies)
    keys = _key_state(merged) if read_keys else KeyState("unknown", "keyring not read")
    tests = model_tests(store) if store is not None else {}
    if merged is None:
        return Evidence(keys=keys, model_tests=tests)
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
        model_tests=tests,
    )
