"""Where aisec keeps its state: ``$AISEC_HOME`` (default ``./.aisec``).

Only ``aisec init`` (:func:`create_home`) creates the default ``./.aisec``: any other
command run in a folder without one would otherwise leave a fresh, empty state folder
(with its own audit log and keys) wherever it happened to run. A home named explicitly
by ``AISEC_HOME`` is created when missing, since the user chose that place.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from aisec.core.errors import ConfigError

__all__ = ["aisec_home", "check_default_home", "create_home", "ensure_home", "write_private"]


def aisec_home() -> Path:
    """The state folder; not created here."""
    return Path(os.environ.get("AISEC_HOME") or ".aisec").resolve()


def check_default_home(home: str) -> None:
    """Refuse the implicit ``./.aisec`` unless it is private (0700, as ``aisec init`` makes it).

    With AISEC_HOME unset, the home is a folder of the working directory, which may be a
    cloned or scanned repository: one that ships ``.aisec/aisec.yaml`` would otherwise be
    believed as the home policy (roles, keys). git cannot check out a folder as 0700, so a
    default home with group or other permissions is not one aisec made.
    """
    if os.environ.get("AISEC_HOME"):
        return
    try:
        mode = os.stat(home).st_mode  # noqa: PTH116 - on the authorization path
    except OSError:
        return
    if stat.S_ISDIR(mode) and mode & 0o077:
        raise ConfigError(
            f"{home} has mode {stat.S_IMODE(mode):04o}, not 0700 as `aisec init` makes it: it "
            "may have come with the code in this folder (a cloned repository), so aisec will "
            "not use its policy or keys. Check its contents, then run `aisec init` here to "
            "make it private, or set AISEC_HOME to your own home."
        )


def ensure_home() -> Path:
    """The state folder; ConfigError saying where it looked and how to make one if the
    default ``./.aisec`` does not exist. An explicit ``AISEC_HOME`` is created (0700)."""
    home = aisec_home()
    if home.is_dir():
        check_default_home(str(home))
        return home
    if not os.environ.get("AISEC_HOME"):
        raise ConfigError(
            f"no aisec home in {home} (AISEC_HOME is not set, so aisec looks for .aisec in "
            "the working folder); create one here with `aisec init`, or set AISEC_HOME to "
            "your home (e.g. export AISEC_HOME=~/.aisec && aisec init)"
        )
    return create_home()


def create_home() -> Path:
    """Create ``$AISEC_HOME`` (mode 0700) if missing and return it (``aisec init``)."""
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
