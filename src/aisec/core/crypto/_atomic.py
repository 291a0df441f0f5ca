"""Write a file atomically: a temp file in the destination folder, renamed on success."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from aisec.core.errors import InputError


@contextmanager
def atomic_output(path: Path, mode: int = 0o600) -> Iterator[BinaryIO]:
    """Yield a file that becomes ``path`` only if the block succeeds; else nothing is left."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise InputError(f"{path.parent}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).chmod(mode)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_in_out(src: Path, dst: Path, force: bool) -> None:
    """Refuse a missing input, an output that is the input, or one that exists without force."""
    if not src.is_file():
        raise InputError(f"{src}: no such file")
    if dst.exists():
        if dst.resolve() == src.resolve():
            raise InputError("IN and OUT are the same file")
        if not force:
            raise InputError(f"{dst} exists; pass --force to replace it")
    if not dst.parent.is_dir():
        raise InputError(f"{dst.parent}: no such folder")
