"""TorchScript ``code/**/*.py``: parsed (never run) and searched for calls that leave the model.

TorchScript code can only call registered operators, but the archive's text is also what
a tampered loader or a human might run; Python-level escapes (``os.system``, ``eval``,
``__import__``, ``torch.ops.load_library``) and custom-op namespaces are reported.
"""

from __future__ import annotations

import ast
import re

from aisec.artifacts._base import ScanContext
from aisec.core.findings import Finding, FrameworkRef, Location, Severity

__all__ = ["scan_torchscript_code"]

_MAX_CODE = 8 << 20
_DANGEROUS_NAMES = frozenset(
    [
        "eval",
        "exec",
        "compile",
        "__import__",
        "open",
        "system",
        "popen",
        "breakpoint",
        "load_library",
    ]
)
_DANGEROUS_ROOTS = frozenset(
    [
        "os",
        "sys",
        "subprocess",
        "builtins",
        "importlib",
        "socket",
        "shutil",
        "ctypes",
        "pickle",
        "marshal",
        "runpy",
        "pty",
    ]
)
_KNOWN_OP_NAMESPACES = frozenset(
    [
        "aten",
        "prim",
        "quantized",
        "_quantized",
        "quantized_decomposed",
        "_caffe2",
        "torchvision",
        "torchaudio",
        "image",
        "fbgemm",
        "_nnapi",
    ]
)
_TEXT_PATTERN = re.compile(
    rb"\b(os\.system|subprocess|__import__|\beval\s*\(|\bexec\s*\(|load_library|builtins)"
)
# Tokens without which the AST check cannot flag anything: plain substrings (a C search
# each, several times faster than one regex alternation) and four whole words.
_PREFILTER_WORDS = (
    b"__import__", b"eval", b"exec", b"compile", b"open", b"system", b"popen", b"breakpoint",
    b"load_library", b"import", b"subprocess", b"builtins", b"importlib", b"socket",
    b"shutil", b"ctypes", b"pickle", b"marshal", b"runpy",
)  # fmt: skip
_PREFILTER_WHOLE = re.compile(rb"\b(?:os|sys|pty|ops)\b")
_REFS = (
    FrameworkRef("ATLAS", "AML.T0011.000"),
    FrameworkRef("ATLAS", "AML.T0018.002"),
    FrameworkRef("OWASP-LLM", "LLM03:2025"),
)


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def scan_torchscript_code(source: bytes, ctx: ScanContext, member: str) -> list[Finding]:
    """Findings for one TorchScript source member (``ast.parse`` only; nothing executes)."""
    path = f"{ctx.display_path}!/{member}"
    if len(source) > _MAX_CODE:
        return [
            _finding(ctx, path, None, "code member larger than the scan limit", Severity.MEDIUM)
        ]
    if (
        source.isascii()
        and not any(word in source for word in _PREFILTER_WORDS)
        and not _PREFILTER_WHOLE.search(source)
    ):
        # no token the AST check could flag; non-ASCII source is always parsed, since
        # Python folds look-alike identifiers (NFKC) when it parses
        return []
    try:
        tree = ast.parse(source.decode("utf-8", "replace"), filename=member)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        match = _TEXT_PATTERN.search(source)
        if match:
            return [_finding(ctx, path, None, match.group(0).decode(), Severity.CRITICAL)]
        return []
    out: list[Finding] = []
    seen: set[str] = set()
    for node in _calls_and_imports(tree):
        target: str | None = None
        if isinstance(node, ast.Import | ast.ImportFrom):
            mods = [a.name for a in node.names]
            if isinstance(node, ast.ImportFrom) and node.module:
                mods.append(node.module)
            bad = [m for m in mods if m.split(".")[0] in _DANGEROUS_ROOTS]
            target = f"import {', '.join(bad)}" if bad else None
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name is not None:
                parts = name.split(".")
                if (
                    parts[-1] in _DANGEROUS_NAMES
                    or parts[0] in _DANGEROUS_ROOTS
                    or (
                        parts[:2] == ["torch", "ops"]
                        and len(parts) > 2
                        and (parts[2] not in _KNOWN_OP_NAMESPACES)
                    )
                    or (
                        parts[0] == "ops"
                        and len(parts) > 1
                        and parts[1] not in _KNOWN_OP_NAMESPACES
                    )
                ):
                    target = name
        if target is not None and target not in seen:
            seen.add(target)
            line = getattr(node, "lineno", None)
            last = target.rsplit(".", 1)[-1]
            custom_op = ".ops." in f".{target}." and last not in _DANGEROUS_NAMES
            severity = Severity.MEDIUM if custom_op else Severity.CRITICAL
            out.append(_finding(ctx, path, line, target, severity))
    return out


def _ast_classes(cls: type[ast.AST]) -> set[type[ast.AST]]:
    out = {cls}
    for sub in cls.__subclasses__():
        out |= _ast_classes(sub)
    return out


# Node types that hold no Call or Import at any depth: names, constants, contexts and
# operators, about half of a typical tree. The walk does not queue them.
_LEAVES = (
    ast.Name, ast.Constant, ast.alias, ast.expr_context, ast.operator, ast.cmpop, ast.unaryop,
    ast.boolop,
)  # fmt: skip
_BRANCHES = frozenset(c for c in _ast_classes(ast.AST) if not issubclass(c, _LEAVES))
_WANTED = frozenset((ast.Call, ast.Import, ast.ImportFrom))


def _calls_and_imports(tree: ast.AST) -> list[ast.AST]:
    """Every Call, Import and ImportFrom node in ``ast.walk`` order (breadth first).

    Children are read from each node's ``__dict__`` (faster than field by field by name)
    and kept only when their exact type is a branch type: one set lookup both drops
    non-node values (positions, identifiers) and leaves that cannot hold a call."""
    found: list[ast.AST] = []
    todo: list[ast.AST] = [tree]
    push = todo.append
    branches = _BRANCHES
    for node in todo:  # a list grown while iterated: breadth-first order
        if type(node) in _WANTED:
            found.append(node)
        for value in node.__dict__.values():
            kind = type(value)
            if kind in branches:
                push(value)
            elif kind is list:
                todo.extend([v for v in value if type(v) in branches])
    return found


def _finding(
    ctx: ScanContext, path: str, line: int | None, evidence: str, severity: Severity
) -> Finding:
    custom_op = severity is Severity.MEDIUM
    return Finding(
        rule_id="torchscript-custom-op" if custom_op else "torchscript-dangerous-code",
        title="TorchScript code calls a custom operator namespace"
        if custom_op
        else "Code shipped in the model archive calls a dangerous function",
        severity=severity,
        asset=ctx.display_path,
        location=Location(path=path, line=line),
        evidence=evidence[:200],
        frameworks=_REFS,
        remediation="Do not load this TorchScript archive; re-export it from trusted source code.",
    )
