"""jinja2's token stream for a chat template, produced with one combined regex per tag.

jinja2's lexer tries up to seven regexes per token and counts newlines in every piece it
consumes; on chat templates that is half the time of the SSTI check. ``fast_tokens``
returns the very tokens ``lexer.wrap(lexer.tokeniter(source))`` yields, as plain
``(lineno, type, value)`` tuples (same types, values and line numbers).

A parser differential would be a bypass (this lexer seeing a string or a comment where
jinja2 sees code), so the combined patterns are made of the regexes of jinja2's lexer
and only for the configuration they were checked against (default delimiters, no line
statements, no block trimming, and jinja2's rules unchanged; checked once per lexer).
Whatever this lexer does not reproduce for sure (a raw block, an unclosed tag or
comment, anything jinja2 would reject) makes it return ``None``: the caller then lets
jinja2 lex the whole text.
"""

from __future__ import annotations

import re
from ast import literal_eval
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import lexer as jl
from jinja2._identifier import pattern as name_re

__all__ = ["RawToken", "fast_tokens"]

RawToken = tuple[int, str, Any]  # a jinja2 Token's fields: (lineno, type, value)

_DATA = jl.TOKEN_DATA
_NAME = jl.TOKEN_NAME
_STRING = jl.TOKEN_STRING
_OPERATOR = jl.TOKEN_OPERATOR
_INTEGER = jl.TOKEN_INTEGER
_FLOAT = jl.TOKEN_FLOAT
_OPERATORS = jl.operators
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = frozenset(")]}")

# What this module reproduces: jinja2's rules for the default delimiters. A jinja2 whose
# rules differ in any way gets no fast lexer.
_ROOT = (
    r"(.*?)(?:(?P<raw_begin>\{%(\-|\+|)\s*raw\s*(?:\-%\}\s*|%\}))|"
    r"(?P<variable_begin>\{\{(\-|\+|))|(?P<comment_begin>\{\#(\-|\+|))|"
    r"(?P<block_begin>\{%(\-|\+|)))"
)
# The same alternatives with their common "{" first: a search for it finds the tag the
# root rule's "(.*?)" finds, several times faster.
_TAG_START = re.compile(
    r"\{(?:(?P<raw_begin>%(\-|\+|)\s*raw\s*(?:\-%\}\s*|%\}))|(?P<variable_begin>\{(\-|\+|))|"
    r"(?P<comment_begin>\#(\-|\+|))|(?P<block_begin>%(\-|\+|)))",
    re.M | re.S,
)
_COMMENT = r"(.*?)((?:\+\#\}|\-\#\}\s*|\#\}))"
# per tag: its rules after the end rule, in jinja2's order
_TAG_RULES = [
    (jl.TOKEN_WHITESPACE, jl.whitespace_re),
    (jl.TOKEN_FLOAT, jl.float_re),
    (jl.TOKEN_INTEGER, jl.integer_re),
    (_NAME, name_re),
    (_STRING, jl.string_re),
    (_OPERATOR, jl.operator_re),
]
_END_RULES = {
    jl.TOKEN_BLOCK_BEGIN: (jl.TOKEN_BLOCK_END, r"(?:\+%\}|\-%\}\s*|%\})"),
    jl.TOKEN_VARIABLE_BEGIN: (jl.TOKEN_VARIABLE_END, r"\-\}\}\s*|\}\}"),
}
_INLINE_FLAGS = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s", re.VERBOSE: "x"}


def _scoped(pattern: re.Pattern[str]) -> str:
    """``pattern`` as a group with its own flags, to embed in a combined pattern."""
    flags = "".join(letter for flag, letter in _INLINE_FLAGS.items() if pattern.flags & flag)
    return f"(?{flags}:{pattern.pattern})" if flags else f"(?:{pattern.pattern})"


