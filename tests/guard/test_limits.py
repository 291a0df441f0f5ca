"""Size limits: characters and the approximate token count."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aisec.core.errors import PolicyError
from aisec.core.frameworks import lookup
from aisec.core.policy import parse_policy
from aisec.guard import Direction, Engine, Scanner, ScanResult
from aisec.guard._limits import LimitsScanner, approx_tokens
from aisec.guard._scanner import SCANNERS, ScanContext


def test_under_limits_is_clean() -> None:
    assert SCANNERS["limits"] is LimitsScanner
    assert LimitsScanner().scan("hello " * 100, ScanContext()).findings == ()


def test_char_limit() -> None:
    result = LimitsScanner(max_chars=100).scan("x" * 101, ScanContext())
    assert [f.rule_id for f in result.findings] == ["guard-limits-chars"]
    assert result.score == 1.0
    assert result.findings[0].evidence == "101 chars > 100"
    for ref in result.findings[0].frameworks:
        assert lookup(ref)


def test_token_limit_dense_text() -> None:
    # 3 000 chars of punctuation-dense code: far more tokens than chars / 4
    text = "a=b;" * 750
    result = LimitsScanner(max_tokens=1000).scan(text, ScanContext())
    assert [f.rule_id for f in result.findings] == ["guard-limits-tokens"]


def test_token_limit_cjk_counts_each_char() -> None:
    assert approx_tokens("\u4e2d" * 500) == 500
    result = LimitsScanner(max_tokens=400).scan("\u4e2d" * 500, ScanContext())
    assert [f.rule_id for f in result.findings] == ["guard-limits-tokens"]


def test_prose_estimate_is_reasonable() -> None:
    text = "The quick brown fox jumps over the lazy dog. " * 20  # ~200 real tokens
    assert 180 <= approx_tokens(text) <= 300


@pytest.mark.parametrize("bad", [{"max_chars": 0}, {"max_tokens": "many"}])
def test_bad_options_are_policy_errors(bad: dict[str, Any]) -> None:
    with pytest.raises(PolicyError):
        LimitsScanner(**bad)


@given(st.text(max_size=500))
def test_estimate_never_exceeds_length(text: str) -> None:
    assert 0 <= approx_tokens(text) <= max(len(text), 0) or text == ""


# --- limits act first and cut the work ----------------------------------------------------------


class _Recorder(Scanner):
    """Records every text it is given (to prove an over-limit text reached no scanner)."""

    name: ClassVar[str] = "test_recorder"
    default_mode: ClassVar[str] = "off"
    directions: ClassVar[frozenset[Direction]] = frozenset(Direction)

    def scan(self, text: str, ctx: ScanContext) -> ScanResult:
        ctx.state.setdefault("recorded", []).append(len(text))
        return ScanResult(0.0)


def _engine_with_recorder(**limits: Any) -> Engine:
    # the recorder is listed first: the engine still runs the limits gate before it
    return Engine(
        parse_policy(
            {
                "guard": {
                    "scanners": [
                        {"name": "test_recorder", "mode": "detect"},
                        {"name": "limits", "mode": "block", "options": limits},
                    ]
                }
            }
        ).guard
    )


@pytest.mark.parametrize("direction", ["input", "output", "document", "tool_result"])
def test_over_limit_text_is_blocked_before_any_scanner_reads_it(direction: str) -> None:
    engine = _engine_with_recorder(max_chars=1000, max_output_chars=1000)
    ctx = ScanContext()
    decision = engine.scan("x" * 1001, direction, ctx=ctx)
    assert decision.blocked
    assert decision.reason == "blocked by limits"
    assert [f.rule_id for f in decision.findings] == ["guard-limits-chars"]
    assert "recorded" not in ctx.state
    ctx = ScanContext()
    assert not engine.scan("x" * 1000, direction, ctx=ctx).blocked
    assert ctx.state["recorded"] == [1000]


def test_limits_gate_runs_first_in_the_default_pipeline() -> None:
    engine = Engine()
    assert engine.scanners[0][0] == "limits"
    decision = engine.scan("a" * 40_000)
    assert [o.scanner for o in decision.outcomes] == ["limits"]


def test_output_size_limit_in_default_pipeline() -> None:
    decision = Engine().scan("5551234567 " * 20_000, "output")
    assert decision.blocked
    assert [o.scanner for o in decision.outcomes] == ["limits"]
    assert decision.findings[0].evidence == "220000 chars > 128000"


def test_output_token_limit() -> None:
    result = LimitsScanner(max_output_tokens=100).scan(
        "a=b;" * 100, ScanContext(direction=Direction.OUTPUT)
    )
    assert [f.rule_id for f in result.findings] == ["guard-limits-tokens"]


def test_output_limit_separate_from_input_limit() -> None:
    scanner = LimitsScanner(max_chars=10, max_output_chars=50)
    assert scanner.scan("x" * 20, ScanContext(direction=Direction.OUTPUT)).findings == ()
    assert scanner.scan("x" * 20, ScanContext(direction=Direction.INPUT)).score == 1.0


def test_limits_gate_applies_when_only_other_scanners_are_asked_for() -> None:
    engine = _engine_with_recorder(max_chars=100)
    ctx = ScanContext()
    decision = engine.scan("y" * 500, "input", ctx=ctx, only=["test_recorder"])
    assert decision.blocked
    assert "recorded" not in ctx.state


def test_limits_in_detect_mode_lets_scanners_run() -> None:
    engine = Engine(
        parse_policy(
            {
                "guard": {
                    "scanners": [
                        {"name": "test_recorder", "mode": "detect"},
                        {"name": "limits", "mode": "detect", "options": {"max_chars": 10}},
                    ]
                }
            }
        ).guard
    )
    ctx = ScanContext()
    decision = engine.scan("z" * 20, "input", ctx=ctx)
    assert not decision.blocked
    assert [f.rule_id for f in decision.findings] == ["guard-limits-chars"]
    assert ctx.state["recorded"] == [20]
