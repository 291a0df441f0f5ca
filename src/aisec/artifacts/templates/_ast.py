"""The Jinja side of the SSTI check: parse a template into jinja2's AST (never render it),
walk the AST and fold constant strings. Imported on the first template, so that loading
the scanner does not load jinja2; ``_templates`` holds the handler and the findings.
``_template_lexer`` and ``_template_parser`` build the AST faster than jinja2 for the
templates they take (all real chat templates), the same tree to the line number.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

import jinja2
from jinja2 import nodes

from aisec.artifacts._callables import dangerous_builtin, dangerous_path, is_dangerous_module
from aisec.artifacts._format_findings import short
from aisec.artifacts.templates._issues import TemplateIssue, fallback_issues
from aisec.artifacts.templates._lexer import fast_tokens
from aisec.artifacts.templates._parser import EXTENSION_TAGS, fast_parse
from aisec.core.errors import ScanError
from aisec.core.findings import Severity

__all__ = ["parse", "parse_and_walk"]

_MAX_NODES = 200_000
_MAX_FOLD_CHARS = 4096
_MAX_CANDIDATES = 16

# Attribute names an attack reaches for that are not module or callable names of their
# own: members of os/subprocess/importlib objects and frame, code and generator internals;
# never needed to format a conversation. Module and callable names (os, subprocess,
# imaplib, IPython, eval…) are judged by the one policy (``aisec.artifacts._callables``).
_DANGEROUS_NAMES = frozenset(
    {
        "popen",
        "spawn",
        "spawnv",
        "spawnl",
        "execv",
        "execve",
        "execl",
        "import_module",
        "load_module",
        "check_output",
        "check_call",
        "getoutput",
        "getstatusoutput",
        "environ",
        "getenv",
        "func_globals",
        "func_code",
        "f_globals",
        "f_locals",
        "f_back",
        "f_builtins",
        "gi_frame",
        "gi_code",
        "cr_frame",
        "ag_frame",
        "tb_frame",
        "tb_next",
        "im_func",
        "co_code",
        "mro",
    }
)
# Globals of a stock Jinja/Flask environment that are stepping stones to __globals__;
# a global named like a dangerous module or builtin is judged by the one policy.
_SUSPICIOUS_GLOBALS = frozenset(
    {
        "lipsum",
        "cycler",
        "joiner",
        "self",
        "config",
        "request",
        "url_for",
        "get_flashed_messages",
        "session",
        "__builtins__",
    }
)
# Filters/tests whose ``attribute=`` (or first positional) names an attribute path.
_ATTRIBUTE_FILTERS = frozenset(
    {"map", "selectattr", "rejectattr", "sort", "groupby", "sum", "unique", "min", "max"}
)
_FORMAT_FIELD = re.compile(r"\{[^{}]*[.\[][^{}]*\}")
# Dunder names that SSTI chains walk through; a string constant naming one is reported
# wherever it is (it may reach a sink the folding cannot follow, e.g. a macro argument).
# Other dunder-shaped strings ("__NOT_A_NUMBER__" sentinels) are left alone.
_SSTI_DUNDERS = (
    "class|mro|base|bases|subclasses|globals|builtins|import|init|getattribute|getattr|"
    "dict|code|func|self|getitem|reduce|reduce_ex|loader|spec|closure|module|new|call"
)
_DUNDER_TEXT = re.compile(rf"__(?:{_SSTI_DUNDERS})__")


@cache
def _environment() -> jinja2.Environment:
    # Same syntax Hugging Face transformers and llama.cpp accept; used to PARSE only.
    import jinja2.ext
    from jinja2.parser import Parser

    class _GenerationExtension(jinja2.ext.Extension):
        """Parses Hugging Face's ``{% generation %}...{% endgeneration %}`` block."""

        tags = {"generation"}  # noqa: RUF012 - jinja2 reads a plain class attribute

        def parse(self, parser: Parser) -> nodes.Node | list[nodes.Node]:
            next(parser.stream)
            return parser.parse_statements(("name:endgeneration",), drop_needle=True)

    return jinja2.Environment(
        extensions=[jinja2.ext.loopcontrols, jinja2.ext.do, _GenerationExtension],
        autoescape=False,  # noqa: S701 - parse only; nothing is ever rendered
    )


