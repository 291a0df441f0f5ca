"""Text that did not come from aisec never drives the terminal, in any command's output.

Each test feeds rich markup, ANSI escapes, bidi overrides/isolates and C0 controls through
one command's table output (or its error line) and asserts the exact visible text and the
exit code. Only ``aisec.cli.main.main`` is used, so the same file runs against older code.
"""

from __future__ import annotations

import base64
import os
import pickle
import unicodedata
import zipfile
from pathlib import Path

import pytest

from aisec.cli.main import main

# markup that closes a tag never opened (crashed rich), markup that hides or recolours,
# an ANSI clear-screen, a right-to-left override, a left-to-right isolate, a bell
HOSTILE = "[/b][hidden]x\x1b[2J\u202egnp.\u2066y\x07"
SHOWN = "[/b][hidden]x\\x1b[2J\\u202egnp.\\u2066y\\x07"


class _Reduce:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned",))


MALICIOUS = pickle.dumps(_Reduce(), protocol=2)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


def _inert(text: str) -> bool:
    """No control or format character other than the newlines ending lines."""
    return not any(
        unicodedata.category(c) in {"Cc", "Cf", "Cs", "Zl", "Zp"} and c != "\n" for c in text
    )


@pytest.fixture
def master_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())


def test_scan_table_escapes_a_hostile_zip_member_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with zipfile.ZipFile("m.zip", "w") as z:
        z.writestr(HOSTILE + ".pkl", MALICIOUS)
    rc, out, err = _run(capsys, "scan", "m.zip")
    assert rc == 1, err
    assert f"m.zip!/{SHOWN}.pkl" in out
    assert "critical" in out and "pickle-dangerous-call" in out
    assert _inert(out) and _inert(err)


def test_scan_table_escapes_a_hostile_file_name(capsys: pytest.CaptureFixture[str]) -> None:
    # a file name cannot hold '/': "[b]" opens a tag; bytes that are not UTF-8 come back
    # from the OS as lone surrogates, which would crash the output encoder
    Path(HOSTILE.replace("/", "") + ".pkl").write_bytes(MALICIOUS)
    Path(os.fsdecode(b"bad\xff.pkl")).write_bytes(MALICIOUS)
    rc, out, err = _run(capsys, "scan", ".")
    assert rc == 1, err
    assert SHOWN.replace("/", "") + ".pkl" in out
    assert "bad\\udcff.pkl" in out
    assert out.count("pickle-dangerous-call") == 2
    assert _inert(out) and _inert(err)


def test_scan_error_line_escapes_a_missing_hostile_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc, _out, err = _run(capsys, "scan", HOSTILE)
    assert rc == 2
    assert err == f"aisec: error: {SHOWN}: no such file or folder\n"


def test_audit_tail_escapes_hostile_targets_and_details(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _run(capsys, "audit", "record", "a1", "--target", "[/bold]x\u202e")[0] == 0
    assert _run(capsys, "audit", "record", "a2", "-t", "t", "-d", "note=[red]\x1b[2Jz")[0] == 0
    assert _run(capsys, "audit", "record", "a3", "-t", "t", "-d", "password=hunter22")[0] == 0
    rc, out, err = _run(capsys, "audit", "tail", "-n", "3")
    assert rc == 0, err
    assert "[/bold]x\\u202e" in out
    assert "note=[red]\\x1b[2Jz" in out
    assert "password=[redacted]" in out
    assert _inert(out)


def test_guard_scan_table_shows_hostile_redacted_text_escaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc, out, err = _run(capsys, "guard", "scan", "[hidden]mail bob@example.com [red]now\x1b[2J")
    assert rc == 0, err
    assert out.startswith("decision: redact")
    assert "redacted: [hidden]mail <EMAIL_1> [red]now\\x1b[2J" in out
    assert _inert(out)


def test_keys_create_refuses_a_hostile_name_with_an_escaped_error(
    capsys: pytest.CaptureFixture[str], master_key: None
) -> None:
    rc, _out, err = _run(capsys, "keys", "create", HOSTILE)
    assert rc == 2
    assert err.startswith("aisec: error: ") and err.count("\n") == 1
    assert _inert(err)


def test_encrypt_error_line_escapes_a_hostile_file_name(
    capsys: pytest.CaptureFixture[str], master_key: None
) -> None:
    assert _run(capsys, "keys", "create", "files")[0] == 0
    rc, _out, err = _run(capsys, "encrypt", HOSTILE, "out.aisec", "--key", "files")
    assert rc == 2
    assert err == f"aisec: error: {SHOWN}: no such file\n"


def test_decrypt_error_line_escapes_a_hostile_file_name(
    capsys: pytest.CaptureFixture[str], master_key: None
) -> None:
    rc, _out, err = _run(capsys, "decrypt", HOSTILE, "out.bin")
    assert rc == 2
    assert err == f"aisec: error: {SHOWN}: no such file\n"


def test_encrypt_fields_error_on_binary_garbage_is_a_short_escaped_line(
    capsys: pytest.CaptureFixture[str], master_key: None
) -> None:
    assert _run(capsys, "keys", "create", "pii")[0] == 0
    garbage = bytes(range(256)) * 8  # every byte, controls and ESC included: 2 KB
    Path("g.csv").write_bytes(garbage)
    rc, _out, err = _run(capsys, "data", "encrypt-fields", "g.csv", "o.csv", "-k", "pii",
                        "--fields", "a")  # fmt: skip
    assert rc == 2
    assert err.startswith("aisec: error: ") and err.count("\n") == 1
    assert len(err) < 330
    assert _inert(err)


def test_policy_check_error_line_escapes_a_hostile_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc, _out, err = _run(capsys, "policy", "check", HOSTILE)
    assert rc == 2
    assert SHOWN in err
    assert _inert(err)
