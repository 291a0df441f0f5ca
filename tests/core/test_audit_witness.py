"""Truncation and rollback of the audit log (issue 11 §2): each attack by name.

The attacker can write the database (and, in the last cases, the whole of AISEC_HOME) but
does not hold the audit key. Each test builds the attack on a real SQLite file and
asserts the exact rule ``aisec audit verify`` reports.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from aisec.cli.main import main
from aisec.core.audit import CHECKPOINT_EVERY, AuditKey, AuditLog, reset_default
from aisec.core.errors import ConfigError
from aisec.core.store import open_store
from aisec.core.witness import WITNESS_ENV, Witness, witness_line


def _log(home: Path, external: tuple[Path, ...] = ()) -> AuditLog:
    home.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{home / 'aisec.db'}"
    return AuditLog(open_store(url), AuditKey(home / "audit.key"), home / "audit.witness", external)


def _fill(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.append("alice", "model.promoted", f"model-{i}")


def _sql(home: Path, statement: str, *params: int) -> None:
    with sqlite3.connect(home / "aisec.db") as conn:
        conn.execute(statement, params)


def _rules(log: AuditLog) -> list[tuple[str, str | None]]:
    return [(f.rule_id, f.location.pointer) for f in log.verify()]


def _copy_db(home: Path, to: Path) -> None:
    """A consistent copy of the live database (what a backup tool makes)."""
    with sqlite3.connect(home / "aisec.db") as src, sqlite3.connect(to) as dst:
        src.backup(dst)


def _restore_db(log: AuditLog, home: Path, copy: Path) -> None:
    log.store.close()
    with sqlite3.connect(copy) as src, sqlite3.connect(home / "aisec.db") as dst:
        src.backup(dst)


def test_intact_log_is_witnessed_on_every_event(aisec_home: Path) -> None:
    log = _log(aisec_home)
    _fill(log, 7)
    lines = Witness(aisec_home / "audit.witness").read_lines(log.key.witness_key)
    assert [x.seq for x in lines or []] == [1, 2, 3, 4, 5, 6, 7]
    report = log.verify_report()
    assert report.findings == []
    assert [w.status for w in report.witnesses] == ["matches"]


def test_delete_last_event_caught(aisec_home: Path) -> None:
    log = _log(aisec_home)
    _fill(log, 10)
    _sql(aisec_home, "DELETE FROM audit_events WHERE seq = 10")
    assert _rules(log) == [("audit-log-truncated", "/events/10")]


def test_delete_last_five_events_caught(aisec_home: Path) -> None:
    log = _log(aisec_home)
    _fill(log, 10)
    _sql(aisec_home, "DELETE FROM audit_events WHERE seq > 5")
    assert _rules(log) == [("audit-log-truncated", "/events/6")]


def test_delete_everything_after_newest_checkpoint_caught(aisec_home: Path) -> None:
    log = _log(aisec_home)
    _fill(log, CHECKPOINT_EVERY + 37)  # the newest checkpoint is at event 100
    _sql(aisec_home, "DELETE FROM audit_events WHERE seq > ?", CHECKPOINT_EVERY)
    assert _rules(log) == [("audit-log-truncated", f"/events/{CHECKPOINT_EVERY + 1}")]


def test_delete_every_event_and_checkpoint_caught(aisec_home: Path) -> None:
    log = _log(aisec_home)
    _fill(log, CHECKPOINT_EVERY + 3)
    _sql(aisec_home, "DELETE FROM audit_events")
    _sql(aisec_home, "DELETE FROM audit_checkpoints")
    assert _rules(log) == [("audit-log-truncated", "/events/1")]
    evidence = log.verify()[0].evidence
    assert "saw event 103; the log has no events" in evidence


def test_delete_events_checkpoints_and_witness_file_caught(aisec_home: Path) -> None:
    log = _log(aisec_home)
    _fill(log, 12)
    _sql(aisec_home, "DELETE FROM audit_events WHERE seq > 4")
    _sql(aisec_home, "DELETE FROM audit_checkpoints")
    (aisec_home / "audit.witness").unlink()
    assert _rules(log) == [("audit-witness-missing", None)]


def test_truncate_then_append_new_events_caught(aisec_home: Path) -> None:
    """Remove the tail, then let normal use append new events over the gap."""
    log = _log(aisec_home)
    _fill(log, 10)
    _sql(aisec_home, "DELETE FROM audit_events WHERE seq > 6")
    _fill(log, 8)  # the log grows past its old head: seq 7.. are other events now
    assert ("audit-log-rolled-back", "/events/7") in _rules(log)


def test_restore_older_copy_of_the_database_caught(aisec_home: Path, tmp_path: Path) -> None:
    log = _log(aisec_home)
    _fill(log, 20)
    _copy_db(aisec_home, tmp_path / "backup.db")
    _fill(log, 5)
    _restore_db(log, aisec_home, tmp_path / "backup.db")
    assert _rules(_log(aisec_home)) == [("audit-log-truncated", "/events/21")]


def test_restore_older_copy_of_the_database_then_regrow_caught(
    aisec_home: Path, tmp_path: Path
) -> None:
    log = _log(aisec_home)
    _fill(log, 20)
    _copy_db(aisec_home, tmp_path / "backup.db")
    _fill(log, 5)
    _restore_db(log, aisec_home, tmp_path / "backup.db")
    log = _log(aisec_home)
    _fill(log, 9)  # now longer than before the rollback
    assert _rules(log) == [("audit-log-rolled-back", "/events/21")]


def test_restore_older_db_with_older_local_witness_is_out_of_scope_locally(
    aisec_home: Path, tmp_path: Path
) -> None:
    """Documented limit: the local witness lives in AISEC_HOME next to the database, so
    restoring both from one old backup is not visible to it; verify says so plainly."""
    log = _log(aisec_home)
    _fill(log, 20)
    _copy_db(aisec_home, tmp_path / "backup.db")
    shutil.copy2(aisec_home / "audit.witness", tmp_path / "backup.witness")
    _fill(log, 5)
    _restore_db(log, aisec_home, tmp_path / "backup.db")
    shutil.copy2(tmp_path / "backup.witness", aisec_home / "audit.witness")
    report = _log(aisec_home).verify_report()
    assert report.findings == []
    assert any(
        line.startswith(
            "cannot prove: that the database and the local witness were not rolled back together"
        )
        for line in report.statement()
    )


def test_restore_older_db_with_older_local_witness_caught_by_external_witness(
    aisec_home: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere" / "audit.witness"
    outside.parent.mkdir()
    log = _log(aisec_home, (outside,))
    _fill(log, 20)
    _copy_db(aisec_home, tmp_path / "backup.db")
    shutil.copy2(aisec_home / "audit.witness", tmp_path / "backup.witness")
    _fill(log, 5)
    _restore_db(log, aisec_home, tmp_path / "backup.db")
    shutil.copy2(tmp_path / "backup.witness", aisec_home / "audit.witness")
    report = _log(aisec_home, (outside,)).verify_report()
    assert [(f.rule_id, f.location.pointer) for f in report.findings] == [
        ("audit-log-truncated", "/events/21")
    ]
    assert f"external witness {outside} saw event 25" in report.findings[0].evidence
    assert [w.status for w in report.witnesses] == ["matches", "contradicts the log"]


def _chattr(flag: str, path: Path) -> bool:
    exe = shutil.which("chattr")
    if exe is None:
        return False
    done = subprocess.run([exe, flag, str(path)], capture_output=True, check=False)
    return done.returncode == 0


def test_external_witness_on_an_append_only_file(aisec_home: Path, tmp_path: Path) -> None:
    """With ``chattr +a`` even root's rewrite of the witness fails, while aisec appends."""
    outside = tmp_path / "append-only.witness"
    outside.touch(mode=0o600)
    if not _chattr("+a", outside):
        pytest.skip("chattr +a is not available here (needs root and ext4/xfs/btrfs)")
    try:
        log = _log(aisec_home, (outside,))
        _fill(log, 6)
        with pytest.raises(PermissionError):
            outside.write_bytes(b"")  # the attacker's truncation of the external witness
        _sql(aisec_home, "DELETE FROM audit_events WHERE seq > 2")
        (aisec_home / "audit.witness").unlink()
        rules = _rules(log)
        assert ("audit-log-truncated", "/events/3") in rules
    finally:
        _chattr("-a", outside)


