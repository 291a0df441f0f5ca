"""Profiles: one pass, mergeable, the same for every format and for an fsspec URL."""

from __future__ import annotations

import json
from pathlib import Path

import fsspec
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.core.errors import InputError
from aisec.data._check import profile_data
from aisec.data._profile import Numbers, Profile


def _frame(seed: int, rows: int = 2000) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = pl.Series(rng.normal(5, 2, rows))
    return pl.DataFrame(
        {
            "x": x.scatter(np.flatnonzero(rng.random(rows) < 0.1), None),
            "n": rng.integers(0, 10, rows),
            "c": rng.choice(["a", "b", "c"], rows),
            "t": [f"text number {i} " * int(rng.integers(1, 4)) for i in range(rows)],
        }
    )


def test_profile_of_two_halves_merges_into_the_whole(tmp_path: Path) -> None:
    frame = _frame(1)
    frame.write_parquet(tmp_path / "all.parquet")
    frame.head(700).write_parquet(tmp_path / "a.parquet")
    frame.tail(1300).write_parquet(tmp_path / "b.parquet")
    whole = profile_data(tmp_path / "all.parquet").to_json()
    merged = profile_data(tmp_path / "a.parquet").merge(profile_data(tmp_path / "b.parquet"))
    parts = merged.to_json()
    for doc in (whole, parts):  # float sums differ in the last bits with the order of adding
        for col in doc["columns"].values():
            for key in ("numbers", "text_lengths"):
                if key in col:
                    for k in ("sum", "sumsq", "mean", "std"):
                        col[key][k] = round(col[key][k], 6)
    assert parts == whole


def test_quantiles_are_within_half_a_percent() -> None:
    values = np.random.default_rng(3).lognormal(0, 1, 50_000)
    nums = Numbers()
    nums.add(pl.Series(values))
    qs = [0.01, 0.1, 0.5, 0.9, 0.99]
    for got, want in zip(nums.sketch.quantiles(qs), np.quantile(values, qs), strict=True):
        assert abs(got - want) / want < 0.005


def test_nan_infinity_and_null_are_not_counted_as_numbers() -> None:
    nums = Numbers()
    nums.add(pl.Series([1.0, None, float("nan"), float("inf"), -float("inf"), -3.0]))
    assert (nums.count, nums.min, nums.max) == (2, -3.0, 1.0)
    assert nums.sketch.count == 2


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), max_size=60),
    st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), max_size=60),
)
def test_sketch_merge_equals_sketch_of_union(a: list[float], b: list[float]) -> None:
    left, right, both = Numbers(), Numbers(), Numbers()
    left.add(pl.Series(a, dtype=pl.Float64))
    right.add(pl.Series(b, dtype=pl.Float64))
    both.add(pl.Series(a + b, dtype=pl.Float64))
    left.merge(right)
    assert left.sketch == both.sketch and left.count == both.count
    assert (left.min, left.max) == (both.min, both.max)


def test_csv_jsonl_and_parquet_profile_alike(tmp_path: Path) -> None:
    frame = _frame(2)
    frame.write_csv(tmp_path / "d.csv")
    frame.write_ndjson(tmp_path / "d.jsonl")
    frame.write_parquet(tmp_path / "d.parquet")
    docs = [profile_data(tmp_path / f"d.{ext}").to_json() for ext in ("csv", "jsonl", "parquet")]
    for doc in docs[1:]:
        assert doc["rows"] == docs[0]["rows"] == 2000
        assert doc["columns"]["c"]["categories"] == docs[0]["columns"]["c"]["categories"]
        assert doc["columns"]["x"]["nulls"] == docs[0]["columns"]["x"]["nulls"]


def test_fsspec_url(tmp_path: Path) -> None:
    fs = fsspec.filesystem("memory")
    with fs.open("/bucket/d.parquet", "wb") as fh:
        _frame(3).write_parquet(fh)
    profile = profile_data("memory://bucket/d.parquet", label="c")
    assert profile.rows == 2000 and sum((profile.label_distribution() or {}).values()) == 2000


def test_profile_json_round_trip(tmp_path: Path) -> None:
    _frame(4).write_parquet(tmp_path / "d.parquet")
    doc = profile_data(tmp_path / "d.parquet", label="c").to_json()
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))
    assert Profile.load(str(path)).to_json() == doc


def test_text_columns_get_length_profiles_and_high_cardinality(tmp_path: Path) -> None:
    _frame(5).write_parquet(tmp_path / "d.parquet")
    col = profile_data(tmp_path / "d.parquet").columns["t"]
    assert col.high_cardinality and col.lengths is not None and col.lengths.min == 14
    assert col.categories == {} and col.other == 2000  # no text kept in a profile


@pytest.mark.parametrize("content", ['{"rows": 3}', "[1, 2]", "not json"])
def test_a_file_that_is_not_a_profile_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(content)
    with pytest.raises(InputError, match=r"p\.json"):
        Profile.load(str(path))


def test_unknown_label_column_is_named(tmp_path: Path) -> None:
    _frame(6).write_parquet(tmp_path / "d.parquet")
    with pytest.raises(InputError, match="no column 'nope'"):
        profile_data(tmp_path / "d.parquet", label="nope")


def test_a_parquet_name_with_glob_characters_is_read_as_a_name(tmp_path: Path) -> None:
    _frame(4).write_parquet(tmp_path / "d[1]*.parquet")
    _frame(5, 500).write_parquet(tmp_path / "d1x.parquet")  # what it would match as a glob
    assert profile_data(tmp_path / "d[1]*.parquet").rows == 2000
