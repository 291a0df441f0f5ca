from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from aisec import __version__
from aisec.cli.main import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"aisec {__version__}"


def test_help_lists_command_groups(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for group in ("init", "policy", "audit", "access"):
        assert group in out


def test_unknown_command_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_init_is_idempotent_and_keeps_keys_private(
    aisec_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    key = (aisec_home / "audit.key").read_bytes()
    assert main(["init"]) == 0
    assert (aisec_home / "audit.key").read_bytes() == key
    for name in ("audit.key", "aisec.yaml"):
        assert stat.S_IMODE((aisec_home / name).stat().st_mode) == 0o600
    assert stat.S_IMODE(aisec_home.stat().st_mode) == 0o700
    out = capsys.readouterr().out
    assert "policy" in out and "(kept)" in out
    assert main(["policy", "check", str(aisec_home / "aisec.yaml")]) == 0
    assert main(["audit", "verify"]) == 0


def test_console_script_runs_as_a_process(aisec_home: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "aisec", "policy", "check", "missing.yaml"],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("aisec: error: policy missing.yaml: file not found")
    assert "Traceback" not in proc.stderr
