"""Refuse key files that other users can read; the one check every key file goes through."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from aisec.core.errors import ConfigError


def read_private(path: Path, what: str, limit: int = 1 << 20) -> bytes:
    """Read a key file after checking it is a regular file readable by its owner only."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise ConfigError(f"{what} {path}: file not found") from None
    except OSError as exc:
        raise ConfigError(f"{what} {path}: cannot open ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(f"{what} {path}: not a regular file")
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"{what} {path}: mode {stat.S_IMODE(st.st_mode):04o} lets other users read or "
                f"change it; refusing to use it. Fix with: chmod 600 {path}"
            )
        if st.st_size > limit:
            raise ConfigError(f"{what} {path}: {st.st_size} bytes is over the {limit} limit")
        return fh.read(limit + 1)[:limit]
