"""Findings of a run in the store's ``findings`` table, read back by source and run.

``aisec assess`` (``aisec.posture``), ``aisec redteam`` and ``aisec robustness`` each record
their runs here under their own ``source``, so the posture report and monitors read every
check's findings from one table. :func:`insert_findings` and :func:`select_findings` work
inside a caller's transaction; :func:`record_findings` and :func:`read_findings` open one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aisec.core.findings import Finding
from aisec.core.store import Connection, Store

__all__ = ["insert_findings", "read_findings", "record_findings", "select_findings"]


def insert_findings(
    conn: Connection, *, source: str, run_id: str, created: Any, findings: Sequence[Finding]
) -> None:
    """Insert ``findings`` as run ``run_id`` of ``source``; ``created`` is a
    ``conn.time_param`` value."""
    conn.executemany(
        "INSERT INTO findings (run_id, source, created, rule_id, title, severity, asset, "
        "location, evidence, frameworks, remediation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                run_id[:64],
                source[:100],
                created,
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


def select_findings(conn: Connection, *, source: str, run_id: str | None = None) -> list[Finding]:
    """The findings ``source`` stored (of one run when ``run_id`` is given), oldest first."""
    sql = f"SELECT {', '.join(_COLUMNS)} FROM findings WHERE source = ?"  # noqa: S608 (constants)
    params = [source]
    if run_id is not None:
        sql += " AND run_id = ?"
        params.append(run_id)
    rows = conn.execute(sql + " ORDER BY id", params).fetchall()
    return [Finding.from_dict(_row_dict(row)) for row in rows]


_COLUMNS = ("rule_id", "title", "severity", "asset", "location", "evidence", "frameworks",
            "remediation")  # fmt: skip


def _row_dict(row: Sequence[Any]) -> dict[str, Any]:
    data = dict(zip(_COLUMNS, row, strict=True))
    for key in ("location", "frameworks"):  # JSON text on SQLite, JSON values on PostgreSQL
        if isinstance(data[key], str):
            data[key] = json.loads(data[key])
    return data


def record_findings(store: Store, *, source: str, run_id: str, findings: Sequence[Finding]) -> None:
    """Store ``findings`` as one run of ``source`` (one transaction)."""
    with store.write() as conn:
        created = conn.time_param(datetime.now(UTC))
        insert_findings(conn, source=source, run_id=run_id, created=created, findings=findings)


def read_findings(store: Store, *, source: str, run_id: str | None = None) -> list[Finding]:
    """The findings ``source`` stored (of one run when ``run_id`` is given), oldest first."""
    with store.read() as conn:
        return select_findings(conn, source=source, run_id=run_id)
