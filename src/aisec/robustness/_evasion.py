"""Evasion attacks under an L-infinity budget: accuracy under attack against epsilon.

* ``fgsm``: one step of size eps along the sign of the loss gradient (Goodfellow et al.).
* ``pgd``: ``steps`` signed-gradient steps of ``eps * step_ratio``, each projected back
  into the eps-ball around the input and into ``clip`` (Madry et al.), no random start,
  as ART's ProjectedGradientDescent with ``num_random_init=0``.
* ``hopskipjump``: decision-based (labels only; Chen et al., L-infinity variant). It
  looks for the smallest adversarial perturbation of each input once; the accuracy at
  eps counts an input as broken when the perturbation found is at most eps. A black-box
  attack gives an upper bound on robust accuracy.

Epsilon is in input units; ``clip`` keeps every adversarial input inside the data's
valid range.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from aisec.core.errors import InputError
from aisec.robustness._models import Classifier, SklearnClassifier

__all__ = ["ATTACKS", "EvasionResult", "evasion_curve"]

ATTACKS = ("fgsm", "pgd", "hopskipjump")
Array = NDArray[np.float64]


@dataclass(frozen=True)
class EvasionResult:
    attack: str
    clean_accuracy: float
    points: tuple[tuple[float, float], ...]  # (eps, accuracy)
    samples: int
    model_kind: str

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape: attack, clean_accuracy, points[{eps, accuracy}]."""
        return {
            "attack": self.attack,
            "clean_accuracy": round(self.clean_accuracy, 6),
            "points": [{"eps": e, "accuracy": round(a, 6)} for e, a in self.points],
        }


def _clip(x: Array, clip: tuple[float, float] | None) -> Array:
    return x if clip is None else np.clip(x, clip[0], clip[1])


def _batched(
    fn: Callable[[Array, NDArray[np.int64]], Array], x: Array, y: NDArray[np.int64]
) -> Array:
    out = np.empty_like(x)
    for i in range(0, len(x), 256):
        out[i : i + 256] = fn(x[i : i + 256], y[i : i + 256])
    return out


def fgsm(
    model: Classifier, x: Array, y: NDArray[np.int64], eps: float, clip: tuple[float, float] | None
) -> Array:
    grad = _batched(model.loss_gradient, x, y)
    return _clip(x + eps * np.sign(grad), clip)


def pgd(
    model: Classifier,
    inputs: Array,
    y: NDArray[np.int64],
    eps: float,
    clip: tuple[float, float] | None,
    steps: int = 20,
    step_ratio: float = 0.25,
) -> Array:
    x = inputs.copy()
    step = eps * step_ratio
    for _ in range(steps):
        grad = _batched(model.loss_gradient, x, y)
        x = _clip(x + step * np.sign(grad), clip)
        x = inputs + np.clip(x - inputs, -eps, eps)
    return x


def _accuracy(model: Classifier, x: Array, y: NDArray[np.int64]) -> float:
    pred = np.concatenate(
        [model.proba(x[i : i + 1024]).argmax(axis=1) for i in range(0, len(x), 1024)]
    )
    return float(np.mean(pred == y))


