"""Model-behaviour signals per route (issue 18): block rate per scanner, refusal rate,
answer length, tool-call mix and canary leaks, each against the route's rolling baseline.
A clean synthetic day raises nothing; each injected change raises its rule on its route
only. The end-to-end tests go through real audit events and ``monitor run``."""

from __future__ import annotations

import pytest
from behaviour_trace import T0, Mix, as_requests, shifted, trace
from monitor_trace import record

from aisec.core.audit import default_log
from aisec.core.policy import MonitorPolicy
from aisec.monitor import list_alerts, monitor_once
from aisec.monitor._behaviour import BehaviourEvent, RouteAlarm
from aisec.monitor._signals import SignalEngine

SHIFT_AT = T0 + 12 * 3600 + 13.0


def _alarms(events: list[BehaviourEvent], policy: MonitorPolicy | None = None) -> list[RouteAlarm]:
    engine = SignalEngine(policy or MonitorPolicy())
    out: list[RouteAlarm] = []
    for ev in events:
        out += engine.behaviour.feed(ev)
    return out


def _after_shift(route: str, mix: Mix, seed: int = 1) -> tuple[list[RouteAlarm], list[RouteAlarm]]:
    alarms = _alarms(trace(seed, shift=(route, SHIFT_AT, mix)))
    return [a for a in alarms if a.t < SHIFT_AT], [a for a in alarms if a.t >= SHIFT_AT]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_clean_day_on_three_routes_raises_no_behaviour_alarm(seed: int) -> None:
    events = trace(seed)
    assert len(events) > 15_000
    assert _alarms(events) == []


def test_block_rate_rise_of_one_scanner_alarms_on_that_route_and_scanner() -> None:
    before, after = _after_shift("main", shifted("main", injection=0.2))
    assert before == []
    first = after[0]
    assert (first.rule_id, first.route) == ("monitor-route-block-rate", "main")
    assert first.signal == "block_rate:input.prompt_injection"
    assert first.params == (("scanners", "prompt_injection"),)
    assert first.observed > 3 * first.baseline
    assert {a.route for a in after} == {"main"}
    assert first.t - SHIFT_AT < 3600


def test_refusal_rate_rise_alarms() -> None:
    before, after = _after_shift("support", shifted("support", refusal=0.4))
    assert before == []
    assert after[0].rule_id == "monitor-route-refusal-rate"
    assert after[0].route == "support" and after[0].unit == "share"
    assert after[0].t - SHIFT_AT < 3600


@pytest.mark.parametrize("mu", [7.6, 4.5])  # 5x longer, 4.5x shorter answers
def test_output_length_shift_either_way_alarms(mu: float) -> None:
    before, after = _after_shift("main", shifted("main", length_mu=mu))
    assert before == []
    first = after[0]
    assert (first.rule_id, first.route, first.unit) == (
        "monitor-route-output-length",
        "main",
        "chars",
    )
    assert (first.observed > first.baseline) == (mu > 6.0)
    assert first.t - SHIFT_AT < 600


def test_tool_mix_change_alarms_for_the_tool_whose_share_rose() -> None:
    mix = shifted("agent", tools=(("search", 0.3), ("calendar", 0.5)))
    before, after = _after_shift("agent", mix)
    assert before == []
    assert (after[0].rule_id, after[0].signal) == ("monitor-route-tool-mix", "tool_share:calendar")


def test_new_tool_in_a_tenth_of_answers_alarms() -> None:
    mix = shifted("agent", tools=(("search", 0.3), ("calendar", 0.1), ("shell", 0.1)))
    before, after = _after_shift("agent", mix)
    assert before == []
    assert after[0].signal == "tool_share:shell"


def test_canary_leak_alarms_at_the_first_leak() -> None:
    events = trace(1, shift=("support", SHIFT_AT, shifted("support", canary=0.01)))
    leaks = [e for e in events if e.canary_leak]
    alarms = _alarms(events)
    assert [a.seq for a in alarms if a.rule_id == "monitor-canary-leak"] == [e.seq for e in leaks]
    assert leaks and alarms[0].seq == leaks[0].seq


def test_detector_state_carries_between_runs() -> None:
    """Feeding a trace in two halves through saved state gives the same alarms as one pass."""
    events = trace(1, shift=("main", SHIFT_AT, shifted("main", injection=0.2)))
    one = _alarms(events)
    policy = MonitorPolicy()
    first = SignalEngine(policy)
    half = len(events) // 2
    got: list[RouteAlarm] = []
    for ev in events[:half]:
        got += first.behaviour.feed(ev)
    import json

    second = SignalEngine(policy, json.loads(json.dumps(first.state())))
    for ev in events[half:]:
        got += second.behaviour.feed(ev)
    assert got == one


def test_behaviour_change_through_the_audit_log_opens_one_alert_per_rule_and_route() -> None:
    events = trace(1, hours=16, shift=("main", SHIFT_AT, shifted("main", injection=0.2)))
    record(default_log(), as_requests(events))
    run = monitor_once()
    assert run.events == len(events)
    alerts = [a for a in list_alerts() if a.rule_id.startswith("monitor-route")]
    assert [(a.rule_id, a.subject) for a in alerts] == [("monitor-route-block-rate", "route:main")]
    alert = alerts[0]
    assert alert.evidence["scanners"] == "prompt_injection"
    assert alert.playbook == "guard-to-block"
    sig = alert.evidence["signals"]["block_rate:input.prompt_injection"]
    assert sig["peak_share"] > sig["baseline_share"] > 0
    assert "OWASP-LLM:LLM01:2025" in alert.frameworks


def test_clean_behaviour_through_the_audit_log_raises_no_alert() -> None:
    events = trace(2, hours=16)
    record(default_log(), as_requests(events))
    run = monitor_once()
    assert run.events == len(events)
    assert list_alerts() == []
