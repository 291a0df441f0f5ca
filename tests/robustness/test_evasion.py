"""Evasion: FGSM and PGD curves equal ART's on the same model in the same run; gradients
of every model kind are right; HopSkipJump's adversarials are real."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from art.attacks.evasion import FastGradientMethod, HopSkipJump, ProjectedGradientDescentNumpy
from art.estimators.classification import SklearnClassifier as ArtSklearn
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from aisec.core.errors import InputError
from aisec.robustness import Dataset, evasion_curve, wrap
from aisec.robustness._evasion import hopskipjump_distances

EPS = (0.0, 0.02, 0.05, 0.1, 0.2)


def _art_curve(model: LogisticRegression, data: Dataset, attack: str) -> list[float]:
    art = ArtSklearn(model, clip_values=(0.0, 1.0))
    onehot = np.eye(10)[data.y]
    out = []
    for eps in EPS:
        if eps == 0:
            out.append(float(np.mean(model.predict(data.X) == data.y)))
            continue
        if attack == "fgsm":
            gen = FastGradientMethod(art, eps=eps)
        else:
            gen = ProjectedGradientDescentNumpy(
                art, eps=eps, eps_step=eps * 0.25, max_iter=20, verbose=False
            )
        adv = gen.generate(data.X, y=onehot)
        out.append(float(np.mean(model.predict(adv) == data.y)))
    return out


@pytest.mark.parametrize("attack", ["fgsm", "pgd"])
def test_fgsm_and_pgd_curves_equal_art_on_a_digits_model(
    digits: tuple[LogisticRegression, Dataset], attack: str
) -> None:
    model, data = digits
    ours = evasion_curve(wrap(model), data.X, data.y, attack=attack, eps=EPS, clip=(0, 1))
    theirs = _art_curve(model, data, attack)
    assert [e for e, _ in ours.points] == list(EPS)
    # the same attack on the same model: equal up to float32/float64 ties (one record)
    for (_, a), b in zip(ours.points, theirs, strict=True):
        assert abs(a - b) <= 1 / len(data.y) + 1e-9
    accs = [a for _, a in ours.points]
    assert accs[0] > 0.9 and accs[-1] < 0.3  # the curve falls: a real attack
    assert accs == sorted(accs, reverse=True)


def test_hopskipjump_adversarials_are_real_and_at_least_as_strong_as_arts(
    digits: tuple[LogisticRegression, Dataset],
) -> None:
    model, data = digits
    sub = Dataset(data.X[:40], data.y[:40])
    ours = evasion_curve(wrap(model), sub.X, sub.y, attack="hopskipjump", eps=EPS, clip=(0, 1))
    art = ArtSklearn(model, clip_values=(0.0, 1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adv = HopSkipJump(
            art, norm=np.inf, max_iter=20, max_eval=1000, init_eval=100, verbose=False
        ).generate(sub.X)
    still = model.predict(adv) == sub.y
    dist = np.where(still, np.inf, np.abs(adv - sub.X).max(axis=1))
    correct = model.predict(sub.X) == sub.y
    theirs = [float(np.mean(correct & (dist > e))) for e in EPS]
    for (_, a), b in zip(ours.points, theirs, strict=True):
        assert a <= b + 0.1  # a black-box upper bound, no looser than ART's
    assert ours.points[-1][1] < ours.points[0][1]


def test_hopskipjump_distances_are_of_misclassified_points(
    digits: tuple[LogisticRegression, Dataset],
) -> None:
    model, data = digits
    clf = wrap(model)
    labels = data.y[:10]
    dist = hopskipjump_distances(clf, data.X[:10].astype(np.float64), labels, (0.0, 1.0))
    assert np.all(np.isfinite(dist)) and np.all(dist < 1.0)


def test_mlp_input_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(0)
    data = rng.normal(size=(200, 6))
    y = (data[:, 0] + data[:, 1] ** 2 > 0.5).astype(int) + (data[:, 2] > 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for activation in ("relu", "tanh", "logistic"):
            mlp = MLPClassifier((8, 5), activation=activation, max_iter=300, random_state=0)
            clf = wrap(mlp.fit(data, y))
            x, lab = data[:5], clf.labels(y[:5])  # type: ignore[attr-defined]
            grad = clf.loss_gradient(x, lab)
            h = 1e-5
            for j in range(6):
                up, down = x.copy(), x.copy()
                up[:, j] += h
                down[:, j] -= h
                lu = -np.log(clf.proba(up)[np.arange(5), lab])
                ld = -np.log(clf.proba(down)[np.arange(5), lab])
                assert np.allclose(grad[:, j], (lu - ld) / (2 * h), atol=1e-4), activation


def test_binary_logistic_regression_gradient_sign() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 4))
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0]) > 0).astype(int)
    clf = wrap(LogisticRegression().fit(x, y))
    res = evasion_curve(clf, x, y, attack="fgsm", eps=(0.0, 0.5, 2.0))
    assert res.points[0][1] > 0.9 and res.points[2][1] < 0.2


def test_model_without_gradient_needs_hopskipjump() -> None:
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(60, 3)), rng.integers(0, 2, 60)
    clf = wrap(RandomForestClassifier(n_estimators=5, random_state=0).fit(x, y))
    with pytest.raises(InputError, match="use --attack hopskipjump"):
        evasion_curve(clf, x, y, attack="fgsm")
    res = evasion_curve(clf, x[:10], y[:10], attack="hopskipjump", eps=(0.0, 5.0))
    assert res.points[1][1] <= res.points[0][1]


def test_bad_eps_and_clip_are_input_errors(digits: tuple[LogisticRegression, Dataset]) -> None:
    model, data = digits
    with pytest.raises(InputError, match="--eps"):
        evasion_curve(wrap(model), data.X, data.y, eps=(-0.1,))
    with pytest.raises(InputError, match="--clip"):
        evasion_curve(wrap(model), data.X, data.y, clip=(1.0, 0.0))
    with pytest.raises(InputError, match="unknown attack"):
        evasion_curve(wrap(model), data.X, data.y, attack="cw")
