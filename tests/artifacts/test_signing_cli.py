"""``aisec sign`` / ``aisec verify`` / ``aisec keys public``: exit codes, output, escaping."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from signing_samples import make_model, model_signing_cli

from aisec.cli.main import main


@pytest.fixture(autouse=True)
def master_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())


@pytest.fixture
def model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = make_model(tmp_path / "bert")
    assert main(["keys", "create", "release", "--purpose", "signing"]) == 0
    assert main(["sign", str(folder), "--key", "release"]) == 0
    capsys.readouterr()
    return folder


def test_verify_exit_0_and_says_who_signed(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(model), "--key", "release"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"verified {model}: 3 file(s), signed by key release v1 (sha256:")


def test_verify_json_shape(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(model), "--key", "release", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["verified"] is True
    assert doc["method"] == "key"
    assert doc["key"] == "release"
    assert doc["key_version"] == 1
    assert doc["files"] == 3
    assert doc["manifest_digest"].startswith("sha256:")


def test_tampered_model_exits_1_naming_each_problem(
    model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (model / "config.json").write_text("{}")
    (model / "extra.bin").write_bytes(b"x")
    (model / "link").symlink_to("/etc/passwd")
    assert main(["verify", str(model), "--key", "release"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"NOT VERIFIED {model}: 3 problem(s)",
        "  escapes model folder: link -> /etc/passwd",
        "  added: extra.bin",
        "  changed: config.json",
    ]


def test_tampered_model_json_lists_problems(
    model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (model / "tokenizer" / "vocab.txt").unlink()
    assert main(["verify", str(model), "--key", "release", "-f", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc == {
        "model": str(model),
        "problems": ["missing: tokenizer/vocab.txt"],
        "verified": False,
    }


def test_file_name_with_terminal_escapes_is_shown_escaped(
    model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (model / "\x1b[2Jevil\u202e.bin").write_bytes(b"x")
    assert main(["verify", str(model), "--key", "release"]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\u202e" not in out
    assert "added: \\x1b[2Jevil\\u202e.bin" in out


def test_truncated_signature_exits_1(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sig = Path("model.sig")
    sig.write_bytes(sig.read_bytes()[:50])
    assert main(["verify", str(model), "--key", "release"]) == 1
    assert "unreadable signature: not JSON (truncated?)" in capsys.readouterr().out


def test_quiet_prints_nothing(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (model / "config.json").write_text("{}")
    assert main(["verify", str(model), "--key", "release", "--quiet"]) == 1
    assert capsys.readouterr().out == ""


def test_usage_errors_exit_2(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(model)]) == 2
    assert "exactly one of --key" in capsys.readouterr().err
    assert main(["verify", str(model), "--key", "release", "--signature", "nope.sig"]) == 2
    assert "file not found" in capsys.readouterr().err
    assert main(["verify", "no-such-model", "--key", "release"]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert main(["sign", str(model)]) == 2
    assert main(["verify", str(model), "--key", "missing"]) == 2
    assert "no key named 'missing'" in capsys.readouterr().err


def test_aead_key_cannot_sign(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "create", "data"]) == 0
    assert main(["sign", str(model), "--key", "data"]) == 2
    assert "signing needs a signing key" in capsys.readouterr().err


def test_keys_public_feeds_model_signing(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "public", "release"]) == 0
    pem = capsys.readouterr().out
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    public = tmp_path / "release.pub"
    public.write_text(pem)
    done = model_signing_cli(
        "verify", "key", model, "--signature", "model.sig", "--public_key", public
    )
    assert done.returncode == 0, done.stderr


def test_keys_public_all_versions_after_rotation(
    model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "rotate", "release"]) == 0
    capsys.readouterr()
    assert main(["keys", "public", "release", "--all"]) == 0
    assert capsys.readouterr().out.count("BEGIN PUBLIC KEY") == 2
    assert main(["keys", "public", "release", "--version", "9"]) == 2


def test_ignore_paths_relative_to_the_working_folder_as_model_signing_takes_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_model(tmp_path / "gpt")
    (folder / "cache").mkdir()
    (folder / "cache" / "x").write_text("1")
    assert main(["keys", "create", "k", "--purpose", "signing"]) == 0
    args = ["--key", "k", "--ignore-paths", str(folder / "cache"), "-s", "g.sig"]
    assert main(["sign", str(folder), *args]) == 0
    (folder / "cache" / "x").write_text("2")
    assert main(["verify", str(folder), "--key", "k", "-s", "g.sig"]) == 0


def test_verify_trusted_uses_the_policy(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "trusted.yaml"
    access = "access:\n  default_role: ml-engineer\n"
    policy.write_text(access + "signing:\n  trusted_keys:\n    - {name: rel, keyring: release}\n")
    monkeypatch.setenv("AISEC_POLICY", str(policy))
    assert main(["verify", str(model), "--trusted"]) == 0
    assert "signed by key rel v1" in capsys.readouterr().out
    policy.write_text(access + "signing:\n  trusted_keys: []\n")
    from aisec.core.authz import forget_principal

    forget_principal()
    assert main(["verify", str(model), "--trusted"]) == 1
    assert "no trusted keys configured" in capsys.readouterr().out


def test_a_role_without_artifacts_sign_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_model(tmp_path / "m")
    policy = tmp_path / "auditor.yaml"
    policy.write_text("access:\n  default_role: auditor\n")
    monkeypatch.setenv("AISEC_POLICY", str(policy))
    assert main(["sign", str(folder), "--private-key", "k.pem"]) == 2
    assert "may not artifacts.sign" in capsys.readouterr().err
    assert not Path("model.sig").exists()
