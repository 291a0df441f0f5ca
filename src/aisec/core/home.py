"""Where aisec keeps its state: ``$AISEC_HOME`` (default ``./.aisec``)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from aisec.core.errors import ConfigError

__all__ = ["aisec_home", "ensure_home", "write_private"]


def aisec_home() -> Path:
    """The state folder; not created here."""
    return Path(os.environ.get("AISEC_HOME") or ".aisec").resolve()


def ensure_home() -> Path:
    """Create ``$AISEC_HOME`` (mode 0700) if missing and return it."""
    home = aisec_home()
    try:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create AISEC_HOME {home}: {exc.strerror}") from None
    return home


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file readable only by its owner (0600), atomically."""
    # A fresh, exclusive name (0600): two threads of one process may write the same file.
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(stat.S_IRUSR | stat.S_IWUSR)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
