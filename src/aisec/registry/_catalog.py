"""The registry's rows: models, versions, stage pointers and their history, in plain SQL.

Every function takes a :class:`~aisec.core.store.Connection` inside a transaction the
caller opened; stage changes run in :func:`locked`, which holds the model's row lock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from aisec.core.store import Connection, Store
from aisec.registry._errors import RegistryError
from aisec.registry._files import FileEntry

__all__ = [
    "STAGES",
    "HistoryEntry",
    "ModelVersion",
    "StageState",
    "get_stage",
    "get_version",
    "history",
    "insert_version",
    "last_known_good",
    "list_models",
    "list_versions",
    "locked",
    "move_stage",
    "record_training_data",
    "set_quarantine",
    "stages_of",
    "versions_trained_on",
]

STAGES = ("staging", "production")

_VERSION_COLUMNS = (
    "model, version, kind, manifest_digest, size, file_count, files, scan_verdict, "
    "scan_summary, signer, signature_method, signature_blob, pushed_by, pushed_at, "
    "quarantined, quarantine_reason, quarantined_by, quarantined_at"
)


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One immutable version of a model, as registered."""

    model: str
    version: str
    kind: str  # "file" or "folder"
    manifest_digest: str
    size: int
    files: tuple[FileEntry, ...]
    scan_verdict: str
    scan_summary: dict[str, Any]
    signer: str | None
    signature_method: str | None
    signature_blob: str | None
    pushed_by: str
    pushed_at: datetime
    quarantined: bool = False
    quarantine_reason: str | None = None
    quarantined_by: str | None = None
    quarantined_at: datetime | None = None
    stages: tuple[str, ...] = field(default=())
    training_data: tuple[str, ...] = field(default=())  # data ledger record ids

    @property
    def ref(self) -> str:
        return f"{self.model}:{self.version}"

    def to_dict(self, with_files: bool = True) -> dict[str, Any]:
        """JSON shape of ``aisec registry show``."""
        out: dict[str, Any] = {
            "model": self.model,
            "version": self.version,
            "kind": self.kind,
            "manifest_digest": f"sha256:{self.manifest_digest}",
            "size": self.size,
            "file_count": len(self.files),
            "scan": {"verdict": self.scan_verdict, **self.scan_summary},
            "signature": None
            if self.signature_blob is None
            else {"signer": self.signer, "method": self.signature_method},
            "pushed_by": self.pushed_by,
            "pushed_at": self.pushed_at.isoformat(),
            "quarantined": self.quarantined,
            "quarantine": None
            if not self.quarantined
            else {
                "reason": self.quarantine_reason,
                "by": self.quarantined_by,
                "at": self.quarantined_at.isoformat() if self.quarantined_at else None,
            },
            "stages": list(self.stages),
            "training_data": list(self.training_data),
        }
        if with_files:
            out["files"] = [
                {"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files
            ]
        return out


@dataclass(frozen=True, slots=True)
class StageState:
    """Where a stage of a model points now (``version`` None: nothing there)."""

    model: str
    stage: str
    version: str | None
    override: bool
    reason: str | None
    updated: datetime
    updated_by: str


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One move of a stage: ``action`` promote, override, rollback or auto-rollback."""

    id: int
    stage: str
    version: str | None
    previous: str | None
    action: str
    gate_passed: bool
    reason: str | None
    actor: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "version": self.version,
            "previous": self.previous,
            "action": self.action,
            "gate_passed": self.gate_passed,
            "reason": self.reason,
            "actor": self.actor,
            "at": self.at.isoformat(),
        }


def _now() -> datetime:
    return datetime.now(UTC)


def _version(row: Sequence[Any]) -> ModelVersion:
    t = Connection.time_value
    return ModelVersion(
        model=row[0],
        version=row[1],
        kind=row[2],
        manifest_digest=row[3],
        size=int(row[4]),
        files=tuple(FileEntry.from_dict(d) for d in json.loads(row[6])),
        scan_verdict=row[7],
        scan_summary=json.loads(row[8]),
        signer=row[9],
        signature_method=row[10],
        signature_blob=row[11],
        pushed_by=row[12],
        pushed_at=t(row[13]),
        quarantined=bool(row[14]),
        quarantine_reason=row[15],
        quarantined_by=row[16],
        quarantined_at=t(row[17]) if row[17] is not None else None,
    )


@contextmanager
def locked(store: Store, model: str, create_by: str | None = None) -> Iterator[Connection]:
    """A write transaction holding ``model``'s row lock: ``SELECT … FOR UPDATE`` on
    PostgreSQL; on SQLite ``BEGIN IMMEDIATE`` (the database's write lock) already
    serialises writers. ``create_by``: create the model row first if missing."""
    with store.write() as conn:
        if create_by is not None:
            conn.execute(
                "INSERT INTO registry_models (name, created, created_by) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO NOTHING",
                (model, conn.time_param(_now()), create_by),
            )
        lock = " FOR UPDATE" if conn.dialect == "postgresql" else ""
        found = conn.execute(f"SELECT name FROM registry_models WHERE name = ?{lock}", (model,))  # noqa: S608 - a fixed clause
        if found.fetchone() is None:
            raise RegistryError(f"registry: no model named {model!r} (see: aisec registry list)")
        yield conn


def _training_data(conn: Connection, model: str) -> dict[str, tuple[str, ...]]:
    rows = conn.execute(
        "SELECT version, dataset_id FROM registry_training_data WHERE model = ?"
        " ORDER BY version, dataset_id",
        (model,),
    ).fetchall()
    out: dict[str, list[str]] = {}
    for version, dataset in rows:
        out.setdefault(str(version), []).append(str(dataset))
    return {k: tuple(v) for k, v in out.items()}


def get_version(conn: Connection, model: str, version: str) -> ModelVersion | None:
    row = conn.execute(
        f"SELECT {_VERSION_COLUMNS} FROM registry_versions WHERE model = ? AND version = ?",  # noqa: S608
        (model, version),
    ).fetchone()
    if row is None:
        return None
    data = _training_data(conn, model).get(version, ())
    return replace(_version(row), training_data=data)


def list_versions(conn: Connection, model: str) -> list[ModelVersion]:
    rows = conn.execute(
        f"SELECT {_VERSION_COLUMNS} FROM registry_versions WHERE model = ? ORDER BY id",  # noqa: S608
        (model,),
    ).fetchall()
    data = _training_data(conn, model)
    return [replace(_version(r), training_data=data.get(str(r[1]), ())) for r in rows]


def record_training_data(
    conn: Connection, model: str, version: str, dataset_ids: Sequence[str], actor: str
) -> list[str]:
    """Record that ``model`` ``version`` was trained on the data sets; returns the ids
    that were not recorded before (lineage is only ever added to)."""
    now = conn.time_param(_now())
    added = []
    for dataset in dict.fromkeys(dataset_ids):
        cur = conn.execute(
            "INSERT INTO registry_training_data (model, version, dataset_id, recorded_by,"
            " recorded_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING dataset_id",
            (model, version, dataset, actor, now),
        )
        if cur.fetchone() is not None:
            added.append(dataset)
    return added


def versions_trained_on(conn: Connection, dataset_ids: Sequence[str]) -> list[tuple[str, str]]:
    """(model, version) of every version recorded as trained on one of the data sets."""
    out: set[tuple[str, str]] = set()
    for dataset in dict.fromkeys(dataset_ids):
        rows = conn.execute(
            "SELECT model, version FROM registry_training_data WHERE dataset_id = ?",
            (dataset,),
        ).fetchall()
        out.update((str(m), str(v)) for m, v in rows)
    return sorted(out)


def list_models(conn: Connection) -> list[tuple[str, int, str | None]]:
    """(name, number of versions, newest version) of every model."""
    rows = conn.execute(
        "SELECT m.name, COUNT(v.id), MAX(v.id) FROM registry_models m "
        "LEFT JOIN registry_versions v ON v.model = m.name GROUP BY m.name ORDER BY m.name"
    ).fetchall()
    out = []
    for name, count, newest in rows:
        latest = None
        if newest is not None:
            found = conn.execute(
                "SELECT version FROM registry_versions WHERE id = ?", (newest,)
            ).fetchone()
            latest = found[0] if found else None
        out.append((name, int(count), latest))
    return out


def insert_version(conn: Connection, v: ModelVersion) -> None:
    files = json.dumps([f.to_dict() for f in v.files], separators=(",", ":"), sort_keys=True)
    conn.execute(
        f"INSERT INTO registry_versions ({_VERSION_COLUMNS}) VALUES "  # noqa: S608
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            v.model,
            v.version,
            v.kind,
            v.manifest_digest,
            v.size,
            len(v.files),
            files,
            v.scan_verdict,
            json.dumps(v.scan_summary, sort_keys=True),
            v.signer,
            v.signature_method,
            v.signature_blob,
            v.pushed_by,
            conn.time_param(v.pushed_at),
            False,
            None,
            None,
            None,
        ),
    )


def set_quarantine(
    conn: Connection, model: str, version: str, reason: str | None, actor: str
) -> None:
    """Quarantine (``reason`` given) or release (None) a version."""
    at = conn.time_param(_now()) if reason is not None else None
    conn.execute(
        "UPDATE registry_versions SET quarantined = ?, quarantine_reason = ?, "
        "quarantined_by = ?, quarantined_at = ? WHERE model = ? AND version = ?",
        (reason is not None, reason, actor if reason is not None else None, at, model, version),
    )


def get_stage(conn: Connection, model: str, stage: str) -> StageState | None:
    row = conn.execute(
        "SELECT model, stage, version, override, reason, updated, updated_by "
        "FROM registry_stages WHERE model = ? AND stage = ?",
        (model, stage),
    ).fetchone()
    if row is None:
        return None
    return StageState(
        row[0], row[1], row[2], bool(row[3]), row[4], Connection.time_value(row[5]), row[6]
    )


def stages_of(conn: Connection, model: str) -> dict[str, StageState]:
    out = {}
    for stage in STAGES:
        state = get_stage(conn, model, stage)
        if state is not None:
            out[stage] = state
    return out


def history(conn: Connection, model: str, stage: str | None = None) -> list[HistoryEntry]:
    """Moves of ``model``'s stages (one stage, or all), oldest first."""
    sql = (
        "SELECT id, stage, version, previous, action, gate_passed, reason, actor, at "
        "FROM registry_stage_history WHERE model = ?"
    )
    params: tuple[str, ...] = (model,)
    if stage is not None:
        sql += " AND stage = ?"
        params = (model, stage)
    rows = conn.execute(sql + " ORDER BY id", params).fetchall()
    return [
        HistoryEntry(
            int(r[0]), r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], Connection.time_value(r[8])
        )
        for r in rows
    ]


def move_stage(
    conn: Connection,
    model: str,
    stage: str,
    version: str | None,
    *,
    action: str,
    gate_passed: bool,
    actor: str,
    reason: str | None = None,
) -> str | None:
    """Point ``stage`` at ``version`` and append the move to its history; the version it
    pointed at before."""
    now = conn.time_param(_now())
    current = get_stage(conn, model, stage)
    previous = current.version if current is not None else None
    override = action == "override"
    conn.execute(
        "INSERT INTO registry_stages (model, stage, version, override, reason, updated, "
        "updated_by) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (model, stage) DO UPDATE SET "
        "version = excluded.version, override = excluded.override, reason = excluded.reason, "
        "updated = excluded.updated, updated_by = excluded.updated_by",
        (model, stage, version, override, reason, now, actor),
    )
    conn.execute(
        "INSERT INTO registry_stage_history (model, stage, version, previous, action, "
        "gate_passed, reason, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (model, stage, version, previous, action, gate_passed, reason, actor, now),
    )
    return previous


def last_known_good(conn: Connection, model: str, stage: str) -> str | None:
    """The version ``stage`` should fall back to: newest first, a version that passed its
    gate there, is not the current one, was not itself left by a later rollback, and is
    not quarantined; None when there is none."""
    current = get_stage(conn, model, stage)
    now = current.version if current is not None else None
    left: set[str] = set()  # versions a rollback moved away from: known bad here
    for entry in reversed(history(conn, model, stage)):
        if entry.action in ("rollback", "auto-rollback") and entry.previous is not None:
            left.add(entry.previous)
        if not entry.gate_passed or entry.version is None:
            continue
        if entry.version == now or entry.version in left:
            continue
        v = get_version(conn, model, entry.version)
        if v is not None and not v.quarantined:
            return entry.version
    return None
