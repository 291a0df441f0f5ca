"""Label-flip suspects: rows whose given label disagrees with a cross-validated model.

Confident learning (Northcutt et al., 2021), written here from the paper: K-fold
out-of-fold predicted probabilities; per-class thresholds ``t_j`` = the mean probability
of class ``j`` over the rows labelled ``j`` (its mean self-confidence); each row counts
toward the class ``j`` of highest probability among those with ``p_j >= t_j`` (the
confident joint). The confident joint is then calibrated to the row count, and for each
off-diagonal cell (given i, true j) the rows labelled i with the largest margin
``p_j - p_i`` are taken, as many as the cell estimates ("prune by noise rate"); a row
whose given label is still the model's first choice is dropped.

Bounded work: at most :data:`SAMPLE_CAP` rows are judged (a seeded uniform sample of the
labelled rows beyond that; row numbers always index the given frame), and text cells are
cut to :data:`TEXT_CHARS` characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aisec.core.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

__all__ = ["SAMPLE_CAP", "TEXT_CHARS", "LabelSuspect", "label_flip_suspects"]

SAMPLE_CAP = 100_000  # rows judged at most
TEXT_CHARS = 2_000  # characters of a text cell used
_FOLDS = 5
_MIN_PER_CLASS = 5  # a class with fewer labelled rows cannot be cross-validated
_MAX_CLASSES = 100
_MAX_ONE_HOT = 50  # categories one-hot encoded per column; the rest share one column
_HASH_FEATURES = 2**18
_TOKENS = r"(?u)\b\w+\b"  # words, one-letter ones too


@dataclass(frozen=True, slots=True)
class LabelSuspect:
    """A row whose label is probably wrong: ``likely`` is the label the model expects, and
    ``confidence`` its out-of-fold probability."""

    row: int
    given: str
    likely: str
    confidence: float


def label_flip_suspects(
    frame: pl.DataFrame,
    *,
    label: str,
    features: Sequence[str] = (),
    text: Sequence[str] = (),
    threshold: float | None = None,
    seed: int = 0,
) -> list[LabelSuspect]:
    """Rows whose given ``label`` looks flipped, most certain first.

    ``features`` are tabular columns (numbers, booleans, categories) and ``text`` free-text
    columns; with neither, every other column is used (strings with long or mostly unique
    values as text). ``threshold``, when given, replaces the per-class mean self-confidence
    as the probability a row's likely class must reach, and every row counted toward
    another class is a suspect (no noise-rate pruning): lower finds more, higher fewer.
    Raises :class:`InputError` when the frame cannot be judged (no such column, a single
    class, too few rows per class).
    """
    import numpy as np

    if threshold is not None and not 0.0 < threshold < 1.0:
        raise InputError(f"label flips: threshold must be between 0 and 1, got {threshold}")
    features, text = _columns(frame, label, features, text)
    rows, labels = _labelled_rows(frame, label, seed)
    classes, y = np.unique(labels, return_inverse=True)
    counts = np.bincount(y)
    if len(classes) < 2:
        raise InputError(
            f"label flips: column {label!r} has {len(classes)} class(es); need at least 2"
        )
    if len(classes) > _MAX_CLASSES:
        raise InputError(
            f"label flips: column {label!r} has {len(classes)} classes; at most "
            f"{_MAX_CLASSES} can be judged (is it really the label column?)"
        )
    small = [str(c) for c, n in zip(classes, counts, strict=True) if n < _MIN_PER_CLASS]
    if small:
        raise InputError(
            f"label flips: class(es) {', '.join(small[:5])} of {label!r} have fewer than "
            f"{_MIN_PER_CLASS} rows; cannot cross-validate"
        )
    sample = frame[rows.tolist()] if len(rows) < frame.height else frame
    x = _design(sample, features, text)
    probs = _out_of_fold(x, y, bool(text), seed)
    return _suspects(probs, y, classes, rows, threshold)


def _columns(
    frame: pl.DataFrame, label: str, features: Sequence[str], text: Sequence[str]
) -> tuple[list[str], list[str]]:
    import polars as pl

    names = set(frame.columns)
    for col in (label, *features, *text):
        if col not in names:
            raise InputError(f"label flips: no column {col!r} in the data")
    if features or text:
        return list(features), list(text)
    feats: list[str] = []
    texts: list[str] = []
    for col in frame.columns:
        if col == label:
            continue
        dtype = frame.schema[col]
        if dtype.is_numeric() or dtype == pl.Boolean:
            feats.append(col)
        elif dtype in (pl.String, pl.Categorical, pl.Enum):
            values = frame[col].cast(pl.String).drop_nulls()
            mean_len = values.str.len_chars().mean() if len(values) else 0
            unique = values.n_unique() / max(len(values), 1)
            long_text = isinstance(mean_len, int | float) and mean_len > 40
            (texts if long_text or unique > 0.5 else feats).append(col)
    if not feats and not texts:
        raise InputError(f"label flips: no usable feature columns besides {label!r}")
    return feats, texts


def _labelled_rows(frame: pl.DataFrame, label: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np
    import polars as pl

    column = frame[label]
    if column.dtype.is_float():
        column = column.fill_nan(None)
    rows = np.flatnonzero(column.is_not_null().to_numpy())
    if len(rows) > SAMPLE_CAP:
        rows = np.sort(np.random.default_rng(seed).choice(rows, SAMPLE_CAP, replace=False))
    labels = column.cast(pl.String).to_numpy()[rows].astype(str)
    return rows, labels


def _design(frame: pl.DataFrame, features: Sequence[str], text: Sequence[str]) -> Any:
    """A sparse design matrix: scaled numbers, one-hot categories, hashed TF-IDF text."""
    import numpy as np
    import polars as pl
    from scipy import sparse
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

    blocks: list[Any] = []
    for col in features:
        series = frame[col]
        if series.dtype.is_numeric() or series.dtype == pl.Boolean:
            values = series.cast(pl.Float64).fill_nan(None).to_numpy().astype(float)
            missing = np.isnan(values)
            finite = values[~missing]
            low = float(finite.min()) if len(finite) else 0.0
            span = float(finite.max()) - low if len(finite) else 0.0
            # [0, 1]: naive Bayes (the text model) takes no negative features.
            scaled = np.where(missing, 0.0, (values - low) / (span or 1.0))
            blocks.append(sparse.csr_matrix(np.column_stack([scaled, missing.astype(float)])))
        else:
            blocks.append(_one_hot(series.cast(pl.String)))
    if text:
        hasher = HashingVectorizer(
            n_features=_HASH_FEATURES,
            ngram_range=(1, 2),
            alternate_sign=False,
            norm=None,
            token_pattern=_TOKENS,
        )
        joined = frame.select(
            pl.concat_str(
                [pl.col(c).cast(pl.String).fill_null("").str.slice(0, TEXT_CHARS) for c in text],
                separator=" \n ",
            )
        ).to_series()
        counts = hasher.transform(joined.to_list())
        blocks.append(TfidfTransformer(sublinear_tf=True).fit_transform(counts))
    return sparse.hstack(blocks, format="csr")


def _one_hot(series: pl.Series) -> Any:
    import numpy as np
    from scipy import sparse

    top = series.drop_nulls().value_counts(sort=True).head(_MAX_ONE_HOT)
    index = {value: i for i, value in enumerate(top[series.name].to_list())}
    other = len(index)
    cols = np.array([index.get(v, other) for v in series.to_list()])
    rows = np.arange(len(cols))
    return sparse.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(cols), other + 1))


def _out_of_fold(x: Any, y: np.ndarray, has_text: bool, seed: int) -> np.ndarray:
    import numpy as np
    from sklearn.base import clone
    from sklearn.ensemble import ExtraTreesClassifier
    from sklearn.model_selection import StratifiedKFold
    from sklearn.naive_bayes import MultinomialNB
    from threadpoolctl import threadpool_limits

    model: Any
    if has_text:
        # Naive Bayes on TF-IDF: ~400x faster than logistic regression here, and better on
        # the benchmark's flips (docs/data-provenance.md). Laplace smoothing (alpha 1): with
        # less, rare filler words made it overconfident (precision 0.42 on a sentiment set
        # with a 3,000-word filler vocabulary, 0.88 with alpha 1).
        model = MultinomialNB(alpha=1.0)
    else:
        # Extra trees: as accurate as gradient boosting here, single-threaded and fast
        # (boosting's OpenMP threads crawl on a busy machine).
        model = ExtraTreesClassifier(n_estimators=50, n_jobs=1, random_state=seed)
    probs = np.zeros((len(y), int(y.max()) + 1))
    folds = StratifiedKFold(n_splits=_FOLDS, shuffle=True, random_state=seed)
    with threadpool_limits(1):
        for train, test in folds.split(np.zeros(len(y)), y):
            fitted = clone(model).fit(x[train], y[train])
            probs[np.ix_(test, fitted.classes_)] = fitted.predict_proba(x[test])
    return probs


def _suspects(
    probs: np.ndarray,
    y: np.ndarray,
    classes: np.ndarray,
    rows: np.ndarray,
    threshold: float | None,
) -> list[LabelSuspect]:
    import numpy as np

    k = probs.shape[1]
    if threshold is None:
        thresholds = np.array([probs[y == j, j].mean() for j in range(k)])
    else:
        thresholds = np.full(k, threshold)
    above = probs >= thresholds - 1e-6
    counted = above.any(axis=1)
    assigned = np.where(counted, np.where(above, probs, -1.0).argmax(axis=1), y)
    if threshold is None:
        chosen = _prune_by_noise_rate(probs, y[counted], assigned[counted], y, k)
    else:
        chosen = np.flatnonzero(assigned != y)
    # A row whose given label is still the model's first choice is not a suspect.
    first = probs.argmax(axis=1)
    chosen = chosen[first[chosen] != y[chosen]]
    everywhere = np.arange(len(y))
    margin = probs[everywhere, first] - probs[everywhere, y]
    order = chosen[np.argsort(-margin[chosen], kind="stable")]
    return [
        LabelSuspect(
            row=int(rows[i]),
            given=str(classes[y[i]]),
            likely=str(classes[first[i]]),
            confidence=round(float(probs[i, first[i]]), 4),
        )
        for i in order
    ]


def _prune_by_noise_rate(
    probs: np.ndarray, given: np.ndarray, assigned: np.ndarray, y: np.ndarray, k: int
) -> Any:
    """For each off-diagonal cell (given i, true j) of the calibrated confident joint, the
    rows labelled i with the largest margin ``p_j - p_i``, as many as the cell estimates.
    ``given``/``assigned`` are the rows counted in the joint (some class above its
    threshold); rows above none are left out of it, not put on its diagonal."""
    import numpy as np

    joint = np.zeros((k, k))
    np.add.at(joint, (given, assigned), 1)
    per_class = np.bincount(y, minlength=k).astype(float)
    row_sums = joint.sum(axis=1)
    # Calibrate: each given-label row of the joint sums to the class's true row count.
    calibrated = joint * (per_class / np.where(row_sums == 0, 1, row_sums))[:, None]
    keep: set[int] = set()
    for i in range(k):
        labelled = np.flatnonzero(y == i)
        for j in range(k):
            n = round(float(calibrated[i, j]))
            if i == j or not n:
                continue
            margin = probs[labelled, j] - probs[labelled, i]
            keep.update(labelled[np.argsort(-margin, kind="stable")[:n]].tolist())
    return np.array(sorted(keep), dtype=int)
