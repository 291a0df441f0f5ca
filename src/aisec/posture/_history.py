"""Assessments in the store: each run, its findings and the tree's assets, so the next run
of the same tree can say what is new and what was fixed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aisec.core.findings import Finding
from aisec.core.store.findings import insert_findings, select_findings
from aisec.posture._evaluate import AssetLike
from aisec.posture._report import Changes

if TYPE_CHECKING:
    from aisec.core.store import Connection, Store

__all__ = ["changes_since_last", "fingerprint", "record_run", "root_key"]

_SOURCE = "assess"
_ASSET_NAME_MAX = 500


def root_key(root: str) -> str:
    """A stable key for an assessed tree (its resolved path or URL)."""
    return hashlib.sha256(root.encode("utf-8", "surrogateescape")).hexdigest()


def fingerprint(f: Finding) -> tuple[str, str, str]:
    """What identifies a finding across runs: rule, file and asset (lines move as code
    is edited, so they are left out)."""
    return (f.rule_id, f.location.path or "", f.asset)


def _previous(conn: Connection, key: str) -> tuple[str, datetime] | None:
    row = conn.execute(
        "SELECT run_id, created FROM assess_runs WHERE root_key = ? ORDER BY created DESC LIMIT 1",
        (key,),
    ).fetchone()
    return None if row is None else (str(row[0]), conn.time_value(row[1]))


def _findings_of(conn: Connection, run_id: str) -> list[Finding]:
    return select_findings(conn, source=_SOURCE, run_id=run_id)


def changes_since_last(store: Store, root: str, findings: Sequence[Finding]) -> Changes:
    """New and fixed findings against the last recorded run of ``root``."""
    with store.read() as conn:
        prev = _previous(conn, root_key(root))
        if prev is None:
            return Changes()
        old = _findings_of(conn, prev[0])
    before = {fingerprint(f) for f in old}
    now = {fingerprint(f) for f in findings}
    return Changes(
        previous_run=prev[0],
        previous_time=prev[1].isoformat(timespec="seconds"),
        new=tuple(f for f in findings if fingerprint(f) not in before),
        fixed=tuple(f for f in old if fingerprint(f) not in now),
    )


def _asset_name(key: str, a: AssetLike) -> str:
    name = f"{key[:16]}:{a.path}:{a.line or 0}:{a.name}"
    if len(name) <= _ASSET_NAME_MAX:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return name[: _ASSET_NAME_MAX - 17] + "~" + digest


def _unique(key: str, assets: Sequence[AssetLike]) -> list[tuple[str, AssetLike]]:
    """(stored name, asset), one per stored row: two assets of one kind with the same
    place and name are one row (the upsert could not touch a row twice in one batch)."""
    seen: dict[tuple[str, str], AssetLike] = {}
    for a in assets:
        seen[(a.kind[:50], _asset_name(key, a))] = a
    return [(name, a) for (_, name), a in seen.items()]


def record_run(
    store: Store,
    *,
    root: str,
    run_id: str,
    findings: Sequence[Finding],
    assets: Sequence[AssetLike],
    summary: dict[str, Any],
    now: datetime | None = None,
) -> None:
    """Store the run, its findings (source ``assess``) and the tree's assets in one
    transaction; assets are upserted by kind and a name that includes the tree's key."""
    now = now or datetime.now(UTC)
    key = root_key(root)
    with store.write() as conn:
        t = conn.time_param(now)
        conn.execute(
            "INSERT INTO assess_runs (run_id, root_key, root, created, summary) "
            "VALUES (?, ?, ?, ?, ?)",
            (run_id, key, root[:2000], t, json.dumps(summary, sort_keys=True)),
        )
        insert_findings(conn, source=_SOURCE, run_id=run_id, created=t, findings=findings)
        # one row per asset of this tree, updated in place by the next run (SQLite 3.24+
        # and PostgreSQL both take ON CONFLICT ... DO UPDATE)
        conn.executemany(
            "INSERT INTO assets (kind, name, owner, classification, location, attributes, "
            "updated) VALUES (?, ?, '', '', ?, ?, ?) ON CONFLICT (kind, name) DO UPDATE SET "
            "location = excluded.location, attributes = excluded.attributes, "
            "updated = excluded.updated",
            (
                (
                    a.kind[:50],
                    name,
                    (f"{a.path}:{a.line}" if a.line else a.path)[:2000],
                    json.dumps(
                        {"run_id": run_id, "root": root, "details": dict(a.details)}, default=str
                    ),
                    t,
                )
                for name, a in _unique(key, assets)
            ),
        )
