"""Findings of a run into the store's ``findings`` table, read back by source and run.

``aisec assess`` records its own runs (``aisec.posture``); ``aisec redteam`` and
``aisec robustness`` record theirs here with their own ``source``, so the posture report
and monitors can read every check's findings from one table.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from aisec.core.findings import Finding, FrameworkRef, Location, Severity
from aisec.core.store import Store

__all__ = ["read_findings", "record_findings"]


def record_findings(store: Store, *, source: str, run_id: str, findings: Sequence[Finding]) -> None:
    """Store ``findings`` as one run of ``source`` (one transaction)."""
    now = datetime.now(UTC)
    with store.write() as conn:
        t = conn.time_param(now)
        conn.executemany(
            "INSERT INTO findings (run_id, source, created, rule_id, title, severity, asset, "
            "location, evidence, frameworks, remediation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    run_id[:64],
                    source[:100],
                    t,
                    f.rule_id[:200],
                    f.title[:500],
                    f.severity.value,
                    f.asset[:1000],
                    json.dumps(f.location.to_dict()),
                    f.evidence,
                    json.dumps([str(r) for r in f.frameworks]),
                    f.remediation,
                )
                for f in findings
            ),
        )


def read_findings(store: Store, *, source: str, run_id: str | None = None) -> list[Finding]:
    """The findings ``source`` stored (of one run when ``run_id`` is given), oldest first."""
    sql = (
        "SELECT rule_id, title, severity, asset, location, evidence, frameworks, remediation "
        "FROM findings WHERE source = ?"
    )
    params: list[str] = [source]
    if run_id is not None:
        sql += " AND run_id = ?"
        params.append(run_id)
    with store.read() as conn:
        rows = conn.execute(sql + " ORDER BY id", params).fetchall()
    out = []
    for rule_id, title, severity, asset, location, evidence, frameworks, remediation in rows:
        loc = json.loads(location) if isinstance(location, str) else location
        refs = json.loads(frameworks) if isinstance(frameworks, str) else frameworks
        out.append(
            Finding(
                rule_id=rule_id,
                title=title,
                severity=Severity.parse(severity),
                asset=asset,
                location=Location(
                    **{k: v for k, v in (loc or {}).items() if k in ("path", "line", "pointer")}
                ),
                evidence=evidence,
                frameworks=tuple(FrameworkRef.parse(r) for r in refs or ()),
                remediation=remediation,
            )
        )
    return out
