"""Keys and encryption: the keyring, envelope streaming encryption, field encryption.

``Keyring`` is the one door to keys. The module functions below open the default keyring
(``$AISEC_HOME`` and the configured store) for one call each; long-running code should
open a :class:`Keyring` once and reuse it.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from aisec.core.crypto._atomic import atomic_output, check_in_out
from aisec.core.crypto._model import PURPOSES, KeyInfo, KeyVersion, Purpose

if TYPE_CHECKING:
    from aisec.core.crypto._envelope import MAGIC, SEGMENT_SIZE, Header, read_header
    from aisec.core.crypto._keyring import FieldCipher, FieldDecipher, Keyring, check_name
    from aisec.core.crypto._master import ensure_master_key, load_master_key

# Names from the modules that load Tink (about 60 ms), imported on first use, so that a
# tool that only reads key metadata (``aisec keys list``, via _catalog) never loads it.
_LAZY = {
    "MAGIC": "_envelope",
    "SEGMENT_SIZE": "_envelope",
    "Header": "_envelope",
    "read_header": "_envelope",
    "FieldCipher": "_keyring",
    "FieldDecipher": "_keyring",
    "Keyring": "_keyring",
    "check_name": "_keyring",
    "ensure_master_key": "_master",
    "load_master_key": "_master",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "MAGIC",
    "PURPOSES",
    "SEGMENT_SIZE",
    "FieldCipher",
    "FieldDecipher",
    "Header",
    "KeyInfo",
    "KeyVersion",
    "Keyring",
    "Purpose",
    "atomic_output",
    "check_in_out",
    "check_name",
    "create_key",
    "decrypt_stream",
    "disable_version",
    "enable_version",
    "encrypt_stream",
    "ensure_master_key",
    "list_keys",
    "load_master_key",
    "read_header",
    "rewrap",
    "rotate",
    "rotate_due",
]


def _open() -> Keyring:
    """The default keyring (a name lookup inside this module does not reach __getattr__)."""
    from aisec.core.crypto._keyring import Keyring

    return Keyring.open()


def create_key(
    name: str, purpose: str = "aead", backend: str | None = None, kms_key: str | None = None
) -> KeyInfo:
    """Create a named key (see :meth:`Keyring.create_key`)."""
    with _open() as ring:
        return ring.create_key(name, purpose, backend, kms_key)


def rotate(name: str) -> KeyInfo:
    """Add a new primary version to ``name``."""
    with _open() as ring:
        return ring.rotate(name)


def rotate_due(now: datetime | None = None) -> list[KeyInfo]:
    """Rotate every key past its policy ``rotation_days``."""
    with _open() as ring:
        return ring.rotate_due(now)


def list_keys() -> list[KeyInfo]:
    """Metadata of every key (never key material); reads the store without loading Tink."""
    from aisec.core.crypto._catalog import list_key_infos
    from aisec.core.home import ensure_home
    from aisec.core.store import open_store

    ensure_home()
    store = open_store()
    try:
        return list_key_infos(store)
    finally:
        store.close()


def disable_version(name: str, version: int) -> KeyInfo:
    """Disable one version of ``name``."""
    with _open() as ring:
        return ring.disable_version(name, version)


def enable_version(name: str, version: int) -> KeyInfo:
    """Enable a disabled version of ``name`` again."""
    with _open() as ring:
        return ring.enable_version(name, version)


def encrypt_stream(src: BinaryIO, dst: BinaryIO, key: str, aad: bytes = b"") -> int:
    """Encrypt ``src`` into ``dst`` under ``key``; constant memory."""
    with _open() as ring:
        return ring.encrypt_stream(src, dst, key, aad)


def decrypt_stream(src: BinaryIO, dst: BinaryIO, aad: bytes = b"") -> int:
    """Decrypt an aisec stream; the header names the key."""
    with _open() as ring:
        return ring.decrypt_stream(src, dst, aad)


def rewrap(path: Path) -> tuple[int, int] | None:
    """Re-wrap the data key of an encrypted file under its key's primary version."""
    with _open() as ring:
        return ring.rewrap(path)
