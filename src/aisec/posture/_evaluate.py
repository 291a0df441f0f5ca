"""Judge the threat model's controls against an inventory and evidence: a status per
control, findings for controls not in place, and a score per framework."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aisec.core.findings import Finding, FrameworkRef, Location, Severity
from aisec.posture._evidence import Evidence
from aisec.posture._model import Control, ThreatModel

__all__ = [
    "SCORED_FRAMEWORKS",
    "STATUSES",
    "AssetLike",
    "ControlResult",
    "InventoryLike",
    "evaluate",
    "framework_scores",
]

STATUSES = ("in place", "partial", "missing", "unknown")
SCORED_FRAMEWORKS = ("OWASP-LLM", "OWASP-AGENTIC", "ATLAS", "SAIF", "NIST-AI-RMF", "MS-AIRA")
_WEIGHT = {"in place": 1.0, "partial": 0.5, "missing": 0.0, "unknown": 0.0}
_MAX_LISTED = 5
_PROJECT_EVIDENCE = frozenset({"no_secrets", "keys_rotated", "guard_tools", "gateway_auth"})


class AssetLike(Protocol):
    """What posture reads of an inventory asset (``aisec.inventory.Asset``)."""

    @property
    def kind(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def line(self) -> int | None: ...
    @property
    def name(self) -> str: ...
    @property
    def details(self) -> Mapping[str, Any]: ...


class SkippedLike(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def reason(self) -> str: ...


class InventoryLike(Protocol):
    """What posture reads of an inventory (``aisec.inventory.Inventory``)."""

    @property
    def root(self) -> str: ...
    @property
    def assets(self) -> Sequence[AssetLike]: ...
    @property
    def findings(self) -> Sequence[Finding]: ...
    @property
    def summary(self) -> Mapping[str, Any]: ...
    @property
    def skipped(self) -> Sequence[SkippedLike]: ...


@dataclass(frozen=True, slots=True)
class ControlResult:
    """A control's status over the assets it applies to, with the evidence for it."""

    control: Control
    status: str
    assets: int
    evidence: str
    failing: tuple[AssetLike, ...]


def where(asset: AssetLike) -> str:
    return f"{asset.path}:{asset.line}" if asset.line else asset.path


