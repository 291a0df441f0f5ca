"""Whole campaigns against the scripted target: ASR per family equals the scripted truth,
the guard in block mode lowers it, and a misbehaving target cannot stall a run."""

from __future__ import annotations

from pathlib import Path

from aisec.redteam import RunConfig, build_report, plan, run
from aisec.redteam.testing import DEFAULT_POLICY, ScriptedPolicy, ScriptedTarget


def test_asr_per_family_equals_the_scripted_truth(target: ScriptedTarget) -> None:
    config = RunConfig(target=target.url, concurrency=4)
    report = build_report(run(config))
    truth = DEFAULT_POLICY.expected_asr(plan(config))
    measured = {f.family: f.asr for f in report.families}
    assert measured == truth
    assert all(f.errors == 0 for f in report.families)
    # vulnerable to some families and not to others, and the findings say which
    assert truth["jailbreak_persuasion"] == 0.0 and truth["indirect_injection"] == 1.0
    assert 0 < truth["direct_injection"] < 1
    rules = {f.rule_id for f in report.findings}
    assert "redteam-indirect-injection" in rules
    assert "redteam-jailbreak-persuasion" not in rules
    for fam in report.families:  # every CI holds the point estimate
        low, high = fam.ci
        assert fam.asr is not None and low <= fam.asr <= high


def test_guard_in_block_mode_lowers_asr_per_family(
    target: ScriptedTarget, guarded: tuple[str, str]
) -> None:
    direct = build_report(run(RunConfig(target=target.url, concurrency=4)))
    url, key = guarded
    behind = build_report(run(RunConfig(target=url, api_key=key, concurrency=4)))
    before = {f.family: f.asr for f in direct.families}
    after = {f.family: f.asr for f in behind.families}
    assert all(f.errors == 0 for f in behind.families), behind.errors
    for family, asr in before.items():
        assert asr is not None and after[family] is not None
        assert after[family] <= asr, family
    # the guard's blocking families fall to zero; some jailbreaks still get through
    for family in (
        "direct_injection",
        "indirect_injection",
        "system_prompt_extraction",
        "pii_extraction",
        "tool_misuse",
    ):
        assert before[family] > 0 and after[family] == 0.0, family
    assert sum(f.blocked for f in behind.families) > 0
    assert after["jailbreak_crescendo"] > 0  # no scanner reads a slow escalation


def test_timeouts_500s_non_json_and_endless_streams_are_recorded_and_the_run_ends(
    target: ScriptedTarget,
) -> None:
    for model, error in (
        ("rt-timeout", "timeout after"),
        ("rt-500", "HTTP 500"),
        ("rt-nonjson", "reply is not JSON"),
        ("rt-deep", "reply is not JSON"),
        ("rt-forever", "timeout after"),
        ("rt-badshape", "reply has no message"),
        ("rt-huge", "response over 1 MiB"),
    ):
        config = RunConfig(target=target.url, model=model, budget=6, concurrency=3, timeout_s=0.5)
        report = build_report(run(config))
        assert len(report.attempts) == 6, model
        assert all(a.outcome == "error" and a.reason.startswith(error) for a in report.attempts)
        assert all(f.asr is None for f in report.families if f.attempts)
        assert [f.rule_id for f in report.findings] == ["redteam-target-errors"]


def test_mixed_failures_do_not_stop_the_judged_attempts(target: ScriptedTarget) -> None:
    config = RunConfig(target=target.url, model="rt-mixed", budget=30, concurrency=5, timeout_s=0.5)
    report = build_report(run(config))
    outcomes = {a.outcome for a in report.attempts}
    assert len(report.attempts) == 30
    assert "error" in outcomes and outcomes & {"success", "defended", "blocked"}


def test_max_time_ends_the_run_and_counts_what_did_not_run(target: ScriptedTarget) -> None:
    config = RunConfig(
        target=target.url, model="rt-timeout", concurrency=2, timeout_s=30, max_time_s=1.0
    )
    result = run(config)
    report = build_report(result)
    assert result.not_run > 0
    assert "redteam-run-incomplete" in {f.rule_id for f in report.findings}


def test_budget_spreads_attempts_over_every_family(target: ScriptedTarget) -> None:
    report = build_report(run(RunConfig(target=target.url, budget=20)))
    assert len(report.attempts) == 20
    assert all(f.attempts >= 2 for f in report.families)


def test_resume_runs_only_what_is_left_with_the_same_canary(
    target: ScriptedTarget, tmp_path: Path
) -> None:
    state = tmp_path / "state.jsonl"
    first = run(RunConfig(target=target.url, budget=25, state=state))
    served = target.requests
    second = run(RunConfig(target=target.url, state=state))
    assert second.resumed == 25
    assert second.planted == first.planted
    keys = [a.key for a in second.attempts]
    assert len(keys) == len(set(keys)) == len(plan(RunConfig(target=target.url)))
    # the second run sent only the attempts the first did not (crescendo: several turns)
    assert target.requests - served < sum(a.requests for a in second.attempts)
    truth = DEFAULT_POLICY.expected_asr(plan(RunConfig(target=target.url)))
    assert {f.family: f.asr for f in build_report(second).families} == truth


def test_judge_model_confirms_jailbreaks() -> None:
    # a target that falls to role-play: the judge (same endpoint) confirms every success
    policy = ScriptedPolicy({"jailbreak_roleplay": frozenset({"plain"})})
    with ScriptedTarget(policy) as t:
        config = RunConfig(
            target=t.url, families=("jailbreak_roleplay",), mutations=("plain",),
            judge_model="judge",
        )  # fmt: skip
        report = build_report(run(config))
    fam = report.family("jailbreak_roleplay")
    assert fam.asr == 1.0
    assert all("judge says it complied" in a.reason for a in report.attempts)
    assert all(a.requests == 2 for a in report.attempts)


def test_own_rate_limit_spaces_request_starts(target: ScriptedTarget) -> None:
    # a lower bound only: a slow machine spreads requests further, never closer
    config = RunConfig(target=target.url, budget=11, concurrency=4, rate=20.0)
    result = run(config)
    starts = sorted(target.arrivals)
    assert len(starts) == sum(a.requests for a in result.attempts)
    assert starts[-1] - starts[0] >= 0.9 * (len(starts) - 1) / 20.0
