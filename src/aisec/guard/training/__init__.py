"""Training and evaluation of the guard's prompt-injection classifier (not the runtime).

``aisec guard train`` and ``aisec guard eval`` use this package; the runtime guard
(``import aisec.guard``) never imports it, so serving a model carries none of the corpus
builders, generators or optimiser::

    from aisec.guard import Engine
    from aisec.guard.training import evaluate, read_jsonl

    rows = read_jsonl(Path("dev.jsonl"))
    print(evaluate(Engine(), [(text, label) for text, label, _ in rows]).to_dict())
"""

from __future__ import annotations

from aisec.guard.training._dataset import read_jsonl
from aisec.guard.training._evaluate import Evaluation, evaluate, percentiles
from aisec.guard.training._metrics import Metrics, auc, metrics
from aisec.guard.training._suite import (
    Family,
    FamilyResult,
    evaluate_suite,
    load_suite,
    suite_table,
)
from aisec.guard.training._train import TrainReport, evaluate_model, train

__all__ = [
    "Evaluation",
    "Family",
    "FamilyResult",
    "Metrics",
    "TrainReport",
    "auc",
    "evaluate",
    "evaluate_model",
    "evaluate_suite",
    "load_suite",
    "metrics",
    "percentiles",
    "read_jsonl",
    "suite_table",
    "train",
]
