"""Data files for robustness tests: .npz (never unpickled), CSV and Parquet, with limits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from aisec.core.errors import InputError
from aisec.robustness import load_data


def test_npz_csv_and_parquet_give_the_same_data(tmp_path: Path) -> None:
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    y = np.array([0, 1, 0, 1])
    np.savez(tmp_path / "d.npz", X=x, y=y)
    frame = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "label": y})
    frame.write_csv(tmp_path / "d.csv")
    frame.write_parquet(tmp_path / "d.parquet")
    for name in ("d.npz", "d.csv", "d.parquet"):
        data = load_data(tmp_path / name)
        assert np.array_equal(data.X, x) and np.array_equal(data.y, y), name


def test_npz_with_objects_is_refused_not_unpickled(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", X=np.array([{"a": 1}], dtype=object), y=np.array([0]))
    with pytest.raises(InputError, match="without objects"):
        load_data(tmp_path / "d.npz")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("d.csv", "a,b,label\n1,x,0\n", "non-numeric feature"),
        ("d.csv", "a,label\n1,0.5\n", "labels must be integers"),
        ("d.txt", "1,2", "expected .npz"),
        ("d.parquet", "not parquet", "cannot read"),
    ],
)
def test_bad_data_is_an_input_error(tmp_path: Path, name: str, content: str, message: str) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(InputError, match=message):
        load_data(tmp_path / name)


def test_npz_without_x_and_y(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", A=np.zeros(3))
    with pytest.raises(InputError, match="'X' and 'y'"):
        load_data(tmp_path / "d.npz")


def test_nan_features_are_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", X=np.array([[np.nan, 1.0]]), y=np.array([0]))
    with pytest.raises(InputError, match="NaN"):
        load_data(tmp_path / "d.npz")