class _Unknown:
    __slots__ = ()


_UNKNOWN = _Unknown()
_Value = str | int | float | bool | None | list[object] | dict[str, object] | tuple[object, ...]


_NAME_PARTS = re.compile(r"[.\[\]]")


def _is_bad_name(name: str) -> bool:
    """An attribute/key name that reaches Python internals or the OS."""
    if not name:
        return False
    parts = [p for p in _NAME_PARTS.split(name) if p]
    return any(
        p.startswith("_") or p.lower() in _DANGEROUS_NAMES or is_dangerous_module(p) for p in parts
    )


def _suspicious_global(name: str) -> bool:
    return name in _SUSPICIOUS_GLOBALS or is_dangerous_module(name) or dangerous_builtin(name)


def _global_path(node: nodes.Getattr) -> list[str] | None:
    """``logging.config.dictConfig`` for a chain of attributes on a global name, else None."""
    parts = [node.attr]
    base: nodes.Node = node.node
    while isinstance(base, nodes.Getattr):
        parts.append(base.attr)
        base = base.node
    if not isinstance(base, nodes.Name) or base.ctx != "load":
        return None
    parts.append(base.name)
    return parts[::-1]


class _Analyser:
    """Walks one parsed template; collects TemplateIssues."""

    def __init__(self) -> None:
        self.issues: list[TemplateIssue] = []
        self.env: dict[str, list[object]] = {}
        self.stored: set[str] = set()
        self.count = 0

    def add(self, kind: str, severity: Severity, evidence: str, node: nodes.Node) -> None:
        self.issues.append(TemplateIssue(kind, severity, short(evidence), node.lineno))

    # ---- constant folding: what strings can an expression be? -------------------------

    def fold(self, node: nodes.Node | None, depth: int = 0) -> list[object]:
        """Candidate values of ``node`` (at most a few); ``[]`` when unknown."""
        if node is None or depth > 40:
            return []
        out = [v for v in self._fold(node, depth + 1) if not isinstance(v, _Unknown)]
        return out[:_MAX_CANDIDATES]

    def _fold(self, node: nodes.Node, depth: int) -> list[object]:
        if isinstance(node, nodes.Const):
            return [node.value]
        if isinstance(node, nodes.TemplateData):
            return [node.data]
        if isinstance(node, nodes.Name):
            return list(self.env.get(node.name, []))
        if isinstance(node, nodes.List | nodes.Tuple):
            items = [self.fold(item, depth) for item in node.items]
            if all(items):
                seq = [c[0] for c in items]
                return [seq if isinstance(node, nodes.List) else tuple(seq)]
            return []
        if isinstance(node, nodes.Dict):
            out: dict[str, object] = {}
            for pair in node.items:
                keys = self.fold(pair.key, depth)
                if keys and isinstance(keys[0], str):
                    vals = self.fold(pair.value, depth)
                    out[keys[0]] = vals[0] if vals else None
            return [out]
        if isinstance(node, nodes.Output):
            return self._fold(nodes.Concat(node.nodes), depth)
        if isinstance(node, nodes.Concat):
            parts = [self.fold(n, depth) for n in node.nodes[:256]]
            if all(parts) and len(parts) == len(node.nodes):
                texts = [str(p[0]) for p in parts]
                if sum(map(len, texts)) <= _MAX_FOLD_CHARS:
                    return ["".join(texts)]
            return []
        if isinstance(node, nodes.Add | nodes.Mul | nodes.Mod):
            return self._binary(node, depth)
        if isinstance(node, nodes.Getitem):
            return self._getitem(node, depth)
        if isinstance(node, nodes.Filter):
            return self._filter(node.name, node.node, node.args, depth)
        if isinstance(node, nodes.Call):
            return self._call(node, depth)
        if isinstance(node, nodes.CondExpr):
            return self.fold(node.expr1, depth) + self.fold(node.expr2, depth)
        return []

    def _binary(self, node: nodes.Add | nodes.Mul | nodes.Mod, depth: int) -> list[object]:
        out: list[object] = []
        for left in self.fold(node.left, depth):
            for right in self.fold(node.right, depth):
                out.extend(_apply_binary(type(node).__name__, left, right))
        return _bounded(out)

    def _getitem(self, node: nodes.Getitem, depth: int) -> list[object]:
        bases = self.fold(node.node, depth)
        out: list[object] = []
        if isinstance(node.arg, nodes.Slice):
            bounds = [self._int_or_none(n, depth) for n in (node.arg.start, node.arg.stop)]
            step = self._int_or_none(node.arg.step, depth)
            if step == 0:
                return []
            out = [
                base[bounds[0] : bounds[1] : step]
                for base in bases
                if isinstance(base, str | list | tuple)
            ]
            return _bounded(out)
        for key in self.fold(node.arg, depth):
            for base in bases:
                if isinstance(base, str | list | tuple) and isinstance(key, int):
                    if -len(base) <= key < len(base):
                        out.append(base[key])
                elif isinstance(base, dict) and isinstance(key, str) and key in base:
                    out.append(base[key])
        return _bounded(out)

    def _int_or_none(self, node: nodes.Node | None, depth: int) -> int | None:
        if node is None:
            return None
        vals = self.fold(node, depth)
        return vals[0] if vals and isinstance(vals[0], int) else None

    def _filter(
        self,
        name: str,
        subject: nodes.Node | None,
        args: Sequence[nodes.Node],
        depth: int,
    ) -> list[object]:
        values = self.fold(subject, depth)
        folded_args = [self.fold(a, depth) for a in args]
        if not all(folded_args):
            return []
        arg_values = [a[0] for a in folded_args]
        out: list[object] = []
        for value in values:
            out.extend(_apply_filter(name, value, arg_values))
        return _bounded(out)

    def _call(self, node: nodes.Call, depth: int) -> list[object]:
        callee = node.node
        if isinstance(callee, nodes.Name) and callee.name == "dict":
            return [{kw.key: None for kw in node.kwargs}]
        if isinstance(callee, nodes.Getattr):
            folded_args = [self.fold(a, depth) for a in node.args]
            if not all(folded_args):
                return []
            arg_values = [a[0] for a in folded_args]
            out: list[object] = []
            for base in self.fold(callee.node, depth):
                out.extend(_apply_method(callee.attr, base, arg_values))
            return _bounded(out)
        return []

    # ---- the walk ---------------------------------------------------------------------

    def bad_strings(self, node: nodes.Node | None) -> list[str]:
        """Folded string values of ``node`` that name internals (dunder, private, os...)."""
        found: list[str] = []
        for value in self.fold(node):
            found.extend(_strings_in(value))
        return [s for s in found if _is_bad_name(s)]

    def walk(self, node: nodes.Node) -> None:
        """Visits ``node`` and its descendants in ``iter_child_nodes`` order (depth first,
        fields in declaration order), reading the fields directly: jinja2's generator
        pair is most of a walk's time."""
        self.count += 1
        if self.count > _MAX_NODES:
            raise ScanError("template AST exceeds the node limit")
        cls = type(node)
        kind = _KINDS.get(cls)
        if kind is None:
            kind = _KINDS[cls] = _kind(cls)
        if kind:
            self.visit(node, kind)
        for field in node.fields:
            item = getattr(node, field, None)
            if isinstance(item, list):
                for child in item:
                    if isinstance(child, nodes.Node):
                        self.walk(child)
            elif isinstance(item, nodes.Node):
                self.walk(item)

    def visit(self, node: Any, kind: str) -> None:
        """Checks one node; ``kind`` is ``_kind(type(node))``."""
        if kind == "name":
            if node.ctx != "load":
                self.stored.add(node.name)
            elif _suspicious_global(node.name) and node.name not in self.stored:
                self.add("suspicious-global", Severity.HIGH, f"uses global {node.name!r}", node)
        elif kind == "const":
            if isinstance(node.value, str) and _DUNDER_TEXT.search(node.value):
                self.add("ssti", Severity.CRITICAL, f"dunder name in string {node.value!r}", node)
        elif kind == "getattr":
            if _is_bad_name(node.attr):
                self.add("ssti", Severity.CRITICAL, f"attribute access .{node.attr}", node)
            else:
                path = _global_path(node)
                if path is not None and path[0] not in self.stored:
                    hit = dangerous_path(path)
                    if hit is not None and hit == ".".join(path):  # reported once, here
                        self.add("ssti", Severity.CRITICAL, f"names {hit}", node)
        elif kind == "getitem":
            if not isinstance(node.arg, nodes.Slice):
                self.check_name_sink(node.arg, "subscript", node)
        elif kind == "filter":
            self._visit_filter(node)
        elif kind == "call":
            self._visit_call(node)
        elif kind == "assign":
            self._record_assignment(node)
        elif kind == "loader":
            self.add("include", Severity.MEDIUM, f"{type(node).__name__.lower()} tag", node)
        elif kind == "keyword" and _is_bad_name(node.key):
            self.add("ssti", Severity.CRITICAL, f"keyword argument {node.key}=", node)

    def check_name_sink(self, expr: nodes.Node, label: str, node: nodes.Node) -> None:
        """``expr`` names an attribute or key (a subscript falls back to getattr in Jinja)."""
        bad = self.bad_strings(expr)
        if bad:
            self.add("ssti", Severity.CRITICAL, f"{label} {bad[0]!r}", node)
        elif _builds_string(expr) and not self.fold(expr):
            # a name assembled from pieces the analysis cannot resolve (e.g. characters
            # sliced out of an object's repr): only an attack needs that
            self.add("dynamic-attribute", Severity.HIGH, f"{label} with a computed name", node)

    def _record_assignment(self, node: nodes.Assign | nodes.AssignBlock) -> None:
        if isinstance(node, nodes.Assign):
            values = self.fold(node.node)
        else:
            values = self.fold(nodes.Concat(list(node.body))) if node.body else []
        targets = node.target.items if isinstance(node.target, nodes.Tuple) else [node.target]
        for target in targets:
            if isinstance(target, nodes.Name):
                self.stored.add(target.name)
                self.env[target.name] = (self.env.get(target.name, []) + values)[-_MAX_CANDIDATES:]

    def _visit_filter(self, node: nodes.Filter | nodes.Test) -> None:
        if node.name == "attr":
            bad = [b for a in node.args for b in self.bad_strings(a)]
            if bad:
                self.add("ssti", Severity.CRITICAL, f"|attr({bad[0]!r})", node)
            elif not all(self.fold(a) for a in node.args):
                self.add("dynamic-attribute", Severity.HIGH, "|attr() with a computed name", node)
            return
        if node.name == "map" and node.args and "attr" in self.fold(node.args[0]):
            # map('attr', name) applies |attr to every item
            bad = [b for a in node.args[1:] for b in self.bad_strings(a)]
            if bad:
                self.add("ssti", Severity.CRITICAL, f"|map('attr', {bad[0]!r})", node)
            elif not all(self.fold(a) for a in node.args[1:]):
                self.add(
                    "dynamic-attribute", Severity.HIGH, "|map('attr') with a computed name", node
                )
        if node.name in _ATTRIBUTE_FILTERS:
            candidates = [kw.value for kw in node.kwargs if kw.key == "attribute"]
            if node.name in ("selectattr", "rejectattr", "groupby") and node.args:
                candidates.append(node.args[0])
            for cand in candidates:
                self.check_name_sink(cand, f"|{node.name}", node)
        if node.name == "format" and isinstance(node, nodes.Filter):
            self._check_format_string(node.node, node)

    def _visit_call(self, node: nodes.Call) -> None:
        callee = node.node
        if isinstance(callee, nodes.Getattr) and callee.attr in ("format", "format_map"):
            self._check_format_string(callee.node, node)
        if isinstance(callee, nodes.Name) and (
            callee.name.startswith("__") or dangerous_builtin(callee.name)
        ):
            self.add("ssti", Severity.CRITICAL, f"call to {callee.name}()", node)

    def _check_format_string(self, subject: nodes.Node | None, node: nodes.Node) -> None:
        # str.format resolves "{0.__class__}" / "{0[__globals__]}" field paths itself.
        for value in self.fold(subject):
            if isinstance(value, str):
                for field in _FORMAT_FIELD.findall(value):
                    if _is_bad_name(field.strip("{}").split(":", 1)[0].split("!", 1)[0]):
                        self.add("ssti", Severity.CRITICAL, f"format field {field}", node)


