"""Walk a local folder or an fsspec URL: every file to look at, or why it was skipped.

``.gitignore`` files are honoured at every level (git's own matching rules, through
pathspec), as are the caller's ``--exclude`` patterns (gitignore syntax, relative to the
root). Version-control folders, virtual environments and caches are never entered. Local
symbolic links to folders are followed once: a link that leads back into a folder already
being walked is a loop, reported in ``skipped``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any, Protocol

from pathspec import GitIgnoreSpec

from aisec.core.errors import InputError
from aisec.inventory._model import Skipped

__all__ = ["FileRef", "FsspecTree", "LocalTree", "Tree", "open_tree"]

# folders never entered: version control, caches, build output, dependency trees
_NEVER = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".tox",
        ".nox",
        "node_modules",
        "site-packages",
        ".ipynb_checkpoints",
        ".aisec",
    }
)
_VENV_MARK = "pyvenv.cfg"  # what makes a folder a virtual environment, whatever its name
_GITIGNORE_MAX = 256 << 10
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


@dataclass(frozen=True, slots=True)
class FileRef:
    """One file: ``rel`` is its ``/``-separated path under the root; ``size`` in bytes."""

    rel: str
    size: int


class Tree(Protocol):
    """A walkable tree of files with bounded reads."""

    root: str

    def walk(self) -> Iterator[FileRef | Skipped]: ...

    def read(self, ref: FileRef, limit: int) -> bytes:
        """At most ``limit`` bytes from the start of the file (raises OSError)."""
        ...

    def local_path(self, ref: FileRef) -> Path | None:
        """The file's path on this machine, or None for a remote tree."""
        ...


def _spec(lines: Sequence[str]) -> GitIgnoreSpec | None:
    patterns = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    return GitIgnoreSpec.from_lines(patterns) if patterns else None


class _Ignores:
    """The stack of ``.gitignore`` specs in force in one folder, each with its base."""

    __slots__ = ("_specs",)

    def __init__(self, specs: tuple[tuple[str, GitIgnoreSpec], ...]) -> None:
        self._specs = specs

    def ignored(self, rel: str, is_dir: bool) -> bool:
        for base, spec in self._specs:
            sub = rel[len(base) + 1 :] if base else rel
            if spec.match_file(sub + "/" if is_dir else sub):
                return True
        return False

    def with_file(self, base: str, text: str) -> _Ignores:
        spec = _spec(text.splitlines())
        return self if spec is None else _Ignores((*self._specs, (base, spec)))


def _join(base: str, name: str) -> str:
    return f"{base}/{name}" if base else name