def test_forged_witness_line_caught(aisec_home: Path) -> None:
    log = _log(aisec_home)
    _fill(log, 3)
    forged = witness_line(b"\0" * 32, 1, "0" * 64, "2026-01-01T00:00:00+00:00")
    with (aisec_home / "audit.witness").open("ab") as fh:
        fh.write(forged)
    assert _rules(log) == [("audit-witness-invalid", None)]


def test_torn_last_witness_line_is_not_an_alarm(aisec_home: Path) -> None:
    log = _log(aisec_home)
    _fill(log, 3)
    with (aisec_home / "audit.witness").open("ab") as fh:
        fh.write(b'{"seq":4,"ha')  # a crash in the middle of a write
    assert log.verify() == []


def test_unwritable_witness_fails_the_append_loudly(aisec_home: Path, tmp_path: Path) -> None:
    log = _log(aisec_home, (tmp_path / "no-such-folder" / "w",))
    with pytest.raises(ConfigError, match="audit event 1 was stored, but audit external witness"):
        log.append("alice", "x", "y")


def test_local_witness_is_compacted_and_keeps_its_newest_head(aisec_home: Path) -> None:
    log = _log(aisec_home)
    _fill(log, 2600)  # ~100 bytes a line: past the 256 KiB compaction size once
    path = aisec_home / "audit.witness"
    assert path.stat().st_size < 256 * 1024
    _sql(aisec_home, "DELETE FROM audit_events WHERE seq > 2590")
    assert _rules(log) == [("audit-log-truncated", "/events/2591")]


