"""Pipeline and supply-chain signals: conditions read from the store, the registry, an OSV
export and the keyring on each monitor run, each an alarm when it newly holds.

* ``aisec data check`` findings (stored under source ``data.check``) at or above
  ``pipeline.data_check_min_severity``: one alarm per check run that found any;
* registry versions a stage points at whose signature no longer verifies by a trusted key
  (blobs read back, files materialised, bundle verified; at most every
  ``signature_interval_s``);
* pinned dependencies of ``pipeline.manifests`` with a vulnerability in the OSV export at
  ``pipeline.osv_db`` that the previous export did not list (checked when the export or a
  manifest changes; on the first check every known vulnerability is new);
* keyring keys whose last rotation is ``rotation_days`` or more ago.

A condition that stays true raises no new alarm on later runs (its alert is open or was
acknowledged); one that clears and comes back alarms again. Each check that cannot run
(missing permission, unreadable export) is reported by the run and skipped, never fatal.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aisec.core.errors import AisecError
from aisec.core.findings import Severity
from aisec.core.policy import PipelinePolicy
from aisec.core.store import Store
from aisec.monitor._signals import Alarm

__all__ = ["PIPELINE_RULES", "PipelineResult", "pipeline_alarms"]

DATA_CHECK = "monitor-data-check-findings"
SIGNATURE = "monitor-model-signature-invalid"
VULNERABLE = "monitor-dependency-newly-vulnerable"
KEY_ROTATION = "monitor-key-past-rotation"
PIPELINE_RULES = (DATA_CHECK, SIGNATURE, VULNERABLE, KEY_ROTATION)
_MAX_ACTIVE = 10_000  # conditions remembered per check


@dataclass(slots=True)
class PipelineResult:
    alarms: list[Alarm] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    checked: dict[str, str] = field(default_factory=dict)  # check: "ok", "skipped: why"…


def _alarm(
    rule: str, signal: str, subject: str, t: float, seq: int, count: int, **params: str
) -> Alarm:
    return Alarm(
        rule,
        signal,
        subject[:300],
        t,
        seq,
        None,
        float(count),
        0.0,
        "count",
        tuple((k, v[:1000]) for k, v in params.items() if v),
    )


def _fresh(active: set[str], before: list[str]) -> set[str]:
    """Conditions true now that were not at the last check."""
    return active - set(before)


def _data_checks(
    store: Store, p: PipelinePolicy, state: dict[str, Any], now: float, seq: int
) -> list[Alarm]:
    """One alarm per stored data check run with findings at or above the floor, read after
    the last findings row seen."""
    floor = Severity.parse(p.data_check_min_severity)
    last = int(state.get("data_check_id", 0))
    with store.read() as conn:  # on the first run, checks stored before it count once
        rows = conn.execute(
            "SELECT id, run_id, rule_id, severity, asset FROM findings"
            " WHERE source = 'data.check' AND id > ? ORDER BY id LIMIT 100000",
            (last,),
        ).fetchall()
    runs: dict[str, dict[str, Any]] = {}
    for fid, run_id, rule_id, severity, asset in rows:
        last = max(last, int(fid))
        try:
            sev = Severity.parse(str(severity))
        except (ValueError, AisecError):
            sev = Severity.CRITICAL  # unreadable: fail closed
        if sev < floor:
            continue
        run = runs.setdefault(str(run_id), {"asset": str(asset), "rules": set(), "n": 0})
        run["rules"].add(str(rule_id))
        run["n"] += 1
    state["data_check_id"] = last
    return [
        _alarm(
            DATA_CHECK,
            "data_check",
            f"data:{r['asset']}",
            now,
            seq,
            r["n"],
            asset=r["asset"],
            rules=",".join(sorted(r["rules"])[:20]),
            data_check_run=run_id,
        )
        for run_id, r in runs.items()
    ]


def _signatures(p: PipelinePolicy, state: dict[str, Any], now: float, seq: int) -> list[Alarm]:
    last = float(state.get("signatures_at", 0.0))
    if p.signature_interval_s and now - last < p.signature_interval_s:
        return []
    from aisec.registry import Registry

    with Registry.open() as reg:
        checked = reg.check_signatures()
    state["signatures_at"] = now
    bad = {v.ref: (v, problems) for v, problems in checked if problems}
    fresh = _fresh(set(bad), state.get("bad_signatures", []))
    state["bad_signatures"] = sorted(bad)[:_MAX_ACTIVE]
    out = []
    for ref in sorted(fresh):
        v, problems = bad[ref]
        out.append(
            _alarm(
                SIGNATURE,
                "signature",
                f"model:{v.model}",
                now,
                seq,
                len(problems),
                model=v.model,
                version=v.version,
                stage=",".join(v.stages),
                problems="; ".join(problems)[:500],
            )
        )
    return out


def _fingerprint(p: PipelinePolicy) -> str:
    """Changes when the OSV export or a manifest does (file count, sizes, newest times)."""
    h = hashlib.sha256()
    assert p.osv_db is not None  # noqa: S101 - the caller checks
    newest, count, size = 0, 0, 0
    for dirpath, _dirs, files in os.walk(p.osv_db):
        for name in files:
            st = (Path(dirpath) / name).stat()
            newest, count, size = max(newest, st.st_mtime_ns), count + 1, size + st.st_size
    h.update(f"{newest}:{count}:{size}".encode())
    for m in p.manifests:
        h.update(m.encode() + b"\0" + Path(m).read_bytes())
    return h.hexdigest()


def _vulnerabilities(p: PipelinePolicy, state: dict[str, Any], now: float, seq: int) -> list[Alarm]:
    from aisec.core.errors import InputError
    from aisec.supplychain import OsvDatabase, audit_vulnerabilities, parse_manifest

    if p.osv_db is None or not p.manifests:
        return []
    fingerprint = _fingerprint(p)
    if state.get("osv_fingerprint") == fingerprint:
        return []
    db = OsvDatabase.load(Path(p.osv_db))
    deps = []
    for path in p.manifests:
        manifest = parse_manifest(path, Path(path).read_text("utf-8"))
        if manifest is None:
            raise InputError(f"monitor.pipeline.manifests: {path} declares no dependencies")
        deps += manifest.dependencies
    audit = audit_vulnerabilities(deps, db)
    found: dict[str, str] = {}
    for f in audit.findings:
        if f.rule_id == "supplychain-vulnerable-dependency":
            # evidence: "NAME VERSION: VULN-ID (fixed in …): summary"
            key = f.evidence.split(" (fixed in", 1)[0]
            found[key] = f.evidence
    fresh = _fresh(set(found), state.get("vulnerabilities", []))
    state["osv_fingerprint"] = fingerprint
    state["vulnerabilities"] = sorted(found)[:_MAX_ACTIVE]
    by_package: dict[str, list[str]] = {}
    for key in sorted(fresh):
        by_package.setdefault(key.split(":", 1)[0], []).append(key)
    return [
        _alarm(
            VULNERABLE,
            "osv",
            f"dependency:{package.split(' ', 1)[0]}",
            now,
            seq,
            len(keys),
            package=package,
            vulnerabilities=",".join(k.split(": ", 1)[-1] for k in keys),
            fixed_in="; ".join(found[k].split(" (fixed in ", 1)[-1].split(")")[0] for k in keys),
        )
        for package, keys in by_package.items()
    ]


def _keys(state: dict[str, Any], now: float, seq: int) -> list[Alarm]:
    from aisec.core.crypto import Keyring

    when = datetime.fromtimestamp(now, UTC)
    with Keyring.open() as ring:
        due = {k.name: k for k in ring.due_for_rotation(when)}
    fresh = _fresh(set(due), state.get("overdue_keys", []))
    state["overdue_keys"] = sorted(due)[:_MAX_ACTIVE]
    return [
        _alarm(
            KEY_ROTATION,
            "rotation",
            f"key:{name}",
            now,
            seq,
            (when - due[name].last_rotation).days,
            keys=name,
            last_rotation=due[name].last_rotation.isoformat(timespec="seconds"),
        )
        for name in sorted(fresh)
    ]


def pipeline_alarms(
    store: Store, p: PipelinePolicy, state: dict[str, Any] | None, seq: int, now: float
) -> PipelineResult:
    """Run each pipeline check; alarms for conditions that newly hold, and the new state."""
    result = PipelineResult(state=dict(state or {}))
    checks: list[tuple[str, bool, Callable[[], list[Alarm]]]] = [
        ("data_check", True, lambda: _data_checks(store, p, result.state, now, seq)),
        ("signatures", p.signatures, lambda: _signatures(p, result.state, now, seq)),
        ("osv", p.osv_db is not None, lambda: _vulnerabilities(p, result.state, now, seq)),
        ("keys", p.keys, lambda: _keys(result.state, now, seq)),
    ]
    for name, enabled, check in checks:
        if not enabled:
            result.checked[name] = "off"
            continue
        try:
            result.alarms += check()
        except (AisecError, OSError, ValueError) as exc:
            message = exc.message if isinstance(exc, AisecError) else str(exc)
            result.checked[name] = f"skipped: {type(exc).__name__}: {message[:200]}"
            continue
        result.checked[name] = "ok"
    return result
