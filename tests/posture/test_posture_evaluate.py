"""Control statuses from evidence, fail closed: no evidence is never "in place"."""

from __future__ import annotations

from posture_samples import MakeInv, asset

from aisec.core.findings import Finding, Location, Severity
from aisec.core.policy import RoutePolicy
from aisec.inventory import Skipped
from aisec.posture import (
    ControlResult,
    Evidence,
    KeyState,
    evaluate,
    framework_scores,
    load_threat_model,
)

MODEL = load_threat_model()


def _status(results: list[ControlResult], control_id: str) -> str:
    return next(r.status for r in results if r.control.id == control_id)


def _route(**kw: object) -> RoutePolicy:
    base: dict[str, object] = {
        "name": "openai",
        "models": ["gpt-*"],
        "upstream": "https://api.openai.com/v1",
    }
    base.update(kw)
    return RoutePolicy.model_validate(base)


def test_no_evidence_is_unknown_or_missing_never_in_place(make_inv: MakeInv) -> None:
    inv = make_inv([asset("model_file", "m.bin")])  # no verdict, no signature state
    results, findings = evaluate(MODEL, inv, Evidence())
    statuses = {r.control.id: r.status for r in results}
    assert statuses["C-MODEL-SCAN"] == "unknown"
    assert statuses["C-MODEL-SIGN"] == "unknown"
    assert statuses["C-ROBUSTNESS"] == "unknown"
    assert "in place" not in statuses.values()
    assert findings == []  # unknown is shown, not reported as a problem


def test_controls_for_kinds_the_tree_lacks_are_left_out(make_inv: MakeInv) -> None:
    results, _ = evaluate(MODEL, make_inv([asset("dataset", "d.csv")]), Evidence())
    assert {r.control.id for r in results} == {"C-DATA-CONTRACT", "C-KEYS"}


def test_scan_and_signature_statuses_from_model_details(make_inv: MakeInv) -> None:
    inv = make_inv(
        [
            asset("model_file", "a.safetensors", verdict="clean", signature="verified"),
            asset("model_file", "b.pkl", verdict="malicious", signature="unsigned"),
        ]
    )
    results, _ = evaluate(MODEL, inv, Evidence())
    assert _status(results, "C-MODEL-SCAN") == "partial"
    assert _status(results, "C-MODEL-SIGN") == "partial"
    inv = make_inv([asset("model_file", "a.safetensors", verdict="clean", signature="verified")])
    results, _ = evaluate(MODEL, inv, Evidence())
    assert _status(results, "C-MODEL-SCAN") == "in place"
    assert _status(results, "C-MODEL-SIGN") == "in place"


def test_a_signature_that_was_not_verified_is_not_in_place(make_inv: MakeInv) -> None:
    inv = make_inv([asset("model_file", "a.safetensors", signature="signed (unverified)")])
    results, _ = evaluate(MODEL, inv, Evidence())
    assert _status(results, "C-MODEL-SIGN") == "unknown"


def test_llm_calls_without_a_guard_policy_are_one_project_finding(make_inv: MakeInv) -> None:
    inv = make_inv(
        [
            asset("llm_call", "app/chat.py", "openai.chat", line=12, model="gpt-4o"),
            asset("llm_call", "app/rag.py", "openai.embeddings", line=30),
        ]
    )
    results, findings = evaluate(MODEL, inv, Evidence())
    assert _status(results, "C-GUARD-INPUT") == "missing"
    assert [f.rule_id for f in findings] == ["posture-guard-policy-missing"]
    f = findings[0]
    assert f.severity is Severity.HIGH
    assert f.location == Location(path="app/chat.py", line=12)
    assert "2 asset(s): app/chat.py:12, app/rag.py:30" in f.evidence
    assert "OWASP-LLM:LLM01:2025" in {str(r) for r in f.frameworks}


def test_a_guarded_route_serving_the_model_puts_the_guard_in_place(make_inv: MakeInv) -> None:
    inv = make_inv([asset("llm_call", "app/chat.py", line=3, model="gpt-4o")])
    ev = Evidence(guard_configured=True, routes=(_route(canary=True),))
    results, findings = evaluate(MODEL, inv, ev)
    assert _status(results, "C-GUARD-INPUT") == "in place"
    assert findings == []
    # a route with the guard switched off covers nothing
    off = _route(guard=False, guard_off_reason="benchmark")
    results, findings = evaluate(MODEL, inv, Evidence(routes=(off,)))
    assert _status(results, "C-GUARD-INPUT") == "missing"
    assert [f.rule_id for f in findings] == ["posture-guard-policy-missing"]


def test_a_guard_section_without_a_route_is_unknown_not_in_place(make_inv: MakeInv) -> None:
    inv = make_inv([asset("llm_call", "app/chat.py", line=3)])
    results, findings = evaluate(MODEL, inv, Evidence(guard_configured=True))
    assert _status(results, "C-GUARD-INPUT") == "unknown"
    assert findings == []


