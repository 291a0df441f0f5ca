"""The Poisson CUSUM (``aisec.monitor.Series``): threshold from the budget, the drift's
sign either side of the design boundary, restart after an alarm, state round trip."""

from __future__ import annotations

import math
import random

from aisec.monitor import CusumParams, Series

P = CusumParams.from_budget(
    ratio=10, false_alarm_events=1e8, window_s=6 * 3600, bucket_s=600, floor_per_min=1.0, warmup_s=0
)


def _feed(series: Series, rate_per_s: float, start: float, end: float, seed: int) -> list[float]:
    rng = random.Random(seed)
    t, alarms = start, []
    while True:
        t += rng.expovariate(rate_per_s)
        if t >= end:
            return alarms
        if series.update(P, t, 1.0) is not None:
            alarms.append(t)


def test_threshold_is_ln_of_the_false_alarm_budget() -> None:
    assert math.isclose(P.threshold, math.log(1e8))
    assert math.isclose(P.floor_per_s, 1 / 60)


def test_a_week_at_the_baseline_rate_raises_nothing() -> None:
    s = Series()
    assert _feed(s, 2 / 60, 0.0, 7 * 86400, seed=3) == []


def test_below_the_design_boundary_the_statistic_drifts_back_to_zero() -> None:
    """(ratio - 1) / ln(ratio) = 3.9: a steady 3x stays quiet, a steady 6x alarms."""
    quiet, loud = Series(), Series()
    _feed(quiet, 2 / 60, 0.0, 86400, seed=5)
    _feed(loud, 2 / 60, 0.0, 86400, seed=5)
    assert _feed(quiet, 6 / 60, 86400, 86400 + 6 * 3600, seed=6) == []
    assert _feed(loud, 12 / 60, 86400, 86400 + 3600, seed=6) != []


def test_alarm_restarts_the_statistic_and_state_round_trips() -> None:
    s = Series()
    _feed(s, 2 / 60, 0.0, 86400, seed=7)
    alarms = _feed(s, 40 / 60, 86400, 86400 + 120, seed=8)
    assert alarms and alarms[0] - 86400 < 60
    assert s.s < P.threshold
    copy = Series.from_state(s.to_state())
    assert copy.to_state() == s.to_state()
    assert copy.baseline(P, 86400 + 600) == s.baseline(P, 86400 + 600)
