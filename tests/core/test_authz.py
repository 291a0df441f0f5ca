"""The permission matrix, once (issue 10): role x permission x library entry point.

Every caller (CLI, gateway, Python API) reaches the same entry points, which all ask
``aisec.core.authz.authorize``; so checking each entry point as each role, with a real
policy file, shows every caller gets the same answer. The CLI is checked for one entry
point to show it adds no check of its own and drops none.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from aisec.cli.main import main
from aisec.core.crypto import Keyring
from aisec.core.errors import AuthorizationError
from aisec.core.identity import ROLES, os_user

ME = os_user()


@pytest.fixture(autouse=True)
def _setup(aisec_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    aisec_home.mkdir(mode=0o700, parents=True, exist_ok=True)
    lines = [
        "access:",
        "  principals:",
        f"    - {{name: {ME}, roles: [admin], may_act_as: [{', '.join(f'p-{r}' for r in ROLES)}]}}",
    ]
    lines += [f"    - {{name: p-{r}, roles: [{r}]}}" for r in ROLES]
    (aisec_home / "aisec.yaml").write_text("\n".join(lines) + "\n")
    with Keyring.open() as ring:  # as the OS user (admin)
        ring.create_key("k", "aead")
        ring.rotate("k")  # so version 1 can be disabled
    (Path.cwd() / "plain.txt").write_bytes(b"hello")
    (Path.cwd() / "model.bin").write_bytes(b"\x80\x04K\x01.")  # pickle of the int 1


def _scan() -> None:
    from aisec.artifacts import scan_path

    scan_path(Path.cwd() / "model.bin")


def _scan_bytes() -> None:
    from aisec.artifacts import scan_bytes

    scan_bytes(b"\x80\x04K\x01.", "model.pkl")


def _guard() -> None:
    from aisec.guard import Engine

    Engine().scan("What is the capital of France?")


def _keyring(op: Callable[[Keyring], object]) -> Callable[[], None]:
    def run() -> None:
        with Keyring.open() as ring:
            op(ring)

    return run


ENTRY_POINTS: dict[str, tuple[str, Callable[[], None]]] = {
    "aisec.artifacts.scan_path": ("scan.run", _scan),
    "aisec.artifacts.scan_bytes": ("scan.run", _scan_bytes),
    "aisec.guard.Engine.scan": ("guard.scan", _guard),
    "Keyring.create_key": ("keys.create", _keyring(lambda r: r.create_key(f"n{os.getpid()}"))),
    "Keyring.rotate": ("keys.rotate", _keyring(lambda r: r.rotate("k"))),
    "Keyring.disable_version": ("keys.disable", _keyring(lambda r: r.disable_version("k", 1))),
    "Keyring.encrypt_file": (
        "keys.use",
        _keyring(lambda r: r.encrypt_file(Path("plain.txt"), Path("out.aisec"), "k", force=True)),
    ),
}


@pytest.mark.parametrize("role", sorted(ROLES))
def test_permission_matrix(role: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_PRINCIPAL", f"p-{role}")
    got: dict[str, bool] = {}
    for name, (_permission, call) in ENTRY_POINTS.items():
        try:
            call()
        except AuthorizationError as exc:
            assert f"p-{role} ({role}) may not" in exc.message
            got[name] = False
        else:
            got[name] = True
    expected = {name: perm in ROLES[role] for name, (perm, _) in ENTRY_POINTS.items()}
    assert got == expected


@pytest.mark.parametrize("role", ["auditor", "service"])
def test_cli_scan_gets_the_library_answer(
    role: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AISEC_PRINCIPAL", f"p-{role}")
    code = main(["scan", "model.bin", "--format", "json"])
    if "scan.run" in ROLES[role]:
        assert code == 0
    else:
        assert code == 2
        assert f"p-{role} ({role}) may not scan.run" in capsys.readouterr().err
