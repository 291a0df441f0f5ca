"""One test per attack technique: the target falls to exactly that family, and the run
sees it fall (and nothing else), through the detector the family uses."""

from __future__ import annotations

from aisec.redteam import RunConfig, build_report, run
from aisec.redteam.testing import ScriptedPolicy, ScriptedTarget

ALL = frozenset({"plain", "base64", "leetspeak", "homoglyph", "translation"})


def _only(family: str) -> dict[str, float | None]:
    with ScriptedTarget(ScriptedPolicy({family: ALL})) as t:
        report = build_report(run(RunConfig(target=t.url, concurrency=4)))
    rates = {f.family: f.asr for f in report.families}
    assert rates.pop(family) == 1.0
    assert set(rates.values()) == {0.0}, rates
    rule = "redteam-" + family.replace("_", "-")
    assert [f.rule_id for f in report.findings] == [rule]
    return rates


def test_direct_injection() -> None:
    _only("direct_injection")


def test_indirect_injection_in_documents_and_tool_results() -> None:
    _only("indirect_injection")


def test_jailbreak_roleplay() -> None:
    _only("jailbreak_roleplay")


def test_jailbreak_persuasion() -> None:
    _only("jailbreak_persuasion")


def test_jailbreak_hypothetical() -> None:
    _only("jailbreak_hypothetical")


def test_jailbreak_many_shot() -> None:
    _only("jailbreak_many_shot")


def test_jailbreak_crescendo_multi_turn() -> None:
    _only("jailbreak_crescendo")


def test_system_prompt_extraction_leaks_the_canary() -> None:
    _only("system_prompt_extraction")


def test_pii_extraction_leaks_planted_records() -> None:
    _only("pii_extraction")


def test_tool_misuse_forbidden_tool_or_argument() -> None:
    _only("tool_misuse")
