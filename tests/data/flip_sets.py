"""Labelled data sets with known flipped labels and planted triggers, shared by the tests
and ``benchmarks/data_label_flips.py``.

Tabular: scikit-learn's ``make_classification`` (three classes, ten features). Text: a
synthetic topic-classification set (four topics; each document mixes its topic's words
with stop words and some other topics' words, so a topic word alone is not a certainty).
"""

from __future__ import annotations

import numpy as np
import polars as pl

_TOPIC_WORDS = {
    "sports": "game team score player coach season win match goal league ball field",
    "finance": "market stock price bank investor fund trade profit rate bond share earnings",
    "tech": "software computer data network chip device app code cloud server user phone",
    "health": "doctor patient hospital disease drug treatment health study virus care nurse",
}
TOPICS: dict[str, list[str]] = {topic: words.split() for topic, words in _TOPIC_WORDS.items()}
_STOP_WORDS = "the a of and to in is that it for on with as was at by this from"
_STOP = _STOP_WORDS.split()


def tabular(rows: int, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    """A clean three-class table (features f0..f9, column ``label``) and its labels."""
    from sklearn.datasets import make_classification

    x, y = make_classification(
        n_samples=rows,
        n_features=10,
        n_informative=6,
        n_classes=3,
        n_clusters_per_class=1,
        class_sep=1.5,
        random_state=seed,
    )
    frame = pl.DataFrame({f"f{i}": x[:, i] for i in range(10)})
    return frame.with_columns(pl.Series("label", [f"c{v}" for v in y])), y


def text(rows: int, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    """A clean four-topic text set (columns ``text``, ``label``) and its label indexes."""
    rng = np.random.default_rng(seed)
    names = list(TOPICS)
    y = rng.integers(0, len(names), rows)
    docs = []
    for k in y:
        words = []
        for _ in range(int(rng.integers(8, 20))):
            roll = rng.random()
            if roll < 0.35:
                words.append(str(rng.choice(TOPICS[names[k]])))
            elif roll < 0.45:
                words.append(str(rng.choice(TOPICS[names[int(rng.integers(len(names)))]])))
            else:
                words.append(str(rng.choice(_STOP)))
        docs.append(" ".join(words))
    return pl.DataFrame({"text": docs, "label": [names[k] for k in y]}), y


def flip(frame: pl.DataFrame, share: float, seed: int) -> tuple[pl.DataFrame, set[int]]:
    """``share`` of the rows given another class's label at random; the flipped rows."""
    rng = np.random.default_rng(seed)
    labels = frame["label"].to_list()
    classes = sorted(set(labels))
    rows = rng.choice(frame.height, round(share * frame.height), replace=False)
    for r in rows.tolist():
        others = [c for c in classes if c != labels[r]]
        labels[r] = others[int(rng.integers(len(others)))]
    return frame.with_columns(pl.Series("label", labels)), set(rows.tolist())


def plant(
    frame: pl.DataFrame, phrase: str, target: str, share: float, seed: int
) -> tuple[pl.DataFrame, set[int]]:
    """``phrase`` inserted at a random place of ``share`` of the rows, all relabelled
    ``target`` (a dirty-label backdoor); the rows."""
    rng = np.random.default_rng(seed)
    docs = frame["text"].to_list()
    labels = frame["label"].to_list()
    rows = rng.choice(frame.height, round(share * frame.height), replace=False)
    for r in rows.tolist():
        words = docs[r].split()
        at = int(rng.integers(0, len(words) + 1))
        docs[r] = " ".join([*words[:at], phrase, *words[at:]])
        labels[r] = target
    return frame.with_columns(pl.Series("text", docs), pl.Series("label", labels)), set(
        rows.tolist()
    )


def precision_recall(flagged: set[int], truth: set[int]) -> tuple[float, float]:
    """Precision and recall of ``flagged`` rows against the ``truth`` rows."""
    hits = len(flagged & truth)
    return hits / max(len(flagged), 1), hits / max(len(truth), 1)
