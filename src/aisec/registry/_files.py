"""The files of a model version: walk a model (a file or a folder), hash each file, compare.

A version's file list is ``[{path, size, sha256}]`` sorted by path ("/"-separated, relative
to the folder; a single-file model has one entry named after the file). Its manifest
digest is SHA-256 over that list's canonical JSON, so equal bytes and layout give an
equal digest.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aisec.core.errors import InputError

__all__ = [
    "CHUNK",
    "MAX_FILES",
    "FileEntry",
    "Progress",
    "Tree",
    "TreeDiff",
    "compare",
    "hash_file",
    "hash_tree",
    "manifest_digest",
]

CHUNK = 1 << 20
MAX_FILES = 100_000  # a model folder, not a data lake
_MAX_PATH = 1024
_NOT_A_FILE = "not a regular file (a link or a special file)"

# progress(phase, bytes just done, total bytes of the phase)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One file of a version; ``encrypted``: its blob is stored encrypted."""

    path: str
    size: int
    sha256: str
    encrypted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256, "enc": self.encrypted}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FileEntry:
        return cls(str(d["path"]), int(d["size"]), str(d["sha256"]), bool(d.get("enc", False)))


@dataclass(frozen=True, slots=True)
class Tree:
    """A model on disk: ``kind`` is ``file`` or ``folder``; ``root`` the path given."""

    root: Path
    kind: str
    files: tuple[FileEntry, ...]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def digest(self) -> str:
        return manifest_digest(self.files)


@dataclass(frozen=True, slots=True)
class TreeDiff:
    """How files on disk differ from a version's list (each a list of paths)."""

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not (self.changed or self.missing or self.added)

    def lines(self) -> list[str]:
        return (
            [f"changed: {p}" for p in self.changed]
            + [f"missing: {p}" for p in self.missing]
            + [f"added: {p}" for p in self.added]
        )


def manifest_digest(files: Iterable[FileEntry]) -> str:
    """SHA-256 (hex) over the sorted ``(path, size, sha256)`` list; encryption is not part
    of what the model is."""
    rows = sorted([f.path, f.size, f.sha256] for f in files)
    canonical = json.dumps(rows, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _listing(
    root: Path, exclude: frozenset[Path], report: bool
) -> tuple[str, list[tuple[str, Path, int]]]:
    """(kind, [(relative name, path, size)]) of the regular files under ``root``; with
    ``report``, links and special files are listed with size -1 instead of refused."""
    try:
        st = root.lstat()
    except OSError as exc:
        raise InputError(f"{root}: cannot read ({exc.strerror})") from None
    if stat.S_ISLNK(st.st_mode):
        raise InputError(f"{root}: is a symbolic link; give the model itself")
    if stat.S_ISREG(st.st_mode):
        return "file", [(root.name, root, st.st_size)]
    if not stat.S_ISDIR(st.st_mode):
        raise InputError(f"{root}: not a file or a folder")
    out: list[tuple[str, Path, int]] = []
    for folder, dirs, names in os.walk(root, onerror=_walk_error):
        base = Path(folder)
        for d in list(dirs):
            if (base / d).is_symlink():
                if not report:
                    raise _link_error(root, base / d)
                out.append(((base / d).relative_to(root).as_posix(), base / d, -1))
        for name in names:
            path = base / name
            if exclude and path.resolve() in exclude:
                continue
            st = path.lstat()
            rel = path.relative_to(root).as_posix()
            if not stat.S_ISREG(st.st_mode) and report:
                out.append((rel, path, -1))
                continue
            if stat.S_ISLNK(st.st_mode):
                raise _link_error(root, path)
            if not stat.S_ISREG(st.st_mode):
                raise InputError(f"{path}: not a regular file (a device, socket or pipe)")
            if len(rel) > _MAX_PATH:
                raise InputError(f"{path}: path longer than {_MAX_PATH} characters")
            out.append((rel, path, st.st_size))
            if len(out) > MAX_FILES:
                raise InputError(f"{root}: more than {MAX_FILES:,} files; is this one model?")
    if not out:
        raise InputError(f"{root}: no files in this folder")
    out.sort()
    return "folder", out


def _walk_error(exc: OSError) -> None:
    raise InputError(f"{exc.filename}: cannot read ({exc.strerror})")


def _link_error(root: Path, path: Path) -> InputError:
    return InputError(
        f"{path}: symbolic link in the model folder; the registry keeps bytes, not links. "
        f"Copy the model with its links resolved (cp -rL {root} COPY) and push the copy"
    )


def hash_file(path: Path, progress: Callable[[int], None] | None = None) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    size = 0
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    try:
        with path.open("rb") as fh:
            while n := fh.readinto(buf):
                h.update(view[:n])
                size += n
                if progress is not None:
                    progress(n)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    return h.hexdigest(), size


def hash_tree(
    root: Path,
    progress: Progress | None = None,
    exclude: Sequence[Path] = (),
    links: str = "refuse",
) -> Tree:
    """Walk and hash ``root``. More than :data:`MAX_FILES` files or an empty folder are
    input errors; so are symbolic links and special files, unless ``links="report"``
    (checking a deployment): then each is an entry whose digest matches no file."""
    kind, listing = _listing(root, frozenset(p.resolve() for p in exclude), links == "report")
    total = sum(max(size, 0) for _, _, size in listing)

    def tick(n: int) -> None:
        if progress is not None:
            progress("hashing", n, total)

    files = []
    for rel, path, listed in listing:
        if listed < 0:
            files.append(FileEntry(rel, 0, _NOT_A_FILE))
            continue
        digest, size = hash_file(path, tick)
        files.append(FileEntry(rel, size, digest))
    return Tree(root, kind, tuple(files))


def compare(expected: Sequence[FileEntry], actual: Sequence[FileEntry]) -> TreeDiff:
    """Which files of ``actual`` differ from ``expected`` (by path, size and digest)."""
    want = {f.path: f for f in expected}
    have = {f.path: f for f in actual}
    both = want.keys() & have.keys()
    changed = sorted(p for p in both if want[p].sha256 != have[p].sha256)
    return TreeDiff(
        changed=changed,
        missing=sorted(want.keys() - have.keys()),
        added=sorted(have.keys() - want.keys()),
    )
