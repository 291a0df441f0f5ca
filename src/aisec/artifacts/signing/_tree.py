"""The files of a model folder, as the OMS manifest names them: POSIX paths relative to it.

The walk never follows a link it was not allowed to, never opens anything but a regular
file, and says what it refused (a link out of the folder, a FIFO, an unreadable folder).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from aisec.core.errors import InputError

__all__ = ["GIT_PATHS", "Tree", "ignore_names", "model_root", "unsafe_name", "walk"]

# What OMS (model_signing) leaves out of a signature by default: git's own files.
GIT_PATHS = (".git", ".gitattributes", ".github", ".gitignore")
SINGLE_FILE = "."  # the one resource name of a model that is a single file


@dataclass(slots=True)
class Tree:
    """Regular files by manifest name: (path to read, size); and what was refused."""

    files: dict[str, tuple[str, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(size for _, size in self.files.values())


def model_root(model_path: Path) -> Path:
    """The model folder or file, absolute; InputError when it is neither."""
    path = Path(os.path.abspath(model_path))  # noqa: PTH100 - keep links: the walk judges them
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"model {model_path}: no such file or folder") from None
    except OSError as exc:
        raise InputError(f"model {model_path}: cannot read ({exc.strerror})") from None
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        raise InputError(f"model {model_path}: not a folder or a regular file")
    return path


def unsafe_name(name: str) -> bool:
    """Whether a manifest resource name could point outside the model folder."""
    if name == SINGLE_FILE:
        return False
    parts = PurePosixPath(name).parts
    return (
        not name
        or name.startswith("/")
        or "\\" in name
        or "\x00" in name
        or any(p in ("..", ".") for p in name.split("/"))
        or not parts
    )


def ignore_names(root: Path, paths: Iterable[Path | str]) -> set[str]:
    """Ignore paths as manifest names: a relative path is relative to the model folder,
    an absolute one must lie in it (one outside it ignores nothing, as in OMS)."""
    out: set[str] = set()
    base = os.path.realpath(root)
    for p in paths:
        text = os.fspath(p)
        if Path(text).is_absolute():
            real = os.path.realpath(text)
            if real != base and not real.startswith(base + os.sep):
                continue
            rel = os.path.relpath(real, base)
        else:
            rel = os.path.normpath(text)
        if rel in (".", "") or rel.startswith(".." + os.sep) or rel == "..":
            continue
        out.add(PurePosixPath(*Path(rel).parts).as_posix())
    return out


def _inside(real: str, base: str) -> bool:
    return real == base or real.startswith(base + os.sep)


def walk(root: Path, ignored: set[str], allow_symlinks: bool = False) -> Tree:
    """Every regular file under ``root`` (or ``root`` itself, named "."), by manifest name.

    A link out of the folder is always refused; a link inside it is followed only with
    ``allow_symlinks`` (the signature's own setting), and only to a regular file.
    """
    tree = Tree()
    top = str(root)
    base = os.path.realpath(top)
    st = root.stat()
    if stat.S_ISREG(st.st_mode):
        tree.files[SINGLE_FILE] = (base, st.st_size)
        return tree
    stack: list[tuple[str, str]] = [("", top)]
    while stack:
        rel, folder = stack.pop()
        try:
            entries = os.scandir(folder)
        except OSError as exc:
            tree.problems.append(f"unreadable folder: {rel or '.'} ({exc.strerror})")
            continue
        with entries:
            for entry in entries:
                name = f"{rel}/{entry.name}" if rel else entry.name
                if name in ignored:
                    continue
                try:
                    if entry.is_symlink():
                        _link(tree, name, entry.path, base, allow_symlinks)
                    elif entry.is_dir(follow_symlinks=False):
                        stack.append((name, entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        tree.files[name] = (entry.path, entry.stat(follow_symlinks=False).st_size)
                    else:
                        tree.problems.append(f"not a regular file: {name}")
                except OSError as exc:
                    tree.problems.append(f"unreadable: {name} ({exc.strerror})")
    return tree


def _link(
    tree: Tree,
    name: str,
    path: str,
    base: str,
    allow: bool,
) -> None:
    target = str(Path(path).readlink())
    real = os.path.realpath(path)
    if not _inside(real, base):
        tree.problems.append(f"escapes model folder: {name} -> {target}")
    elif not allow:
        tree.problems.append(f"symlink: {name} -> {target} (the signature allows no links)")
    elif Path(real).is_file():
        tree.files[name] = (real, Path(real).stat().st_size)
    elif Path(real).is_dir():
        tree.problems.append(f"symlink to a folder: {name} -> {target} (not followed)")
    else:
        tree.problems.append(f"broken symlink: {name} -> {target}")
