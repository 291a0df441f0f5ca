"""Server-side template injection (SSTI) in Jinja chat templates, judged without rendering.

The template is PARSED into jinja2's AST (by a faster lexer and parser that build the very
tree ``Environment.parse`` builds, or by jinja2's own where they decline; nothing runs)
and the AST is walked for the ways a template escapes the sandbox: dunder or
private attribute access (``__class__``, ``__globals__``, ``_TemplateReference__context``),
the same names reached through ``|attr``, subscripts, ``map(attribute=...)`` or
``str.format`` field paths, also when the name is assembled from pieces (``~``, ``+``,
``*``, ``%``, ``|join``, ``|replace``, ``|format``, ``|reverse``, slicing, ``dict(k=...)``,
``{% set %}``), and globals that only an attack needs (``lipsum``, ``cycler``, ``joiner``,
``self``, ``config``, ``request``, ``os``…). CVE-2024-34359 (llama-cpp-python) is this class.

``analyse_template`` is shared by the GGUF handler (``gguf-`` rules), the JSON/YAML config
handler and :class:`ChatTemplateHandler` for raw ``.jinja`` files.
"""

from __future__ import annotations

import ast
import bisect
import io
import re
import tokenize
from typing import ClassVar

from aisec.artifacts._base import ArtifactContext, FormatHandler
from aisec.artifacts._format_findings import format_finding
from aisec.artifacts.templates._issues import TemplateIssue, fallback_issues
from aisec.core.errors import ScanError
from aisec.core.findings import Finding, Severity

__all__ = [
    "JSON_START",
    "ChatTemplateHandler",
    "TemplateIssue",
    "analyse_template",
    "looks_like_template",
    "template_findings",
]

MAX_TEMPLATE_CHARS = 1 << 20  # real chat templates are a few KB; the longest known ~30 KB
_MARKER_BYTES = re.compile(rb"\{[%{#]")
_MARKER_TEXT = re.compile(r"\{[%{#]")
# the start of a JSON document (the JSON handler takes those, and finds templates by key)
JSON_START = re.compile(
    rb'\A(?:\xef\xbb\xbf)?\s*+(?:\{\s*+(?:"|\}|$)|\[\s*+(?:[\[{"\d\-\]]|true|false|null|$))'
)  # possessive: a head of whitespace is not retried at every length
_COMPLETE_TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)


_TITLES = {
    "ssti": "Jinja template reaches Python internals (server-side template injection)",
    "suspicious-global": "Jinja template uses a global that only an injection needs",
    "dynamic-attribute": "Jinja template reads attributes by computed name (|attr)",
    "include": "Jinja template loads other templates",
    "parse-error": "Jinja template does not parse",
    "too-large": "Jinja template is implausibly large",
}
_REMEDIATION = (
    "Do not load this model/tokenizer; replace the chat template with the publisher's "
    "original. Render chat templates only in jinja2's ImmutableSandboxedEnvironment."
)


def looks_like_template(text: str) -> bool:
    """True when ``text`` carries Jinja statement, expression or comment markers."""
    return "{" in text and _MARKER_TEXT.search(text) is not None


def analyse_template(source: str) -> list[TemplateIssue]:
    """Issues found in the Jinja ``source``; parses it, never renders it."""
    if len(source) > MAX_TEMPLATE_CHARS:
        issues = [
            TemplateIssue("too-large", Severity.MEDIUM, f"{len(source)} characters"),
        ]
        return issues + fallback_issues(source[:MAX_TEMPLATE_CHARS])
    # jinja2 and the AST walk load on the first template, not with the package
    from aisec.artifacts.templates._ast import parse_and_walk

    return _dedupe(parse_and_walk(source))


def _dedupe(issues: list[TemplateIssue]) -> list[TemplateIssue]:
    seen: set[tuple[str, str]] = set()
    out: list[TemplateIssue] = []
    for issue in issues:
        key = (issue.kind, issue.evidence)
        if key not in seen:
            seen.add(key)
            out.append(issue)
    return out


def template_findings(
    source: str,
    path: str,
    *,
    prefix: str = "template",
    pointer: str | None = None,
    offset: int | None = None,
    incidental: bool = False,
) -> list[Finding]:
    """Findings (rule ``<prefix>-<kind>``) for the template ``source`` found at ``path``.

    ``incidental``: the string was not stored as a template (e.g. a vocabulary entry
    ``"{{"``, a README quoting ``{% extends %}``); it is judged only if it holds a complete
    tag, and only for sandbox escapes (not parse errors or template loading).
    """
    if incidental and not _COMPLETE_TAG.search(source):
        return []
    out: list[Finding] = []
    for issue in analyse_template(source):
        if incidental and issue.kind in ("parse-error", "too-large", "include"):
            continue
        where = f" (line {issue.line})" if issue.line else ""
        out.append(
            format_finding(
                f"{prefix}-{issue.kind}",
                _TITLES[issue.kind],
                issue.severity,
                path,
                issue.evidence + where,
                _REMEDIATION,
                pointer=pointer,
                offset=offset,
            )
        )
    return out


