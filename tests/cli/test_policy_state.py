"""Policy and state (issue 12): policy check discovery and references, init input, home
creation, keys disable/enable."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
import yaml

from aisec.cli.main import main
from aisec.core.identity import os_user


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


def _home() -> Path:
    return Path(os.environ["AISEC_HOME"])


@pytest.fixture(autouse=True)
def _master_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())


def test_policy_check_after_init_finds_the_home_policy(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "init")[0] == 0
    rc, out, _ = _run(capsys, "policy", "check")
    assert rc == 0
    assert out.startswith(f"{_home() / 'aisec.yaml'}: OK (home policy;")


def test_policy_check_uses_aisec_policy(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    explicit = tmp_path / "ci.yaml"
    explicit.write_text("project: ci\n")
    monkeypatch.setenv("AISEC_POLICY", str(explicit))
    rc, out, _ = _run(capsys, "policy", "check")
    assert (rc, out.split(":")[0]) == (0, str(explicit))
    assert "explicit policy; project ci" in out


def test_policy_check_without_any_policy_says_where_it_looked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc, _, err = _run(capsys, "policy", "check")
    assert rc == 2
    assert f"no aisec.yaml in AISEC_HOME ({_home()})" in err and "aisec init" in err


def test_policy_check_validates_references(capsys: pytest.CaptureFixture[str]) -> None:
    bad = Path.cwd() / "bad.yaml"
    bad.write_text(
        "access:\n"
        "  default_role: superuser\n"
        "  roles:\n"
        "    labeler: [data.decrypt, data.teleport]\n"
        "  principals:\n"
        "    - {name: a, roles: [ml-engineer, wizard]}\n"
        "guard:\n"
        "  scanners:\n"
        "    - {name: pii, mode: redact}\n"
        "    - {name: prompt_injektion}\n"
        "    - {name: pii}\n"
    )
    rc, _, err = _run(capsys, "policy", "check", str(bad))
    assert rc == 2
    assert f"{bad}: access.roles.labeler[1]: unknown permission 'data.teleport'" in err
    assert f"{bad}: access.default_role: unknown role 'superuser'" in err
    assert f"{bad}: access.principals[0].roles[1]: unknown role 'wizard'" in err
    assert f"{bad}: guard.scanners[1].name: unknown scanner 'prompt_injektion'" in err
    assert f"{bad}: guard.scanners[2].name: scanner 'pii' is listed twice" in err


def test_policy_check_refuses_project_policy_with_access(
    capsys: pytest.CaptureFixture[str],
) -> None:
    (Path.cwd() / "aisec.yaml").write_text("access:\n  default_role: admin\n")
    rc, _, err = _run(capsys, "policy", "check")
    assert rc == 2
    assert "a project policy (aisec.yaml in the working folder) may not set access" in err


@pytest.mark.parametrize(
    ("project", "why"),
    [
        ("", "at least 1 character"),
        ("a\nb", "should match pattern"),
        ("x" * 201, "at most 200 characters"),
        ("tab\there", "should match pattern"),
    ],
)
def test_init_refuses_a_project_name_that_makes_an_invalid_policy(
    capsys: pytest.CaptureFixture[str], project: str, why: str
) -> None:
    rc, _, err = _run(capsys, "init", "--project", project)
    assert rc == 2
    assert "would make an invalid policy" in err and why in err
    assert not _home().exists()  # nothing written


@pytest.mark.parametrize("project", ["a: b", "- [x]: {y}", "#not-a-comment", "'quoted'", "yes"])
def test_init_writes_yaml_special_names_as_strings(
    capsys: pytest.CaptureFixture[str], project: str
) -> None:
    assert _run(capsys, "init", "--project", project)[0] == 0
    text = (_home() / "aisec.yaml").read_text()
    assert yaml.safe_load(text)["project"] == project
    assert "# Who may do what" in text  # the explanatory comments are kept
    assert _run(capsys, "policy", "check")[0] == 0


def test_init_fixes_the_mode_of_an_existing_open_home(capsys: pytest.CaptureFixture[str]) -> None:
    _home().mkdir(mode=0o755)
    _home().chmod(0o755)
    rc, out, _ = _run(capsys, "init")
    assert rc == 0
    assert "mode was 0755; fixed to 0700" in out
    assert stat.S_IMODE(_home().stat().st_mode) == 0o700


def test_commands_do_not_create_dot_aisec_silently(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AISEC_HOME")
    (Path.cwd() / "in.bin.aisec").write_bytes(b"x" * 64)
    for args in (
        ("decrypt", "in.bin.aisec", "out.bin"),
        ("audit", "verify"),
        ("keys", "list"),
        ("audit", "record", "x", "--target", "y"),
    ):
        rc, _, err = _run(capsys, *args)
        assert rc == 2, args
        assert f"no aisec home in {Path.cwd() / '.aisec'}" in err and "aisec init" in err
        assert not (Path.cwd() / ".aisec").exists()
    assert _run(capsys, "init")[0] == 0  # init alone creates it
    assert stat.S_IMODE((Path.cwd() / ".aisec").stat().st_mode) == 0o700


def test_keys_disable_warns_and_needs_yes_then_enable_undoes_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert _run(capsys, "keys", "create", "files", "--purpose", "streaming")[0] == 0
    src, enc, dec = tmp_path / "in.txt", tmp_path / "in.aisec", tmp_path / "out.txt"
    src.write_bytes(b"payload")
    assert _run(capsys, "encrypt", str(src), str(enc), "--key", "files")[0] == 0
    assert _run(capsys, "keys", "rotate", "files")[0] == 0
    rc, _, err = _run(capsys, "keys", "disable", "files", "--version", "1")  # stdin: no TTY
    assert rc == 2
    assert "makes everything still encrypted under it unreadable" in err and "--yes" in err
    rc, out, _ = _run(capsys, "keys", "disable", "files", "--version", "1", "--yes")
    assert rc == 0 and "undo: aisec keys enable files --version 1" in out
    rc, _, err = _run(capsys, "decrypt", str(enc), str(dec))
    assert rc == 2 and "version 1 is disabled" in err
    assert _run(capsys, "keys", "enable", "files", "--version", "1")[0] == 0
    assert _run(capsys, "decrypt", str(enc), str(dec))[0] == 0
    assert dec.read_bytes() == b"payload"


def test_whoami_names_the_os_user_when_no_claim(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "init")[0] == 0
    rc, out, _ = _run(capsys, "access", "whoami")
    assert rc == 0
    assert out.splitlines()[1] == f"established: OS user (OS user: {os_user()})"


def test_cloned_repository_dot_aisec_is_not_trusted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scanned repository ships .aisec/aisec.yaml (the default home when AISEC_HOME is
    unset) that lets its author claim admin: a home aisec did not make (not 0700) is
    refused for policy and state alike."""
    monkeypatch.delenv("AISEC_HOME")
    shipped = Path.cwd() / ".aisec"
    shipped.mkdir()
    shipped.chmod(0o755)  # what a git checkout makes
    (shipped / "aisec.yaml").write_text(
        f"access:\n  principals:\n    - {{name: {os_user()}, roles: [auditor], "
        "may_act_as: [attacker]}\n    - {name: attacker, roles: [admin]}\n"
    )
    monkeypatch.setenv("AISEC_PRINCIPAL", "attacker")
    for args in (("access", "check", "keys.rotate"), ("access", "whoami"), ("keys", "list")):
        rc, out, err = _run(capsys, *args)
        assert rc == 2, args
        assert "has mode 0755, not 0700" in err and "cloned repository" in err
    monkeypatch.delenv("AISEC_PRINCIPAL")
    assert _run(capsys, "init")[0] == 0  # the owner checked it: init makes it private
    rc, out, _ = _run(capsys, "access", "whoami")
    assert rc == 0 and "roles: auditor" in out
