"""The fast lexer, parser and AST walk of the SSTI check against jinja2's own.

A parser differential (the fast path seeing a string or a comment where jinja2 sees
code) would be a bypass, so each stage is compared with jinja2 on every template the
tests and the benchmark corpus hold and on generated template-like text: the fast stage
either gives exactly jinja2's result or declines (and jinja2 does the work).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from jinja2 import lexer as jl
from jinja2 import nodes
from jinja2._identifier import pattern as name_re

from aisec.artifacts.templates import _ast as _template_ast
from aisec.artifacts.templates._ast import _Analyser, _environment, _kind
from aisec.artifacts.templates._check import analyse_template
from aisec.artifacts.templates._lexer import RawToken, fast_tokens
from aisec.artifacts.templates._parser import fast_parse

HERE = Path(__file__).parent
ENV = _environment()
LEXER = ENV.lexer


# ---- what jinja2 does -------------------------------------------------------------------


def jinja2_tokens(source: str) -> list[RawToken] | None:
    """The tokens jinja2's parser reads, or None where jinja2's lexer rejects the text."""
    try:
        return [tuple(t) for t in ENV._tokenize(source, None)]  # type: ignore[misc]
    except (jinja2.TemplateSyntaxError, ValueError, SyntaxError):
        return None


def jinja2_tree(source: str) -> nodes.Template | None:
    try:
        return ENV.parse(source)
    except (jinja2.TemplateSyntaxError, ValueError, SyntaxError, RecursionError):
        return None


def tree_difference(ours: object, theirs: object, path: str = "Template") -> str | None:
    """Where two trees differ in a node class, a field or a line number; None if nowhere."""
    if isinstance(theirs, nodes.Node):
        if type(ours) is not type(theirs):
            return f"{path}: {type(ours).__name__} vs {type(theirs).__name__}"
        assert isinstance(ours, nodes.Node)
        if ours.lineno != theirs.lineno:
            return f"{path}: line {ours.lineno} vs {theirs.lineno}"
        for field in theirs.fields:
            found = tree_difference(getattr(ours, field), getattr(theirs, field), f"{path}.{field}")
            if found:
                return found
        return None
    if isinstance(theirs, list) and isinstance(ours, list) and len(ours) == len(theirs):
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            found = tree_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    if type(ours) is not type(theirs) or ours != theirs:
        return f"{path}: {ours!r} vs {theirs!r}"
    return None


def assert_same_as_jinja2(source: str) -> str:
    """Checks every fast stage on ``source``; returns how far the fast path went."""
    tokens = fast_tokens(source, LEXER)
    if tokens is None:
        return "lexer declined"
    assert tokens == jinja2_tokens(source), source
    assert [type(t[2]) for t in tokens] == [type(t[2]) for t in jinja2_tokens(source) or []]
    tree = fast_parse(tokens)
    if tree is None:
        return "parser declined"
    expected = jinja2_tree(source)
    assert expected is not None, f"jinja2 rejects what the fast parser took: {source!r}"
    assert tree_difference(tree, expected) is None, (tree_difference(tree, expected), source)
    return "fast"


# ---- the templates the tests and the corpus hold ------------------------------------------


def _template_literals() -> Iterator[str]:
    """Every string literal with a Jinja marker in the template tests and the corpus."""
    for name in ("_formats_samples.py", "corpus.py", "test_templates.py"):
        tree = ast.parse((HERE / name).read_text())
        for node in ast.walk(tree):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and any(m in text for m in ("{{", "{%", "{#")):
                yield text


def _known_templates() -> list[str]:
    from _formats_samples import BENIGN_TEMPLATES, SSTI_TEMPLATES

    found = dict.fromkeys(
        [
            *BENIGN_TEMPLATES.values(),
            *(template for template, _ in SSTI_TEMPLATES.values()),
            *_template_literals(),
        ]
    )
    return list(found)


KNOWN = _known_templates()


def test_known_templates_are_many_and_mostly_take_the_fast_path() -> None:
    assert _template_ast._fast_path_applies()  # the scanner's environment and jinja2 3.1
    outcomes = [assert_same_as_jinja2(source) for source in KNOWN]
    assert len(KNOWN) > 60
    # every real chat template goes the fast way; what declines is attack or error text
    from _formats_samples import BENIGN_TEMPLATES

    assert all(assert_same_as_jinja2(t) == "fast" for t in BENIGN_TEMPLATES.values())
    assert outcomes.count("fast") > len(KNOWN) * 3 // 4


@pytest.mark.parametrize("source", KNOWN, ids=range(len(KNOWN)))
def test_known_template_gives_jinja2s_tokens_and_tree(source: str) -> None:
    assert_same_as_jinja2(source)


@pytest.mark.parametrize("source", KNOWN, ids=range(len(KNOWN)))
def test_known_template_gives_the_same_issues_without_the_fast_path(
    source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = analyse_template(source)
    monkeypatch.setattr(_template_ast, "_fast_path_applies", lambda: False)
    assert analyse_template(source) == fast


# ---- the lexer: the facts its combined pattern relies on ----------------------------------

ALL_CHARS = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]


def test_only_the_whitespace_rule_starts_with_whitespace() -> None:
    starts = [jl.float_re, jl.integer_re, name_re, jl.string_re, jl.operator_re]
    spaces = [c for c in ALL_CHARS if re.match(r"\s", c)]
    assert len(spaces) > 20
    for c in spaces:
        assert not any(p.match(c + "0.0'x'") for p in starts), hex(ord(c))
        assert c not in "+-%}", hex(ord(c))


def test_numbers_start_with_a_digit_and_punctuation_is_no_name() -> None:
    digit = re.compile(r"\d")
    for c in ALL_CHARS:
        if not digit.match(c):
            assert not jl.float_re.match(c + "0.0e0"), hex(ord(c))
            assert not jl.integer_re.match(c + "0"), hex(ord(c))
    # the first characters of the end, string and operator rules
    punctuation = set("+-%}'\"") | {op[0] for op in jl.operators}
    assert not [c for c in punctuation if name_re.match(c)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab_9\u0300\u00b7\u0663 é.-+")), min_size=1))
def test_name_alternative_takes_jinja2s_name(text: str) -> None:
    extra = name_re.pattern[3:-2]
    ours = re.compile(rf"(?!\d)\w+(?:[{extra}][\w{extra}]*)?")
    theirs = name_re.match(text)
    if re.match(r"\w", text) and not re.match(r"\d", text):
        m = ours.match(text)
        assert theirs is not None and m is not None and m.group() == theirs.group()


# ---- the lexer: generated text ---------------------------------------------------------

PIECES = [
    *("{{", "}}", "{%", "%}", "{#", "#}", "{{-", "-}}", "{%-", "-%}", "{%+", "+%}", "{{+"),
    *("{#-", "-#}", "+#}", "{% raw %}", "{% endraw %}", "raw", " ", "  ", "\n", "\r\n", "\r"),
    *("\t", "\x0c", "\u2028", "\x85", "\xa0", "'", '"', "\\", "\\n", "\\x4", "\\u00e9", "\\'"),
    *("(", ")", "[", "]", "{", "}", "x", "abc", "_a", "é", "a\u0300", "\u0300", "\u0663", "1"),
    *("0", "00", "0x1F", "0b2", "0o7", "1_000", "1.5", "1e5", "1E-3", ".5", "1.", "1.2.3", "5_"),
    *("|", "~", "+", "-", "*", "**", "/", "//", "%", "==", "!=", "<", ">=", ".", ",", ":", ";"),
    *("=", "!", "@", "$", "?", "if", "for", "in", "endif", "endfor", "set", "else", "not", "is"),
    *("{{ x }}", "{% if x %}", "{% endif %}", "-%}\n  ", "'}}'", '"%}"', "'{#'", "#}x"),
    *("\ud800", "\U0001f600", "\x00", "\x1c", "\\ud800", "\\U0001F600", "\\x80"),
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
@example("{{ {'a': {'b': 1}} }}")
@example("{{ {x }}}")
@example("{{ x[1 }}")
@example("{% for x in y -%}\n  {{ x }}\n{%- endfor %}\n")
@example("a\r\nb\rc{{ 'x\ny' }}\n{# c\n #}{{ y }}")
@example("{{ '\\x4' }}")
@example("{{ '\\N{BULLET}' ~ \"\\u00e9\" }}")
@example("{{ x.1.2 + 1_000 + 0x_1f + 1e5 + 1_0.5e1_0 }}")
@example("{{ \u0663.\u0663 }}")
def test_generated_text_lexes_as_jinja2_lexes_it(source: str) -> None:
    assert_same_as_jinja2(source)


@pytest.mark.parametrize(
    "source",
    [
        "{% raw %}{{ x.__class__ }}{% endraw %}",  # raw blocks: jinja2's lexer does them
        "text {# comment that never ends",
        "{{ x",  # the text ends inside a tag
        "{{ x $ }}",  # no rule matches
        "{{ ) }}",
        "{{ [1) }}",
        "{{ a\u0300b\u0300 + \u0300x }}",  # not an identifier
        "{{ '\\N{NO SUCH NAME}' }}",  # a string jinja2 cannot unescape
        "{{ " + "9" * 5000 + " }}",  # past the int-from-string digit limit
        "{{ \u0663.\u0663 }}",  # a float in digits Python's parser does not take
    ],
)
def test_fast_lexer_declines_what_it_does_not_reproduce(source: str) -> None:
    assert fast_tokens(source, LEXER) is None


@pytest.mark.parametrize(
    "config",
    [
        {"line_statement_prefix": "#"},
        {"line_comment_prefix": "##"},
        {"trim_blocks": True},
        {"lstrip_blocks": True},
        {"keep_trailing_newline": True},
        {"block_start_string": "<%", "block_end_string": "%>"},
        {"newline_sequence": "\r\n"},
    ],
)
def test_fast_lexer_is_off_for_another_configuration(config: dict[str, Any]) -> None:
    lexer = jinja2.Environment(**config).lexer  # noqa: S701 - lexed, never rendered
    assert fast_tokens("{{ x }}\n", lexer) is None


def test_fast_lexer_takes_whitespace_control_comments_and_nested_braces() -> None:
    for source in (
        "a  {{- x -}}  b {%- if y -%} c {%+ endif +%} d {#- e -#} f {# g #}\n",
        "{{ {'a': {'b': [1, (2, 3)]}}['a'] }}",
        "{{ {x }}}",  # "}}" closing a brace is two operators, then the end
        "x\r\n{{ y }}\r{{ 'a\r\nb' }}\r\n",
    ):
        assert fast_tokens(source, LEXER) == jinja2_tokens(source) is not None


# ---- the parser: generated templates --------------------------------------------------

NAMES = st.sampled_from(["x", "messages", "loop", "ns", "true", "None", "foo_1", "if", "in"])
ATOMS = st.one_of(
    NAMES,
    st.sampled_from(["'a'", '"b"', "'a' 'b'", "'\\n'", "1", "0", "2.5", "1e3", "[]", "{}", "()"]),
)
BINARY = [" + ", " - ", " * ", " / ", " // ", " % ", " ** ", " ~ ", " == ", " != ", " < "]
BINARY += [" <= ", " > ", " >= ", " in ", " not in ", " and ", " or ", "+", "~"]


def _expressions() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        two = st.tuples(inner, inner)
        return st.one_of(
            st.tuples(inner, st.sampled_from(BINARY), inner).map("".join),
            inner.map(lambda e: f"({e})"),
            inner.map(lambda e: f"-{e}"),
            inner.map(lambda e: f"not {e}"),
            two.map(lambda p: f"{p[0]} if {p[1]}"),
            st.tuples(inner, inner, inner).map(lambda p: f"{p[0]} if {p[1]} else {p[2]}"),
            st.tuples(inner, st.sampled_from(["trim", "length", "join", "map", "e"])).map(
                lambda p: f"{p[0]}|{p[1]}"
            ),
            two.map(lambda p: f"{p[0]}|attr({p[1]})"),
            two.map(lambda p: f"{p[0]}|map(attribute={p[1]}, default=0)"),
            st.tuples(inner, st.sampled_from(["defined", "not none", "string", "sameas x"])).map(
                lambda p: f"{p[0]} is {p[1]}"
            ),
            two.map(lambda p: f"{p[0]} is divisibleby({p[1]})"),
            two.map(lambda p: f"{p[0]}({p[1]}, k={p[0]}, *{p[1]}, **{p[0]})"),
            two.map(lambda p: f"{p[0]}({p[1]},)"),
            inner.map(lambda e: f"{e}.attr.0"),
            two.map(lambda p: f"{p[0]}[{p[1]}]"),
            two.map(lambda p: f"{p[0]}[{p[1]}:][::{p[1]}][:{p[0]}:]"),
            two.map(lambda p: f"{p[0]}[{p[1]}, {p[0]}]"),
            two.map(lambda p: f"[{p[0]}, {p[1]},]"),
            two.map(lambda p: f"{{{p[0]}: {p[1]}, 'k': {p[0]}}}"),
            two.map(lambda p: f"({p[0]}, {p[1]})"),
            inner.map(lambda e: f"({e},)"),
        )

    return st.recursive(ATOMS, extend, max_leaves=8)


EXPR = _expressions()
WS = st.sampled_from(["", "-", "+"])
SPACE = st.sampled_from([" ", "\n", "  ", "\r\n\t"])


def _templates() -> st.SearchStrategy[str]:
    def tag(body: str, left: str, right: str) -> str:
        return "{%" + left + " " + body + " " + right + "%}"

    leaf = st.one_of(
        st.sampled_from(["text ", "\n", "  <|im_start|>", "", "{# note #}", "{#- x -#}"]),
        st.tuples(WS, EXPR, SPACE, WS).map(lambda p: "{{" + p[0] + " " + p[1] + p[2] + p[3] + "}}"),
        st.tuples(EXPR, WS, WS).map(lambda p: tag(f"set x = {p[0]}", p[1], p[2])),
        st.tuples(EXPR, EXPR).map(lambda p: tag(f"set ns.a, b = {p[0]}, {p[1]}", "", "")),
        EXPR.map(lambda e: tag(f"do {e}", "", "")),
        EXPR.map(lambda e: tag(f"print {e}, {e}", "", "")),
        st.sampled_from([tag("break", "", ""), tag("continue", "-", "-")]),
    )

    def extend(body: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        blocks = st.lists(body, max_size=3).map("".join)
        return st.one_of(
            st.tuples(EXPR, blocks, blocks, WS).map(
                lambda p: (
                    tag(f"if {p[0]}", p[3], "")
                    + p[1]
                    + tag(f"elif {p[0]}", "", p[3])
                    + p[2]
                    + tag("else", "", "")
                    + p[1]
                    + tag("endif", p[3], "")
                )
            ),
            st.tuples(EXPR, blocks).map(lambda p: tag(f"if {p[0]}", "", "") + p[1] + "{% endif %}"),
            st.tuples(EXPR, blocks, st.booleans()).map(
                lambda p: (
                    tag(f"for a, b in {p[0]} if a recursive", "", "")
                    + p[1]
                    + (tag("else", "", "") + p[1] if p[2] else "")
                    + "{% endfor %}"
                )
            ),
            st.tuples(EXPR, blocks).map(
                lambda p: tag(f"for m in {p[0]}", "-", "") + p[1] + "{% endfor %}"
            ),
            blocks.map(lambda b: "{% set y | trim %}" + b + "{% endset %}"),
            st.tuples(EXPR, blocks).map(
                lambda p: tag(f"macro m(a, b={p[0]})", "", "") + p[1] + "{% endmacro %}"
            ),
            st.tuples(EXPR, blocks).map(
                lambda p: tag(f"call(u) m({p[0]})", "", "") + p[1] + "{% endcall %}"
            ),
            blocks.map(lambda b: "{% filter upper|replace('a', 'b') %}" + b + "{% endfilter %}"),
            blocks.map(lambda b: "{% generation %}" + b + "{% endgeneration %}"),
            st.lists(body, max_size=4).map("".join),
        )

    return st.recursive(leaf, extend, max_leaves=12)


_TEMPLATES = _templates()


@st.composite
def templates(draw: st.DrawFn) -> str:
    """Chat-template-like Jinja (a plain name: the generated strategy's repr is huge)."""
    return draw(_TEMPLATES)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(templates())
def test_generated_template_parses_to_jinja2s_tree(source: str) -> None:
    assert_same_as_jinja2(source)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(templates(), st.data())
def test_damaged_template_is_left_to_jinja2_where_jinja2_rejects_it(
    source: str, data: st.DataObject
) -> None:
    # a character or a token dropped or added: mostly syntax errors, which jinja2 reports
    where = data.draw(st.integers(0, len(source)))
    cut = data.draw(st.integers(0, 3))
    insert = data.draw(st.sampled_from(["", "(", ")", "%}", "}}", "{%", ",", "=", "|", "endif"]))
    assert_same_as_jinja2(source[:where] + insert + source[where + cut :])


DAMAGE = ["", "(", ")", "[", "}", "%}", "}}", "{%", "{{", "{#", ",", "=", "|", "'", "\\", "-"]
DAMAGE += ["+", "\n", "\r", "endif", " is ", "not ", " if ", " else ", ".", ":", "~"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(KNOWN), st.data())
def test_damaged_known_template_is_left_to_jinja2_where_jinja2_rejects_it(
    source: str, data: st.DataObject
) -> None:
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.integers(0, len(source)))
        cut = data.draw(st.integers(0, 4))
        source = source[:where] + data.draw(st.sampled_from(DAMAGE)) + source[where + cut :]
    assert_same_as_jinja2(source)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(templates())
