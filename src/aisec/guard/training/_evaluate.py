"""``aisec guard eval``: run the Engine (or one scanner) over labelled texts and measure it."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from aisec.core.errors import InputError
from aisec.core.policy import Direction
from aisec.guard import Engine
from aisec.guard.training._metrics import Metrics, metrics

__all__ = ["Evaluation", "evaluate", "percentiles"]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Detection metrics and per-text latency (milliseconds) of one evaluation run."""

    metrics: Metrics
    latency_ms: dict[str, float]

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = dict(self.metrics.to_dict())
        out["latency_ms"] = self.latency_ms
        return out


def percentiles(values: Iterable[float], points: Iterable[int] = (50, 99)) -> dict[str, float]:
    """``{"p50": ..., "p99": ...}`` of ``values``, rounded to microseconds (linear
    interpolation, numpy's default); an empty input gives no entries."""
    data = np.asarray(list(values), dtype=np.float64)
    if data.size == 0:
        return {}
    return {f"p{p}": round(float(np.percentile(data, p)), 3) for p in points}


def evaluate(
    engine: Engine,
    rows: Iterable[tuple[str, int]],
    direction: Direction | str = Direction.INPUT,
    scanner: str | None = None,
) -> Evaluation:
    """Scan each ``(text, label)`` row (label 1 = attack) and score the guard's verdicts.

    With ``scanner`` only that scanner runs, and its own ``fired`` and score count;
    otherwise the whole decision does (blocked = predicted attack, its highest score)."""
    where = Direction(direction)
    only = None
    if scanner is not None:
        engine.scanner(scanner)  # a clear error when it is not active
        only = [scanner]
    labels: list[int] = []
    predicted: list[bool] = []
    scores: list[float] = []
    latencies: list[float] = []
    for text, label in rows:
        started = time.perf_counter()
        decision = engine.scan(text, where, only=only)
        latencies.append((time.perf_counter() - started) * 1000)
        labels.append(label)
        if scanner is None:
            predicted.append(decision.blocked)
            scores.append(decision.score)
        else:
            outcome = next((o for o in decision.outcomes if o.scanner == scanner), None)
            if outcome is None:  # the scanner does not run in this direction
                raise InputError(f"guard eval: scanner {scanner!r} does not scan {where.value}")
            predicted.append(outcome.fired)
            scores.append(outcome.score)
    if not labels:
        raise InputError("guard eval: no rows to evaluate")
    return Evaluation(metrics(labels, predicted, scores), percentiles(latencies))
