"""Reading files a user names on the command line or in config: regular files only, bounded.

``stat().st_size`` is 0 for devices and pipes (``/dev/zero``, a FIFO), so a size check
alone does not bound a read; these helpers refuse what is not a regular file and never
read more than the limit plus one byte.
"""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

from aisec.core.errors import InputError

__all__ = ["read_bounded", "read_text_bounded", "sha256_file"]


def read_bounded(path: Path, limit: int, what: str = "file") -> bytes:
    """The bytes of ``path``; InputError when missing, not a regular file, or over ``limit``."""
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{what} {path}: not a regular file")
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise InputError(f"{what} {path}: file not found") from None
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError(f"{what} {path}: over the {limit}-byte limit")
    return data


def read_text_bounded(path: Path, limit: int, what: str = "file") -> str:
    """Like :func:`read_bounded`, decoded as UTF-8 (undecodable bytes replaced)."""
    return read_bounded(path, limit, what).decode("utf-8", errors="replace")


def sha256_file(path: Path, what: str = "file") -> str:
    """The SHA-256 (hex) of the regular file ``path``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise InputError(f"{what} {path}: not a regular file")
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except FileNotFoundError:
        raise InputError(f"{what} {path}: file not found") from None
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot read: {exc.strerror or exc}") from None
    return digest.hexdigest()