# What ``visit`` checks, by node class; the walk skips the call for the other classes.
_KIND_OF: tuple[tuple[tuple[type[nodes.Node], ...], str], ...] = (
    ((nodes.Assign, nodes.AssignBlock), "assign"),
    ((nodes.Getattr,), "getattr"),
    ((nodes.Getitem,), "getitem"),
    ((nodes.Filter, nodes.Test), "filter"),
    ((nodes.Call,), "call"),
    ((nodes.Name,), "name"),
    ((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends), "loader"),
    ((nodes.Const,), "const"),
    ((nodes.Keyword,), "keyword"),
)
_KINDS: dict[type[nodes.Node], str] = {}


def _kind(cls: type[nodes.Node]) -> str:
    return next((kind for types, kind in _KIND_OF if issubclass(cls, types)), "")


_BUILDING_FILTERS = frozenset({"join", "format", "replace", "reverse", "lower", "upper"})


def _builds_string(expr: nodes.Node) -> bool:
    """True when ``expr`` assembles a string (concatenation, repetition, formatting)."""
    if isinstance(expr, nodes.Concat | nodes.Mod):
        return True
    if isinstance(expr, nodes.Add | nodes.Mul):
        return any(
            (isinstance(side, nodes.Const) and isinstance(side.value, str)) or _builds_string(side)
            for side in (expr.left, expr.right)
        )
    if isinstance(expr, nodes.Filter):
        return expr.name in _BUILDING_FILTERS
    if isinstance(expr, nodes.Call) and isinstance(expr.node, nodes.Getattr):
        return expr.node.attr in ("format", "join", "replace")
    return False


