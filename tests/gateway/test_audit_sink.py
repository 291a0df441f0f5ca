"""The gateway's audit sink: batched writes keep every event, in order, on a real log."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from aisec.core.audit import AuditKey, AuditLog
from aisec.core.store import open_store
from aisec.gateway._audit_sink import AuditSink


def _log(home: Path) -> AuditLog:
    url = f"sqlite:///{home / 'aisec.db'}"
    return AuditLog(open_store(url), AuditKey(home / "audit.key"), home / "audit.witness")


def test_more_events_than_a_batch_are_written_in_order_and_a_malformed_one_dropped(
    aisec_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = _log(aisec_home)
    sink = AuditSink(log, interval=0.01)
    for i in range(1200):
        actor = "bad\nactor" if i == 7 else "p"
        assert sink.emit(actor, "gateway.request", f"r-{i}", "ok", {"i": i})
    sink.close()
    assert sink.error is None
    events = log.tail(2000)
    assert [e.details["i"] for e in events] == [i for i in range(1200) if i != 7]
    assert log.verify() == []
    assert "audit event dropped: audit: actor must be" in capsys.readouterr().err


def test_a_failed_batch_stays_first_in_line_and_is_written_when_the_store_is_back(
    aisec_home: Path,
) -> None:
    log = _log(aisec_home)
    log.append("p", "setup", "t")
    sink = AuditSink(log, interval=3600)  # drained by hand below
    with sqlite3.connect(aisec_home / "aisec.db") as conn:
        conn.execute("ALTER TABLE audit_events RENAME TO audit_events_away")
    for i in range(3):
        sink.emit("p", "gateway.request", f"r-{i}", "ok", {"i": i})
    assert not sink._drain()
    assert (sink.error or "").startswith("audit store: ")
    sink.emit("p", "gateway.request", "r-3", "ok", {"i": 3})
    with sqlite3.connect(aisec_home / "aisec.db") as conn:
        conn.execute("ALTER TABLE audit_events_away RENAME TO audit_events")
    assert sink._drain()
    assert sink.error is None
    sink.close()
    assert [e.target for e in log.tail(4)] == ["r-0", "r-1", "r-2", "r-3"]
    assert log.verify() == []
