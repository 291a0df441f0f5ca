"""Label-flip suspects (confident learning): precision and recall on a 3% flip, and the
frames that cannot be judged."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from flip_sets import flip, precision_recall, tabular, text

from aisec.core.errors import InputError
from aisec.data import label_flip_suspects


def test_tabular_three_percent_flip_found() -> None:
    clean, _ = tabular(3000, seed=0)
    poisoned, truth = flip(clean, 0.03, seed=1)
    suspects = label_flip_suspects(poisoned, label="label")
    precision, recall = precision_recall({s.row for s in suspects}, truth)
    assert precision >= 0.7
    assert recall >= 0.7
    # each suspect names a label other than the one it has
    assert all(s.likely != s.given and 0 < s.confidence <= 1 for s in suspects)


def test_text_three_percent_flip_found() -> None:
    clean, _ = text(2000, seed=5)
    poisoned, truth = flip(clean, 0.03, seed=6)
    suspects = label_flip_suspects(poisoned, label="label", text=["text"])
    precision, recall = precision_recall({s.row for s in suspects}, truth)
    assert precision >= 0.7
    assert recall >= 0.7


def test_flipped_rows_name_their_true_label() -> None:
    clean, _ = text(2000, seed=5)
    poisoned, truth = flip(clean, 0.03, seed=6)
    found = [
        s for s in label_flip_suspects(poisoned, label="label", text=["text"]) if s.row in truth
    ]
    right = [s for s in found if s.likely == clean["label"][s.row]]
    assert found
    assert len(right) >= 0.9 * len(found)


def test_rows_index_the_given_frame_past_null_labels() -> None:
    clean, _ = text(2000, seed=5)
    poisoned, truth = flip(clean, 0.03, seed=6)
    with_nulls = pl.concat(
        [pl.DataFrame({"text": ["x"] * 5, "label": [None] * 5}, schema=poisoned.schema), poisoned]
    )
    rows = {s.row for s in label_flip_suspects(with_nulls, label="label", text=["text"])}
    shifted = {r + 5 for r in truth}
    assert len(rows & shifted) >= 0.7 * len(truth)
    assert not rows & set(range(5))


def test_columns_inferred_when_none_given() -> None:
    clean, _ = tabular(600, seed=10)
    poisoned, truth = flip(clean, 0.05, seed=11)
    rows = {s.row for s in label_flip_suspects(poisoned, label="label")}
    assert len(rows & truth) >= 0.5 * len(truth)


def test_fixed_threshold_flags_more_when_lower() -> None:
    clean, _ = text(800, seed=12)
    poisoned, _ = flip(clean, 0.03, seed=13)
    low = label_flip_suspects(poisoned, label="label", text=["text"], threshold=0.3)
    high = label_flip_suspects(poisoned, label="label", text=["text"], threshold=0.99)
    assert len(low) >= len(high)
    with pytest.raises(InputError, match="threshold must be between 0 and 1"):
        label_flip_suspects(poisoned, label="label", threshold=1.5)


def test_single_class_cannot_be_judged() -> None:
    frame = pl.DataFrame({"x": np.arange(50.0), "label": ["a"] * 50})
    with pytest.raises(InputError, match="1 class"):
        label_flip_suspects(frame, label="label")


def test_tiny_class_cannot_be_cross_validated() -> None:
    frame = pl.DataFrame({"x": np.arange(50.0), "label": ["a"] * 48 + ["b"] * 2})
    with pytest.raises(InputError, match="fewer than 5 rows"):
        label_flip_suspects(frame, label="label")


def test_missing_column_is_named() -> None:
    frame = pl.DataFrame({"x": [1.0, 2.0], "label": ["a", "b"]})
    with pytest.raises(InputError, match="no column 'nope'"):
        label_flip_suspects(frame, label="label", features=["nope"])