def test_min_events_and_since_let_a_monitor_see_shrinking(
    aisec_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(6):
        assert main(["audit", "record", "model.deployed", "--target", f"m{i}"]) == 0
    capsys.readouterr()
    assert main(["audit", "verify", "--min-events", "6"]) == 0
    out = capsys.readouterr()
    assert "audit log intact: 6 event(s) verified" in out.out
    head = next(x for x in out.out.splitlines() if x.strip().startswith("head "))
    since = head.split()[1]
    assert since.startswith("6:")
    assert main(["audit", "verify", "--since", since]) == 0
    capsys.readouterr()
    # The attacker removes the tail *and* the local witness: only the monitor's memory
    # (what it saw last time) still tells.
    reset_default()
    _sql(aisec_home, "DELETE FROM audit_events WHERE seq > 3")
    for witness in aisec_home.glob("audit-*.witness"):
        witness.unlink()
    assert main(["audit", "verify", "--min-events", "6", "--format", "json"]) == 1
    assert '"rule_id": "audit-log-shrunk"' in capsys.readouterr().out
    assert main(["audit", "verify", "--since", since, "--format", "json"]) == 1
    assert '"audit-log-shrunk"' in capsys.readouterr().out
    assert main(["audit", "verify", "--since", "nonsense"]) == 2


def test_verify_cli_says_what_it_proves(
    aisec_home: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(["audit", "record", "model.deployed", "--target", "m1"]) == 0
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "local witness" in out and "agrees with the log up to its head (event 1)" in out
    assert "cannot prove: that the database and the local witness were not rolled back" in out
    reset_default()
    outside = tmp_path / "ext.witness"
    monkeypatch.setenv(WITNESS_ENV, str(outside))
    assert main(["audit", "checkpoint"]) == 0  # starts the newly configured witness
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert f"external witness {outside}: agrees with the log up to its head" in out
    assert "cannot prove: that the database and the local witness" not in out
