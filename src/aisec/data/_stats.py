"""Drift statistics between two distributions: PSI, Jensen-Shannon, chi-square, KS."""

from __future__ import annotations

import math
from collections.abc import Mapping

from aisec.data._profile import Sketch

__all__ = ["chi_square_p", "js_distance", "ks_sketch", "psi", "shares"]

_EPS = 1e-4  # share given to a category one side lacks (PSI and JS are undefined at 0)


def shares(counts: Mapping[str, float], keys: list[str]) -> list[float]:
    """Smoothed shares of ``keys`` in ``counts``."""
    total = sum(counts.get(k, 0.0) for k in keys)
    raw = [counts.get(k, 0.0) / total if total else 0.0 for k in keys]
    smoothed = [max(s, _EPS) for s in raw]
    norm = sum(smoothed)
    return [s / norm for s in smoothed]


def psi(expected: list[float], actual: list[float]) -> float:
    """Population stability index: sum((a - e) * ln(a / e))."""
    return sum((a - e) * math.log(a / e) for e, a in zip(expected, actual, strict=True))


def js_distance(p: list[float], q: list[float]) -> float:
    """Jensen-Shannon distance (base 2, in [0, 1])."""
    total = 0.0
    for a, b in zip(p, q, strict=True):
        m = (a + b) / 2
        total += (a * math.log2(a / m) if a else 0.0) + (b * math.log2(b / m) if b else 0.0)
    return math.sqrt(max(total / 2, 0.0))


def chi_square_p(expected_shares: list[float], observed: list[float]) -> float:
    """p-value of a chi-square goodness-of-fit test of ``observed`` counts."""
    from scipy.special import chdtrc  # chi2.sf without scipy.stats' 0.7 s import

    n = sum(observed)
    if n <= 0 or len(observed) < 2:
        return 1.0
    stat = sum((o - n * e) ** 2 / (n * e) for e, o in zip(expected_shares, observed, strict=True))
    return float(chdtrc(len(observed) - 1, stat))


def ks_sketch(base: Sketch, now: Sketch) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov statistic of two sketches, and its asymptotic p-value."""
    import numpy as np
    from scipy.special import kolmogorov

    (o1, c1), (o2, c2) = base.ordered(), now.ordered()
    n, m = int(c1.sum()), int(c2.sum())
    if not n or not m:
        return 0.0, 1.0
    points = np.union1d(o1, o2)
    cdf1 = np.zeros(len(points))
    cdf2 = np.zeros(len(points))
    cdf1[np.searchsorted(points, o1)] = c1
    cdf2[np.searchsorted(points, o2)] = c2
    stat = float(np.max(np.abs(np.cumsum(cdf1) / n - np.cumsum(cdf2) / m)))
    en = math.sqrt(n * m / (n + m))
    return stat, float(kolmogorov(en * stat))
