"""Hash a model's files in parallel, as OMS does: a digest per file (or per shard).

Large files are hashed one per task (hashlib releases the GIL on large updates); small
files go in batches, so ten thousand config files cost ten thousand reads, not ten
thousand futures. ``progress(n, total)`` is called from worker threads with the bytes
just hashed.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aisec.core.errors import InputError

__all__ = ["ALGORITHMS", "Progress", "hash_files", "hash_shards"]

Progress = Callable[[int, int], None]

ALGORITHMS = ("sha256", "blake2b", "blake3")
_CHUNK = 1 << 20
_BIG = 4 << 20  # files at least this large get a task of their own
_BATCH_BYTES = 4 << 20
_BATCH_FILES = 256
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def _hasher(algorithm: str) -> Any:
    if algorithm == "sha256":
        return hashlib.sha256()
    if algorithm == "blake2b":
        return hashlib.blake2b()
    if algorithm == "blake3":
        import blake3

        return blake3.blake3(max_threads=blake3.blake3.AUTO)
    raise InputError(f"hash algorithm {algorithm!r}: expected one of {', '.join(ALGORITHMS)}")


def _open(name: str, path: str) -> int:
    """A descriptor of a regular file (never a FIFO or device swapped in since the walk)."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise InputError(f"{name}: cannot open ({exc.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputError(f"{name}: no longer a regular file")
    return fd


def _digest_range(
    name: str,
    path: str,
    algorithm: str,
    start: int,
    end: int | None,
    buf: bytearray,
    progress: Progress | None,
    total: int,
) -> bytes:
    h = _hasher(algorithm)
    fd = _open(name, path)
    view = memoryview(buf)
    try:
        if start:
            os.lseek(fd, start, os.SEEK_SET)
        left = -1 if end is None else end - start
        while left:
            want = len(buf) if left < 0 else min(len(buf), left)
            n = os.readv(fd, [view[:want]])
            if not n:
                break
            h.update(view[:n])
            if left > 0:
                left -= n
            if progress is not None:
                progress(n, total)
    finally:
        os.close(fd)
    return bytes(h.digest())


def _batches(items: list[tuple[str, str, int]]) -> Iterator[list[tuple[str, str, int]]]:
    batch: list[tuple[str, str, int]] = []
    size = 0
    for item in items:
        if item[2] >= _BIG:
            yield [item]
            continue
        batch.append(item)
        size += item[2]
        if size >= _BATCH_BYTES or len(batch) >= _BATCH_FILES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _workers(n_tasks: int) -> int:
    return max(1, min(32, (os.cpu_count() or 1) + 4, n_tasks))


def hash_files(
    files: dict[str, tuple[str, int]],
    algorithm: str = "sha256",
    progress: Progress | None = None,
) -> dict[str, bytes]:
    """Digest of each file: ``{name: digest}`` for ``{name: (path, size)}``."""
    total = sum(size for _, size in files.values())
    items = sorted(((n, p, s) for n, (p, s) in files.items()), key=lambda i: -i[2])

    def run(batch: list[tuple[str, str, int]]) -> list[tuple[str, bytes]]:
        buf = bytearray(min(_CHUNK, max(batch[0][2], 1) + 1))
        return [
            (name, _digest_range(name, path, algorithm, 0, None, buf, progress, total))
            for name, path, _ in batch
        ]

    batches = list(_batches(items))
    if algorithm == "blake3":  # blake3 is parallel inside; one file at a time
        return dict(pair for batch in batches for pair in run(batch))
    out: dict[str, bytes] = {}
    if len(batches) == 1:
        out.update(run(batches[0]))
        return out
    with ThreadPoolExecutor(max_workers=_workers(len(batches))) as pool:
        for result in pool.map(run, batches):
            out.update(result)
    return out


def hash_shards(
    files: dict[str, tuple[str, int]],
    algorithm: str,
    shard_size: int,
    progress: Progress | None = None,
) -> dict[str, bytes]:
    """Digest of each shard, by OMS shard name ``path:start:end`` (empty files have none)."""
    if shard_size <= 0:
        raise InputError(f"shard size {shard_size}: must be positive")
    total = sum(size for _, size in files.values())
    shards = [
        (name, path, start, min(start + shard_size, size))
        for name, (path, size) in files.items()
        for start in range(0, size, shard_size)
    ]

    def run(shard: tuple[str, str, int, int]) -> tuple[str, bytes]:
        name, path, start, end = shard
        buf = bytearray(min(_CHUNK, end - start))
        digest = _digest_range(name, path, algorithm, start, end, buf, progress, total)
        return f"{name}:{start}:{end}", digest

    with ThreadPoolExecutor(max_workers=_workers(len(shards))) as pool:
        return dict(pool.map(run, shards))
