"""The master AEAD that encrypts local keysets: from AISEC_MASTER_KEY, a passphrase, or a file.

Order: ``AISEC_MASTER_KEY`` (base64 of 32 bytes), then ``AISEC_MASTER_PASSPHRASE``
(scrypt with a salt stored in ``$AISEC_HOME/master.salt``), then ``$AISEC_HOME/master.key``
(made by :func:`ensure_master_key`, which ``aisec init`` calls).
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from tink import aead

from aisec.core.crypto._files import read_private
from aisec.core.crypto._tink import aead_from_raw_key
from aisec.core.errors import ConfigError
from aisec.core.home import aisec_home, ensure_home, write_private

ENV_KEY = "AISEC_MASTER_KEY"
ENV_PASSPHRASE = "AISEC_MASTER_PASSPHRASE"  # noqa: S105 - a variable name, not a secret
MASTER_FILE = "master.key"
SALT_FILE = "master.salt"
# scrypt cost: 2**15 * 8 * 128 B = 32 MiB and ~0.1 s, OWASP's recommended floor for scrypt.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 1 << 15, 8, 1

FILE_WARNING = (
    "generated a master key at {path}: it protects your keys no more than that file's "
    "permissions (0600) do. For real protection set AISEC_MASTER_KEY from a secret manager, "
    "use AISEC_MASTER_PASSPHRASE, or a vault / aws-kms key backend."
)


@dataclass(frozen=True, slots=True)
class MasterKey:
    """The master AEAD and where it came from (``env``, ``passphrase`` or ``file``)."""

    aead: aead.Aead
    source: str


def _decode_env_key(text: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{ENV_KEY} is not valid base64 (expected 32 random bytes)") from None
    if len(raw) != 32:
        raise ConfigError(f"{ENV_KEY} decodes to {len(raw)} bytes; it must be 32")
    return raw


def _salt(home: Path, create: bool) -> bytes:
    path = home / SALT_FILE
    if path.exists():
        salt = read_private(path, "master salt", limit=64)
        if len(salt) < 16:
            raise ConfigError(f"master salt {path}: too short ({len(salt)} bytes)")
        return salt
    if not create:
        raise ConfigError(f"master salt {path}: missing, cannot derive the passphrase key")
    salt = secrets.token_bytes(16)
    ensure_home()
    write_private(path, salt)
    return salt


def _from_passphrase(passphrase: str, home: Path, create: bool) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    if len(passphrase) < 12:
        raise ConfigError(f"{ENV_PASSPHRASE} is shorter than 12 characters")
    kdf = Scrypt(salt=_salt(home, create), length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return kdf.derive(passphrase.encode("utf-8"))


def load_master_key(create_salt: bool = False) -> MasterKey:
    """The configured master AEAD; a ConfigError saying what to set when there is none."""
    home = aisec_home()
    env_key = os.environ.get(ENV_KEY)
    if env_key:
        return MasterKey(aead_from_raw_key(_decode_env_key(env_key)), "env")
    passphrase = os.environ.get(ENV_PASSPHRASE)
    if passphrase:
        return MasterKey(
            aead_from_raw_key(_from_passphrase(passphrase, home, create_salt)), "passphrase"
        )
    path = home / MASTER_FILE
    if path.exists():
        raw = _decode_env_key(
            read_private(path, "master key file", limit=256).decode("ascii", "replace")
        )
        return MasterKey(aead_from_raw_key(raw), "file")
    raise ConfigError(
        f"no master key: set {ENV_KEY} (base64 of 32 random bytes) or {ENV_PASSPHRASE}, "
        f"or run `aisec init` to generate {path}"
    )


def ensure_master_key() -> str:
    """Make sure a master key exists; generate ``$AISEC_HOME/master.key`` if none is configured.

    Returns one line saying where the master key comes from. When it generates the file,
    that line is the plain warning that the file protects no more than its permissions,
    and the warning is also printed to stderr. Called by ``aisec init``.
    """
    import sys

    if os.environ.get(ENV_KEY):
        load_master_key()  # validates the value
        return f"master key from {ENV_KEY}"
    if os.environ.get(ENV_PASSPHRASE):
        load_master_key(create_salt=True)  # validates; creates the salt once
        return f"master key from {ENV_PASSPHRASE} (scrypt, salt in {aisec_home() / SALT_FILE})"
    path = aisec_home() / MASTER_FILE
    if path.exists():
        load_master_key()  # refuses a readable-by-others or malformed file
        return f"master key file {path} (kept)"
    ensure_home()
    write_private(path, base64.b64encode(secrets.token_bytes(32)) + b"\n")
    message = FILE_WARNING.format(path=path)
    sys.stderr.write(f"aisec: warning: {message}\n")
    return message
