"""Named input files are read bounded: devices and pipes never hang a command."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aisec.cli.main import main
from aisec.core.errors import InputError
from aisec.core.inputs import read_bounded, read_text_bounded

DEV_ZERO = Path("/dev/zero")


def test_device_is_refused_not_read_forever() -> None:
    with pytest.raises(InputError, match="not a regular file"):
        read_bounded(DEV_ZERO, 1024)


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        read_bounded(fifo, 1024)


def test_over_limit_and_missing(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 11)
    assert read_text_bounded(big, 11) == "x" * 11
    with pytest.raises(InputError, match="over the 10-byte limit"):
        read_bounded(big, 10)
    with pytest.raises(InputError, match="file not found"):
        read_bounded(tmp_path / "nope", 10)


def test_policy_check_of_a_device_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "check", str(DEV_ZERO)]) == 2
    assert "not a regular file" in capsys.readouterr().err


def test_guard_scan_of_a_device_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["guard", "scan", "--file", str(DEV_ZERO)]) == 2
    assert "not a regular file" in capsys.readouterr().err


def test_guard_eval_of_a_device_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["guard", "eval", "--data", str(DEV_ZERO), "--format", "json"]) == 2
    assert "not a regular file" in capsys.readouterr().err
