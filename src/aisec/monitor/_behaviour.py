"""Model-behaviour signals per gateway route, each judged against the route's own rolling
baseline by a CUSUM with a stated false-alarm budget.

The gateway records per request (``gateway.request``; never text): the scanners of a
blocking decision (``blocked_by``), the answer's length in characters (``output_chars``),
whether it opens with a refusal (``refusal``), the tools the model called
(``tools_called``) and canary leaks (``canary_leak``). Per route:

* block rate per scanner, refusal rate, each tool's share of answers: a share of trials
  (requests; answered requests), judged by a Bernoulli CUSUM for a rise of the share from
  its baseline ``p0`` to ``p1 = min(ratio * p0, (1 + p0) / 2)``;
* output length: ``ln(1 + chars)`` standardised by the baseline's mean and deviation, judged
  by a two-sided Gaussian CUSUM for a shift of ``shift_sigma`` deviations either way;
* canary leaks: every leak alarms (a canary exists only to be caught: its baseline is 0).

Every CUSUM alarms at ``h = ln(false_alarm_events)``: by Lorden's bound the mean number of
trials between false alarms of one series whose behaviour stays at its baseline is at least
``false_alarm_events`` (half that for the two-sided length CUSUM). The baselines are the
last ``baseline_window_s`` in ``bucket_s`` buckets but the newest ``baseline_gap_s`` (1 h), so
a change has that long to be found before it leaks into its own baseline; a series
does not alarm until its route has ``min_trials`` trials there (warm-up), and its statistic
is held at 0 meanwhile.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BEHAVIOUR_RULES",
    "BehaviourEvent",
    "BehaviourParams",
    "BehaviourSignals",
    "RouteAlarm",
]

BLOCK_RATE = "monitor-route-block-rate"
REFUSAL_RATE = "monitor-route-refusal-rate"
OUTPUT_LENGTH = "monitor-route-output-length"
TOOL_MIX = "monitor-route-tool-mix"
CANARY_LEAK = "monitor-canary-leak"
BEHAVIOUR_RULES = (BLOCK_RATE, REFUSAL_RATE, OUTPUT_LENGTH, TOOL_MIX, CANARY_LEAK)
_MAX_SERIES_PER_ROUTE = 64  # scanners and tools remembered per route
_MAX_ROUTES = 1000
_Z_CLIP = 5.0  # a standardised length counts at most this much (one huge answer is not a shift)
_MIN_SIGMA = 0.1


@dataclass(frozen=True, slots=True)
class BehaviourEvent:
    """What one ``gateway.request`` event says about the model's behaviour on a route."""

    seq: int
    t: float
    route: str
    blocked_by: tuple[str, ...] = ()  # "direction.scanner" of a blocking decision
    answered: bool = False  # a 200 answer to chat or completions
    output_chars: int = 0
    refusal: bool = False
    tools: tuple[str, ...] = ()
    canary_leak: bool = False


@dataclass(frozen=True, slots=True)
class RouteAlarm:
    """A behaviour series of a route crossed its threshold (``signal`` names the series,
    e.g. ``block_rate:input.prompt_injection``); observed and baseline in ``unit``."""

    rule_id: str
    signal: str
    route: str
    t: float
    seq: int
    observed: float
    baseline: float
    unit: str
    params: tuple[tuple[str, str], ...] = ()  # playbook parameters (guard-to-block: scanners)


