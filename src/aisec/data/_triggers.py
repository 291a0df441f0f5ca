"""Backdoor-trigger candidates: rare n-grams whose rows all carry one label for no reason
the rest of the text gives.

A planted trigger (a phrase stamped on rows of several classes, all relabelled to the
target) has three tells, and a candidate must show all of them:

1. support: it occurs in at least ``min_support`` rows, and in at most
   :data:`MAX_DOC_FRACTION` of them (a trigger is rare);
2. purity: at least :data:`MIN_PURITY` of those rows carry one label, and that is
   significant against the label's prior (one-sided binomial test, Bonferroni-corrected
   over every n-gram tested, at :data:`ALPHA`);
3. context: in at least :data:`MIN_DISAGREEMENT` of its rows, the rest of the row's words
   (a naive Bayes model of the whole column, with the n-gram's own words removed) point
   to another label. A topic word ("touchdown" in sports news) fails this test: the rest
   of its rows is about the same topic.

Limit: a clean-label trigger, planted only in rows already of the target class, passes
(1) and (2) but not (3), and counts alone cannot tell it from a topic word; it is not
reported. Overlapping n-grams of one trigger are merged: the longest n-gram is kept and
the shorter ones whose rows it covers are dropped ("cf mn", not "cf" and "mn"), and
n-grams that overlap on the same rows are joined into the longer phrase they come from.

Bounded work: at most :data:`SAMPLE_CAP` rows are read (a seeded sample beyond that) and
text cells are cut to :data:`TEXT_CHARS` characters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aisec.core.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

__all__ = [
    "ALPHA",
    "MAX_DOC_FRACTION",
    "MIN_DISAGREEMENT",
    "MIN_PURITY",
    "SAMPLE_CAP",
    "TEXT_CHARS",
    "TriggerCandidate",
    "trigger_candidates",
]

SAMPLE_CAP = 200_000
TEXT_CHARS = 2_000
MAX_NGRAM = 3
MIN_PURITY = 0.95
MAX_DOC_FRACTION = 0.05
MIN_DISAGREEMENT = 0.3
ALPHA = 1e-3
_MAX_VOCABULARY = 2_000_000  # distinct n-grams kept after the support floor
_CONFIDENT = 0.8  # posterior of another label that counts a row as pointing elsewhere
_COVER = 0.9  # a longer n-gram covering this share of a shorter one's rows absorbs it
_TOKENS = r"(?u)\b\w+\b"


@dataclass(frozen=True, slots=True)
class TriggerCandidate:
    """An n-gram of column ``column`` whose ``support`` rows (``rows``, 0-based) carry
    ``label`` with share ``purity``."""

    ngram: str
    column: str
    label: str
    rows: list[int]
    support: int
    purity: float


def trigger_candidates(
    frame: pl.DataFrame,
    *,
    label: str,
    text: Sequence[str],
    min_support: int | None = None,
) -> list[TriggerCandidate]:
    """Backdoor-trigger candidates in the ``text`` columns, strongest first.

    ``min_support`` is the fewest rows a trigger must be in (default: 0.2% of the labelled
    rows, at least 10). Raises :class:`InputError` for a missing column.
    """
    import numpy as np
    import polars as pl

    for col in (label, *text):
        if col not in frame.columns:
            raise InputError(f"triggers: no column {col!r} in the data")
    if min_support is not None and min_support < 2:
        raise InputError(f"triggers: min_support must be at least 2, got {min_support}")
    column = frame[label]
    if column.dtype.is_float():
        column = column.fill_nan(None)
    rows = np.flatnonzero(column.is_not_null().to_numpy())
    if len(rows) > SAMPLE_CAP:
        rows = np.sort(np.random.default_rng(0).choice(rows, SAMPLE_CAP, replace=False))
    labels = column.cast(pl.String).to_numpy()[rows].astype(str)
    classes, y = np.unique(labels, return_inverse=True)
    if len(classes) < 2 or not len(rows):
        return []
    floor = min_support if min_support is not None else max(10, math.ceil(0.002 * len(rows)))
    found: list[TriggerCandidate] = []
    for col in text:
        cells = (
            frame[col]
            .cast(pl.String)
            .fill_null("")
            .str.slice(0, TEXT_CHARS)
            .gather(rows.tolist())
            .to_list()
        )
        found.extend(_column_candidates(cells, col, y, classes, rows, floor))
    found.sort(key=lambda c: (-c.support * c.purity, c.column, c.ngram))
    return found


def _column_candidates(
    cells: list[str],
    column: str,
    y: np.ndarray,
    classes: np.ndarray,
    rows: np.ndarray,
    floor: int,
) -> list[TriggerCandidate]:
    import numpy as np
    from scipy import sparse
    from scipy.stats import binom

    n = len(cells)
    if floor > n * MAX_DOC_FRACTION:
        return []
    x = _ngram_matrix(cells, floor, MAX_NGRAM)
    if x is None:
        return []
    matrix, vocabulary = x
    k = len(classes)
    onehot = sparse.csr_matrix((np.ones(n), (np.arange(n), y)), shape=(n, k))
    by_label = np.asarray((matrix.T @ onehot).todense())  # n-grams x classes
    support = by_label.sum(axis=1)
    top = by_label.argmax(axis=1)
    hits = by_label[np.arange(len(top)), top]
    purity = hits / np.maximum(support, 1)
    prior = np.bincount(y, minlength=k) / n
    rare = (support >= floor) & (support <= n * MAX_DOC_FRACTION) & (purity >= MIN_PURITY)
    tested = int((support >= floor).sum())
    index = np.flatnonzero(rare)
    if not len(index):
        return []
    p = binom.sf(hits[index] - 1, support[index], prior[top[index]])
    index = index[p * max(tested, 1) <= ALPHA]
    if not len(index):
        return []
    words = _naive_bayes_words(cells, y, k)
    matrix = matrix.tocsc()
    picked: list[tuple[str, int, np.ndarray]] = []
    for i in index:
        members = matrix.indices[matrix.indptr[i] : matrix.indptr[i + 1]]
        gram = vocabulary[i]
        target = int(top[i])
        if _disagreement(members, gram, target, words) >= MIN_DISAGREEMENT:
            picked.append((gram, target, np.sort(members)))
    return [
        TriggerCandidate(
            ngram=gram,
            column=column,
            label=str(classes[target]),
            rows=[int(rows[m]) for m in members],
            support=len(members),
            purity=round(float((y[members] == target).mean()), 4),
        )
        for gram, target, members in _merge(picked)
    ]


def _ngram_matrix(cells: list[str], floor: int, longest: int) -> tuple[Any, list[str]] | None:
    """Binary row x n-gram matrix of the n-grams in at least ``floor`` rows."""
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(
        ngram_range=(1, longest),
        binary=True,
        min_df=floor,
        token_pattern=_TOKENS,
        max_features=_MAX_VOCABULARY,
        dtype=float,
    )
    try:
        matrix = vectorizer.fit_transform(cells)
    except ValueError:  # no n-gram reaches the floor (or no words at all)
        return None
    return matrix, list(vectorizer.get_feature_names_out())


class _Words:
    """Per-row unigram counts and a multinomial naive Bayes model of the column."""

    def __init__(self, counts: Any, vocabulary: dict[str, int], log_odds: Any, prior: Any):
        self.counts = counts
        self.vocabulary = vocabulary
        self.log_odds = log_odds
        self.prior = prior


def _naive_bayes_words(cells: list[str], y: np.ndarray, k: int) -> _Words:
    import numpy as np
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(token_pattern=_TOKENS, dtype=float)
    counts = vectorizer.fit_transform(cells).tocsr()
    n = len(cells)
    onehot = sparse.csr_matrix((np.ones(n), (np.arange(n), y)), shape=(n, k))
    per_class = np.asarray((onehot.T @ counts).todense()) + 1.0  # Laplace smoothing
    log_probs = np.log(per_class / per_class.sum(axis=1, keepdims=True))
    prior = np.log(np.bincount(y, minlength=k) / n)
    vocab = {str(w): int(i) for w, i in vectorizer.vocabulary_.items()}
    return _Words(counts, vocab, log_probs.T, prior)


def _disagreement(members: np.ndarray, gram: str, target: int, words: _Words) -> float:
    """Share of the rows whose words, without the n-gram's, point away from ``target``."""
    import numpy as np

    counts = words.counts[members].tolil(copy=True)
    for token in set(gram.split()):
        col = words.vocabulary.get(token)
        if col is not None:
            counts[:, col] = 0
    scores = np.asarray(counts.tocsr() @ words.log_odds + words.prior)
    scores -= scores.max(axis=1, keepdims=True)
    posterior = np.exp(scores)
    posterior /= posterior.sum(axis=1, keepdims=True)
    # Count a row only when its other words point away from the label with confidence:
    # a topic word's rows, noisy as text is, rarely do.
    elsewhere = (posterior.argmax(axis=1) != target) & (posterior.max(axis=1) >= _CONFIDENT)
    return float(elsewhere.mean())