def test_generated_template_gives_the_same_issues_without_the_fast_path(source: str) -> None:
    fast = analyse_template(source)
    original = _template_ast._fast_path_applies
    try:
        _template_ast._fast_path_applies = lambda: False  # type: ignore[assignment]
        slow = analyse_template(source)
    finally:
        _template_ast._fast_path_applies = original
    assert fast == slow


@pytest.mark.parametrize(
    "source",
    [
        "{% include 'x' %}",  # a tag chat templates do not use
        "{% with a = 1 %}{{ a }}{% endwith %}",
        "{% for x.y in z %}{% endfor %}",  # a target that is not a name
        "{% if x %}",  # an unclosed block
        "{{ x is defined is y }}",  # jinja2: no chained tests
        "{{ " + "(" * 40 + "x" + ")" * 40 + " }}",  # deeper than the fast parser goes
        "{{ " + "-" * 40 + "x }}",
        "{% if x %}" * 40 + "{% endif %}" * 40,
    ],
)
def test_fast_parser_declines_what_it_leaves_to_jinja2(source: str) -> None:
    tokens = fast_tokens(source, LEXER)
    assert tokens is not None
    assert fast_parse(tokens) is None


def test_nesting_jinja2_cannot_parse_still_ends_in_its_parse_error() -> None:
    source = "{{ " + "(" * 400 + "x" + ")" * 400 + " }}"
    assert ("parse-error", "nesting too deep to parse") in {
        (i.kind, i.evidence) for i in analyse_template(source)
    }


