"""Content digests of data sets: a Merkle tree over files, and inside each file over its
Parquet row groups or fixed-size chunks.

Every byte of a file belongs to exactly one leaf, so any change lands in a leaf that can be
named. A Parquet file's leaves are its header (the bytes before the first row group), each
row group (from its first column chunk to the start of the next row group, so page indexes
and bloom filters between row groups count with the row group before them) and its footer.
Other files, and Parquet files whose footer cannot be read, are cut into fixed-size chunks.
A leaf records its byte range, so :func:`compare` re-reads the same ranges of the current
file and names the leaf that changed even when the footer itself was damaged.

Hashes are SHA-256 in the RFC 6962 tree shape: a leaf is ``H(0x00 || sha256(bytes))``, an
inner node ``H(0x01 || left || right)``, and a data set's root is the tree over its files'
``H(0x02 || path || 0x00 || file root)`` in path order (the path is empty when the data
set is a single file, so a renamed copy keeps its digest).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from aisec.core.errors import InputError

__all__ = [
    "CHUNK",
    "MAX_FILES",
    "Change",
    "FileDigest",
    "Leaf",
    "Tree",
    "compare",
    "data_size",
    "digest_data",
    "tree_from_json",
]

CHUNK = 1 << 20  # bytes per chunk of a non-Parquet file (more for large files: see _chunk)
MAX_LEAVES = 4096  # chunks per file; a larger file gets larger chunks
MAX_FILES = 100_000
_READ = 1 << 20
_PARQUET_MAGIC = b"PAR1"


@dataclass(frozen=True, slots=True)
class Leaf:
    """A byte range of a file and the SHA-256 of its bytes."""

    name: str
    offset: int
    length: int
    sha256: str


@dataclass(frozen=True, slots=True)
class FileDigest:
    """One file: its path inside the data set, size, kind (parquet or chunks), leaves and
    Merkle root."""

    path: str
    size: int
    kind: str
    leaves: tuple[Leaf, ...]
    root: str


@dataclass(frozen=True, slots=True)
class Tree:
    """The digest of a data set: its files and the Merkle root over them."""

    files: tuple[FileDigest, ...]
    root: str

    def to_json(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "files": [
                {
                    "path": f.path,
                    "size": f.size,
                    "kind": f.kind,
                    "root": f.root,
                    "leaves": [[x.name, x.offset, x.length, x.sha256] for x in f.leaves],
                }
                for f in self.files
            ],
        }


@dataclass(frozen=True, slots=True)
class Change:
    """What differs between a recorded file and the current one. ``leaf`` is None for a
    whole-file change (added, missing)."""

    path: str
    what: str  # changed | missing | added | resized
    leaf: str | None
    detail: str


def tree_from_json(data: dict[str, Any]) -> Tree:
    """The :class:`Tree` stored by :meth:`Tree.to_json`."""
    files = tuple(
        FileDigest(
            path=str(f["path"]),
            size=int(f["size"]),
            kind=str(f["kind"]),
            root=str(f["root"]),
            leaves=tuple(Leaf(str(n), int(o), int(ln), str(h)) for n, o, ln, h in f["leaves"]),
        )
        for f in data["files"]
    )
    return Tree(files=files, root=str(data["root"]))


def _h(*parts: bytes) -> bytes:
    h = hashlib.sha256()
    for part in parts:
        h.update(part)
    return h.digest()


def merkle_root(hashes: list[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash of already-hashed leaves (the empty tree: sha256(''))."""
    if not hashes:
        return _h()
    if len(hashes) == 1:
        return hashes[0]
    split = 1 << ((len(hashes) - 1).bit_length() - 1)
    return _h(b"\x01", merkle_root(hashes[:split]), merkle_root(hashes[split:]))


def _file_root(leaves: tuple[Leaf, ...]) -> str:
    return merkle_root([_h(b"\x00", bytes.fromhex(x.sha256)) for x in leaves]).hex()


def _data_root(files: tuple[FileDigest, ...], single: bool) -> str:
    """The root over files; a data set that is one file is named by content alone, so a
    copy under another name has the same digest."""
    nodes = [
        _h(b"\x02", b"" if single else f.path.encode(), b"\x00", bytes.fromhex(f.root))
        for f in files
    ]
    return merkle_root(nodes).hex()


def _open_fs(data: str) -> tuple[Any, str]:
    from fsspec.core import url_to_fs

    try:
        fs, path = url_to_fs(data)
    except (ValueError, ImportError) as exc:
        raise InputError(f"data: cannot open {data}: {exc}") from None
    return fs, path


def _list_files(fs: Any, root: str, data: str) -> list[tuple[str, str, int]]:
    """(full path, path inside the data set, size) of each file, in path order."""
    try:
        if not fs.exists(root):
            raise InputError(f"data: {data}: no such file or folder")
        if not fs.isdir(root):
            name = root.rstrip("/").rsplit("/", 1)[-1]
            return [(root, name, int(fs.size(root)))]
        found = fs.find(root, detail=True)
    except OSError as exc:
        raise InputError(f"data: cannot read {data}: {exc}") from None
    prefix = root.rstrip("/") + "/"
    out: list[tuple[str, str, int]] = []
    for full, info in sorted(found.items()):
        if info.get("type") != "file" or info.get("islink"):
            continue
        out.append((full, full[len(prefix) :] if full.startswith(prefix) else full, info["size"]))
        if len(out) > MAX_FILES:
            raise InputError(f"data: {data} holds more than {MAX_FILES} files; record parts")
    if not out:
        raise InputError(f"data: {data} holds no files")
    return out