def _strings_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value[:64]:
            if isinstance(item, str):
                yield item
    elif isinstance(value, dict):
        yield from (k for k in list(value)[:64] if isinstance(k, str))


def _bounded(values: list[object]) -> list[object]:
    out: list[object] = []
    for v in values:
        if isinstance(v, str | list | tuple) and len(v) > _MAX_FOLD_CHARS:
            continue
        out.append(v)
        if len(out) >= _MAX_CANDIDATES:
            break
    return out


def _apply_binary(op: str, left: object, right: object) -> list[object]:
    if op == "Add":
        if isinstance(left, str) and isinstance(right, str):
            return [left + right]
        if isinstance(left, list) and isinstance(right, list):
            return [left + right]
    elif op == "Mul":
        if isinstance(left, int) and isinstance(right, str):
            left, right = right, left
        if (
            isinstance(left, str)
            and isinstance(right, int)
            and right >= 0
            and len(left) * right <= _MAX_FOLD_CHARS
        ):
            return [left * right]
    elif op == "Mod" and isinstance(left, str):
        return _percent_format(left, right)
    return []


_PERCENT = re.compile(r"%([%scdirx])")


def _percent_format(fmt: str, arg: object) -> list[object]:
    """``%`` formatting restricted to width-less %s %c %d %i %r %x (no padding bombs)."""
    args = list(arg) if isinstance(arg, tuple | list) else [arg]
    if re.search(r"%[^%scdirx]", fmt):
        return []
    pieces: list[str] = []
    pos = 0
    index = 0
    for m in _PERCENT.finditer(fmt):
        pieces.append(fmt[pos : m.start()])
        pos = m.end()
        code = m.group(1)
        if code == "%":
            pieces.append("%")
            continue
        if index >= len(args):
            return []
        value = args[index]
        index += 1
        if code == "c":
            if isinstance(value, int) and 0 <= value < 0x110000:
                pieces.append(chr(value))
            elif isinstance(value, str) and len(value) == 1:
                pieces.append(value)
            else:
                return []
        elif code in "di" and isinstance(value, int):
            pieces.append(str(value))
        elif code == "x" and isinstance(value, int):
            pieces.append(format(value, "x"))
        else:
            pieces.append(str(value)[:_MAX_FOLD_CHARS])
        if sum(map(len, pieces)) > _MAX_FOLD_CHARS:
            return []
    pieces.append(fmt[pos:])
    return _bounded(["".join(pieces)])


