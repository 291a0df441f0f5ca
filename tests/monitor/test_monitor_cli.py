"""``aisec monitor run``, ``aisec alerts list/show/ack``, ``aisec monitor metrics`` as a
user runs them (real processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from monitor_trace import T0, failed_auth_burst, record

import aisec
from aisec.core.audit import default_log


def _aisec(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(Path(aisec.__file__).resolve().parents[1]))
    return subprocess.run(
        [sys.executable, "-m", "aisec", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_monitor_run_then_list_show_ack_from_the_cli() -> None:
    record(default_log(), failed_auth_burst(T0 + 600))
    run = _aisec("monitor", "run")
    assert run.returncode == 0, run.stderr
    assert "100 events read" in run.stdout and "1 new alerts" in run.stdout
    assert "monitor-failed-auth-burst gateway (playbook: rotate-keys)" in run.stderr  # log sink
    listed = json.loads(_aisec("alerts", "list", "-f", "json").stdout)
    (alert,) = listed
    shown = json.loads(_aisec("alerts", "show", alert["id"]).stdout)
    assert shown["evidence"]["signals"]["failed_auth"]["alarms"] >= 1
    assert shown["playbook"] == "rotate-keys"
    metrics = _aisec("monitor", "metrics").stdout
    assert 'aisec_monitor_alerts_open{rule="monitor-failed-auth-burst",severity="medium"} 1.0' in (
        metrics
    )
    acked = _aisec("alerts", "ack", alert["id"], "--note", "drill")
    assert acked.returncode == 0 and "acknowledged" in acked.stdout
    assert json.loads(_aisec("alerts", "list", "--status", "open", "-f", "json").stdout) == []
    again = _aisec("monitor", "run", "--since", "2026-11-30T00:00:00")
    assert again.returncode == 0 and "0 new alerts" in again.stdout


def test_bad_input_is_a_clear_error_not_a_traceback() -> None:
    for args, message in (
        (("monitor", "run", "--since", "yesterday"), "expected a duration"),
        (("alerts", "show", "nope"), "no alert"),
        (("alerts", "list", "--status", "closed"), "expected open or acked"),
        (("playbook", "run", "revoke-principal", "--param", "principal"), "NAME=VALUE"),
    ):
        done = _aisec(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr and "Traceback" not in done.stderr