def _chunk(size: int) -> int:
    chunk = CHUNK
    while size > chunk * MAX_LEAVES:
        chunk *= 2
    return chunk


def _parquet_ranges(handle: BinaryIO, size: int) -> list[tuple[str, int, int]] | None:
    """(name, offset, length) of header, row groups and footer; None if not a readable
    Parquet file (it is then chunked)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if size < 12:
        return None
    handle.seek(0)
    head = handle.read(4)
    handle.seek(size - 4)
    if head != _PARQUET_MAGIC or handle.read(4) != _PARQUET_MAGIC:
        return None
    handle.seek(0)
    try:
        meta = pq.ParquetFile(handle).metadata
    except (pa.ArrowException, OSError, ValueError):
        return None
    starts: list[tuple[int, int]] = []
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        begin, end = size, 0
        for c in range(group.num_columns):
            col = group.column(c)
            first = col.data_page_offset
            if col.has_dictionary_page and col.dictionary_page_offset:
                first = min(first, col.dictionary_page_offset)
            begin = min(begin, first)
            end = max(end, first + col.total_compressed_size)
        starts.append((begin, end))
    if not starts:
        return [("header", 0, 4), ("footer", 4, size - 4)]
    ranges: list[tuple[str, int, int]] = [("header", 0, starts[0][0])]
    for i, (begin, _) in enumerate(starts):
        stop = starts[i + 1][0] if i + 1 < len(starts) else starts[-1][1]
        if not 4 <= begin < stop <= size:
            return None  # odd metadata: chunk the file instead
        ranges.append((f"row group {i}", begin, stop - begin))
    ranges.append(("footer", starts[-1][1], size - starts[-1][1]))
    if ranges[0][2] < 0 or ranges[-1][2] <= 0:
        return None
    return ranges


def _hash_range(handle: BinaryIO, offset: int, length: int) -> str:
    handle.seek(offset)
    h = hashlib.sha256()
    left = length
    while left > 0:
        block = handle.read(min(_READ, left))
        if not block:
            break
        h.update(block)
        left -= len(block)
    return h.hexdigest()


def _digest_file(
    handle: BinaryIO, rel: str, size: int, advance: Callable[[int], None]
) -> FileDigest:
    ranges = _parquet_ranges(handle, size)
    kind = "parquet"
    if ranges is None:
        kind = "chunks"
        step = _chunk(size)
        ranges = [
            (f"chunk {i}", off, min(step, size - off)) for i, off in enumerate(range(0, size, step))
        ] or [("chunk 0", 0, 0)]
    leaves = []
    for name, offset, length in ranges:
        leaves.append(Leaf(name, offset, length, _hash_range(handle, offset, length)))
        advance(length)
    frozen = tuple(leaves)
    return FileDigest(path=rel, size=size, kind=kind, leaves=frozen, root=_file_root(frozen))


def _files(data: str) -> tuple[list[tuple[Any, str, str, int]], bool]:
    """The files of ``data`` (fs, full path, path inside, size), and whether ``data`` is
    itself one file."""
    fs, root = _open_fs(data)
    listed = _list_files(fs, root, data)
    single = len(listed) == 1 and listed[0][0] == root
    return [(fs, full, rel, size) for full, rel, size in listed], single


def data_size(data: str) -> int:
    """Total bytes of the files of ``data`` (a listing only; for progress bars)."""
    return sum(size for _fs, _full, _rel, size in _files(data)[0])


def digest_data(data: str, advance: Callable[[int], None] | None = None) -> Tree:
    """The Merkle digest of a file or folder (local path or fsspec URL). ``advance`` is
    called with the bytes hashed, for progress."""
    step = advance or (lambda _n: None)
    files: list[FileDigest] = []
    listed, single = _files(data)
    for fs, full, rel, size in listed:
        try:
            with fs.open(full, "rb") as handle:
                files.append(_digest_file(handle, rel, size, step))
        except OSError as exc:
            raise InputError(f"data: cannot read {rel} in {data}: {exc}") from None
    frozen = tuple(files)
    return Tree(files=frozen, root=_data_root(frozen, single))


def compare(recorded: Tree, data: str) -> list[Change]:
    """The files and leaves of ``data`` that differ from ``recorded``: each recorded leaf's
    byte range is hashed again in the current file."""
    current = {rel: (fs, full, size) for fs, full, rel, size in _files(data)[0]}
    if len(recorded.files) == 1 and len(current) == 1:
        # One file against one file: compare them whatever they are called now.
        current = {recorded.files[0].path: next(iter(current.values()))}
    changes: list[Change] = []
    for f in recorded.files:
        found = current.pop(f.path, None)
        if found is None:
            changes.append(Change(f.path, "missing", None, "the file is gone"))
            continue
        fs, full, size = found
        if size != f.size:
            changes.append(Change(f.path, "resized", None, f"size {f.size} -> {size} bytes"))
        try:
            with fs.open(full, "rb") as handle:
                for leaf in f.leaves:
                    end = min(leaf.offset + leaf.length, size)
                    got = _hash_range(handle, leaf.offset, max(end - leaf.offset, 0))
                    if got != leaf.sha256:
                        changes.append(
                            Change(
                                f.path,
                                "changed",
                                leaf.name,
                                f"bytes {leaf.offset}-{leaf.offset + leaf.length - 1}",
                            )
                        )
        except OSError as exc:
            raise InputError(f"data: cannot read {f.path} in {data}: {exc}") from None
    changes.extend(Change(rel, "added", None, "not in the record") for rel in sorted(current))
    return changes