def _simple_format(fmt: str, args: list[object]) -> list[object]:
    """``str.format`` with bare ``{}``/``{0}`` fields only (no attribute paths, no widths)."""
    out: list[str] = []
    pos = 0
    for auto, m in enumerate(re.finditer(r"\{(\d{0,6})\}", fmt)):
        out.append(fmt[pos : m.start()])
        pos = m.end()
        index = int(m.group(1)) if m.group(1) else auto
        if index >= len(args):
            return []
        out.append(str(args[index])[:_MAX_FOLD_CHARS])
        if sum(map(len, out)) > _MAX_FOLD_CHARS:
            return []
    out.append(fmt[pos:])
    text = "".join(out)
    return [] if "{" in text.replace("{{", "") else _bounded([text])


def _apply_filter(name: str, value: object, args: list[object]) -> list[object]:
    result: list[object] = []
    if name == "join" and isinstance(value, list | tuple):
        sep = args[0] if args and isinstance(args[0], str) else ""
        texts = [str(v) for v in value[:256] if isinstance(v, str | int)]
        if len(texts) == len(value) and sum(map(len, texts)) + len(sep) * len(texts) <= (
            _MAX_FOLD_CHARS
        ):
            result = [sep.join(texts)]
    elif name == "replace" and isinstance(value, str) and len(args) >= 2:
        old, new = args[0], args[1]
        if (
            isinstance(old, str)
            and isinstance(new, str)
            and old
            and len(value) + value.count(old) * len(new) <= _MAX_FOLD_CHARS
        ):
            result = [value.replace(old, new)]
    elif name == "format" and isinstance(value, str):
        result = _percent_format(value, tuple(args))
    elif name in ("lower", "upper", "title", "capitalize", "trim") and isinstance(value, str):
        result = [value.strip() if name == "trim" else getattr(value, name)()]
    elif name == "reverse" and isinstance(value, str | list | tuple):
        result = [value[::-1]]
    elif name in ("string", "safe", "e", "escape") and isinstance(value, str | int):
        result = [str(value)]
    elif name in ("list", "unique", "sort") and isinstance(value, str | list | tuple | dict):
        result = [list(value)]
    elif name == "first" and isinstance(value, str | list | tuple | dict) and value:
        result = [next(iter(value))]
    elif name == "last" and isinstance(value, str | list | tuple) and value:
        result = [value[-1]]
    elif name in ("default", "d"):
        result = [value] if value is not None else list(args[:1])
    elif name == "batch" or name == "slice":
        result = []
    return result


