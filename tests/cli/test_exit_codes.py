"""Environment problems are exit 2 with one line of cause and fix; Ctrl-C is exit 130.

Real inputs only: an unreachable port on loopback for the database, a 10,000-deep YAML
file, boto3 with no credentials anywhere, a real ``aisec encrypt`` process sent SIGINT.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aisec.cli.main import main

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # closed again: nothing listens there


def test_unreachable_database_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _free_port()
    monkeypatch.setenv("AISEC_DATABASE_URL", f"postgresql://ci:s3cret@127.0.0.1:{port}/aisec")
    rc, out, err = _run(capsys, "audit", "tail")
    assert rc == 2 and out == ""
    assert err.startswith("aisec: error: cannot connect to the database (")
    assert err.endswith("check AISEC_DATABASE_URL and that the PostgreSQL server is running "
                        "and reachable\n")  # fmt: skip
    assert err.count("\n") == 1 and "s3cret" not in err and "Traceback" not in err


def test_deeply_nested_yaml_policy_is_an_input_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    Path("deep.yaml").write_text("a: " + "[" * 10_000 + "]" * 10_000 + "\n")
    rc, out, err = _run(capsys, "policy", "check", "deep.yaml")
    assert rc == 2 and out == ""
    assert err == (
        "aisec: error: input is nested too deeply to read (Python's recursion limit); "
        "check the policy file (AISEC_POLICY) or the input you gave\n"
    )


def test_deeply_nested_policy_found_by_env_is_an_input_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("deep.yaml").write_text("a: " + "{b: " * 10_000 + "1" + "}" * 10_000 + "\n")
    monkeypatch.setenv("AISEC_POLICY", "deep.yaml")
    rc, out, err = _run(capsys, "guard", "scan", "hello")
    assert rc == 2 and out == "" and "nested too deeply" in err and err.count("\n") == 1


def test_missing_aws_credentials_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("boto3")
    for var in list(os.environ):
        if var.startswith("AWS_") and var != "AWS_CA_BUNDLE":
            monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-role lookup
    monkeypatch.setenv("AISEC_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    arn = "aws-kms://arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    rc, out, err = _run(capsys, "keys", "create", "k", "--backend", "aws-kms", "--kms-key", arn)
    assert rc == 2 and out == ""
    assert err.startswith("aisec: error: AWS credentials not found (Unable to locate credentials)")
    assert "AWS_ACCESS_KEY_ID" in err and err.count("\n") == 1


def _writing(folder: Path) -> bool:
    for path in folder.iterdir():
        try:
            if path.stat().st_size > 0:
                return True
        except FileNotFoundError:
            pass
    return False


def test_ctrl_c_during_streaming_encrypt_exits_130_with_one_line(
    tmp_path: Path, aisec_home: Path
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": SRC,
        "AISEC_HOME": str(aisec_home),
        "AISEC_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
    }
    aisec = [sys.executable, "-m", "aisec"]
    subprocess.run([*aisec, "keys", "create", "s", "--purpose", "streaming"],
                   env=env, check=True, capture_output=True, timeout=120)  # fmt: skip
    src, out_dir = tmp_path / "big.bin", tmp_path / "out"
    out_dir.mkdir()
    with src.open("wb") as fh:  # sparse: costs no disk, reads as zeros
        fh.truncate(8 << 30)
    proc = subprocess.Popen(
        [*aisec, "encrypt", str(src), str(out_dir / "big.aisec"), "--key", "s"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        # the output's temporary file grows once the stream is being written (waiting for
        # bytes, not just the file, keeps the signal off the instant between mkstemp and
        # the cleanup handler of core.crypto._atomic: see the report)
        while not _writing(out_dir):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "encrypt never started writing"
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130
    assert err == "aisec: error: interrupted\n"
    assert list(out_dir.iterdir()) == []  # no partial output left behind
