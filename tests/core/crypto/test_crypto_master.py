"""The master key: environment, passphrase, generated file, and refusal of readable files."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from aisec.core.crypto import Keyring, ensure_master_key, load_master_key
from aisec.core.errors import ConfigError, CryptoError


def test_env_key_must_be_32_bytes_of_base64(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_MASTER_KEY", "not base64!")
    with pytest.raises(ConfigError, match="not valid base64"):
        load_master_key()
    monkeypatch.setenv("AISEC_MASTER_KEY", base64.b64encode(b"x" * 16).decode())
    with pytest.raises(ConfigError, match="must be 32"):
        load_master_key()


def test_no_master_key_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AISEC_MASTER_KEY")
    with pytest.raises(ConfigError, match="AISEC_MASTER_KEY") as exc:
        load_master_key()
    assert "aisec init" in str(exc.value)


def test_ensure_master_key_generates_private_file_with_warning(
    monkeypatch: pytest.MonkeyPatch, aisec_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AISEC_MASTER_KEY")
    message = ensure_master_key()
    path = aisec_home / "master.key"
    assert "protects your keys no more than that file's permissions" in message
    assert "warning" in capsys.readouterr().err
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_master_key().source == "file"
    # Idempotent: the second call keeps the file and does not warn again.
    content = path.read_bytes()
    assert "kept" in ensure_master_key()
    assert path.read_bytes() == content
    assert capsys.readouterr().err == ""


def test_master_key_file_readable_by_others_is_refused(
    monkeypatch: pytest.MonkeyPatch, aisec_home: Path
) -> None:
    monkeypatch.delenv("AISEC_MASTER_KEY")
    ensure_master_key()
    path = aisec_home / "master.key"
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_master_key()


def test_passphrase_derives_a_stable_key_with_stored_salt(
    monkeypatch: pytest.MonkeyPatch, aisec_home: Path
) -> None:
    monkeypatch.delenv("AISEC_MASTER_KEY")
    monkeypatch.setenv("AISEC_MASTER_PASSPHRASE", "correct horse battery staple")
    assert "scrypt" in ensure_master_key()
    salt = aisec_home / "master.salt"
    assert stat.S_IMODE(salt.stat().st_mode) == 0o600
    with Keyring.open() as ring:
        ring.create_key("pp", "aead")
    with Keyring.open() as ring:  # same passphrase, same salt: opens
        assert ring.encrypt_fields([b"x"], "pp", "c")[0] is not None
    monkeypatch.setenv("AISEC_MASTER_PASSPHRASE", "a different passphrase")
    with Keyring.open() as ring, pytest.raises(CryptoError, match="master key"):
        ring.encrypt_fields([b"x"], "pp", "c")


def test_short_passphrase_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AISEC_MASTER_KEY")
    monkeypatch.setenv("AISEC_MASTER_PASSPHRASE", "short")
    with pytest.raises(ConfigError, match="shorter than 12"):
        load_master_key(create_salt=True)


def test_wrong_master_key_names_the_cause(ring: Keyring, monkeypatch: pytest.MonkeyPatch) -> None:
    ring.create_key("k", "aead")
    monkeypatch.setenv("AISEC_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    with Keyring.open() as other, pytest.raises(CryptoError, match="master key"):
        other.encrypt_fields([b"x"], "k", "c")


def test_group_readable_keyset_is_refused(ring: Keyring, aisec_home: Path) -> None:
    ring.create_key("k", "aead")
    path = aisec_home / "keys" / "k.tink"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o640)
    with Keyring.open() as other, pytest.raises(ConfigError, match="refusing to use it"):
        other.encrypt_fields([b"x"], "k", "c")


def test_world_writable_key_folder_is_refused(ring: Keyring, aisec_home: Path) -> None:
    ring.create_key("k", "aead")
    (aisec_home / "keys").chmod(0o777)
    with Keyring.open() as other, pytest.raises(ConfigError, match="chmod 700"):
        other.encrypt_fields([b"x"], "k", "c")


def _scrypt(passphrase: str, salt: bytes, n: int, p: int = 1) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=8, p=p).derive(passphrase.encode())


def test_new_passphrase_salt_stores_owasp_scrypt_parameters(
    monkeypatch: pytest.MonkeyPatch, aisec_home: Path
) -> None:
    import base64

    from aisec.core.crypto._master import _from_passphrase

    aisec_home.mkdir(parents=True, exist_ok=True)
    key = _from_passphrase("correct horse battery staple", aisec_home, create=True)
    line = (aisec_home / "master.salt").read_bytes()
    # OWASP's N=2**15, r=8, p=3: as strong as N=2**17, p=1 with a quarter of the memory
    assert line.startswith(b"aisec-scrypt-v1 n=32768 r=8 p=3 salt=")
    salt = base64.b64decode(line.split(b"salt=")[1])
    assert key == _scrypt("correct horse battery staple", salt, 1 << 15, p=3)


def test_legacy_raw_salt_is_still_read_with_its_old_parameters(
    monkeypatch: pytest.MonkeyPatch, aisec_home: Path
) -> None:
    """A home made before the parameters were stored: raw 16-byte salt, N=2**15."""
    from aisec.core.crypto._master import _from_passphrase
    from aisec.core.home import write_private

    aisec_home.mkdir(parents=True, exist_ok=True)
    salt = os.urandom(16)
    write_private(aisec_home / "master.salt", salt)
    key = _from_passphrase("correct horse battery staple", aisec_home, create=False)
    assert key == _scrypt("correct horse battery staple", salt, 1 << 15)
    monkeypatch.delenv("AISEC_MASTER_KEY")
    monkeypatch.setenv("AISEC_MASTER_PASSPHRASE", "correct horse battery staple")
    with Keyring.open() as ring:  # a keyset made under the legacy key opens again
        ring.create_key("old", "aead")
    with Keyring.open() as ring:
        assert ring.decrypt_fields(ring.encrypt_fields([b"x"], "old", "c"), "c") == [b"x"]
    assert (aisec_home / "master.salt").read_bytes() == salt  # left as it was


@pytest.mark.parametrize(
    "line",
    [
        b"aisec-scrypt-v1 n=1024 r=8 p=1 salt=AAAAAAAAAAAAAAAAAAAAAA==\n",  # weakened
        b"aisec-scrypt-v1 n=1073741824 r=8 p=1 salt=AAAAAAAAAAAAAAAAAAAAAA==\n",  # memory bomb
        b"aisec-scrypt-v1 n=1048576 r=32 p=1 salt=AAAAAAAAAAAAAAAAAAAAAA==\n",  # 4 GiB
        b"aisec-scrypt-v1 n=131073 r=8 p=1 salt=AAAAAAAAAAAAAAAAAAAAAA==\n",  # not a power of 2
        b"aisec-scrypt-v1 n=131072 r=8 p=1 salt=AAAA\n",  # salt too short
        b"aisec-scrypt-v1 garbage\n",
    ],
)
def test_tampered_scrypt_parameters_are_refused(aisec_home: Path, line: bytes) -> None:
    from aisec.core.crypto._master import _from_passphrase
    from aisec.core.home import write_private

    aisec_home.mkdir(parents=True, exist_ok=True)
    write_private(aisec_home / "master.salt", line)
    with pytest.raises(ConfigError, match="master salt"):
        _from_passphrase("correct horse battery staple", aisec_home, create=False)
