"""Alerts: deduplicated and grouped by rule and subject, stored, acknowledged.

An alarm of a (rule, subject) group folds into the group's open alert, or into its last
acknowledged one while it is within ``cooldown_s`` of that alert's last alarm; otherwise
it opens a new alert. Evidence holds signal names, counts and rates, the principal and
the key's public prefix: never a prompt, a prompt digest or a secret.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aisec.core.errors import InputError
from aisec.core.findings import Severity
from aisec.core.rules import lookup
from aisec.core.store import Connection, Store
from aisec.monitor._signals import Alarm

__all__ = ["Alert", "AlertBook", "AlertNotFoundError"]

_COLUMNS = (
    "id, group_key, rule_id, subject, severity, status, title, first_seen, last_seen,"
    " count, evidence, playbook, created, acked_by, acked_at, note"
)
_MAX_LIST = 10_000


class AlertNotFoundError(InputError):
    """No alert has that id."""


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="microseconds")


def group_key(rule_id: str, subject: str) -> str:
    return hashlib.sha256(f"{rule_id}\0{subject}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    rule_id: str
    subject: str
    severity: Severity
    status: str
    title: str
    first_seen: str
    last_seen: str
    count: int
    evidence: dict[str, Any]
    playbook: str | None
    created: datetime
    acked_by: str | None = None
    acked_at: datetime | None = None
    note: str | None = None

    @property
    def frameworks(self) -> list[str]:
        return [str(r) for r in lookup(self.rule_id).frameworks]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule_id": self.rule_id,
            "subject": self.subject,
            "severity": self.severity.value,
            "status": self.status,
            "title": self.title,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "count": self.count,
            "evidence": self.evidence,
            "frameworks": self.frameworks,
            "playbook": self.playbook,
            "created": self.created.isoformat(timespec="seconds"),
            "acked_by": self.acked_by,
            "acked_at": self.acked_at.isoformat(timespec="seconds") if self.acked_at else None,
            "note": self.note,
        }


def _row(row: Sequence[Any]) -> Alert:
    (aid, _g, rule_id, subject, sev, status, title, first, last, count, ev, pb, created) = row[:13]
    acked_by, acked_at, note = row[13:16]
    return Alert(
        id=str(aid),
        rule_id=str(rule_id),
        subject=str(subject),
        severity=Severity.parse(str(sev)),
        status=str(status),
        title=str(title),
        first_seen=str(first),
        last_seen=str(last),
        count=int(count),
        evidence=json.loads(ev),
        playbook=pb,
        created=Connection.time_value(created),
        acked_by=acked_by,
        acked_at=Connection.time_value(acked_at) if acked_at is not None else None,
        note=note,
    )


def _evidence(old: dict[str, Any] | None, alarm: Alarm) -> dict[str, Any]:
    ev: dict[str, Any] = dict(old or {})
    ev.setdefault("subject", alarm.subject)
    if alarm.principal is not None:
        ev["principal"] = alarm.principal
    if alarm.subject.startswith("key:"):
        ev["key_prefix"] = alarm.subject.removeprefix("key:")
    for key, value in alarm.params:  # playbook parameters, e.g. scanners=a,b
        names = [n for n in str(ev.get(key, "")).split(",") if n]
        ev[key] = ",".join(sorted({*names, value}))
    signals: dict[str, Any] = dict(ev.get("signals", {}))
    sig = dict(signals.get(alarm.signal, {}))
    sig["alarms"] = int(sig.get("alarms", 0)) + 1
    u = alarm.unit
    sig[f"baseline_{u}"] = alarm.baseline_per_min
    if alarm.signal == "output_length":  # a shift either way: keep the latest, not a peak
        sig[f"observed_{u}"] = alarm.observed_per_min
    else:
        sig[f"peak_{u}"] = max(float(sig.get(f"peak_{u}", 0.0)), alarm.observed_per_min)
        if alarm.baseline_per_min > 0:
            sig["peak_ratio"] = round(sig[f"peak_{u}"] / alarm.baseline_per_min, 1)
    signals[alarm.signal] = sig
    ev["signals"] = dict(sorted(signals.items()))
    ev["first_event_seq"] = ev.get("first_event_seq", alarm.seq)
    ev["last_event_seq"] = alarm.seq
    return ev


class AlertBook:
    """The alerts in a store."""

    def __init__(self, store: Store, cooldown_s: float = 3600.0) -> None:
        self.store = store
        self.cooldown_s = cooldown_s

    def raise_alarms(
        self, alarms: Iterable[Alarm], playbooks: dict[str, str] | None = None
    ) -> list[Alert]:
        """Store the alarms; returns the alerts that were opened (not those folded into)."""
        with self.store.write() as conn:
            opened = self.raise_alarms_in(conn, alarms, playbooks)
        return [self.get(a) for a in opened]

    def raise_alarms_in(
        self, conn: Connection, alarms: Iterable[Alarm], playbooks: dict[str, str] | None = None
    ) -> list[str]:
        """:meth:`raise_alarms` inside the caller's transaction; returns the new ids."""
        opened: list[str] = []
        now = datetime.now(UTC)
        for alarm in alarms:
            gk = group_key(alarm.rule_id, alarm.subject)
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM monitor_alerts WHERE group_key = ?"  # noqa: S608
                " ORDER BY created DESC, first_seen DESC LIMIT 1",
                (gk,),
            ).fetchone()
            when = _iso(alarm.t)
            if row is not None:
                last = _row(row)
                gap = alarm.t - datetime.fromisoformat(last.last_seen).timestamp()
                if last.status == "open" or gap <= self.cooldown_s:
                    conn.execute(
                        "UPDATE monitor_alerts SET last_seen = ?, count = count + 1,"
                        " evidence = ? WHERE id = ?",
                        (
                            max(when, last.last_seen),
                            json.dumps(_evidence(last.evidence, alarm), sort_keys=True),
                            last.id,
                        ),
                    )
                    continue
            rule = lookup(alarm.rule_id)
            aid = secrets.token_hex(8)
            conn.execute(
                f"INSERT INTO monitor_alerts ({_COLUMNS})"  # noqa: S608
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    aid,
                    gk,
                    rule.id,
                    alarm.subject[:300],
                    rule.severity.value,
                    "open",
                    rule.title[:300],
                    when,
                    when,
                    1,
                    json.dumps(_evidence(None, alarm), sort_keys=True),
                    (playbooks or {}).get(rule.id),
                    conn.time_param(now),
                    None,
                    None,
                    None,
                ),
            )
            opened.append(aid)
        return opened

    def get(self, alert_id: str) -> Alert:
        with self.store.read() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM monitor_alerts WHERE id = ?",  # noqa: S608
                (alert_id,),
            ).fetchone()
        if row is None:
            raise AlertNotFoundError(f"no alert {alert_id[:64]!r}; list them: aisec alerts list")
        return _row(row)

    def list(self, status: str | None = None, limit: int = 100) -> list[Alert]:
        limit = max(1, min(limit, _MAX_LIST))
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        with self.store.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM monitor_alerts {where}"  # noqa: S608
                " ORDER BY created DESC, first_seen DESC LIMIT ?",
                (*params, limit),
            ).fetchall()
        return [_row(r) for r in rows]

    def ack(self, alert_id: str, actor: str, note: str | None = None) -> tuple[Alert, bool]:
        """Acknowledge an alert; returns it and whether it changed (False: already acked)."""
        current = self.get(alert_id)
        if current.status == "acked":
            return current, False
        with self.store.write() as conn:
            conn.execute(
                "UPDATE monitor_alerts SET status = 'acked', acked_by = ?, acked_at = ?, note = ?"
                " WHERE id = ? AND status = 'open'",
                (actor, conn.time_param(datetime.now(UTC)), (note or "")[:2000] or None, alert_id),
            )
        return self.get(alert_id), True
