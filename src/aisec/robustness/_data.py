"""Labelled data sets for robustness tests: ``.npz`` (``X``, ``y``), CSV or Parquet.

CSV and Parquet: every column but the label is a numeric feature; the label is the
column named ``y``, ``label``, ``target`` or ``class`` (first found), else the last one.
``.npz`` files are read with ``allow_pickle=False``: an object array is refused, never
unpickled.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from aisec.core.errors import InputError

__all__ = ["Dataset", "load_data"]

MAX_BYTES = 2 * 1024**3
MAX_ROWS = 5_000_000
_LABELS = ("y", "label", "target", "class")


@dataclass(frozen=True)
class Dataset:
    X: NDArray[np.float32]
    y: NDArray[np.int64]

    def head(self, n: int | None) -> Dataset:
        return self if n is None else Dataset(self.X[:n], self.y[:n])


def load_data(path: Path) -> Dataset:
    """Read ``path`` (by suffix) into float32 features and int64 labels."""
    if not path.is_file():
        raise InputError(f"{path}: no such data file")
    if path.stat().st_size > MAX_BYTES:
        raise InputError(f"{path}: data file over {MAX_BYTES} bytes")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        x, y = _npz(path)
    elif suffix in (".csv", ".parquet", ".pq"):
        x, y = _table(path, suffix)
    else:
        raise InputError(f"{path}: expected .npz (X, y), .csv or .parquet data")
    if x.ndim < 2 or len(x) != len(y) or len(y) == 0:
        raise InputError(f"{path}: expected X of shape (n, ...) and y of shape (n,), n > 0")
    if len(y) > MAX_ROWS:
        raise InputError(f"{path}: over {MAX_ROWS} rows")
    if not np.all(np.isfinite(x)):
        raise InputError(f"{path}: X holds NaN or infinite values")
    return Dataset(x.astype(np.float32, copy=False), y)


def _labels(values: NDArray[np.generic], where: str) -> NDArray[np.int64]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise InputError(f"{where}: labels must be one column")
    if not np.issubdtype(arr.dtype, np.number) or not np.all(np.equal(np.mod(arr, 1), 0)):
        raise InputError(f"{where}: labels must be integers (class indices)")
    return arr.astype(np.int64)


def _npz(path: Path) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    try:
        with np.load(path, allow_pickle=False) as doc:
            if "X" not in doc.files or "y" not in doc.files:
                raise InputError(f"{path}: .npz must hold arrays 'X' and 'y'")
            x, y = doc["X"], doc["y"]
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: not a readable .npz without objects ({exc})") from None
    if not np.issubdtype(x.dtype, np.number):
        raise InputError(f"{path}: X must be numeric")
    return x.astype(np.float32), _labels(y, str(path))


def _table(path: Path, suffix: str) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    import polars as pl

    try:
        frame = pl.read_csv(path) if suffix == ".csv" else pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read ({str(exc)[:200]})") from None
    if frame.width < 2:
        raise InputError(f"{path}: expected feature columns and a label column")
    label = next((c for c in frame.columns if c.lower() in _LABELS), frame.columns[-1])
    features = frame.drop(label)
    bad = [c for c, t in zip(features.columns, features.dtypes, strict=True) if not t.is_numeric()]
    if bad:
        raise InputError(f"{path}: non-numeric feature column(s): {', '.join(bad[:5])}")
    return features.to_numpy().astype(np.float32), _labels(frame[label].to_numpy(), str(path))