@dataclass(frozen=True, slots=True)
class BehaviourParams:
    threshold: float  # h, nats
    ratio: float
    window_s: float
    bucket_s: float
    min_trials: int
    shift_sigma: float
    floors: dict[str, float]  # lowest baseline share per share signal
    gap_s: float = 3600.0  # the newest part of the window left out of the baseline

    def span(self, bucket: int) -> tuple[int, int]:
        """The buckets ``[oldest, newest)`` the baseline at ``bucket`` is made of."""
        newest = bucket - max(1, int(self.gap_s // self.bucket_s))
        return newest - int(self.window_s // self.bucket_s), newest

    @classmethod
    def from_budget(
        cls,
        false_alarm_events: float,
        ratio: float,
        window_s: float,
        bucket_s: float,
        min_trials: int,
        shift_sigma: float,
        floors: dict[str, float],
        gap_s: float = 3600.0,
    ) -> BehaviourParams:
        return cls(
            math.log(false_alarm_events),
            ratio,
            window_s,
            bucket_s,
            min_trials,
            shift_sigma,
            floors,
            gap_s,
        )


def _prune(buckets: dict[int, Any], oldest: int) -> None:
    for b in [b for b in buckets if b < oldest]:
        del buckets[b]


@dataclass(slots=True)
class ShareSeries:
    """Bernoulli CUSUM of one share (hits among a route's trials)."""

    s: float = 0.0
    hits: dict[int, float] = field(default_factory=dict)
    run_n: int = 0
    run_k: int = 0
    _at: int = -1  # the bucket ``_past`` was summed in
    _past: float = 0.0

    def update(
        self, p: BehaviourParams, floor: float, bucket: int, trials: float, hit: bool
    ) -> tuple[float, float] | None:
        """One trial. ``trials``: the route's trials in the baseline window (current bucket
        left out). Returns (observed share of the run, baseline share) on an alarm."""
        if bucket != self._at:
            oldest, newest = p.span(bucket)
            _prune(self.hits, oldest)
            self._at, self._past = bucket, sum(w for b, w in self.hits.items() if b < newest)
        if hit:
            self.hits[bucket] = self.hits.get(bucket, 0.0) + 1.0
        if trials < p.min_trials:
            self.s, self.run_n, self.run_k = 0.0, 0, 0
            return None
        p0 = min(max(floor, self._past / trials), 0.99)
        p1 = min(p.ratio * p0, (1.0 + p0) / 2.0)
        step = math.log(p1 / p0) if hit else math.log((1.0 - p1) / (1.0 - p0))
        s = self.s + step
        if s <= 0.0:
            self.s, self.run_n, self.run_k = 0.0, 0, 0
            return None
        self.s = s
        self.run_n += 1
        self.run_k += int(hit)
        if s < p.threshold:
            return None
        observed = self.run_k / max(self.run_n, 1)
        self.s, self.run_n, self.run_k = 0.0, 0, 0
        return observed, p0

    def to_state(self) -> list[Any]:
        return [self.s, [[b, w] for b, w in self.hits.items()], self.run_n, self.run_k]

    @classmethod
    def from_state(cls, raw: list[Any]) -> ShareSeries:
        s, hits, n, k = raw
        return cls(float(s), {int(b): float(w) for b, w in hits}, int(n), int(k))


@dataclass(slots=True)
class LengthSeries:
    """Two-sided Gaussian CUSUM of ``ln(1 + chars)`` of a route's answers."""

    up: float = 0.0
    down: float = 0.0
    moments: dict[int, list[float]] = field(default_factory=dict)  # bucket: [n, sum, sumsq]
    run_n: int = 0
    run_sum: float = 0.0
    _at: int = -1
    _base: tuple[float, float, float] = (0.0, 0.0, _MIN_SIGMA)  # n, mean, deviation

    def update(self, p: BehaviourParams, bucket: int, chars: int) -> tuple[float, float] | None:
        if bucket != self._at:
            oldest, newest = p.span(bucket)
            _prune(self.moments, oldest)
            past = [v for b, v in self.moments.items() if b < newest]
            n = sum(v[0] for v in past)
            mean = sum(v[1] for v in past) / n if n else 0.0
            var = sum(v[2] for v in past) / n - mean * mean if n else 0.0
            self._at, self._base = bucket, (n, mean, max(math.sqrt(max(var, 0.0)), _MIN_SIGMA))
        y = math.log1p(max(chars, 0))
        m = self.moments.setdefault(bucket, [0.0, 0.0, 0.0])
        m[0] += 1.0
        m[1] += y
        m[2] += y * y
        n, mu, sigma = self._base
        if n < p.min_trials:
            self.up = self.down = 0.0
            self.run_n, self.run_sum = 0, 0.0
            return None
        z = max(-_Z_CLIP, min(_Z_CLIP, (y - mu) / sigma))
        d = p.shift_sigma
        self.up = max(0.0, self.up + d * z - d * d / 2.0)
        self.down = max(0.0, self.down - d * z - d * d / 2.0)
        if self.up == 0.0 and self.down == 0.0:
            self.run_n, self.run_sum = 0, 0.0
        else:
            self.run_n += 1
            self.run_sum += y
        if max(self.up, self.down) < p.threshold:
            return None
        observed = math.expm1(self.run_sum / max(self.run_n, 1))
        self.up = self.down = 0.0
        self.run_n, self.run_sum = 0, 0.0
        return observed, math.expm1(mu)

    def to_state(self) -> list[Any]:
        moments = [[b, *v] for b, v in self.moments.items()]
        return [self.up, self.down, moments, self.run_n, self.run_sum]

    @classmethod
    def from_state(cls, raw: list[Any]) -> LengthSeries:
        up, down, moments, n, total = raw
        return cls(
            float(up),
            float(down),
            {int(m[0]): [float(m[1]), float(m[2]), float(m[3])] for m in moments},
            int(n),
            float(total),
        )


@dataclass(slots=True)
class _Route:
    """A route's trial counts per bucket (all requests; answered requests) and its series."""

    requests: dict[int, float] = field(default_factory=dict)
    answered: dict[int, float] = field(default_factory=dict)
    blocks: dict[str, ShareSeries] = field(default_factory=dict)  # per scanner
    tools: dict[str, ShareSeries] = field(default_factory=dict)  # per tool
    refusals: ShareSeries = field(default_factory=ShareSeries)
    length: LengthSeries = field(default_factory=LengthSeries)

    _at: int = -1
    _trials: tuple[float, float] = (0.0, 0.0)  # requests, answered in the window

    def trials(self, p: BehaviourParams, bucket: int) -> tuple[float, float]:
        """The route's requests and answered requests in the baseline window."""
        if bucket != self._at:
            oldest, newest = p.span(bucket)
            _prune(self.requests, oldest)
            _prune(self.answered, oldest)
            self._at = bucket
            self._trials = (
                sum(w for b, w in self.requests.items() if b < newest),
                sum(w for b, w in self.answered.items() if b < newest),
            )
        return self._trials


def _share_hits(
    series: dict[str, ShareSeries],
    present: Sequence[str],
    p: BehaviourParams,
    floor: str,
    bucket: int,
    trials: float,
) -> Iterator[tuple[str, tuple[float, float] | None]]:
    """One trial for each share series of a route (blocking scanners, tools): a name seen
    for the first time gets a series (up to the cap), and every series learns whether its
    name is ``present`` in this event; yields each name with its alarm, if any."""
    names = set(present)
    for name in names - series.keys():
        if len(series) < _MAX_SERIES_PER_ROUTE:
            series[name] = ShareSeries()
    for name, s in series.items():
        yield name, s.update(p, p.floors[floor], bucket, trials, name in names)


class BehaviourSignals:
    """Feeds behaviour events to the per-route series; :meth:`state` / ``state`` carry it."""

    def __init__(self, params: BehaviourParams, state: dict[str, Any] | None = None) -> None:
        self.p = params
        self.routes: dict[str, _Route] = {}
        if state:
            self._load(state)

    def feed(self, ev: BehaviourEvent) -> list[RouteAlarm]:
        out: list[RouteAlarm] = []
        r = self.routes.get(ev.route)
        if r is None:
            if len(self.routes) >= _MAX_ROUTES:
                return out
            r = self.routes[ev.route] = _Route()
        p = self.p
        bucket = int(ev.t // p.bucket_s)

        def alarm(
            rule: str,
            signal: str,
            hit: tuple[float, float] | None,
            unit: str,
            params: tuple[tuple[str, str], ...] = (),
        ) -> None:
            if hit is not None:
                obs, base = round(hit[0], 4), round(hit[1], 4)
                out.append(
                    RouteAlarm(rule, signal, ev.route, ev.t, ev.seq, obs, base, unit, params)
                )

        if ev.canary_leak:
            alarm(CANARY_LEAK, "canary_leak", (1.0, 0.0), "events")
        trials, answered = r.trials(p, bucket)
        for name, hit in _share_hits(r.blocks, ev.blocked_by, p, "block_rate", bucket, trials):
            scanner = (("scanners", name.partition(".")[2] or name),)
            alarm(BLOCK_RATE, f"block_rate:{name}", hit, "share", scanner)
        r.requests[bucket] = r.requests.get(bucket, 0.0) + 1.0
        if not ev.answered:
            return out
        hit = r.refusals.update(p, p.floors["refusal_rate"], bucket, answered, ev.refusal)
        alarm(REFUSAL_RATE, "refusal_rate", hit, "share")
        alarm(OUTPUT_LENGTH, "output_length", r.length.update(p, bucket, ev.output_chars), "chars")
        for name, hit in _share_hits(r.tools, ev.tools, p, "tool_share", bucket, answered):
            alarm(TOOL_MIX, f"tool_share:{name}", hit, "share")
        r.answered[bucket] = r.answered.get(bucket, 0.0) + 1.0
        return out

    # -- state -------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {
            name: {
                "requests": [[b, w] for b, w in r.requests.items()],
                "answered": [[b, w] for b, w in r.answered.items()],
                "blocks": {k: s.to_state() for k, s in r.blocks.items()},
                "tools": {k: s.to_state() for k, s in r.tools.items()},
                "refusals": r.refusals.to_state(),
                "length": r.length.to_state(),
            }
            for name, r in self.routes.items()
        }

    def _load(self, state: dict[str, Any]) -> None:
        for name, raw in state.items():
            self.routes[str(name)] = _Route(
                {int(b): float(w) for b, w in raw["requests"]},
                {int(b): float(w) for b, w in raw["answered"]},
                {str(k): ShareSeries.from_state(v) for k, v in raw["blocks"].items()},
                {str(k): ShareSeries.from_state(v) for k, v in raw["tools"].items()},
                ShareSeries.from_state(raw["refusals"]),
                LengthSeries.from_state(raw["length"]),
            )
