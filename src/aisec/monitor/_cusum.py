"""A CUSUM change-point detector for the rate of a point process (Poisson CUSUM).

Each series (one signal of one principal, key or gateway) is a stream of timed points
with weights. Under its baseline the points arrive at rate ``lam0``; the detector tests
that against a rise to ``ratio * lam0`` with the log-likelihood ratio, accumulated as

    S <- max(0, S + w * ln(ratio) - lam0 * (ratio - 1) * dt)

and alarms when ``S >= h``. This is Page's CUSUM for a Poisson process. By Lorden's bound
the mean number of updates between false alarms while the rate stays at ``lam0`` is at
least ``exp(h)``, so the false-alarm budget is stated directly: ``h = ln(budget)``.
The drift is negative (no alarm, ever, on average) for any rate below
``(ratio - 1) / ln(ratio) * lam0`` and positive above it; a rise of ``r x lam0`` is found
after about ``h / (r ln(ratio) - (ratio - 1))`` baseline-mean inter-arrival times.

The baseline is rolling: the counts of the last ``window`` seconds in ``bucket`` buckets,
never below ``floor``. Points of an alarm stay in it (keeping them out made one false
alarm starve the baseline and cascade); a rise that lasts becomes the norm after about a
window, by which time its alert is open and later alarms fold into it. A new series
does not alarm during ``warmup`` and is judged meanwhile by what it did so far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CusumParams", "Series"]


@dataclass(frozen=True, slots=True)
class CusumParams:
    ratio: float
    threshold: float  # h, in nats
    window_s: float
    bucket_s: float
    floor_per_s: float
    warmup_s: float = 3600.0

    @classmethod
    def from_budget(
        cls,
        ratio: float,
        false_alarm_events: float,
        window_s: float,
        bucket_s: float,
        floor_per_min: float,
        warmup_s: float,
    ) -> CusumParams:
        h = math.log(false_alarm_events)
        return cls(ratio, h, window_s, bucket_s, floor_per_min / 60.0, warmup_s)

    @property
    def log_ratio(self) -> float:
        return math.log(self.ratio)


@dataclass(slots=True)
class Series:
    """The state of one series: CUSUM statistic, rolling baseline buckets, current run."""

    s: float = 0.0
    last_t: float | None = None
    first_t: float | None = None
    buckets: dict[int, float] = field(default_factory=dict)
    run_start: float | None = None  # when S last left zero
    run_weight: float = 0.0
    _at: int = -1  # the bucket the cached baseline rate was computed in
    _rate: float = 0.0

    def baseline(self, p: CusumParams, t: float) -> float:
        """Points per second this series is judged against at time ``t``."""
        current = int(t // p.bucket_s)
        if current != self._at:
            self._at = current
            oldest = current - int(p.window_s // p.bucket_s)
            for b in [b for b in self.buckets if b < oldest]:
                del self.buckets[b]
            total = sum(w for b, w in self.buckets.items() if b < current)
            first = self.first_t if self.first_t is not None else t
            span = current * p.bucket_s - max(first, oldest * p.bucket_s)
            self._rate = p.floor_per_s if span < p.bucket_s else max(p.floor_per_s, total / span)
        if self.first_t is not None and t - self.first_t < p.warmup_s:
            # warming up: no history of its own yet; judge by what it has done so far
            seen = sum(self.buckets.values()) / max(t - self.first_t, p.bucket_s)
            return max(self._rate, seen)
        return self._rate

    def update(self, p: CusumParams, t: float, weight: float) -> tuple[float, float] | None:
        """Add a point; returns ``(observed, baseline)`` rates per second on an alarm."""
        if self.first_t is None:
            self.first_t = t
        lam0 = self.baseline(p, t)
        dt = 0.0 if self.last_t is None else max(0.0, t - self.last_t)
        self.last_t = t
        s = self.s - lam0 * (p.ratio - 1.0) * dt
        if s <= 0.0:
            s, self.run_start, self.run_weight = 0.0, t, 0.0
        s += weight * p.log_ratio
        self.run_weight += weight
        if self.run_start is None:
            self.run_start = t
        self.s = s
        bucket = int(t // p.bucket_s)
        self.buckets[bucket] = self.buckets.get(bucket, 0.0) + weight
        if s < p.threshold or t - self.first_t < p.warmup_s:
            return None
        span = max(t - self.run_start, 1.0)
        observed = self.run_weight / span
        self.s, self.run_start, self.run_weight = 0.0, t, 0.0  # restart
        return observed, lam0

    def to_state(self) -> list[Any]:
        return [
            self.s,
            self.last_t,
            self.first_t,
            [[b, w] for b, w in self.buckets.items()],
            self.run_start,
            self.run_weight,
        ]

    @classmethod
    def from_state(cls, raw: list[Any]) -> Series:
        s, last_t, first_t, buckets, run_start, run_weight = raw
        return cls(
            float(s),
            None if last_t is None else float(last_t),
            None if first_t is None else float(first_t),
            {int(b): float(w) for b, w in buckets},
            None if run_start is None else float(run_start),
            float(run_weight),
        )
