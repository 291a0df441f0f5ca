"""TorchScript ``code/**/*.py``: parsed (never run) and searched for calls that leave the model.

TorchScript code can only call registered operators, but the archive's text is also what
a tampered loader or a human might run; Python-level escapes (``os.system``, ``eval``,
``__import__``, ``torch.ops.load_library``) and custom-op namespaces are reported.
"""

from __future__ import annotations

import ast
import re
import warnings
from functools import lru_cache

from aisec.artifacts._base import ArtifactContext
from aisec.artifacts._callables import dangerous_builtin, dangerous_path, is_dangerous_module
from aisec.artifacts.pickle import DANGEROUS_CALLABLES, DANGEROUS_MODULES
from aisec.core.findings import Finding, FrameworkRef, Location, Severity

__all__ = ["scan_torchscript_code"]

_MAX_CODE = 8 << 20
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
_IDENTIFIER = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
# Identifiers that make the AST check worth running whatever the policy says of them.
_ALWAYS_PARSE = frozenset((b"import", b"ops"))
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


def scan_torchscript_code(
    source: bytes, ctx: ArtifactContext, member: str, *, os_paths_ok: bool = False
) -> list[Finding]:
    """Findings for one TorchScript source member (``ast.parse`` only; nothing executes).

    ``os_paths_ok``: ``import os`` is not reported when ``os`` is used for nothing but
    ``os.path`` functions that only compute paths (TorchServe handlers build the model
    file's path that way); any other use of the name reports the import as usual."""
    path = f"{ctx.display_path}!/{member}"
    if len(source) > _MAX_CODE:
        return [
            _finding(ctx, path, None, "code member larger than the scan limit", Severity.MEDIUM)
        ]
    if source.isascii() and not _may_flag(source):
        # no identifier the AST check could flag; non-ASCII source is always parsed, since
        # Python folds look-alike identifiers (NFKC) when it parses
        return []
    try:
        with warnings.catch_warnings():
            # the compiler's SyntaxWarnings ("invalid decimal literal"...) are about the
            # scanned file, not for the user's terminal
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(source.decode("utf-8", "replace"), filename=member)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        match = _TEXT_PATTERN.search(source)
        if match:
            return [_finding(ctx, path, None, match.group(0).decode(), Severity.CRITICAL)]
        return []
    out: list[Finding] = []
    seen: set[str] = set()
    path_names = _os_path_only_names(tree) if os_paths_ok else frozenset()
    for node in _calls_and_imports(tree):
        target: str | None = None
        if isinstance(node, ast.Import | ast.ImportFrom):
            mods = [a.name for a in node.names]
            if isinstance(node, ast.ImportFrom) and node.module:
                mods.append(node.module)
            if isinstance(node, ast.ImportFrom) and node.module:
                mods.extend(f"{node.module}.{a.name}" for a in node.names)
            bad = [m for m in mods if _dangerous(m, handler=os_paths_ok)]
            if path_names and isinstance(node, ast.Import):
                bad = [a.name for a in node.names if a.name in bad and not _binds_os(a)]
            target = f"import {', '.join(dict.fromkeys(bad))}" if bad else None
            dangerous = True
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name is not None and _is_os_path_call(name, path_names):
                continue
            if name is not None:
                parts = name.split(".")
                dangerous = _dangerous(name, handler=os_paths_ok)
                if (
                    dangerous
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
            severity = Severity.CRITICAL if dangerous else Severity.MEDIUM  # else a custom op
            out.append(_finding(ctx, path, line, target, severity))
    return out


# Where TorchScript code differs from a pickle: TorchScript compiles getattr(self, "name")
# to an attribute read of the module; a TorchServe handler's job is to load its model file.
_TORCHSCRIPT_BUILTINS = frozenset(("getattr",))
_HANDLER_LOADERS = frozenset(("torch.load", "torch.jit.load"))


def _dangerous(name: str, *, handler: bool = False) -> bool:
    """The one policy's judgement of a called or imported dotted name (bare: a builtin),
    less what TorchScript (or, with ``handler``, a TorchServe handler) does by design."""
    if name in _TORCHSCRIPT_BUILTINS or (handler and name in _HANDLER_LOADERS):
        return False
    parts = name.split(".")
    if len(parts) == 1:
        return dangerous_builtin(name) or is_dangerous_module(name)
    return dangerous_path(parts) is not None


def _may_flag(source: bytes) -> bool:
    """Whether ``source`` could make the AST check report anything: it imports, names a
    custom-op namespace, calls a dangerous builtin, or holds every part of a module or
    callable the policy calls dangerous (``logging`` and ``config``; ``torch`` and
    ``load``). Cheap next to parsing, and most members name none of these."""
    words = set(_IDENTIFIER.findall(source))
    if not words.isdisjoint(_ALWAYS_PARSE):
        return True
    if any(_dangerous_word(w) for w in words):
        return True
    if any(_dangerous_call(w) for w in _CALLED.findall(source)):
        return True
    return any(parts <= words for parts in _DANGEROUS_PARTS)


@lru_cache(maxsize=8192)
def _dangerous_word(word: bytes) -> bool:
    return is_dangerous_module(word.decode("ascii"))


@lru_cache(maxsize=8192)
def _dangerous_call(word: bytes) -> bool:
    return dangerous_builtin(word.decode("ascii"))


_CALLED = re.compile(rb"(?<![A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*)\s*\(")
# Each dangerous module and callable of the policy as the set of its name parts.
_DANGEROUS_PARTS = tuple(
    frozenset(p.encode() for p in name.split("."))
    for name in sorted(DANGEROUS_MODULES | DANGEROUS_CALLABLES)
)


# os.path functions that only compute or test paths (no reading, no writing)
_OS_PATH_FUNCTIONS = frozenset(
    ["join", "exists", "isfile", "isdir", "dirname", "basename", "abspath", "splitext",
     "split", "normpath", "realpath", "expanduser", "getsize"]
)  # fmt: skip


def _binds_os(alias: ast.alias) -> bool:
    """``import os [as x]`` or ``import os.path``: a name for the os module."""
    return alias.name == "os" or (alias.name == "os.path" and alias.asname is None)


def _is_os_path_call(name: str, path_names: frozenset[str]) -> bool:
    parts = name.split(".")
    return (
        len(parts) == 3
        and parts[0] in path_names
        and parts[1] == "path"
        and parts[2] in _OS_PATH_FUNCTIONS
    )


def _os_path_only_names(tree: ast.AST) -> frozenset[str]:
    """The names ``import os`` binds, when every use of each is ``<name>.path.<f>`` with
    ``f`` in ``_OS_PATH_FUNCTIONS``; empty when any use is anything else (a call on
    ``os`` itself, ``getattr(os, …)``, a rebinding), or when an import also binds the
    name to something else."""
    names = frozenset(
        alias.asname or "os"
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if _binds_os(alias)
    )
    if not names:
        return names
    allowed: set[int] = set()
    uses: list[ast.Name] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in _OS_PATH_FUNCTIONS
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "path"
            and isinstance(node.value.value, ast.Name)
        ):
            allowed.add(id(node.value.value))
        elif isinstance(node, ast.Name) and node.id in names:
            uses.append(node)
        elif isinstance(node, ast.Import | ast.ImportFrom) and any(
            (a.asname or a.name.split(".")[0]) in names
            and not (isinstance(node, ast.Import) and _binds_os(a))
            for a in node.names
        ):
            return frozenset()  # the name also stands for something else
    if all(id(use) in allowed for use in uses):
        return names
    return frozenset()


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
    ctx: ArtifactContext, path: str, line: int | None, evidence: str, severity: Severity
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
