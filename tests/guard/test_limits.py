"""Size limits: characters and the approximate token count."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aisec.core.errors import PolicyError
from aisec.core.frameworks import lookup
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
