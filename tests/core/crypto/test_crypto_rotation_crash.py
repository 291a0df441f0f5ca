"""Crash-safe keyset changes (issue 20): kill the process at each step, then reopen.

A child process runs the change with ``_keyring._step`` replaced by one that calls
``os._exit`` at the named step (no cleanup runs, as in a real crash: power loss, OOM kill).
The parent then opens the keyring afresh and checks the key works, at the version the
store committed, and that no ``.next`` file is left.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import aisec
from aisec.core.crypto import Keyring

_CHILD = """
import os, sys
from aisec.core.crypto import _keyring

step, op = sys.argv[1], sys.argv[2]


def crash(name):
    if name == step:
        os._exit(70)


_keyring._step = crash
from aisec.core.crypto import Keyring

with Keyring.open() as ring:
    if op == "rotate":
        ring.rotate("k")
    elif op == "disable":
        ring.disable_version("k", 1)
    elif op == "enable":
        ring.enable_version("k", 1)
    elif op == "create":
        ring.create_key("fresh")
os._exit(0)
"""


def _crash(step: str, op: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(aisec.__file__).resolve().parents[1]))
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, step, op], env=env, capture_output=True, check=False
    )
    assert done.returncode == 70, done.stderr.decode()[-2000:]


def _encrypt(ring: Keyring, text: bytes) -> bytes:
    out = io.BytesIO()
    ring.encrypt_stream(io.BytesIO(text), out, "k")
    return out.getvalue()


def _decrypt(ring: Keyring, blob: bytes) -> bytes:
    out = io.BytesIO()
    ring.decrypt_stream(io.BytesIO(blob), out)
    return out.getvalue()


@pytest.fixture
def old_ciphertext(aisec_home: Path) -> bytes:
    with Keyring.open() as ring:
        ring.create_key("k", "aead")
        return _encrypt(ring, b"before the crash")


def _no_leftovers(aisec_home: Path) -> None:
    assert list((aisec_home / "keys").glob("*.next")) == []


def test_rotation_crash_after_keyset_written_before_commit(
    aisec_home: Path, old_ciphertext: bytes
) -> None:
    """The defect as filed: the new keyset was on disk, the store never committed."""
    _crash("keyset-written", "rotate")
    with Keyring.open() as ring:
        assert ring.get("k").primary_version == 1
        assert _decrypt(ring, old_ciphertext) == b"before the crash"
        assert _decrypt(ring, _encrypt(ring, b"after")) == b"after"
        _no_leftovers(aisec_home)
        assert ring.rotate("k").primary_version == 2  # and rotation works again


def test_rotation_crash_after_commit_before_swap(aisec_home: Path, old_ciphertext: bytes) -> None:
    _crash("committed", "rotate")
    with Keyring.open() as ring:
        assert ring.get("k").primary_version == 2
        new = _encrypt(ring, b"after")
        assert _decrypt(ring, new) == b"after"
        assert _decrypt(ring, old_ciphertext) == b"before the crash"
        _no_leftovers(aisec_home)


def test_rotation_crash_after_swap(aisec_home: Path, old_ciphertext: bytes) -> None:
    _crash("swapped", "rotate")
    with Keyring.open() as ring:
        assert ring.get("k").primary_version == 2
        assert _decrypt(ring, old_ciphertext) == b"before the crash"
        _no_leftovers(aisec_home)


def test_disable_crash_after_keyset_written_before_commit(
    aisec_home: Path, old_ciphertext: bytes
) -> None:
    with Keyring.open() as ring:
        ring.rotate("k")
    _crash("keyset-written", "disable")
    with Keyring.open() as ring:
        assert ring.get("k").version(1).state == "enabled"  # type: ignore[union-attr]
        assert _decrypt(ring, old_ciphertext) == b"before the crash"
        _no_leftovers(aisec_home)


def test_disable_crash_after_commit_before_swap(aisec_home: Path, old_ciphertext: bytes) -> None:
    from aisec.core.errors import CryptoError

    with Keyring.open() as ring:
        ring.rotate("k")
    _crash("committed", "disable")
    with Keyring.open() as ring:
        assert ring.get("k").version(1).state == "disabled"  # type: ignore[union-attr]
        with pytest.raises(CryptoError, match="version 1 is disabled"):
            _decrypt(ring, old_ciphertext)
        _no_leftovers(aisec_home)


def test_enable_crash_after_commit_before_swap(aisec_home: Path, old_ciphertext: bytes) -> None:
    with Keyring.open() as ring:
        ring.rotate("k")
        ring.disable_version("k", 1)
    _crash("committed", "enable")
    with Keyring.open() as ring:
        assert ring.get("k").version(1).state == "enabled"  # type: ignore[union-attr]
        assert _decrypt(ring, old_ciphertext) == b"before the crash"
        _no_leftovers(aisec_home)


def test_create_crash_after_keyset_written_before_commit(aisec_home: Path) -> None:
    with Keyring.open() as ring:
        ring.create_key("other")  # the keys folder exists
    _crash("keyset-written", "create")
    with Keyring.open() as ring:
        assert [k.name for k in ring.list_keys()] == ["other"]
        assert ring.create_key("fresh").primary_version == 1  # not stuck on a stray file
        _no_leftovers(aisec_home)


def test_failed_rotation_leaves_no_next_file(
    aisec_home: Path, old_ciphertext: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error (not a crash) after the keyset was written rolls back and cleans up."""
    from aisec.core.crypto import _keyring

    def fail(name: str) -> None:
        if name == "keyset-written":
            raise OSError("disk full")

    monkeypatch.setattr(_keyring, "_step", fail)
    with Keyring.open() as ring:
        with pytest.raises(OSError, match="disk full"):
            ring.rotate("k")
        _no_leftovers(aisec_home)
        monkeypatch.setattr(_keyring, "_step", lambda name: None)
        assert ring.get("k").primary_version == 1
        assert _decrypt(ring, old_ciphertext) == b"before the crash"
