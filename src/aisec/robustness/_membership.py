"""Membership inference: how well can an attacker tell training records from others?

* ``loss_threshold`` (Yeom et al. 2018): a record is called a member when the model's
  loss on it is low. Score = -loss; no extra data needed.
* ``shadow`` (Shokri et al. 2017, one shadow model): the attacker trains a copy of the
  model (same scikit-learn estimator, cloned) on half of the holdout data, learns from it
  what members' outputs look like (loss, top probability, entropy), and applies that
  attack model to the target. The other half of the holdout is kept for evaluation, so the
  shadow model never saw the non-members it is judged on. Only for scikit-learn models.

Members are the TRAIN records, non-members the HOLDOUT records, in equal numbers (the
larger set is subsampled). Reported per attack: ROC AUC, the ROC curve (at most 101
points), the membership advantage max(TPR - FPR), and TPR at FPR 1% and 0.1% (the
low-FPR regime that matters for real attacks, Carlini et al. 2022).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from aisec.core.errors import InputError
from aisec.robustness._data import Dataset
from aisec.robustness._models import Classifier, SklearnClassifier, losses

__all__ = ["AttackResult", "MembershipResult", "membership_inference"]

MAX_EVAL = 20_000


@dataclass(frozen=True)
class AttackResult:
    name: str
    auc: float
    advantage: float
    tpr_at_1pct_fpr: float
    tpr_at_01pct_fpr: float
    roc: tuple[tuple[float, float], ...]  # (fpr, tpr)
    advantage_at_1pct_fpr: float = 0.0  # max(TPR - FPR) over thresholds with FPR <= 1%

    def to_dict(self) -> dict[str, Any]:
        return {
            "attack": self.name,
            "auc": round(self.auc, 6),
            "advantage": round(self.advantage, 6),
            "tpr_at_fpr_0.01": round(self.tpr_at_1pct_fpr, 6),
            "tpr_at_fpr_0.001": round(self.tpr_at_01pct_fpr, 6),
            "advantage_at_fpr_0.01": round(self.advantage_at_1pct_fpr, 6),
            "roc": [[round(f, 6), round(t, 6)] for f, t in self.roc],
        }


@dataclass(frozen=True)
class MembershipResult:
    members: int
    non_members: int
    attacks: tuple[AttackResult, ...]
    skipped: tuple[tuple[str, str], ...] = ()  # (attack, why)

    def attack(self, name: str) -> AttackResult:
        return next(a for a in self.attacks if a.name == name)

    @property
    def advantage(self) -> float:
        return max(a.advantage for a in self.attacks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "members": self.members,
            "non_members": self.non_members,
            "advantage": round(self.advantage, 6),
            "attacks": [a.to_dict() for a in self.attacks],
            "skipped": [{"attack": a, "why": w} for a, w in self.skipped],
        }


def _score(name: str, scores: NDArray[np.float64], members: NDArray[np.bool_]) -> AttackResult:
    from sklearn.metrics import roc_auc_score, roc_curve

    fpr, tpr, _ = roc_curve(members, scores)
    auc = float(roc_auc_score(members, scores))

    def tpr_at(limit: float) -> float:
        ok = fpr <= limit
        return float(tpr[ok].max()) if ok.any() else 0.0

    grid = np.linspace(0, 1, 101)
    roc = tuple((float(f), float(np.interp(f, fpr, tpr))) for f in grid)
    return AttackResult(name, auc, float(np.max(tpr - fpr)), tpr_at(0.01), tpr_at(0.001), roc)


def _features(
    model: Classifier, x: NDArray[np.float32], y: NDArray[np.int64]
) -> NDArray[np.float64]:
    p = model.proba(x)
    loss = -np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1.0))
    entropy = -(p * np.log(np.clip(p, 1e-12, 1.0))).sum(axis=1)
    return np.column_stack([loss, p.max(axis=1), entropy])


def _labels(model: Classifier, y: NDArray[np.int64]) -> NDArray[np.int64]:
    return model.labels(y) if isinstance(model, SklearnClassifier) else y


def membership_inference(
    model: Classifier,
    train: Dataset,
    holdout: Dataset,
    *,
    shadow: bool = True,
    seed: int = 0,
) -> MembershipResult:
    """Run the loss-threshold and (for scikit-learn models) shadow-model attacks."""
    rng = np.random.default_rng(seed)
    if len(holdout.y) < 20 or len(train.y) < 10:
        raise InputError("membership: need at least 10 training and 20 holdout records")
    skipped: list[tuple[str, str]] = []
    use_shadow = shadow and isinstance(model, SklearnClassifier)
    if shadow and not use_shadow:
        skipped.append(("shadow", f"needs a scikit-learn model to clone, not {model.kind}"))
    h_order = rng.permutation(len(holdout.y))
    if use_shadow:  # half the holdout trains the shadow model, half is evaluated
        shadow_idx, eval_idx = np.array_split(h_order, 2)
    else:
        shadow_idx, eval_idx = h_order[:0], h_order
    n = min(len(eval_idx), len(train.y), MAX_EVAL)
    eval_idx = eval_idx[:n]
    m_idx = rng.permutation(len(train.y))[:n]
    x = np.concatenate([train.X[m_idx], holdout.X[eval_idx]])
    y = _labels(model, np.concatenate([train.y[m_idx], holdout.y[eval_idx]]))
    is_member = np.concatenate([np.ones(n, bool), np.zeros(n, bool)])
    attacks = [_score("loss_threshold", -losses(model, x, y), is_member)]
    if use_shadow and isinstance(model, SklearnClassifier):
        attacks.append(_shadow(model, holdout, shadow_idx, x, y, is_member, seed))
    return MembershipResult(n, n, tuple(attacks), tuple(skipped))


def _shadow(
    model: SklearnClassifier,
    holdout: Dataset,
    idx: NDArray[np.int64],
    x: NDArray[np.float32],
    y: NDArray[np.int64],
    is_member: NDArray[np.bool_],
    seed: int,
) -> AttackResult:
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression

    s_in, s_out = np.array_split(idx, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the shadow's ConvergenceWarning is not the user's
        fitted = clone(model.model).fit(holdout.X[s_in], holdout.y[s_in])
    shadow_model = SklearnClassifier(fitted)
    if not np.array_equal(shadow_model.classes, model.classes):
        # the shadow saw fewer classes: score through the target's class order
        shadow_model = _aligned(shadow_model, model.classes)
    xs = np.concatenate([holdout.X[s_in], holdout.X[s_out]])
    ys = np.concatenate([holdout.y[s_in], holdout.y[s_out]])
    feats = _features(shadow_model, xs, model.labels(ys))
    target = np.concatenate([np.ones(len(s_in), bool), np.zeros(len(s_out), bool)])
    attack = LogisticRegression(max_iter=1000, random_state=seed).fit(feats, target)
    scores = attack.predict_proba(_features(model, x, y))[:, 1]
    return _score("shadow", scores, is_member)


def _aligned(shadow: SklearnClassifier, classes: NDArray[Any]) -> SklearnClassifier:
    class _Aligned(SklearnClassifier):
        def proba(self, x: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
            p = super().proba(x)
            out = np.full((len(x), len(classes)), 1e-12)
            for j, c in enumerate(shadow.classes):
                out[:, int(np.searchsorted(classes, c))] = p[:, j]
            return out

    aligned = _Aligned(shadow.model)
    aligned.classes = np.asarray(classes)
    aligned.n_classes = len(classes)
    return aligned
