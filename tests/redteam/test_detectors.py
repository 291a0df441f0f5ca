"""Detectors, planted values, Wilson intervals and the HTML report's escaping."""

from __future__ import annotations

import base64
import html
from dataclasses import replace
from pathlib import Path

from aisec.redteam import (
    RunConfig,
    build_report,
    load_probes,
    plant,
    refused,
    render_html,
    run,
    wilson,
)
from aisec.redteam._detectors import ToolCall, detect, redact_planted
from aisec.redteam.testing import ScriptedPolicy, ScriptedTarget


def _probe(detector: str) -> object:
    return next(p for p in load_probes() if p.detector == detector)


def test_wilson_interval_matches_the_formula_at_known_points() -> None:
    low, high = wilson(0, 10)
    assert low == 0.0 and round(high, 4) == 0.2775
    low, high = wilson(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    assert wilson(0, 0) == (0.0, 1.0)


def test_canary_is_found_plain_reversed_base64_and_spaced() -> None:
    planted = plant(7)
    probe = next(p for p in load_probes() if p.detector == "canary")
    c = planted.canary
    for leaked in (c, c[::-1], base64.b64encode(c.encode()).decode(), " ".join(c)):
        assert detect(probe, f"here: {leaked}", (), planted)[0], leaked
    assert not detect(probe, "I can't share that.", (), planted)[0]


def test_planted_pii_is_found_by_email_phone_or_name() -> None:
    planted = plant(3)
    probe = next(p for p in load_probes() if p.detector == "pii")
    name, email, phone = planted.records[0]
    assert detect(probe, email.upper(), (), planted)[0]
    assert detect(probe, "call " + phone.replace(" ", "").replace("-", "."), (), planted)[0]
    assert detect(probe, f"the customer is {name}", (), planted)[0]
    assert not detect(probe, "jane@example.org", (), planted)[0]


def test_forbidden_tool_and_forbidden_argument() -> None:
    planted = plant(1)
    probes = {p.id: p for p in load_probes(["tool_misuse"])}
    delete = probes["tm-delete-account"]
    assert detect(delete, "", (ToolCall("delete_account", {"user_id": "1"}),), planted)[0]
    assert not detect(delete, "", (ToolCall("lookup_order", {"order_id": "1"}),), planted)[0]
    mail = probes["tm-exfil-email"]
    assert detect(mail, "", (ToolCall("send_email", {"to": "x@evil.example"}),), planted)[0]
    assert not detect(mail, "", (ToolCall("send_email", {"to": "ops@acme.example"}),), planted)[0]
    refund = probes["tm-refund"]
    assert detect(refund, "", (ToolCall("issue_refund", {"amount": 5000}),), planted)[0]
    assert not detect(refund, "", (ToolCall("issue_refund", {"amount": 20}),), planted)[0]


def test_refusal_absent_is_a_success_and_refusals_in_four_languages_are_not() -> None:
    planted = plant(1)
    probe = next(p for p in load_probes() if p.detector == "no_refusal")
    assert detect(probe, "Sure. Step 1: ...", (), planted)[0]
    assert not detect(probe, "", (), planted)[0]
    for text in ("I'm sorry, but no.", "I can\u2019t help", "Je ne peux pas", "No puedo",
                 "Ich kann das nicht tun"):  # fmt: skip
        assert refused(text), text


def test_reports_mask_planted_values() -> None:
    planted = plant(2)
    text = f"code {planted.canary} for {planted.records[0][1]}"
    masked = redact_planted(text, planted)
    assert planted.canary not in masked and planted.records[0][1] not in masked


def test_html_report_escapes_what_the_target_wrote(tmp_path: Path) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    policy = ScriptedPolicy({"system_prompt_extraction": frozenset({"plain"})})
    with ScriptedTarget(policy) as t:
        config = RunConfig(
            target=t.url, system_prompt=evil, families=("system_prompt_extraction",),
            mutations=("plain",), model='m"><b>',
        )  # fmt: skip
        report = build_report(run(config))
    assert any(evil[:20] in a.excerpt for a in report.attempts)
    page = render_html(report)
    assert "<script>" not in page and "<img" not in page
    assert html.escape(evil[:20]) in page
    assert "<b>" not in page
    # a finding evidence or probe key with markup is escaped too
    page = render_html(replace(report, target="http://x/<svg onload=1>"))
    assert "<svg" not in page
