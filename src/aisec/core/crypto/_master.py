"""The master AEAD that encrypts local keysets: from AISEC_MASTER_KEY, a passphrase, or a file.

Order: ``AISEC_MASTER_KEY`` (base64 of 32 bytes), then ``AISEC_MASTER_PASSPHRASE``
(scrypt with a salt and its cost parameters stored in ``$AISEC_HOME/master.salt``), then
``$AISEC_HOME/master.key`` (made by :func:`ensure_master_key`, which ``aisec init`` calls).

The salt file is one line, ``aisec-scrypt-v1 n=32768 r=8 p=3 salt=<base64>``. Files
made before the parameters were stored hold the raw salt alone; they were derived with
N=2**15, r=8, p=1 and are still read with those parameters (the keysets were encrypted
under that key; moving them to the new cost needs a re-wrap of every keyset).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
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
# scrypt cost for new salts: OWASP's Password Storage Cheat Sheet gives N=2**17, r=8, p=1
# as the minimum and N=2**15, r=8, p=3 as an equally strong setting. The latter needs
# 128 * r * N = 32 MiB while deriving instead of 128 MiB, so `aisec encrypt` with a
# passphrase stays within its 64 MB memory budget (docs/architecture.md §8).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 1 << 15, 8, 3
# What salt files without stored parameters were derived with.
_LEGACY = (1 << 15, 8, 1)
_SALT_MAGIC = b"aisec-scrypt-v1 "
_SALT_LINE = re.compile(rb"aisec-scrypt-v1 n=(\d+) r=(\d+) p=(\d+) salt=([A-Za-z0-9+/=]+)\n?")

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


@dataclass(frozen=True, slots=True)
class ScryptParams:
    """A passphrase salt and the scrypt cost it was used with."""

    salt: bytes
    n: int
    r: int
    p: int


def _parse_salt(path: Path, data: bytes) -> ScryptParams:
    if data.startswith(_SALT_MAGIC):
        m = _SALT_LINE.fullmatch(data)
        if m is None:
            raise ConfigError(f"master salt {path}: malformed parameter line")
        n, r, p = int(m[1]), int(m[2]), int(m[3])
        try:
            salt = base64.b64decode(m[4], validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError(f"master salt {path}: the salt is not base64") from None
        # Bounds: a tampered file must neither weaken the KDF nor make it exhaust memory.
        memory = 128 * r * n  # bytes scrypt holds while deriving: at most 128 MiB
        if (
            n & (n - 1)
            or not (1 << 15) <= n <= (1 << 20)
            or not 1 <= r <= 32
            or not 1 <= p <= 16
            or memory > 1 << 27
        ):
            raise ConfigError(f"master salt {path}: scrypt parameters out of range")
    else:
        salt, (n, r, p) = data, _LEGACY
    if len(salt) < 16:
        raise ConfigError(f"master salt {path}: too short ({len(salt)} bytes)")
    return ScryptParams(salt, n, r, p)


def _salt(home: Path, create: bool) -> ScryptParams:
    path = home / SALT_FILE
    if path.exists():
        return _parse_salt(path, read_private(path, "master salt", limit=256))
    if not create:
        raise ConfigError(f"master salt {path}: missing, cannot derive the passphrase key")
    params = ScryptParams(secrets.token_bytes(16), _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    line = (
        f"{_SALT_MAGIC.decode()}n={params.n} r={params.r} p={params.p} "
        f"salt={base64.b64encode(params.salt).decode()}\n"
    )
    ensure_home()
    write_private(path, line.encode())
    return params


def _from_passphrase(passphrase: str, home: Path, create: bool) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    if len(passphrase) < 12:
        raise ConfigError(f"{ENV_PASSPHRASE} is shorter than 12 characters")
    params = _salt(home, create)
    kdf = Scrypt(salt=params.salt, length=32, n=params.n, r=params.r, p=params.p)
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