def _merge(picked: list[tuple[str, int, np.ndarray]]) -> list[tuple[str, int, np.ndarray]]:
    """Drop an n-gram whose rows a kept longer n-gram (containing it) mostly covers."""
    picked.sort(key=lambda g: (-len(g[0].split()), -len(g[2]), g[0]))
    kept: list[tuple[str, int, np.ndarray, set[int]]] = []
    for gram, target, members in picked:
        mine = set(members.tolist())
        absorbed = False
        for other, other_target, _, other_rows in kept:
            if other_target != target or not _contains(other, gram):
                continue
            if len(mine & other_rows) >= _COVER * len(mine):
                absorbed = True
                break
        if not absorbed:
            kept.append((gram, target, members, mine))
    return _join_overlaps([(gram, target, members) for gram, target, members, _ in kept])


def _join_overlaps(
    grams: list[tuple[str, int, np.ndarray]],
) -> list[tuple[str, int, np.ndarray]]:
    """Join n-grams of one longer phrase ("a b c" + "b c d" on the same rows: "a b c d")."""
    joined = True
    while joined:
        joined = False
        for i, (left, target, rows) in enumerate(grams):
            for j, (right, other_target, other_rows) in enumerate(grams):
                a, b = left.split(), right.split()
                if i == j or target != other_target or a[1:] != b[:-1]:
                    continue
                shared = len(set(rows.tolist()) & set(other_rows.tolist()))
                if shared < _COVER * max(len(rows), len(other_rows)):
                    continue
                merged = (" ".join([*a, b[-1]]), target, rows)
                grams = [g for k, g in enumerate(grams) if k not in (i, j)] + [merged]
                joined = True
                break
            if joined:
                break
    return grams


def _contains(longer: str, shorter: str) -> bool:
    return f" {shorter} " in f" {longer} "