_STR_METHODS = frozenset(
    {"lower", "upper", "strip", "lstrip", "rstrip", "title", "capitalize", "swapcase"}
)


def _apply_method(method: str, base: object, args: list[object]) -> list[object]:
    if not isinstance(base, str):
        return []
    if method in _STR_METHODS and not args:
        return [getattr(base, method)()]
    if method == "join" and args:
        return _apply_filter("join", args[0], [base])
    if method == "replace":
        return _apply_filter("replace", base, args)
    if method == "format":
        return _simple_format(base, args)
    if method in ("removeprefix", "removesuffix") and args and isinstance(args[0], str):
        return [getattr(base, method)(args[0])]
    return []


def parse(source: str, *, fast: bool = True) -> nodes.Template:
    """``Environment.parse(source)`` of the scanner's environment, through the fast lexer
    and parser where they take the template (the same tree; see _template_parser), else
    through jinja2 (which also raises the errors)."""
    env = _environment()
    if fast and _fast_path_applies():
        tokens = fast_tokens(source, env.lexer)
        tree = None if tokens is None else fast_parse(tokens)
        if tree is not None:
            return tree
    return env.parse(source)


@cache
def _fast_path_applies() -> bool:
    """The fast parser is jinja2 3.1's, knows the tags of the environment's extensions,
    and no extension rewrites the source or the tokens (the fast lexer checks jinja2's
    lexer rules itself)."""
    import jinja2.ext

    try:
        version = importlib.metadata.version("jinja2")
    except importlib.metadata.PackageNotFoundError:
        return False
    extensions = _environment().extensions.values()
    return (
        version.startswith("3.1.")
        and {tag for ext in extensions for tag in ext.tags} == EXTENSION_TAGS
        and all(
            type(ext).preprocess is jinja2.ext.Extension.preprocess
            and type(ext).filter_stream is jinja2.ext.Extension.filter_stream
            for ext in extensions
        )
    )