def _decode_text(data: bytes) -> str | None:
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # the 4 KiB head may cut a multi-byte character in two
        if exc.start >= len(data) - 3:
            return data[: exc.start].decode("utf-8", "ignore")
        return None


def read_text(ctx: ArtifactContext, limit: int) -> str:
    """The whole stream as UTF-8 text, refusing anything over ``limit`` bytes."""
    if ctx.size > limit:
        raise ScanError(f"{ctx.display_path}: {ctx.size} bytes exceeds the {limit}-byte limit")
    ctx.stream.seek(0)
    data = ctx.stream.read(limit + 1)
    if len(data) > limit:
        raise ScanError(f"{ctx.display_path}: exceeds the {limit}-byte limit")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScanError(f"{ctx.display_path}: not UTF-8 text ({exc.reason})") from None


class ChatTemplateHandler(FormatHandler):
    """A raw Jinja template file (``chat_template.jinja`` or any name), judged by content."""

    name: ClassVar[str] = "jinja-template"
    priority: ClassVar[int] = -20

    @classmethod
    def sniff(cls, head: bytes, ctx: ArtifactContext) -> bool:
        # the markers are ASCII: a head without them is no template (and is not decoded);
        # a one-byte search first, which is memchr, where a two-byte one is not
        if b"{" not in head or _MARKER_BYTES.search(head) is None:
            return False
        text = _decode_text(head)
        if text is None or not looks_like_template(text):
            return False
        # JSON documents and YAML configs go to the config handler, which finds their
        # templates by key.
        return not (JSON_START.match(head) or _YAML_KEY.match(text))

    def scan(self, ctx: ArtifactContext) -> list[Finding]:
        text = read_text(ctx, MAX_TEMPLATE_CHARS * 4)
        name = ctx.display_path.rsplit("/", 1)[-1]
        if not _TEMPLATE_NAME.search(name) and quotes_templates_as_python(text):
            # a test or a rule file that holds template strings; see the function
            ctx.detected_format = "python-source"
            return []
        return template_findings(text, ctx.display_path)


# A file named as a template is judged as one whatever else its text parses as.
_TEMPLATE_NAME = re.compile(r"\.(?:jinja2?|j2)$|^chat_template", re.IGNORECASE)
_MARKER = re.compile(r"\{[{%#]")
_MAX_PYTHON_CHECK = 1 << 20


def quotes_templates_as_python(text: str) -> bool:
    """True when ``text`` is Python source whose every Jinja marker (``{{``, ``{%``, ``{#``)
    lies inside a string literal or a comment: source that quotes templates (tests, rule
    files), not a template. Python's own tokenizer decides, after ``ast.parse`` accepts
    the whole text.

    A template that is also valid Python with a marker outside a string (``{{ x.__class__
    }}`` is a set display) stays a template. The reverse, a real template written as
    Python that quotes its payload (``x = "{{ ... }}"``), can only be told apart by how it
    is used: such a file is judged as a template when its name says so (``.jinja``,
    ``.j2``, ``chat_template*``), which is how loaders find chat templates.
    """
    if len(text) > _MAX_PYTHON_CHECK or "\x00" in text:
        return False
    # one line structure for the parser, the tokenizer and the marker positions (the
    # parser reads a lone \r as a line end, the tokenizer module does not)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    lines = list(io.StringIO(text))  # the lines the tokenizer counts (split at \n only)
    markers = [
        (row, m.start()) for row, line in enumerate(lines, start=1) for m in _MARKER.finditer(line)
    ]
    try:
        quoted = [
            (tok.start, tok.end)
            for tok in tokenize.generate_tokens(io.StringIO(text).readline)
            if tok.type in (tokenize.STRING, tokenize.COMMENT)
        ]
    except (tokenize.TokenError, SyntaxError):
        return False
    starts = [start for start, _ in quoted]
    for row, col in markers:
        i = bisect.bisect_right(starts, (row, col)) - 1
        if i < 0 or quoted[i][1] < (row, col + 2):
            return False  # a marker in code: what Jinja would see is not what Python sees
    return bool(markers)


# possessive: no two repeats can share a character, so nothing backtracks ("---" + "\n" * n
# split its newlines between two \s* in every way)
_YAML_KEY = re.compile(
    r"\A(?:\s*+#[^\n]*+\n)*+\s*+(?:---[^\S\n]*+\n\s*+)?[\w.\-\"']++\s*+:(?:\s|$)"
)
