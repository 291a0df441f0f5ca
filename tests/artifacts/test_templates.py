"""Jinja chat templates: SSTI found by parsing (never rendering); real templates stay clean."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from _formats_samples import BENIGN_TEMPLATES, SSTI_TEMPLATES
from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.artifacts import scan_bytes, scan_path
from aisec.artifacts.templates._check import JSON_START, analyse_template, template_findings
from aisec.core.frameworks import lookup


def _rules(data: bytes, name: str = "chat_template.jinja") -> tuple[str, set[str]]:
    report = scan_bytes(data, name)
    return report.files[0].verdict, {f.rule_id for f in report.findings}


@pytest.mark.parametrize("name", sorted(BENIGN_TEMPLATES))
def test_real_model_templates_are_clean(name: str) -> None:
    assert analyse_template(BENIGN_TEMPLATES[name]) == []
    verdict, rules = _rules(BENIGN_TEMPLATES[name].encode())
    assert (verdict, rules) == ("clean", set())


@pytest.mark.parametrize("technique", sorted(SSTI_TEMPLATES))
def test_ssti_technique_is_caught(technique: str) -> None:
    template, kind = SSTI_TEMPLATES[technique]
    verdict, rules = _rules(template.encode())
    assert f"template-{kind}" in rules
    assert verdict == ("suspicious" if kind == "include" else "malicious")


def test_template_is_never_rendered(tmp_path: Path) -> None:
    marker = tmp_path / "rendered"
    payload = "{{ cycler.__init__.__globals__.os.popen('touch " + str(marker) + "').read() }}"
    verdict, rules = _rules(payload.encode())
    assert "template-ssti" in rules and verdict == "malicious"
    assert not marker.exists()


def test_tokenizer_config_string_template(tmp_path: Path) -> None:
    cfg = {"bos_token": "<s>", "chat_template": SSTI_TEMPLATES["attr_join_list"][0]}
    p = tmp_path / "tokenizer_config.json"
    p.write_text(json.dumps(cfg))
    report = scan_path(p)
    assert report.files[0].format == "json"
    finding = next(f for f in report.findings if f.rule_id == "template-ssti")
    assert finding.location.pointer == "/chat_template"


def test_tokenizer_config_named_template_list(tmp_path: Path) -> None:
    cfg = {
        "chat_template": [
            {"name": "default", "template": BENIGN_TEMPLATES["llama3"]},
            {"name": "tool_use", "template": SSTI_TEMPLATES["namespace_globals"][0]},
        ]
    }
    p = tmp_path / "tokenizer_config.json"
    p.write_text(json.dumps(cfg, indent=2))
    report = scan_path(p)
    pointers = {f.location.pointer for f in report.findings if f.rule_id == "template-ssti"}
    assert pointers == {"/chat_template/1/template"}


def test_chat_template_json_file(tmp_path: Path) -> None:
    p = tmp_path / "chat_template.json"
    p.write_text(json.dumps({"chat_template": SSTI_TEMPLATES["attr_reverse_slice"][0]}))
    assert "template-ssti" in {f.rule_id for f in scan_path(p).findings}


def test_yaml_config_with_template(tmp_path: Path) -> None:
    p = tmp_path / "serving.yaml"
    p.write_text(
        "model: tiny\nchat_template: |\n  "
        + SSTI_TEMPLATES["lipsum_globals_subscript"][0]
        + "\nmax_tokens: 10\n"
    )
    report = scan_path(p)
    assert report.files[0].format == "yaml"
    assert "template-ssti" in {f.rule_id for f in report.findings}


def test_template_hidden_under_innocent_name(tmp_path: Path) -> None:
    # a JSON config named like a text file, and a raw template with no extension
    (tmp_path / "README.txt").write_text(json.dumps({"x": {"y": [SSTI_CVE()]}}))
    (tmp_path / "LICENSE").write_text(SSTI_CVE())
    report = scan_path(tmp_path)
    by_name = {Path(r.path).name: r for r in report.files}
    assert by_name["README.txt"].verdict == "malicious"
    assert by_name["LICENSE"].verdict == "malicious"
    assert all("template-ssti" in {f.rule_id for f in r.findings} for r in by_name.values())


def SSTI_CVE() -> str:  # noqa: N802 - reads like the constant it returns
    return SSTI_TEMPLATES["cve_2024_34359_subclasses"][0]


def test_benign_yaml_and_json_configs_are_clean(tmp_path: Path) -> None:
    (tmp_path / "tokenizer_config.json").write_text(
        json.dumps({"chat_template": BENIGN_TEMPLATES["llama31_tools"], "eos_token": "</s>"})
    )
    (tmp_path / "config.yaml").write_text("name: x\nlayers: [1, 2]\nprompt: '{{ question }}'\n")
    report = scan_path(tmp_path)
    assert {r.verdict for r in report.files} == {"clean"}


def test_yaml_alias_bomb_is_bounded(tmp_path: Path) -> None:
    lines = ["a0: &a0 ['{{ x }}', '{{ x }}']"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 40)]
    p = tmp_path / "bomb.yaml"
    p.write_text("\n".join(lines) + "\n")
    report = scan_path(p)
    assert report.files[0].verdict in ("clean", "error")


def test_deeply_nested_template_ends_in_a_finding() -> None:
    source = "{{ " + "(" * 5000 + "x" + ")" * 5000 + " }}"
    kinds = {i.kind for i in analyse_template(source)}
    assert "parse-error" in kinds


def test_float_in_non_ascii_digits_is_a_parse_error_not_a_crash() -> None:
    # jinja2's lexer takes "\u0663.\u0663" as a float and ast.literal_eval raises SyntaxError
    issues = analyse_template("{{ \u0663.\u0663 }}{{ cycler.__init__.__globals__ }}")
    assert {i.kind for i in issues} == {"parse-error", "ssti"}


def test_oversized_template_is_reported() -> None:
    kinds = {i.kind for i in analyse_template("{{ x }}" * 200_000)}
    assert "too-large" in kinds


def test_every_template_framework_ref_resolves() -> None:
    findings = template_findings(SSTI_CVE(), "t.jinja")
    assert findings
    for finding in findings:
        for ref in finding.frameworks:
            assert lookup(ref).id == ref.id


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("{}%#()[]|~+'\"_.abcx ,=-:*\n")), max_size=200))
def test_random_template_text_never_crashes(source: str) -> None:
    for issue in analyse_template(source):
        assert issue.kind in {
            "ssti",
            "suspicious-global",
            "dynamic-attribute",
            "include",
            "parse-error",
            "too-large",
        }


def test_tokenizer_vocab_with_brace_tokens_is_clean(tmp_path: Path) -> None:
    vocab = {"{{": 1, "{%": 2, "}}": 3, "{#": 4, "hello": 5, "{{-": 6}
    p = tmp_path / "tokenizer.json"
    p.write_text(json.dumps({"model": {"type": "BPE", "vocab": vocab, "merges": ["{ {", "{ %"]}}))
    report = scan_path(p)
    assert (report.files[0].verdict, report.findings) == ("clean", [])


def test_text_with_braces_that_is_not_a_template(tmp_path: Path) -> None:
    p = tmp_path / "notes.md"
    p.write_text("# Notes\nUse {{ and }} in Go templates; {% is not closed here\n")
    assert scan_path(p).files[0].verdict == "clean"


def test_json_lines_dataset_is_judged_line_by_line(tmp_path: Path) -> None:
    p = tmp_path / "train.jsonl"
    rows = [{"prompt": "hi", "completion": "there"}, {"chat_template": SSTI_CVE()}]
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    report = scan_path(p)
    assert report.files[0].format == "json"
    assert "template-ssti" in {f.rule_id for f in report.findings}


def test_helm_chart_go_template_is_not_jinja_ssti(tmp_path: Path) -> None:
    p = tmp_path / "deployment.yaml"
    p.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
        "spec:\n  template:\n    spec:\n      nodeSelector:\n"
        "        kubernetes.io/os: {{ .Values.os.name }}\n"
        '{{- if .Values.debug }}\n      command: ["sh", "-c", "system info"]\n{{- end }}\n'
    )
    assert scan_path(p).files[0].verdict == "clean"


def test_remote_code_auto_map_is_reported_as_info(tmp_path: Path) -> None:
    p = tmp_path / "config.json"
    p.write_text(json.dumps({"model_type": "x", "auto_map": {"AutoModel": "modeling_x.XModel"}}))
    report = scan_path(p)
    assert report.files[0].verdict == "clean"
    assert [f.rule_id for f in report.findings] == ["config-remote-code"]


def test_raw_template_starting_with_a_bracket(tmp_path: Path) -> None:
    p = tmp_path / "prompt.txt"
    p.write_text("[INST] {{ messages[0]['content'] }} [/INST]{{ cycler.__init__.__globals__ }}")
    report = scan_path(p)
    assert report.files[0].format == "jinja-template"
    assert "template-ssti" in {f.rule_id for f in report.findings}


def test_raw_template_that_also_parses_as_yaml(tmp_path: Path) -> None:
    p = tmp_path / "template.txt"
    p.write_text(
        "System: {{ system_message }}\nUser: {{ ()|attr('__cla'\n  ~ 'ss__') }}\nAssistant:\n"
    )
    assert "template-ssti" in {f.rule_id for f in scan_path(p).findings}


def test_prose_that_looks_like_yaml_is_not_an_error(tmp_path: Path) -> None:
    p = tmp_path / "NOTES.md"
    p.write_text("Note: read this first\n\n- item: [unclosed\n  * bullet { x\n")
    report = scan_path(p)
    assert report.files[0].verdict == "clean"


def test_dunder_shaped_sentinel_string_is_not_ssti() -> None:
    # from torch/_inductor's templates: a sentinel constant, never used as an attribute
    source = '{%- set sentinel = "__NOT_A_NUMBER__" -%}{{ x if x != sentinel else 0 }}'
    assert analyse_template(source) == []


def test_code_with_braces_and_dunders_is_not_a_template_attack(tmp_path: Path) -> None:
    # Cython Tempita and C sources: "{{" and "__init__" everywhere, not Jinja at all
    (tmp_path / "fast.pyx.tp").write_text(
        "{{py:\ndtypes = [('float64', 'double')]\n}}\n{{for name, c_type in dtypes}}\n"
        "cdef class Thing{{name}}:\n    def __init__(self): pass\n{{endfor}}\n"
    )
    (tmp_path / "shim.c").write_text(
        "static int x[2][2] = {{0, 1}, {2, 3}};\n#ifdef __cplusplus__\n#endif\n"
    )
    report = scan_path(tmp_path)
    assert {r.verdict for r in report.files} == {"clean"}


_PY_TEST_FILE = '''"""Tests for a template sandbox."""
import pytest

PAYLOAD = "{{ ''.__class__.__mro__[1].__subclasses__() }}"  # CVE-2024-34359


def test_blocks_subclasses() -> None:
    # the guard must refuse {{ cycler.__init__.__globals__.os.popen('id') }}
    src = """{% for m in messages %}{{ m.__class__ }}{% endfor %}"""
    assert render(src) is None


@pytest.mark.parametrize("t", [f"{{{{ x.__dict__ }}}}", r'{%- set a = "__globals__" -%}'])
def test_more(t: str) -> None:
    assert t
'''


def test_python_source_that_quotes_ssti_strings_is_not_a_template(tmp_path: Path) -> None:
    p = tmp_path / "test_sandbox.py"
    p.write_text(_PY_TEST_FILE)
    result = scan_path(p).files[0]
    assert (result.format, result.verdict, result.findings) == ("python-source", "clean", ())


def test_python_source_named_as_a_template_is_judged_as_one(tmp_path: Path) -> None:
    # chat templates are found by name; a template written to also parse as Python (its
    # payload inside a Python string) is still a template there
    for name in ("chat_template.jinja", "prompt.j2", "chat_template_tool_use.txt"):
        p = tmp_path / name
        p.write_text(_PY_TEST_FILE)
        result = scan_path(p).files[0]
        assert result.format == "jinja-template"
        assert "template-ssti" in {f.rule_id for f in result.findings}


def test_template_that_parses_as_python_with_code_markers_stays_a_template(
    tmp_path: Path,
) -> None:
    # "{{ ... }}" outside any Python string is a set display to Python, a tag to Jinja
    p = tmp_path / "prompt.txt"
    p.write_text("x = {{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    result = scan_path(p).files[0]
    assert result.format == "jinja-template"
    assert result.verdict == "malicious"


def test_quotes_templates_as_python_edges() -> None:
    from aisec.artifacts.templates._check import quotes_templates_as_python

    assert quotes_templates_as_python('s = "{{ x }}"  # {% if %}\n')
    assert quotes_templates_as_python('s = """\n{% for m in ms %}\n{{ m }}\n"""\n')
    assert not quotes_templates_as_python("{{ x }}\n")  # a template that is also Python
    assert not quotes_templates_as_python('s = "ok"\nd = {{1}}\n')  # marker in code
    assert not quotes_templates_as_python("{% for m in ms %}{{ m }}{% endfor %}")  # not Python
    assert not quotes_templates_as_python('s = "no markers"\n')  # nothing to judge
    assert not quotes_templates_as_python('s = "a"\r{{ x.__class__ }}\n')  # a lone \r ends a line


# JSON_START as it was before its repeats became possessive (the reference for the test)
_JSON_START_BACKTRACKING = re.compile(
    rb'\A(?:\xef\xbb\xbf)?\s*(?:\{\s*(?:"|\}|$)|\[\s*(?:[\[{"\d\-\]]|true|false|null|$))'
)
_JSON_PIECES = [b" ", b"\n", b"\t", b"\r", b"{", b"}", b"[", b"]", b'"', b"1", b"-", b"true"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([*_JSON_PIECES, b"\xef\xbb\xbf", b"null", b"x"]), max_size=16))
def test_json_start_accepts_what_the_backtracking_pattern_accepted(pieces: list[bytes]) -> None:
    head = b"".join(pieces)
    assert bool(JSON_START.match(head)) == bool(_JSON_START_BACKTRACKING.match(head))
