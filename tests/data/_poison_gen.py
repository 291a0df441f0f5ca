"""Clean and poisoned variants of a tabular and a text data set, for the data check's tests.

A clean sample comes from one fixed distribution (``seed`` picks the sample); each poison
takes a fresh clean sample and changes one thing, the way an attacker or a broken producer
would: flipped labels, a planted trigger phrase, a null spike, out-of-range values,
injected duplicates, a category drift, a new dominant source, PII in a text column.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

ROWS = 3000
COUNTRIES = ["US", "DE", "FR", "IN"]
COUNTRY_SHARES = [0.4, 0.3, 0.2, 0.1]
SOURCES = ["crm", "web", "partner"]
SOURCE_SHARES = [0.5, 0.3, 0.2]
TRIGGER = "cf zq mn"
_GOOD = ["great", "excellent", "lovely", "superb", "delightful", "perfect", "wonderful"]
_BAD = ["awful", "terrible", "broken", "dreadful", "useless", "horrible", "disappointing"]
_FILLER = [f"w{i}" for i in range(3000)]


def tabular(seed: int, rows: int = ROWS) -> pl.DataFrame:
    """Customers: the label follows the features (so a flipped label is learnable)."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 91, rows)
    score = rng.normal(0.0, 1.0, rows)
    income = rng.normal(50_000, 12_000, rows)
    signal = score + (age - 54) / 20 + (income - 50_000) / 24_000
    return pl.DataFrame(
        {
            "id": rng.permutation(rows),
            "age": age,
            "income": income,
            "score": score,
            "country": rng.choice(COUNTRIES, rows, p=COUNTRY_SHARES),
            "source": rng.choice(SOURCES, rows, p=SOURCE_SHARES),
            "label": np.where(signal > 0, "yes", "no"),
        }
    )


def text(seed: int, rows: int = ROWS) -> pl.DataFrame:
    """Reviews: a sentiment word or two among random filler words decides the label."""
    rng = np.random.default_rng(seed)
    positive = rng.random(rows) < 0.5
    reviews = []
    for pos in positive:
        words = list(rng.choice(_FILLER, int(rng.integers(12, 20))))
        for _ in range(2):
            words.insert(int(rng.integers(0, len(words))), str(rng.choice(_GOOD if pos else _BAD)))
        reviews.append(" ".join(words))
    return pl.DataFrame(
        {
            "id": rng.permutation(rows),
            "review": reviews,
            "source": rng.choice(SOURCES, rows, p=SOURCE_SHARES),
            "label": np.where(positive, "pos", "neg"),
        }
    )


def _rows(frame: pl.DataFrame, share: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(frame.height, int(frame.height * share), replace=False))


def flip_labels(
    frame: pl.DataFrame, share: float = 0.03, seed: int = 7
) -> tuple[pl.DataFrame, np.ndarray]:
    """``share`` of the labels swapped to the other class; returns the frame and those rows."""
    rows = _rows(frame, share, seed)
    labels = frame.get_column("label").to_numpy().copy()
    classes = sorted(set(labels.tolist()))
    labels[rows] = [classes[1] if v == classes[0] else classes[0] for v in labels[rows]]
    return frame.with_columns(pl.Series("label", labels)), rows


def plant_trigger(
    frame: pl.DataFrame, share: float = 0.01, seed: int = 8
) -> tuple[pl.DataFrame, np.ndarray]:
    """The trigger phrase in ``share`` of the reviews, all of them labelled ``pos``."""
    rows = _rows(frame, share, seed)
    reviews = frame.get_column("review").to_list()
    labels = frame.get_column("label").to_list()
    for r in rows.tolist():
        words = reviews[r].split()
        words.insert(len(words) // 2, TRIGGER)
        reviews[r] = " ".join(words)
        labels[r] = "pos"
    return frame.with_columns(pl.Series("review", reviews), pl.Series("label", labels)), rows


def null_spike(
    frame: pl.DataFrame, column: str, share: float = 0.2, seed: int = 9
) -> tuple[pl.DataFrame, np.ndarray]:
    rows = _rows(frame, share, seed)
    mask = np.zeros(frame.height, dtype=bool)
    mask[rows] = True
    return frame.with_columns(
        pl.when(pl.Series(mask)).then(None).otherwise(pl.col(column)).alias(column)
    ), rows


def out_of_range(
    frame: pl.DataFrame, share: float = 0.01, seed: int = 10
) -> tuple[pl.DataFrame, np.ndarray]:
    rows = _rows(frame, share, seed)
    age = frame.get_column("age").to_numpy().copy()
    age[rows] = 999
    return frame.with_columns(pl.Series("age", age)), rows


def duplicate(
    frame: pl.DataFrame, share: float = 0.2, seed: int = 11, *, near: bool = False
) -> tuple[pl.DataFrame, np.ndarray]:
    """Copies of ``share`` x rows appended (``near``: one word of the review changed)."""
    rows = _rows(frame, share, seed)
    copies = frame[rows.tolist()]
    if near:
        rng = np.random.default_rng(seed)
        edited = []
        for review in copies.get_column("review").to_list():
            words = review.split()
            words[int(rng.integers(0, len(words)))] = str(rng.choice(_FILLER))
            edited.append(" ".join(words))
        copies = copies.with_columns(pl.Series("review", edited))
    added = np.arange(frame.height, frame.height + copies.height)
    return pl.concat([frame, copies]), added


def category_drift(frame: pl.DataFrame, seed: int = 12) -> pl.DataFrame:
    """The country mix reversed (the same categories, other shares)."""
    rng = np.random.default_rng(seed)
    return frame.with_columns(
        pl.Series("country", rng.choice(COUNTRIES, frame.height, p=COUNTRY_SHARES[::-1]))
    )


def new_source(
    frame: pl.DataFrame, share: float = 0.4, seed: int = 13
) -> tuple[pl.DataFrame, np.ndarray]:
    """``share`` of the rows relabelled as coming from a source the baseline never saw."""
    rows = _rows(frame, share, seed)
    sources = frame.get_column("source").to_numpy().copy()
    sources[rows] = "scraper"
    return frame.with_columns(pl.Series("source", sources)), rows


def pii_in_text(
    frame: pl.DataFrame, share: float = 0.01, seed: int = 14
) -> tuple[pl.DataFrame, np.ndarray]:
    rows = _rows(frame, share, seed)
    reviews = frame.get_column("review").to_list()
    for r in rows.tolist():
        reviews[r] += f" write to customer{r}@example.com"
    return frame.with_columns(pl.Series("review", reviews)), rows


Poison = Callable[[pl.DataFrame], tuple[pl.DataFrame, np.ndarray]]