def parse_and_walk(source: str) -> list[TemplateIssue]:
    """Issues in ``source`` (at most ``MAX_TEMPLATE_CHARS``): jinja2's tree, built by the
    fast path or by jinja2, is walked; nothing renders it. The text fallback judges what
    the parser cannot, and a template the fast path found clean although its tags hold a
    step of an SSTI chain (``__globals__``, ``|attr``, ``lipsum``...) is judged again on
    jinja2's own tree: a difference between the two parsers must not hide an attack."""
    issues = _parse_and_walk(source, fast=True)
    if not issues and fallback_issues(source):
        return _parse_and_walk(source, fast=False)
    return issues


def _parse_and_walk(source: str, *, fast: bool) -> list[TemplateIssue]:
    try:
        tree = parse(source, fast=fast)
    except jinja2.TemplateSyntaxError as exc:
        # jinja2 (what transformers and llama-cpp-python use) cannot run it either
        issue = TemplateIssue("parse-error", Severity.INFO, f"{exc.message}", exc.lineno)
        return [issue, *fallback_issues(source)]
    # an integer literal past str->int limits; a float in non-ASCII digits, which jinja2's
    # lexer matches and hands to ast.literal_eval
    except (ValueError, OverflowError, SyntaxError) as exc:
        issue = TemplateIssue("parse-error", Severity.INFO, str(exc)[:120])
        return [issue, *fallback_issues(source)]
    except RecursionError:
        issue = TemplateIssue("parse-error", Severity.MEDIUM, "nesting too deep to parse")
        return [issue, *fallback_issues(source)]
    analyser = _Analyser()
    try:
        analyser.walk(tree)
    except RecursionError:
        analyser.issues.append(
            TemplateIssue("parse-error", Severity.MEDIUM, "template nesting too deep to walk")
        )
        analyser.issues.extend(fallback_issues(source))
    except ScanError as exc:
        analyser.issues.append(TemplateIssue("too-large", Severity.MEDIUM, str(exc)))
        analyser.issues.extend(fallback_issues(source))
    return analyser.issues