def _text(details: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = details.get(key)
        if isinstance(value, str) and value:
            return value.lower()
    return None


def is_system_prompt(asset: AssetLike) -> bool:
    """A prompt asset that is a system prompt (by role or name, as the inventory labels it)."""
    if asset.details.get("system") is True:
        return True
    role = _text(asset.details, "role", "prompt_kind", "type")
    if role is not None:
        return "system" in role
    return "system" in asset.name.lower()


def is_generative(asset: AssetLike) -> bool:
    """An LLM or LLM-framework call (not a classic ML library such as sklearn or torch)."""
    return asset.kind != "llm_call" or asset.details.get("category") != "ml"


_ONLY = {"system_prompt": is_system_prompt, "generative": is_generative}


def _inventory_problems(inv: InventoryLike) -> dict[str, list[Finding]]:
    """Inventory findings at low severity or above, by the path they point at."""
    out: dict[str, list[Finding]] = {}
    for f in inv.findings:
        if f.severity >= Severity.LOW and f.location.path:
            out.setdefault(f.location.path, []).append(f)
    return out


class _Judge:
    """Per-asset verdicts (ok / fail / unknown, and why) for each kind of evidence."""

    def __init__(self, inv: InventoryLike, ev: Evidence) -> None:
        self.inv = inv
        self.ev = ev
        self.problems = _inventory_problems(inv)
        self.secrets = [a for a in inv.assets if a.kind == "secret"]

    def judge(self, kind: str, asset: AssetLike) -> tuple[str, str]:
        method = getattr(self, f"_{kind}")
        result: tuple[str, str] = method(asset)
        return result

    def _scanned(self, a: AssetLike) -> tuple[str, str]:
        verdict = _text(a.details, "scan_verdict", "verdict", "scan")
        if verdict is None:
            return "unknown", "not scanned"
        if verdict == "clean":
            return "ok", "scanned clean"
        if verdict in ("malicious", "suspicious"):
            return "fail", f"scan verdict {verdict}"
        return "unknown", f"scan verdict {verdict}"

    def _signed(self, a: AssetLike) -> tuple[str, str]:
        state = _text(a.details, "signature", "signature_state", "signed")
        if state is None:
            if a.details.get("signed") is False:
                return "fail", "unsigned"
            return "unknown", "signature state not known"
        if state.startswith(("verified", "valid")):
            return "ok", "signature verified"
        if state.startswith(("unsigned", "none", "missing", "no")):
            return "fail", "unsigned"
        return "unknown", f"signature {state}: not verified"

    def _model_test(self, a: AssetLike, kind: str, command: str) -> tuple[str, str]:
        digest = a.details.get("sha256")
        found = self.ev.model_tests.get(digest) if isinstance(digest, str) else None
        if found is None or kind not in found:
            return "unknown", f"no {command} result recorded for this file's content"
        return found[kind]

    def _robustness(self, a: AssetLike) -> tuple[str, str]:
        return self._model_test(a, "robustness", "aisec robustness evasion")

    def _privacy_testing(self, a: AssetLike) -> tuple[str, str]:
        return self._model_test(a, "privacy_testing", "aisec robustness membership")

    def _gateway_auth(self, a: AssetLike) -> tuple[str, str]:
        if self.ev.routes and self.ev.gateway_auth:
            return "ok", "served through the gateway with authentication"
        return "unknown", "no gateway route with authentication in the policy"

    def _data_contract(self, a: AssetLike) -> tuple[str, str]:
        if self.ev.has_contract(a.path):
            return "ok", "contract declared in the policy"
        return "fail", "no data contract in the policy"

    def _keys_rotated(self, a: AssetLike) -> tuple[str, str]:
        return {"ok": "ok", "fail": "fail"}.get(self.ev.keys.status, "unknown"), self.ev.keys.note

    def _guard_route(self, a: AssetLike) -> tuple[str, str]:
        model = a.details.get("model")
        route = self.ev.route_for(model if isinstance(model, str) and model else None)
        if route is not None:
            return "ok", f"guarded gateway route {route.name}"
        if self.ev.guard_configured:
            return "unknown", "guard policy present, but no guarded gateway route serves this call"
        return "fail", "no guard policy and no guarded gateway route"

    def _prompt_leak_guard(self, a: AssetLike) -> tuple[str, str]:
        canary = [r.name for r in self.ev.guarded_routes() if r.canary]
        if canary:
            return "ok", f"canary on route {canary[0]}"
        if self.ev.guard_configured and (
            "system_prompt_leak" in self.ev.guard_scanners or self.ev.guard_defaults
        ):
            return "unknown", "leak scanner configured, but no route inserts a canary"
        return "fail", "no guard policy watches for system prompt leaks"

    def _no_secrets(self, a: AssetLike) -> tuple[str, str]:
        if self.secrets:
            return "fail", f"{len(self.secrets)} secret(s) in code or config"
        if self.inv.skipped:
            return "unknown", f"no secret found, but {len(self.inv.skipped)} file(s) skipped"
        return "ok", "no secret found in code or config"

    def _inventory_clean(self, a: AssetLike) -> tuple[str, str]:
        found = self.problems.get(a.path, [])
        if a.line is not None and a.kind == "agent_tool":
            found = [f for f in found if f.location.line in (None, a.line)]
        if found:
            rules = sorted({f.rule_id for f in found})
            return "fail", f"{len(found)} finding(s): {', '.join(rules)}"
        return "ok", "no findings"

    def _guard_tools(self, a: AssetLike) -> tuple[str, str]:
        if self.ev.tools_allowlist:
            return "ok", "guard.tools allowlist in the policy"
        return "fail", "no tool allowlist (guard.tools) in the policy"


def _aggregate(verdicts: Sequence[tuple[str, str]]) -> str:
    ok = sum(v == "ok" for v, _ in verdicts)
    fail = sum(v == "fail" for v, _ in verdicts)
    if ok == len(verdicts):
        return "in place"
    if ok and (fail or ok < len(verdicts)):
        return "partial"
    return "missing" if fail else "unknown"


def _summary(verdicts: Sequence[tuple[str, str]], evidence: str) -> str:
    if evidence in _PROJECT_EVIDENCE:  # one fact about the tree, the same for every asset
        return verdicts[0][1]
    counts: dict[str, int] = {}
    for _, why in verdicts:
        counts[why] = counts.get(why, 0) + 1
    return "; ".join(f"{why} ({n})" if n > 1 else why for why, n in counts.items())


def _finding(
    control: Control, rule_id: str, failing: Sequence[tuple[AssetLike, str]]
) -> list[Finding]:
    from aisec.core.rules import lookup

    rule = lookup(rule_id)
    if control.scope == "asset":
        return [
            Finding(
                rule_id=rule.id,
                title=rule.title,
                severity=rule.severity,
                asset=f"{asset.kind}:{asset.name}",
                location=Location(path=asset.path, line=asset.line),
                evidence=f"{control.id}: {why}",
                frameworks=rule.frameworks,
                remediation=rule.remediation,
            )
            for asset, why in failing
        ]
    first = failing[0][0]
    listed = ", ".join(where(a) for a, _ in failing[:_MAX_LISTED])
    more = f" and {len(failing) - _MAX_LISTED} more" if len(failing) > _MAX_LISTED else ""
    return [
        Finding(
            rule_id=rule.id,
            title=rule.title,
            severity=rule.severity,
            asset="project",
            location=Location(path=first.path, line=first.line),
            evidence=f"{control.id}: {failing[0][1]}; {len(failing)} asset(s): {listed}{more}",
            frameworks=rule.frameworks,
            remediation=rule.remediation,
        )
    ]


def evaluate(
    model: ThreatModel, inv: InventoryLike, ev: Evidence
) -> tuple[list[ControlResult], list[Finding]]:
    """Each control's status over the assets it applies to, and findings for those with a
    rule that are not in place. Controls for kinds the inventory lacks are left out."""
    judge = _Judge(inv, ev)
    results: list[ControlResult] = []
    findings: list[Finding] = []
    for control in model.controls:
        assets = [a for a in inv.assets if a.kind in control.kinds]
        if control.only is not None:
            assets = [a for a in assets if _ONLY[control.only](a)]
        if not assets:
            continue
        verdicts = [judge.judge(control.evidence, a) for a in assets]
        status = _aggregate(verdicts)
        failing = [(a, why) for a, (v, why) in zip(assets, verdicts, strict=True) if v == "fail"]
        if control.evidence == "no_secrets" and failing:
            failing = [(s, failing[0][1]) for s in judge.secrets]  # where the secrets are
        results.append(
            ControlResult(
                control,
                status,
                len(assets),
                _summary(verdicts, control.evidence),
                tuple(a for a, _ in failing),
            )
        )
        if control.rule and failing:
            findings.extend(_finding(control, control.rule, failing))
    return results, findings


def framework_scores(
    model: ThreatModel, results: Sequence[ControlResult]
) -> dict[str, dict[str, Any]]:
    """Per framework: the share of its applicable controls in place (partial counts half),
    0-100, with the counts per status. A control belongs to a framework when it or a
    threat it mitigates cites one of the framework's ids."""
    out: dict[str, dict[str, Any]] = {}
    for fw in SCORED_FRAMEWORKS:
        counts = dict.fromkeys(STATUSES, 0)
        ids: set[str] = set()
        for r in results:
            refs: list[FrameworkRef] = list(r.control.frameworks)
            for tid in r.control.threats:
                refs.extend(model.threat(tid).frameworks)
            mine = [ref.id for ref in refs if ref.framework == fw]
            if mine:
                counts[r.status] += 1
                ids.update(mine)
        total = sum(counts.values())
        score = (
            round(100 * sum(_WEIGHT[s] * n for s, n in counts.items()) / total) if total else None
        )
        out[fw] = {"score": score, "controls": total, **counts, "ids": sorted(ids)}
    return out