class LocalTree:
    """A folder (or one file) on this machine."""

    def __init__(self, root: Path, exclude: Sequence[str]) -> None:
        self.root = str(root)
        self._root = root
        self._single = False
        self._exclude = _spec(list(exclude))

    def walk(self) -> Iterator[FileRef | Skipped]:
        try:
            st = self._root.stat()
        except OSError as exc:
            raise InputError(f"{self._root}: cannot read ({exc.strerror})") from None
        if stat.S_ISREG(st.st_mode):
            self._single = True
            yield FileRef(self._root.name, st.st_size)
            return
        if not stat.S_ISDIR(st.st_mode):
            raise InputError(f"{self._root}: not a folder or a regular file")
        yield from self._walk_dir(self.root, "", _Ignores(()), {(st.st_dev, st.st_ino)})

    def _walk_dir(
        self, folder: str, rel: str, ignores: _Ignores, active: set[tuple[int, int]]
    ) -> Iterator[FileRef | Skipped]:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=attrgetter("name"))
        except OSError as exc:
            yield Skipped(rel or ".", f"folder unreadable ({exc.strerror})")
            return
        if any(e.name == _VENV_MARK for e in entries) and rel:
            return  # a virtual environment: installed packages, not this project
        gitignore = next((e for e in entries if e.name == ".gitignore"), None)
        if gitignore is not None:
            ignores = ignores.with_file(rel, _read_text(Path(gitignore.path)))
        for entry in entries:
            child = _join(rel, entry.name)
            try:
                is_link = entry.is_symlink()
                st = entry.stat()  # follows links: a loop raises ELOOP here
            except OSError as exc:
                reason = "symbolic link loop" if _is_loop(exc) else _why(exc, is_link=True)
                yield Skipped(child, reason)
                continue
            is_dir = stat.S_ISDIR(st.st_mode)
            if is_dir and entry.name in _NEVER:
                continue
            if ignores.ignored(child, is_dir) or self._excluded(child, is_dir):
                continue
            if is_dir:
                key = (st.st_dev, st.st_ino)
                if key in active:
                    yield Skipped(child, "symbolic link loop (leads back to a parent folder)")
                    continue
                active.add(key)
                yield from self._walk_dir(entry.path, child, ignores, active)
                active.discard(key)
            elif stat.S_ISREG(st.st_mode):
                yield FileRef(child, st.st_size)
            elif not is_link:
                yield Skipped(child, "not a regular file (device, socket or pipe)")
            else:
                yield Skipped(child, "symbolic link to something that is not a regular file")

    def _excluded(self, rel: str, is_dir: bool) -> bool:
        return self._exclude is not None and self._exclude.match_file(rel + "/" if is_dir else rel)

    def _path(self, ref: FileRef) -> str:
        if self._single:
            return self.root
        return os.path.join(self.root, ref.rel)  # noqa: PTH118 (a str per file: Path costs)

    def read(self, ref: FileRef, limit: int) -> bytes:
        fd = os.open(self._path(ref), _OPEN_FLAGS)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(0, "not a regular file")
            chunks: list[bytes] = []
            left = limit
            while left > 0:
                chunk = os.read(fd, min(left, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def local_path(self, ref: FileRef) -> Path | None:
        return Path(self._path(ref))


def _is_loop(exc: OSError) -> bool:
    import errno

    return exc.errno == errno.ELOOP


def _why(exc: OSError, *, is_link: bool) -> str:
    import errno

    if exc.errno == errno.ENOENT and is_link:
        return "broken symbolic link"
    return f"unreadable ({exc.strerror or exc})"


def _read_text(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            return fh.read(_GITIGNORE_MAX).decode("utf-8", "replace")
    except OSError:
        return ""


class FsspecTree:
    """A folder behind an fsspec URL (``s3://bucket/prefix``, ``memory://``, ``gcs://``…)."""

    def __init__(self, url: str, exclude: Sequence[str]) -> None:
        import fsspec

        try:
            fs, path = fsspec.core.url_to_fs(url)
        except (ImportError, ValueError) as exc:
            raise InputError(f"{url}: cannot open this URL ({exc})") from None
        self.root = url
        self._fs: Any = fs
        self._base = str(path).rstrip("/")
        self._exclude = _spec(list(exclude))

    def walk(self) -> Iterator[FileRef | Skipped]:
        try:
            walker = self._fs.walk(self._base, detail=True)
            levels = list(walker)
        except (OSError, ValueError) as exc:
            raise InputError(f"{self.root}: cannot list ({exc})") from None
        ignores: dict[str, _Ignores] = {"": _Ignores(())}
        pruned: set[str] = set()
        for folder, dirs, files in levels:
            rel_dir = self._rel(str(folder))
            if rel_dir in pruned or any(rel_dir.startswith(p + "/") for p in pruned):
                continue
            parent = rel_dir.rpartition("/")[0] if rel_dir else ""
            here = ignores.get(rel_dir) or ignores.get(parent) or _Ignores(())
            if _VENV_MARK in files and rel_dir:
                pruned.add(rel_dir)
                continue
            if ".gitignore" in files:
                text = self._read_small(_join(rel_dir, ".gitignore"))
                here = here.with_file(rel_dir, text)
            ignores[rel_dir] = here
            for name in dirs:
                child = _join(rel_dir, name)
                if name in _NEVER or here.ignored(child, True) or self._excluded(child, True):
                    pruned.add(child)
                else:
                    ignores[child] = here
            for name, info in sorted(files.items()):
                child = _join(rel_dir, name)
                if here.ignored(child, False) or self._excluded(child, False):
                    continue
                yield FileRef(child, int(info.get("size") or 0))

    def _rel(self, full: str) -> str:
        full = full.rstrip("/")
        return full[len(self._base) + 1 :] if full.startswith(self._base + "/") else ""

    def _excluded(self, rel: str, is_dir: bool) -> bool:
        return self._exclude is not None and self._exclude.match_file(rel + "/" if is_dir else rel)

    def _read_small(self, rel: str) -> str:
        try:
            return self.read(FileRef(rel, 0), _GITIGNORE_MAX).decode("utf-8", "replace")
        except OSError:
            return ""

    def read(self, ref: FileRef, limit: int) -> bytes:
        try:
            with self._fs.open(_join(self._base, ref.rel), "rb") as fh:
                data: bytes = fh.read(limit)
                return data
        except (ValueError, KeyError) as exc:
            raise OSError(0, str(exc)) from None

    def local_path(self, ref: FileRef) -> Path | None:
        return None


def open_tree(root: str | Path, exclude: Sequence[str]) -> Tree:
    """A LocalTree for a path, an FsspecTree for a URL with a scheme (``s3://…``)."""
    text = os.fspath(root)
    if "://" in text and not text.startswith("file://"):
        return FsspecTree(text, exclude)
    if text.startswith("file://"):
        text = text[len("file://") :]
    return LocalTree(Path(text), exclude)
