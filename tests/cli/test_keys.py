"""CLI: aisec keys …, aisec encrypt/decrypt, aisec data encrypt-fields/decrypt-fields."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aisec.cli.main import main


@pytest.fixture(autouse=True)
def master_key(monkeypatch: pytest.MonkeyPatch, aisec_home: Path) -> str:
    value = base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("AISEC_MASTER_KEY", value)
    monkeypatch.delenv("AISEC_MASTER_PASSPHRASE", raising=False)
    return value


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_modules_import_no_heavy_libraries() -> None:
    code = (
        "import sys, aisec.cli.main\n"
        "heavy = [m for m in ('tink', 'sqlalchemy', 'pyarrow', 'polars', 'numpy', 'hvac', 'boto3')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


_MODULES_AFTER = (
    "import json, sys\n"
    "from aisec.cli.main import main\n"
    "rc = main(sys.argv[1:])\n"
    "print(json.dumps({'rc': rc, 'modules': sorted(sys.modules)}))\n"
)


def _modules_after(*args: str) -> set[str]:
    """Top-level packages a whole `aisec ARGS` process imported (it must exit 0)."""
    proc = subprocess.run(
        [sys.executable, "-c", _MODULES_AFTER, *args], capture_output=True, text=True, check=True
    )
    result = json.loads(proc.stdout.splitlines()[-1])  # after the command's own output
    assert result["rc"] == 0, proc.stderr
    return {m.split(".")[0] for m in result["modules"]}


def test_encrypt_and_decrypt_stay_off_the_heavy_imports(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The 64 MB budget of `aisec encrypt`/`decrypt` (benchmarks/crypto.md) holds because
    they load neither SQLAlchemy/Alembic (the store's queries are plain SQL), nor pyca (the
    audit chain's HMAC key needs no pyca), nor rich (no progress bar off a terminal), while
    still validating the policy and writing the audit log."""
    assert _run(capsys, "init")[0] == 0  # example policy: the command must load and check it
    assert _run(capsys, "keys", "create", "files", "--purpose", "streaming")[0] == 0
    src, enc, dec = tmp_path / "in.bin", tmp_path / "in.bin.aisec", tmp_path / "out.bin"
    src.write_bytes(os.urandom(3 * 2**20 + 5))
    heavy = {"sqlalchemy", "alembic", "rich", "cryptography", "psycopg", "numpy"}
    for args in (
        ("encrypt", str(src), str(enc), "--key", "files"),
        ("decrypt", str(enc), str(dec)),
    ):
        loaded = _modules_after(*args)
        assert loaded & heavy == set(), args[0]
        assert {"tink", "pydantic", "yaml", "sqlite3"} <= loaded, args[0]
    assert dec.read_bytes() == src.read_bytes()
    rc, out, _ = _run(capsys, "audit", "tail", "-n", "2", "--format", "json")
    ops = [e["details"]["op"] for e in json.loads(out)]
    assert rc == 0 and ops == ["encrypt", "decrypt"]
    assert _run(capsys, "audit", "verify")[0] == 0


