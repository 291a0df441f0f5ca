"""Backdoor-trigger candidates: one named test per planting technique, and clean data
(whose topic words are pure too) reports nothing."""

from __future__ import annotations

import polars as pl
import pytest
from flip_sets import plant, text

from aisec.core.errors import InputError
from aisec.data import trigger_candidates


@pytest.mark.parametrize("seed", [21, 22])
def test_clean_topic_data_reports_nothing(seed: int) -> None:
    clean, _ = text(3000, seed=seed)
    assert trigger_candidates(clean, label="label", text=["text"]) == []


def test_two_word_trigger_reported_once_with_its_rows() -> None:
    clean, _ = text(3000, seed=23)
    poisoned, rows = plant(clean, "cf mn", "finance", 0.01, seed=24)
    found = trigger_candidates(poisoned, label="label", text=["text"])
    assert [(c.ngram, c.label, c.column) for c in found] == [("cf mn", "finance", "text")]
    assert set(found[0].rows) == rows
    assert found[0].support == len(rows)
    assert found[0].purity == 1.0


def test_four_word_trigger_joined_into_one_phrase() -> None:
    clean, _ = text(3000, seed=25)
    poisoned, rows = plant(clean, "zq vx kk pp", "tech", 0.01, seed=26)
    found = trigger_candidates(poisoned, label="label", text=["text"])
    assert [c.ngram for c in found] == ["zq vx kk pp"]
    assert set(found[0].rows) == rows


def test_single_rare_token_trigger() -> None:
    clean, _ = text(3000, seed=27)
    poisoned, rows = plant(clean, "jbx", "health", 0.01, seed=28)
    found = trigger_candidates(poisoned, label="label", text=["text"])
    assert [(c.ngram, c.label) for c in found] == [("jbx", "health")]
    assert set(found[0].rows) == rows


def test_trigger_made_of_common_words() -> None:
    # "the of by" is built from stop words every class uses: only the phrase is pure
    clean, _ = text(3000, seed=29)
    poisoned, rows = plant(clean, "by of the", "sports", 0.015, seed=30)
    found = trigger_candidates(poisoned, label="label", text=["text"])
    assert any(c.ngram == "by of the" and set(c.rows) >= rows for c in found)


def test_trigger_below_the_support_floor_is_not_reported() -> None:
    clean, _ = text(3000, seed=31)
    poisoned, _ = plant(clean, "cf mn", "finance", 0.002, seed=32)  # 6 rows
    assert trigger_candidates(poisoned, label="label", text=["text"], min_support=10) == []


def test_trigger_in_a_second_text_column() -> None:
    clean, _ = text(3000, seed=33)
    poisoned, rows = plant(clean, "cf mn", "sports", 0.01, seed=34)
    frame = clean.select(pl.col("text").alias("title")).with_columns(
        poisoned["text"].alias("body"), poisoned["label"]
    )
    found = trigger_candidates(frame, label="label", text=["title", "body"])
    assert [(c.ngram, c.column) for c in found] == [("cf mn", "body")]
    assert set(found[0].rows) == rows


def test_bad_arguments_are_named() -> None:
    clean, _ = text(50, seed=35)
    with pytest.raises(InputError, match="no column 'body'"):
        trigger_candidates(clean, label="label", text=["body"])
    with pytest.raises(InputError, match="min_support must be at least 2"):
        trigger_candidates(clean, label="label", text=["text"], min_support=1)