def hopskipjump_distances(
    model: Classifier,
    inputs: Array,
    y: NDArray[np.int64],
    clip: tuple[float, float] | None,
    *,
    iterations: int = 20,
    evals: int = 100,
    seed: int = 0,
) -> Array:
    """The L-infinity size of the adversarial perturbation found for each input (0 for an
    input already misclassified, inf where none was found)."""
    rng = np.random.default_rng(seed)
    lo, hi = clip if clip is not None else (float(inputs.min()), float(inputs.max()))
    out = np.full(len(inputs), np.inf)

    def wrong(batch: Array, label: int) -> NDArray[np.bool_]:
        result: NDArray[np.bool_] = model.proba(batch).argmax(axis=1) != label
        return result

    for i in range(len(inputs)):
        x0, label = inputs[i], int(y[i])
        if wrong(x0[None], label)[0]:
            out[i] = 0.0
            continue
        start = None
        for _ in range(20):
            noise = rng.uniform(lo, hi, size=(10, *x0.shape))
            hits = wrong(noise, label)
            if hits.any():
                start = noise[np.argmax(hits)]
                break
        if start is None:
            continue
        x, dist = _boundary(x0, start, label, wrong)
        d = x0.size
        theta = 1.0 / (d * np.sqrt(d))
        for t in range(1, iterations + 1):
            delta = max(d * theta * dist, 1e-6)
            u = rng.uniform(-1, 1, size=(evals, *x0.shape))
            u /= np.abs(u).reshape(evals, -1).max(axis=1).reshape(-1, *([1] * x0.ndim))
            probes = np.clip(x[None] + delta * u, lo, hi)
            phi = np.where(wrong(probes, label), 1.0, -1.0)
            if abs(phi.mean()) == 1.0:
                grad = phi.mean() * u.mean(axis=0)
            else:
                grad = ((phi - phi.mean())[:, None] * u.reshape(evals, -1)).mean(axis=0)
                grad = grad.reshape(x0.shape)
            direction = np.sign(grad)
            step = dist / np.sqrt(t)
            candidate = x
            while step > 1e-8:
                candidate = np.clip(x + step * direction, lo, hi)
                if wrong(candidate[None], label)[0]:
                    break
                step /= 2
            else:
                break
            x, new = _boundary(x0, candidate, label, wrong)
            dist = min(dist, new)
        out[i] = dist
    return out


def _boundary(
    x0: Array, adv: Array, label: int, wrong: Callable[[Array, int], NDArray[np.bool_]]
) -> tuple[Array, float]:
    """Binary search on the L-infinity radius between x0 and an adversarial ``adv``."""
    high = float(np.abs(adv - x0).max())
    low = 0.0
    best = adv
    for _ in range(25):
        mid = (low + high) / 2
        cand = np.clip(adv, x0 - mid, x0 + mid)
        if wrong(cand[None], label)[0]:
            high, best = mid, cand
        else:
            low = mid
        if high - low < 1e-4:
            break
    return best, float(np.abs(best - x0).max())


def evasion_curve(
    model: Classifier,
    x: NDArray[np.floating[Any]],
    y: NDArray[Any],
    *,
    attack: str = "fgsm",
    eps: Sequence[float] = (0.0, 0.05, 0.1, 0.2, 0.3),
    clip: tuple[float, float] | None = None,
    steps: int = 20,
    step_ratio: float = 0.25,
    seed: int = 0,
) -> EvasionResult:
    """Accuracy of ``model`` on (x, y) under ``attack`` at each eps (L-infinity)."""
    if attack not in ATTACKS:
        raise InputError(f"unknown attack {attack!r}: expected one of {', '.join(ATTACKS)}")
    if any(e < 0 for e in eps) or not eps:
        raise InputError("--eps: expected one or more values >= 0")
    if clip is not None and clip[0] >= clip[1]:
        raise InputError("--clip: expected MIN,MAX with MIN < MAX")
    xf = np.asarray(x, dtype=np.float64)
    labels = (
        model.labels(np.asarray(y))
        if isinstance(model, SklearnClassifier)
        else np.asarray(y, dtype=np.int64)
    )
    clean = _accuracy(model, xf, labels)
    if attack in ("fgsm", "pgd") and not model.differentiable:
        raise InputError(
            f"this {model.kind} model gives no input gradient: use --attack hopskipjump"
        )
    points: list[tuple[float, float]] = []
    if attack == "hopskipjump":
        dist = hopskipjump_distances(model, xf, labels, clip, seed=seed)
        correct = model.proba(xf).argmax(axis=1) == labels
        points += [(float(e), float(np.mean(correct & (dist > e)))) for e in eps]
    else:
        for e in eps:
            if e == 0:
                points.append((0.0, clean))
                continue
            if attack == "fgsm":
                adv = fgsm(model, xf, labels, e, clip)
            else:
                adv = pgd(model, xf, labels, e, clip, steps, step_ratio)
            points.append((float(e), _accuracy(model, adv, labels)))
    return EvasionResult(attack, clean, tuple(points), len(labels), model.kind)