def _tag_pattern(end: str | None) -> re.Pattern[str]:
    r"""One pattern for all the rules inside a tag, matching what jinja2's rules match.

    jinja2 tries end, whitespace, float, integer, name, string, operator; the first that
    matches wins. Here a leading ``\s*`` takes the whitespace, and names come first
    (most tokens are names) unless the text starts with a digit. That changes no outcome
    because of the characters each rule can start with, which
    tests/artifacts/test_template_lexer.py checks against jinja2's regexes: only the
    whitespace rule starts with whitespace; float and integer start with a digit; the
    end, string and operator rules start with characters no name contains. A name is
    ``\w+`` followed by the rest of jinja2's name characters: the same run of characters
    for any name that starts with ``\w``; one that does not is no identifier (jinja2
    rejects it) and falls to the last alternative. That one takes any one character no
    rule matches, so that finditer never searches ahead: every match starts where the
    last one ended, and a "bad" match is a syntax error to jinja2, which the caller lets
    jinja2 report.
    """
    extra = name_re.pattern[len(r"[\w") : -len("]+")]  # checked in _rules
    parts = [rf"(?P<{_NAME}>(?!\d)\w+(?:[{extra}][\w{extra}]*)?)"]
    if end is not None:
        parts.append(f"(?P<end>{end})")
    parts += [
        f"(?P<{_STRING}>{_scoped(jl.string_re)})",
        f"(?P<{_OPERATOR}>{_scoped(jl.operator_re)})",
        f"(?P<{_FLOAT}>{_scoped(jl.float_re)})",
        f"(?P<{_INTEGER}>{_scoped(jl.integer_re)})",
        "(?P<bad>(?s:.))",
    ]
    return re.compile(r"\s*(?:" + "|".join(parts) + ")")


@dataclass(frozen=True, slots=True)
class _Rules:
    comment: re.Pattern[str]
    # per tag kind: (begin and end token types, pattern with the end rule, without it)
    tags: dict[str, tuple[str, str, re.Pattern[str], re.Pattern[str]]]


@cache
def _rules(lexer: jl.Lexer) -> _Rules | None:
    """The combined patterns, or ``None`` when ``lexer`` is not the one they reproduce."""
    if lexer.lstrip_blocks or lexer.keep_trailing_newline or lexer.newline_sequence != "\n":
        return None
    rules = lexer.rules
    if len(rules.get("root", ())) != 2 or not rules.get("comment_begin"):
        return None
    # the pinned root rule has no line statements or line comments
    (root, rest), comment = rules["root"], rules["comment_begin"][0]
    if (
        (root.pattern.pattern, root.pattern.flags) != (_ROOT, re.M | re.S | re.U)
        or tuple(root.tokens) != (_DATA, "#bygroup")
        or (rest.pattern.pattern, rest.tokens) != (".+", _DATA)
        or comment.pattern.pattern != _COMMENT
        or comment.tokens != (jl.TOKEN_COMMENT, jl.TOKEN_COMMENT_END)
        or not (name_re.pattern.startswith(r"[\w") and name_re.pattern.endswith("]+"))
        or jl.whitespace_re.pattern != r"\s+"
    ):
        return None
    tags = {}
    for begin, (end_type, end_pattern) in _END_RULES.items():
        if not rules.get(begin):
            return None
        end_rule, *tag_rules = rules[begin]
        if (end_rule.tokens, end_rule.pattern.pattern) != (end_type, end_pattern) or [
            (r.tokens, r.pattern) for r in tag_rules
        ] != _TAG_RULES:
            return None
        tags[begin] = (begin, end_type, _tag_pattern(end_pattern), _tag_pattern(None))
    return _Rules(comment.pattern, tags)


def fast_tokens(source: str, lexer: jl.Lexer) -> list[RawToken] | None:
    """The tokens jinja2's ``lexer`` yields for ``source``, or ``None`` to let it lex."""
    rules = _rules(lexer)
    if rules is None:
        return None
    # jinja2's newline handling: \r\n and \r become \n, one trailing newline is dropped
    if "\r" in source:
        lines = jl.newline_re.split(source)[::2]
        if lines[-1] == "":
            del lines[-1]
        text = "\n".join(lines)
    else:
        text = source[:-1] if source.endswith("\n") else source
    return _lex(text, rules)