def test_system_prompt_leak_control_applies_to_system_prompts_only(make_inv: MakeInv) -> None:
    user = asset("prompt", "prompts/faq.txt", system=False)
    results, _ = evaluate(MODEL, make_inv([user]), Evidence())
    assert "C-PROMPT-LEAK" not in {r.control.id for r in results}
    system = asset("prompt", "app/rag.py", "SYSTEM_PROMPT", line=9, role="system")
    results, _ = evaluate(MODEL, make_inv([system]), Evidence())
    assert _status(results, "C-PROMPT-LEAK") == "missing"
    canary = Evidence(guard_configured=True, routes=(_route(canary=True),))
    results, _ = evaluate(MODEL, make_inv([system]), canary)
    assert _status(results, "C-PROMPT-LEAK") == "in place"


def test_secrets_anywhere_fail_the_secrets_control(make_inv: MakeInv) -> None:
    call = asset("llm_call", "app/chat.py", line=3)
    secret = asset("secret", "app/settings.py", "openai_key", line=5, type="openai_key")
    results, _ = evaluate(MODEL, make_inv([call, secret]), Evidence())
    r = next(r for r in results if r.control.id == "C-SECRETS")
    assert r.status == "missing"
    assert [a.path for a in r.failing] == ["app/settings.py"]
    results, _ = evaluate(MODEL, make_inv([call]), Evidence())
    assert _status(results, "C-SECRETS") == "in place"
    skipped = make_inv([call], skipped=[Skipped("big.py", "larger than the limit")])
    results, _ = evaluate(MODEL, skipped, Evidence())
    assert _status(results, "C-SECRETS") == "unknown"  # unread files may hold one


def test_dependency_findings_fail_the_dependency_control(make_inv: MakeInv) -> None:
    manifest = asset("dependency_manifest", "requirements.txt")
    unpinned = Finding(
        "supplychain-unpinned", "t", Severity.MEDIUM, location=Location("requirements.txt", 2)
    )
    note = Finding(
        "supplychain-no-vulnerability-data",
        "t",
        Severity.INFO,
        location=Location("requirements.txt"),
    )
    results, _ = evaluate(MODEL, make_inv([manifest], [unpinned, note]), Evidence())
    assert _status(results, "C-DEPENDENCIES") == "missing"
    results, _ = evaluate(MODEL, make_inv([manifest], [note]), Evidence())
    assert _status(results, "C-DEPENDENCIES") == "in place"


def test_data_contract_from_policy_globs(make_inv: MakeInv) -> None:
    inv = make_inv([asset("dataset", "data/users.csv"), asset("dataset", "data/events.parquet")])
    results, findings = evaluate(MODEL, inv, Evidence(dataset_globs=("users*.csv",)))
    assert _status(results, "C-DATA-CONTRACT") == "partial"
    assert [(f.rule_id, f.location.path) for f in findings] == [
        ("posture-data-contract-missing", "data/events.parquet")
    ]


def test_keys_due_for_rotation_are_a_project_finding(make_inv: MakeInv) -> None:
    inv = make_inv([asset("dataset", "d.csv")])
    ev = Evidence(
        dataset_globs=("*.csv",), keys=KeyState("fail", "1 key(s) past their rotation date: data")
    )
    results, findings = evaluate(MODEL, inv, ev)
    assert _status(results, "C-KEYS") == "missing"
    assert [f.rule_id for f in findings] == ["posture-keys-rotation-due"]


def test_scores_count_partial_as_half_and_unknown_as_nothing(make_inv: MakeInv) -> None:
    inv = make_inv(
        [
            asset("model_file", "a.safetensors", verdict="clean", signature="verified"),
            asset("model_file", "b.safetensors", verdict="clean", signature="unsigned"),
        ]
    )
    results, _ = evaluate(MODEL, inv, Evidence())
    scores = framework_scores(MODEL, results)
    ms = scores["MS-AIRA"]
    # MODEL-SCAN in place, MODEL-SIGN partial; ROBUSTNESS, PRIVACY, ACCESS, KEYS unknown
    assert (ms["in place"], ms["partial"], ms["missing"], ms["unknown"]) == (1, 1, 0, 4)
    assert ms["score"] == round(100 * 1.5 / 6)
    assert scores["OWASP-AGENTIC"]["score"] is None  # no agentic control applies


def test_classic_ml_calls_need_no_llm_guard(make_inv: MakeInv) -> None:
    fit = asset("llm_call", "train.py", "sklearn.RandomForestClassifier", line=8, category="ml")
    results, findings = evaluate(MODEL, make_inv([fit]), Evidence())
    assert "C-GUARD-INPUT" not in {r.control.id for r in results}
    assert findings == []
