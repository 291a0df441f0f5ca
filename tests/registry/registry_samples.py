"""Model folders built on disk for the registry tests (benign, malicious) and a reader."""

from __future__ import annotations

import json
import os
import pickle
import struct
from pathlib import Path
from typing import Any


def safetensors_bytes(seed: int, n: int = 4096) -> bytes:
    """A small valid safetensors file: one float32 tensor of ``n`` values."""
    header = json.dumps({"w": {"dtype": "F32", "shape": [n], "data_offsets": [0, 4 * n]}}).encode()
    header += b" " * (-len(header) % 8)
    data = bytes((seed + i) % 251 for i in range(4 * n))
    return struct.pack("<Q", len(header)) + header + data


def make_model(folder: Path, seed: int = 1) -> Path:
    """A model folder: weights, a config and a tokenizer file."""
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(safetensors_bytes(seed))
    (folder / "config.json").write_text(json.dumps({"hidden": 8, "seed": seed}))
    (folder / "tok").mkdir()
    (folder / "tok" / "vocab.txt").write_text("a\nb\nc\n")
    return folder


class _Evil:
    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, ("echo pwned",))


def make_malicious_model(folder: Path) -> Path:
    """A model folder whose pickle calls os.system when loaded (never loaded here)."""
    folder.mkdir(parents=True)
    (folder / "model.pkl").write_bytes(pickle.dumps(_Evil(), protocol=4))
    (folder / "config.json").write_text("{}")
    return folder


def tree_bytes(root: Path) -> dict[str, bytes]:
    """{relative path: bytes} of every file under ``root``."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