def _advance(text: str, lineno: int, next_nl: int, to: int) -> tuple[int, int]:
    """The line number at ``to`` (``lineno`` counts the newlines before ``next_nl``) and the
    first newline at or after ``to`` (the text's length when there is none). Called once a
    line at most: each call moves past at least one newline."""
    lineno += text.count("\n", next_nl, to)
    nl = text.find("\n", to)
    return lineno, nl if nl >= 0 else len(text)


def _lex(text: str, rules: _Rules) -> list[RawToken] | None:
    out: list[RawToken] = []
    append = out.append
    size = len(text)
    # the line of the text read so far, and the first newline not yet counted into it
    lineno, next_nl = _advance(text, 1, 0, 0)
    pos = 0
    find_tag = _TAG_START.search
    while True:
        m = find_tag(text, pos)
        if m is None:
            if pos < size:
                if pos > next_nl:
                    lineno, next_nl = _advance(text, lineno, next_nl, pos)
                append((lineno, _DATA, text[pos:]))
            return out
        kind = m.lastgroup
        if kind is None or kind == "raw_begin":
            return None
        if pos > next_nl:
            lineno, next_nl = _advance(text, lineno, next_nl, pos)
        begin = m.group()
        data = text[pos : m.start()]
        if begin[-1] == "-":  # "{{-": the whitespace before the tag goes
            data = data.rstrip()
        if data:
            append((lineno, _DATA, data))
        pos = m.start()
        if pos > next_nl:
            lineno, next_nl = _advance(text, lineno, next_nl, pos)
        pos = m.end()
        if kind == jl.TOKEN_COMMENT_BEGIN:
            c = rules.comment.match(text, pos)
            if c is None:  # unclosed: jinja2 fails, or ends silently at the end
                return None
            pos = c.end()
            continue
        begin_type, end_type, with_end, without_end = rules.tags[kind]
        append((lineno, begin_type, begin))
        stack: list[str] = []  # brackets open: jinja2 does not end the tag while any are
        closed = False
        while not closed:
            pattern = without_end if stack else with_end
            for t in pattern.finditer(text, pos):
                k = t.lastgroup or "bad"  # every alternative is a named group
                if t.end() > next_nl:  # a newline before or in this token
                    start = t.start(k)
                    if start > next_nl:
                        lineno, next_nl = _advance(text, lineno, next_nl, start)
                value = t.group(k)
                if k == _NAME:
                    if not value.isidentifier():
                        return None  # jinja2: "Invalid character in identifier"
                    append((lineno, _NAME, value))
                elif k == _OPERATOR:
                    closer = _OPENERS.get(value)
                    if closer is not None:
                        stack.append(closer)
                    elif value in _CLOSERS and (not stack or stack.pop() != value):
                        return None  # jinja2: "unexpected ')'"
                    append((lineno, _OPERATORS[value], value))
                    if pattern is without_end and not stack:
                        pos = t.end()
                        break  # the brackets are closed: the end rule applies again
                elif k == _STRING:
                    body = value[1:-1]
                    if "\\" in body:  # jinja2's unescaping, the identity without a "\"
                        try:
                            body = body.encode("ascii", "backslashreplace").decode("unicode-escape")
                        except (ValueError, Warning):  # a syntax error to jinja2
                            return None
                    append((lineno, _STRING, body))
                elif k == "end":
                    if stack:  # "}}" closing brackets: jinja2 lexes it as operators
                        pos = t.start(k)
                        break
                    append((lineno, end_type, value))
                    pos = t.end()
                    closed = True
                    break
                elif k == _INTEGER:
                    try:
                        integer = int(value.replace("_", ""), 0)
                    except ValueError:  # e.g. past the int-from-string digit limit
                        return None
                    append((lineno, _INTEGER, integer))
                elif k == _FLOAT:
                    try:
                        number = literal_eval(value.replace("_", ""))
                    except (ValueError, SyntaxError):  # e.g. non-ASCII digits
                        return None
                    append((lineno, _FLOAT, number))
                else:  # "bad": no rule matches here
                    return None
            else:
                return None  # the text ends inside the tag