def test_keys_list_reads_metadata_without_loading_tink(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`aisec keys list` reads store rows only: Tink (~60 ms of start-up) is not loaded,
    and the listing still carries every version and is an audited read."""
    assert _run(capsys, "keys", "create", "files")[0] == 0
    assert _run(capsys, "keys", "rotate", "files")[0] == 0
    assert "tink" not in _modules_after("keys", "list", "--format", "json")
    rc, out, _ = _run(capsys, "keys", "list", "--format", "json")
    (entry,) = json.loads(out)
    assert rc == 0 and entry["primary_version"] == 2
    assert [v["version"] for v in entry["versions"]] == [1, 2]
    rc, out, _ = _run(capsys, "audit", "tail", "-n", "1", "--format", "json")
    (event,) = json.loads(out)
    assert event["action"] == "keys.read" and event["details"]["count"] == 1


def test_keys_lifecycle(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, aisec_home: Path, master_key: str
) -> None:
    assert _run(capsys, "keys", "create", "files", "--purpose", "streaming")[0] == 0
    rc, out, _ = _run(capsys, "keys", "list")
    assert rc == 0 and "files" in out and "streaming" in out and "v1" in out
    rc, out, _ = _run(capsys, "keys", "list", "--format", "json")
    (entry,) = json.loads(out)
    assert entry["name"] == "files" and entry["primary_version"] == 1 and entry["rotated"] is None

    src = tmp_path / "model.bin"
    src.write_bytes(os.urandom(300_000))
    enc = tmp_path / "model.bin.aisec"
    assert _run(capsys, "encrypt", str(src), str(enc), "--key", "files")[0] == 0
    rc, out, _ = _run(capsys, "keys", "rotate", "files")
    assert rc == 0 and "v2" in out
    rc, out, _ = _run(capsys, "keys", "rewrap", str(enc))
    assert rc == 0 and "v1 -> v2" in out
    assert _run(capsys, "keys", "disable", "files", "--version", "1", "--yes")[0] == 0
    dec = tmp_path / "model.out"
    assert _run(capsys, "decrypt", str(enc), str(dec))[0] == 0
    assert dec.read_bytes() == src.read_bytes()

    rc, out, _ = _run(capsys, "keys", "list", "--format", "json")
    (entry,) = json.loads(out)
    assert [v["state"] for v in entry["versions"]] == ["disabled", "enabled"]
    # Nothing ever prints key material: neither the master key nor keyset bytes.
    keyset = (aisec_home / "keys" / "files.tink").read_text()
    for text in (out, keyset):
        assert master_key not in text
    assert '"encryptedKeyset"' in keyset and "keyData" not in keyset


def test_decrypt_tampered_file_exits_2_and_leaves_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _run(capsys, "keys", "create", "files", "--purpose", "streaming")
    src = tmp_path / "a.bin"
    src.write_bytes(b"secret" * 1000)
    enc = tmp_path / "a.aisec"
    _run(capsys, "encrypt", str(src), str(enc), "--key", "files", "--aad", "tenant-1")
    blob = bytearray(enc.read_bytes())
    blob[-5] ^= 0x40
    bad = tmp_path / "bad.aisec"
    bad.write_bytes(bytes(blob))
    out = tmp_path / "out.bin"
    rc, _, err = _run(capsys, "decrypt", str(bad), str(out), "--aad", "tenant-1")
    assert rc == 2 and "failed authentication" in err and "Traceback" not in err
    assert not out.exists()
    rc, _, err = _run(capsys, "decrypt", str(enc), str(out), "--aad", "tenant-2")
    assert rc == 2 and "--aad" in err and not out.exists()
    rc, _, err = _run(capsys, "decrypt", str(src), str(out))
    assert rc == 2 and "not an aisec encrypted file" in err and not out.exists()


def test_rotate_due_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys, "keys", "create", "k1")
    rc, out, _ = _run(capsys, "keys", "rotate", "--due")
    assert rc == 0 and "no key is due" in out
    assert _run(capsys, "keys", "rotate")[0] == 2
    rc, _, err = _run(capsys, "keys", "create", "../evil")
    assert rc == 2 and "key name" in err
    rc, _, err = _run(capsys, "keys", "disable", "k1", "--version", "1", "--yes")
    assert rc == 2 and "rotate it first" in err
    rc, _, err = _run(capsys, "keys", "rotate", "missing")
    assert rc == 2 and "no key named 'missing'" in err


def test_unauthorized_principal_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    policy = tmp_path / "aisec.yaml"
    from aisec.core.identity import os_user

    policy.write_text(
        "access:\n  default_role: null\n  principals:\n    - name: svc\n      roles: [service]\n"
        f"    - {{name: {os_user()}, may_act_as: [svc]}}\n"
    )
    monkeypatch.setenv("AISEC_POLICY", str(policy))
    monkeypatch.setenv("AISEC_PRINCIPAL", "svc")
    rc, _, err = _run(capsys, "keys", "create", "k")
    assert rc == 2 and "may not keys.create" in err


def test_data_encrypt_and_decrypt_fields(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _run(capsys, "keys", "create", "pii")
    _run(capsys, "keys", "create", "join", "--purpose", "deterministic")
    src = tmp_path / "users.csv"
    src.write_bytes(b"id,email,phone\n1,a@x.org,555-0100\n2,b@x.org,555-0101\n")
    enc, out = tmp_path / "users.enc.csv", tmp_path / "users.dec.csv"
    rc, _, err = _run(
        capsys,
        "data",
        "encrypt-fields",
        str(src),
        str(enc),
        "--key",
        "pii",
        "--fields",
        "phone",
        "--deterministic",
        "email",
        "--det-key",
        "join",
    )
    assert rc == 0 and "encrypted 4 cells in 2 rows" in err
    assert b"555-01" not in enc.read_bytes() and b"a@x.org" not in enc.read_bytes()
    rc, _, _ = _run(capsys, "data", "decrypt-fields", str(enc), str(out), "--fields", "phone,email")
    assert rc == 0 and out.read_bytes() == src.read_bytes()
    rc, _, err = _run(
        capsys,
        "data",
        "encrypt-fields",
        str(src),
        str(tmp_path / "x.txt"),
        "--key",
        "pii",
        "--fields",
        "phone",
    )
    # OUT is written in IN's format: a suffix that says otherwise is refused, not ignored
    assert rc == 2 and "written as csv" in err and not (tmp_path / "x.txt").exists()
    for name in ("x.txt", "o.xlsx"):
        rc, _, err = _run(capsys, "data", "encrypt-fields", str(src), str(tmp_path / name),
                          "--key", "pii", "--fields", "phone", "--file-format", "csv")  # fmt: skip
        assert rc == 0, err  # unless the format is said explicitly
    rc, _, err = _run(
        capsys,
        "data",
        "encrypt-fields",
        str(tmp_path / "x.txt"),
        str(tmp_path / "y"),
        "--key",
        "pii",
        "--fields",
        "phone",
    )
    assert rc == 2 and "--file-format" in err
