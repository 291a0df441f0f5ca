"""Key management: create, list, rotate, rotate --due, disable; audit and authorization."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aisec.core.crypto import Keyring
from aisec.core.errors import AuthorizationError, CryptoError, InputError
from aisec.core.policy import KeysPolicy
from aisec.core.policy._keys import KeySchedule
from aisec.core.store import AuditEventRow


def _events(ring: Keyring, action: str) -> list[AuditEventRow]:
    with Session(ring._store.engine) as s:
        return list(s.scalars(select(AuditEventRow).where(AuditEventRow.action == action)).all())


def test_create_list_and_metadata(ring: Keyring) -> None:
    ring.create_key("alpha", "aead")
    ring.create_key("beta", "deterministic")
    ring.create_key("gamma", "streaming")
    keys = ring.list_keys()
    assert [(k.name, k.purpose, k.backend, k.primary_version, k.state) for k in keys] == [
        ("alpha", "aead", "local", 1, "enabled"),
        ("beta", "deterministic", "local", 1, "enabled"),
        ("gamma", "streaming", "local", 1, "enabled"),
    ]
    assert keys[0].rotated is None and keys[0].created.tzinfo is not None


def test_duplicate_name_is_refused(ring: Keyring) -> None:
    ring.create_key("alpha")
    with pytest.raises(CryptoError, match="already exists"):
        ring.create_key("alpha")


@pytest.mark.parametrize("name", ["../escape", "a/b", "", "UPPER", ".hidden", "x" * 65, "a\nb"])
def test_unsafe_key_names_are_refused(ring: Keyring, name: str) -> None:
    with pytest.raises(InputError, match="key name"):
        ring.create_key(name)


def test_unknown_purpose_and_backend(ring: Keyring) -> None:
    with pytest.raises(InputError, match="purpose"):
        ring.create_key("k", "mac")
    with pytest.raises(Exception, match="unknown key backend"):
        ring.create_key("k", "aead", backend="floppy")


def test_rotate_keeps_old_ciphertexts_decryptable(ring: Keyring) -> None:
    ring.create_key("k", "aead")
    old = ring.encrypt_fields([b"secret"], "k", "c")
    info = ring.rotate("k")
    assert info.primary_version == 2 and info.rotated is not None
    new = ring.encrypt_fields([b"secret"], "k", "c")
    assert old[0] is not None and new[0] is not None
    assert old[0][1:5] != new[0][1:5]  # a different Tink key id: the new primary encrypts
    assert ring.decrypt_fields(old + new, "c") == [b"secret", b"secret"]


def test_disable_version_then_decrypt_fails_clearly(ring: Keyring) -> None:
    ring.create_key("k", "aead")
    old = ring.encrypt_fields([b"secret"], "k", "c")
    ring.rotate("k")
    info = ring.disable_version("k", 1)
    assert info.version(1).state == "disabled"  # type: ignore[union-attr]
    with pytest.raises(CryptoError, match="version 1 is disabled"):
        ring.decrypt_fields(old, "c")
    with Keyring.open() as fresh, pytest.raises(CryptoError, match="version 1 is disabled"):
        fresh.decrypt_fields(old, "c")


def test_disabling_the_primary_is_refused(ring: Keyring) -> None:
    ring.create_key("k")
    with pytest.raises(CryptoError, match="rotate it first"):
        ring.disable_version("k", 1)
    with pytest.raises(InputError, match="no version 7"):
        ring.disable_version("k", 7)


def test_rotate_due_follows_policy_rotation_days(ring: Keyring) -> None:
    ring.policy = KeysPolicy(
        default_rotation_days=30, keys=[KeySchedule(name="fast", rotation_days=1)]
    )
    ring.create_key("fast")
    ring.create_key("slow")
    now = datetime.now(UTC)
    assert ring.rotate_due(now) == []
    rotated = ring.rotate_due(now + timedelta(days=2))
    assert [k.name for k in rotated] == ["fast"]
    assert ring.get("fast").primary_version == 2 and ring.get("slow").primary_version == 1
    assert sorted(k.name for k in ring.rotate_due(now + timedelta(days=31))) == ["fast", "slow"]


def test_key_operations_are_audited_without_key_material(ring: Keyring, aisec_home: Path) -> None:
    ring.create_key("k", "aead")
    ring.rotate("k")
    ring.disable_version("k", 1)
    ct = ring.encrypt_fields([b"v"], "k", "c")
    ring.decrypt_fields(ct, "c")
    for action in ("keys.create", "keys.rotate", "keys.disable", "keys.use"):
        events = _events(ring, action)
        assert events, action
        assert all(e.target == "k" and e.outcome == "ok" for e in events)
    keyset = (aisec_home / "keys" / "k.tink").read_bytes()
    for e in _events(ring, "keys.use"):
        assert '"key_value"' not in e.details and len(e.details) < 200
    # The keyset file holds only an encrypted keyset and public key ids, never "keyData".
    assert b'"encryptedKeyset"' in keyset and b"keyData" not in keyset


def test_unauthorized_principal_is_refused_and_audited(
    ring: Keyring, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    policy = tmp_path / "aisec.yaml"
    from aisec.core.identity import os_user

    policy.write_text(
        "access:\n  default_role: null\n  principals:\n    - name: reader\n      roles: [auditor]\n"
        f"    - {{name: {os_user()}, may_act_as: [reader]}}\n"
    )
    monkeypatch.setenv("AISEC_POLICY", str(policy))
    monkeypatch.setenv("AISEC_PRINCIPAL", "reader")
    with pytest.raises(AuthorizationError, match=r"keys\.create"):
        ring.create_key("k")
    denied = _events(ring, "access.denied")
    assert denied and denied[-1].target == "keys.create" and denied[-1].actor == "reader"
    assert ring.list_keys() == []  # auditors may read metadata


def test_failed_operation_is_audited_as_error(ring: Keyring) -> None:
    ring.create_key("k")
    with pytest.raises(CryptoError):
        ring.create_key("k")
    errors = [e for e in _events(ring, "keys.create") if e.outcome == "error"]
    assert len(errors) == 1 and "CryptoError" in errors[0].details


def test_restored_old_keyset_is_detected(ring: Keyring, aisec_home: Path, tmp_path: Path) -> None:
    """Rollback: an old copy of the keyset (before rotation) must not silently load."""
    ring.create_key("k")
    backup = tmp_path / "k.tink.bak"
    shutil.copy2(aisec_home / "keys" / "k.tink", backup)
    ring.rotate("k")
    shutil.copy2(backup, aisec_home / "keys" / "k.tink")
    with Keyring.open() as fresh, pytest.raises(CryptoError, match="lacks version 2"):
        fresh.encrypt_fields([b"x"], "k", "c")


def test_keyset_swapped_between_names_fails(ring: Keyring, aisec_home: Path) -> None:
    """The key name is associated data of the keyset file: renaming files does not work."""
    ring.create_key("a")
    ring.create_key("b")
    keys = aisec_home / "keys"
    shutil.copy2(keys / "a.tink", keys / "b.tink")
    with Keyring.open() as fresh, pytest.raises(CryptoError, match="cannot open the keyset"):
        fresh.encrypt_fields([b"x"], "b", "c")


def test_disabled_version_reenabled_in_keyset_file_stays_disabled(
    ring: Keyring, aisec_home: Path, tmp_path: Path
) -> None:
    """Restoring a keyset copy taken before a disable does not re-enable the version."""
    ring.create_key("k")
    ct = ring.encrypt_fields([b"x"], "k", "c")
    ring.rotate("k")
    backup = tmp_path / "k.bak"
    shutil.copy2(aisec_home / "keys" / "k.tink", backup)
    ring.disable_version("k", 1)
    shutil.copy2(backup, aisec_home / "keys" / "k.tink")
    with Keyring.open() as fresh, pytest.raises(CryptoError, match="disabled"):
        fresh.decrypt_fields(ct, "c")


def test_keyring_on_each_database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Metadata round trip on SQLite and, when a server is configured, PostgreSQL."""
    monkeypatch.setenv("AISEC_DATABASE_URL", db_url)
    with Keyring.open() as ring:
        ring.create_key("k", "aead")
        ct = ring.encrypt_fields([b"v"], "k", "c")
        ring.rotate("k")
        ring.disable_version("k", 1)
        (info,) = ring.list_keys()
        assert info.primary_version == 2 and info.created.tzinfo is not None
        assert [v.state for v in info.versions] == ["disabled", "enabled"]
        with pytest.raises(CryptoError, match="disabled"):
            ring.decrypt_fields(ct, "c")


def test_disable_in_another_process_takes_effect_in_an_open_keyring(ring: Keyring) -> None:
    """A long-running service must not keep decrypting with a version disabled elsewhere."""
    ring.create_key("k")
    old = ring.encrypt_fields([b"x"], "k", "c")
    assert ring.decrypt_fields(old, "c") == [b"x"]  # the keyset is now cached
    with Keyring.open() as other:
        other.rotate("k")
        other.disable_version("k", 1)
        new = other.encrypt_fields([b"y"], "k", "c")
    with pytest.raises(CryptoError, match="version 1 is disabled"):
        ring.decrypt_fields(old, "c")
    assert ring.decrypt_fields(new, "c") == [b"y"]  # and it sees the new version
