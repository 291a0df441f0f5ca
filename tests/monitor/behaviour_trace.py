"""Synthetic model behaviour per gateway route, as the monitor reads it from the audit log.

``clean_day``: 24 h on three routes (Poisson arrivals on a day curve of 0.5x-1.5x; norms 6,
2 and 3 requests a minute). Each request is blocked by ``input.prompt_injection`` with
probability 2% and by ``input.pii`` 0.5%; an answer refuses with probability 5%, is
log-normal in length (median about 400 characters), and on the ``agent`` route calls
``search`` (30%) and ``calendar`` (10%). ``shift`` changes one route from a given time.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace

from monitor_trace import Request

from aisec.monitor._behaviour import BehaviourEvent

T0 = 1_764_460_800.0  # 2025-11-30 00:00 UTC
DAY = 86400.0
ROUTES = {"main": 6.0 / 60, "support": 2.0 / 60, "agent": 3.0 / 60}


@dataclass(frozen=True, slots=True)
class Mix:
    """The behaviour a route's requests are drawn from."""

    injection: float = 0.02
    pii: float = 0.005
    refusal: float = 0.05
    length_mu: float = 6.0  # ln characters
    length_sigma: float = 0.8
    tools: tuple[tuple[str, float], ...] = ()
    canary: float = 0.0


NORMAL = {
    "main": Mix(),
    "support": Mix(),
    "agent": Mix(tools=(("search", 0.3), ("calendar", 0.1))),
}


def _event(rng: random.Random, route: str, t: float, mix: Mix, seq: int) -> BehaviourEvent:
    blocked = []
    if rng.random() < mix.injection:
        blocked.append("input.prompt_injection")
    if rng.random() < mix.pii:
        blocked.append("input.pii")
    if blocked:
        return BehaviourEvent(seq, t, route, tuple(blocked))
    if rng.random() < mix.canary:
        return BehaviourEvent(seq, t, route, ("output.leak",), canary_leak=True)
    return BehaviourEvent(
        seq,
        t,
        route,
        answered=True,
        output_chars=int(rng.lognormvariate(mix.length_mu, mix.length_sigma)),
        refusal=rng.random() < mix.refusal,
        tools=tuple(name for name, p in mix.tools if rng.random() < p),
    )


def trace(
    seed: int = 1,
    hours: float = 24,
    shift: tuple[str, float, Mix] | None = None,
) -> list[BehaviourEvent]:
    """Every route's requests in time order; ``shift=(route, start, mix)``: that route's
    requests from ``start`` on are drawn from ``mix``."""
    rng = random.Random(seed)
    end = T0 + hours * 3600
    timed: list[tuple[float, str, Mix]] = []
    for i, (route, norm) in enumerate(ROUTES.items()):
        t = T0
        while True:
            rate = norm * (1 + 0.5 * math.sin(2 * math.pi * (t - T0) / DAY + i))
            t += rng.expovariate(rate)
            if t >= end:
                break
            mix = NORMAL[route]
            if shift is not None and shift[0] == route and t >= shift[1]:
                mix = shift[2]
            timed.append((t, route, mix))
    timed.sort(key=lambda x: x[0])
    return [_event(rng, route, t, mix, seq) for seq, (t, route, mix) in enumerate(timed, 1)]


def shifted(route: str, **change: object) -> Mix:
    return replace(NORMAL[route], **change)  # type: ignore[arg-type]


def as_requests(events: list[BehaviourEvent]) -> list[Request]:
    """The events as the gateway's audit events record them (for ``monitor_trace.record``)."""
    out = []
    for ev in events:
        extra: dict[str, object] = {}
        if ev.blocked_by:
            extra["blocked_by"] = ",".join(ev.blocked_by)
        if ev.answered:
            extra.update(output_chars=ev.output_chars, refusal=ev.refusal)
            if ev.tools:
                extra["tools_called"] = ",".join(ev.tools)
        if ev.canary_leak:
            extra["canary_leak"] = True
        status = 200 if ev.answered else 400
        out.append(
            Request(
                ev.t,
                f"user{ev.seq % 40}",
                f"k{ev.seq % 40:04d}",
                status,
                "gpt-a",
                decision="allow" if ev.answered else "block",
                route=ev.route,
                extra=tuple(extra.items()),
            )
        )
    return out