# ---- the walk ---------------------------------------------------------------------------


def _preorder(node: nodes.Node) -> Iterator[nodes.Node]:
    yield node
    for child in node.iter_child_nodes():
        yield from _preorder(child)


class _Recorder(_Analyser):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[nodes.Node] = []

    def visit(self, node: Any, kind: str) -> None:
        self.seen.append(node)
        super().visit(node, kind)


PARSED = [(source, tree) for source in KNOWN if (tree := jinja2_tree(source)) is not None]


@pytest.mark.parametrize(("source", "tree"), PARSED, ids=range(len(PARSED)))
def test_walk_visits_the_nodes_iter_child_nodes_yields_in_its_order(
    source: str, tree: nodes.Template
) -> None:
    recorder = _Recorder()
    recorder.walk(tree)
    every = list(_preorder(tree))
    assert recorder.count == len(every)
    assert [id(n) for n in recorder.seen] == [id(n) for n in every if _kind(type(n))]


def test_parser_differential_hiding_an_attack_is_caught_by_jinja2s_tree(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Should the fast parser ever build a harmless tree for an attack (a parser
    differential), the SSTI steps in the tags send the template to jinja2's own tree."""
    attack = "{{ cycler.__init__.__globals__.os.popen('id').read() }}"
    harmless = _environment().parse("{{ 1 }}")
    monkeypatch.setattr(_template_ast, "fast_parse", lambda tokens: harmless)
    assert _template_ast.parse(attack) is harmless  # the fast path was taken and fooled
    kinds = {issue.kind for issue in analyse_template(attack)}
    assert "ssti" in kinds
