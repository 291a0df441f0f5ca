"""Robustness benchmarks: aisec's evasion curves against ART's on the same model in the same
run, and membership-inference advantage on overfit / regularised / DP-trained models.

    PYTHONPATH=src .venv/bin/python benchmarks/robustness.py

Prints markdown tables (the numbers in benchmarks/robustness.md came from this script).
ART (adversarial-robustness-toolbox) and Opacus are dev dependencies.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from art.attacks.evasion import FastGradientMethod, HopSkipJump, ProjectedGradientDescentNumpy
from art.estimators.classification import SklearnClassifier as ArtSklearn
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from aisec.robustness import dp_train, evasion_curve, membership_inference, wrap

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "robustness"))
from membership_models import fit, mlp, noisy_split

EPS = (0.0, 0.02, 0.05, 0.1, 0.2)


def _timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[Any, float]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return out, statistics.median(times)


def _art(model: LogisticRegression, x: np.ndarray, y: np.ndarray, attack: str) -> list[float]:
    art = ArtSklearn(model, clip_values=(0.0, 1.0))
    accs = []
    for eps in EPS:
        if eps == 0:
            accs.append(float(np.mean(model.predict(x) == y)))
            continue
        if attack == "fgsm":
            gen: Any = FastGradientMethod(art, eps=eps)
        else:
            gen = ProjectedGradientDescentNumpy(
                art, eps=eps, eps_step=eps * 0.25, max_iter=20, verbose=False
            )
        accs.append(float(np.mean(model.predict(gen.generate(x, y=np.eye(10)[y])) == y)))
    return accs


def _art_hsj(model: LogisticRegression, x: np.ndarray, y: np.ndarray) -> list[float]:
    art = ArtSklearn(model, clip_values=(0.0, 1.0))
    adv = HopSkipJump(
        art, norm=np.inf, max_iter=20, max_eval=1000, init_eval=100, verbose=False
    ).generate(x)
    dist = np.where(model.predict(adv) == y, np.inf, np.abs(adv - x).max(axis=1))
    correct = model.predict(x) == y
    return [float(np.mean(correct & (dist > e))) for e in EPS]


def evasion() -> None:
    data, labels = load_digits(return_X_y=True)
    data = (data / 16).astype(np.float32)
    x_tr, x_te, y_tr, y_te = train_test_split(data, labels, test_size=0.3, random_state=0)
    model = LogisticRegression(max_iter=1000).fit(x_tr, y_tr)
    x, y = x_te[:300], y_te[:300]
    print("## Evasion: scikit-learn digits, LogisticRegression, 300 test records, clip [0, 1]\n")
    print("| attack | tool | " + " | ".join(f"eps {e:g}" for e in EPS) + " | median s |")
    print("|---|---|" + "---|" * (len(EPS) + 1))
    for attack in ("fgsm", "pgd"):
        ours, t_ours = _timed(
            lambda a=attack: evasion_curve(wrap(model), x, y, attack=a, eps=EPS, clip=(0, 1))
        )
        theirs, t_art = _timed(lambda a=attack: _art(model, x, y, a))
        print(
            f"| {attack} | aisec | " + " | ".join(f"{a:.4f}" for _, a in ours.points)
            + f" | {t_ours:.3f} |"
        )  # fmt: skip
        print(f"| {attack} | ART | " + " | ".join(f"{a:.4f}" for a in theirs) + f" | {t_art:.3f} |")
    xs, ys = x[:60], y[:60]
    ours, t_ours = _timed(
        lambda: evasion_curve(wrap(model), xs, ys, attack="hopskipjump", eps=EPS, clip=(0, 1)), 1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, t_art = _timed(lambda: _art_hsj(model, xs, ys), 1)
    print(
        "| hopskipjump (60 records) | aisec | " + " | ".join(f"{a:.4f}" for _, a in ours.points)
        + f" | {t_ours:.3f} |"
    )  # fmt: skip
    print(
        "| hopskipjump (60 records) | ART | " + " | ".join(f"{a:.4f}" for a in theirs)
        + f" | {t_art:.3f} |\n"
    )  # fmt: skip


def membership() -> None:
    torch.set_num_threads(1)
    train, holdout = noisy_split()
    print("## Membership inference: 500 training vs 500 holdout records (4 classes, 15% label")
    print("noise), MLP 20-256-4, loss-threshold attack\n")
    print(
        "| model | train acc | test acc | ROC AUC | advantage | TPR@1%FPR | epsilon (delta 1e-5) |"
    )
    print("|---|---|---|---|---|---|---|")
    rows: list[tuple[str, torch.nn.Module, str]] = [
        ("overfit (300 epochs, no weight decay)", fit(train, 300, 0.0), "-"),
        ("regularised (20 epochs, weight decay 1e-2)", fit(train, 20, 1e-2), "-"),
    ]
    dp = dp_train(mlp(), train.X, train.y, epochs=30, batch_size=64, lr=0.5,
                  target_epsilon=3.0, delta=1e-5)  # fmt: skip
    rows.append(("DP-SGD (Opacus, 30 epochs, clip 1.0)", dp.module, f"{dp.epsilon:.3f}"))
    for name, module, eps in rows:
        clf = wrap(module)
        result = membership_inference(clf, train, holdout)
        a = result.attack("loss_threshold")
        tr = float(np.mean(clf.proba(train.X).argmax(1) == train.y))
        te = float(np.mean(clf.proba(holdout.X).argmax(1) == holdout.y))
        print(
            f"| {name} | {tr:.3f} | {te:.3f} | {a.auc:.3f} | {a.advantage:.3f} | "
            f"{a.tpr_at_1pct_fpr:.3f} | {eps} |"
        )


if __name__ == "__main__":
    evasion()
    membership()
