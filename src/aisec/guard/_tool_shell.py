"""Shell command arguments, judged by an allowlist of commands and argument shapes.

A command line is read the way a POSIX shell reads it, in two steps:

1. A quote-aware scan of the raw text finds every construct that changes what runs or
   that ``shlex`` does not expand: command substitution (``$(...)``, backticks), parameter
   and arithmetic expansion (``$VAR``, ``${...}``, ``$((...))``), ANSI-C and locale quoting
   (``$'\\x72\\x6d'``, ``$"..."``), process substitution (``<(...)``), brace expansion
   (``{a,b}``, ``{1..9}``), globs (``*``, ``?``, ``[...]``), tilde expansion, redirections
   and here-documents (``>``, ``>>``, ``<``, ``<<``), control operators (``;``, ``&``,
   ``&&``, ``||``, ``|``, newlines), subshells (``(...)``) and comments (``#``).
   Unbalanced quotes or a control character make the line unparsable.
2. The line is cut at the control operators the tool allows (``pipe``, ``and``, ``or``,
   ``seq``) and each simple command is split into words with ``shlex`` (POSIX mode), which
   removes quoting: ``'rm'``, ``r''m`` and ``r\\m`` are all the word ``rm``. A first word
   ``NAME=value`` (an environment assignment such as ``LD_PRELOAD=x cmd``) is denied.

Each command must be on the tool's allowlist by its exact name (no paths, no wrappers
unless listed), with only the listed options and operands of the declared kind.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aisec.core.errors import PolicyError

__all__ = ["CONSTRUCTS", "CommandRule", "ShellSpec", "check_shell"]

# constructs a tool may allow; everything else found in a line is denied
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,200}=")
CONSTRUCTS = frozenset({"pipe", "and", "or", "seq", "glob"})
OPERAND_KINDS = frozenset({"path", "text", "url", "host", "none"})
MAX_SHELL_CHARS = 4096


@dataclass(frozen=True, slots=True)
class CommandRule:
    """One allowed command: its allowed ``subcommands`` (first operand), ``options``
    (fnmatch patterns over option words, e.g. ``-n``, ``--format=*``), ``option_args``
    (options that take the next word as their value), and what its operands are."""

    name: str
    subcommands: frozenset[str] | None = None
    options: tuple[str, ...] = ()
    option_args: frozenset[str] = frozenset()
    operands: str = "text"
    max_operands: int = 16


@dataclass(frozen=True, slots=True)
class ShellSpec:
    commands: Mapping[str, CommandRule] = field(default_factory=dict)
    constructs: frozenset[str] = frozenset()
    max_chars: int = MAX_SHELL_CHARS

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str) -> ShellSpec:
        commands_raw = data.get("commands")
        if not isinstance(commands_raw, Mapping) or not commands_raw:
            raise PolicyError(f"{where}.commands: expected a mapping of command name to rules")
        commands: dict[str, CommandRule] = {}
        for name, spec in commands_raw.items():
            at = f"{where}.commands.{name}"
            if not isinstance(name, str) or not name or "/" in name:
                raise PolicyError(f"{at}: expected a bare command name")
            spec = spec or {}
            if not isinstance(spec, Mapping):
                raise PolicyError(f"{at}: expected a mapping")
            unknown = sorted(set(spec) - {"subcommands", "options", "option_args", "operands",
                                          "max_operands"})  # fmt: skip
            if unknown:
                raise PolicyError(f"{at}: unknown key(s) {', '.join(map(str, unknown))}")
            operands = spec.get("operands", "text")
            if operands not in OPERAND_KINDS:
                raise PolicyError(
                    f"{at}.operands: expected one of {', '.join(sorted(OPERAND_KINDS))}"
                )
            max_operands = spec.get("max_operands", 16)
            if isinstance(max_operands, bool) or not isinstance(max_operands, int):
                raise PolicyError(f"{at}.max_operands: expected an integer")
            subs = spec.get("subcommands")
            commands[name] = CommandRule(
                name=name,
                subcommands=None
                if subs is None
                else frozenset(_strings(subs, f"{at}.subcommands")),
                options=tuple(_strings(spec.get("options", []), f"{at}.options")),
                option_args=frozenset(_strings(spec.get("option_args", []), f"{at}.option_args")),
                operands=operands,
                max_operands=max_operands,
            )
        constructs = frozenset(_strings(data.get("constructs", []), f"{where}.constructs"))
        if constructs - CONSTRUCTS:
            raise PolicyError(
                f"{where}.constructs: unknown {', '.join(sorted(constructs - CONSTRUCTS))}; "
                f"expected some of {', '.join(sorted(CONSTRUCTS))}"
            )
        return cls(commands=commands, constructs=constructs)


def _strings(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{where}: expected a list of strings")
    return list(value)


@dataclass(frozen=True, slots=True)
class _Scan:
    constructs: list[tuple[str, int]]  # (construct, offset), in order
    cuts: list[tuple[int, int, str]]  # control operators: (start, end, construct)
    problem: str | None


_OPERATORS = (("&&", "and"), ("||", "or"), (";;", "seq"), ("|&", "pipe"), ("|", "pipe"),
              (";", "seq"), ("&", "background"), ("\n", "seq"), ("\r", "seq"))  # fmt: skip


def _scan(line: str) -> _Scan:
    """Quote-aware pass over ``line``: every construct and where the control operators are."""
    found: list[tuple[str, int]] = []
    cuts: list[tuple[int, int, str]] = []
    i, n = 0, len(line)
    quote = ""  # "'" or '"' while inside quotes
    word_start = True
    brace_depth = 0
    brace_has_list = False
    while i < n:
        ch = line[i]
        if (ord(ch) < 32 and ch not in "\t\n\r") or ch == "\x7f":
            return _Scan(found, cuts, f"control character U+{ord(ch):04X}")
        if quote == "'":
            if ch == "'":
                quote = ""
            i += 1
            continue
        if ch == "\\":
            if i + 1 < n and line[i + 1] in "\n\r":
                found.append(("line continuation", i))
            i += 2
            word_start = False
            continue
        if quote == '"':
            if ch == '"':
                quote = ""
            elif ch == "$":
                found.append((_dollar(line, i), i))
            elif ch == "`":
                found.append(("command substitution", i))
            i += 1
            continue
        # unquoted
        if ch in "'\"":
            if ch == "'" and i > 0 and line[i - 1] == "$":
                pass  # already reported as ANSI-C quoting
            quote = ch
            i += 1
            word_start = False
            continue
        if ch == "$":
            found.append((_dollar(line, i), i))
            i += 1
            word_start = False
            continue
        if ch == "`":
            found.append(("command substitution", i))
        elif ch in "<>":
            if i + 1 < n and line[i + 1] == "(":
                found.append(("process substitution", i))
            elif line.startswith("<<", i):
                found.append(("here-document", i))
            else:
                found.append(("redirection", i))
        elif ch in "()":
            found.append(("subshell", i))
        elif ch == "#" and word_start:
            found.append(("comment", i))
        elif ch == "~" and word_start:
            found.append(("tilde expansion", i))
        elif ch in "*?[":
            found.append(("glob", i))
        elif ch == "{":
            brace_depth += 1
        elif ch == "}" and brace_depth:
            brace_depth -= 1
            if brace_has_list:
                found.append(("brace expansion", i))
            brace_has_list = False
        elif brace_depth and (ch == "," or line.startswith("..", i)):
            brace_has_list = True
        for op, construct in _OPERATORS:
            if line.startswith(op, i):
                if construct == "background":
                    found.append(("background job", i))
                else:
                    found.append((construct, i))
                cuts.append((i, i + len(op), construct))
                i += len(op)
                word_start = True
                break
        else:
            word_start = ch in " \t"
            i += 1
    if quote:
        return _Scan(found, cuts, "unbalanced quotes")
    return _Scan(found, cuts, None)


def _dollar(line: str, i: int) -> str:
    nxt = line[i + 1 : i + 2]
    if nxt == "(":
        return "arithmetic expansion" if line.startswith("$((", i) else "command substitution"
    if nxt == "'":
        return "ANSI-C quoting"
    if nxt == '"':
        return "locale quoting"
    if nxt in ("{", "["):
        return "parameter expansion"
    if nxt and (nxt.isalnum() or nxt in "_@*#?$!-"):
        return "parameter expansion"
    return "dollar sign"


def check_shell(
    line: str, spec: ShellSpec, check_operand: Callable[[str, str], str | None]
) -> str | None:
    """Why ``line`` is not an allowed command line, or None. ``check_operand(kind, word)``
    judges an operand of kind path / url / host."""
    if len(line) > spec.max_chars:
        return f"command line longer than {spec.max_chars} characters"
    scan = _scan(line)
    if scan.problem:
        return f"unparsable command line: {scan.problem}"
    for construct, offset in scan.constructs:
        if construct not in spec.constructs:
            return f"{construct} at offset {offset}"
    bounds = [0]
    for start, end, _ in scan.cuts:
        bounds += [start, end]
    bounds.append(len(line))
    segments = [line[bounds[k] : bounds[k + 1]] for k in range(0, len(bounds), 2)]
    if not any(s.strip() for s in segments):
        return "empty command line"
    for segment in segments:
        if not segment.strip():
            return "empty command between operators"
        try:
            lexer = shlex.shlex(segment, posix=True)
            lexer.whitespace_split = True
            lexer.commenters = ""
            words = list(lexer)
        except ValueError as exc:
            return f"unparsable command line: {exc}"
        problem = _check_command(words, spec, check_operand)
        if problem:
            return problem
    return None


def _check_command(
    words: list[str], spec: ShellSpec, check_operand: Callable[[str, str], str | None]
) -> str | None:
    name, args = words[0], words[1:]
    if _ASSIGNMENT.match(name):  # NAME=value before the command changes its environment
        return f"environment assignment {name.split('=', 1)[0][:40]!r} before the command"
    rule = spec.commands.get(name)
    if rule is None:
        return f"command {name[:40]!r} is not allowed"
    operands: list[str] = []
    options_done = False
    expect_value = False
    for word in args:
        if expect_value:
            expect_value = False
            continue
        if not options_done and word == "--":
            options_done = True
            continue
        if not options_done and word.startswith("-") and word != "-":
            if not any(fnmatch.fnmatchcase(word, p) for p in rule.options):
                return f"option {word[:40]!r} is not allowed for {name}"
            expect_value = word in rule.option_args
            continue
        operands.append(word)
    if rule.subcommands is not None:
        if not operands or operands[0] not in rule.subcommands:
            sub = operands[0][:40] if operands else "(none)"
            return f"subcommand {sub!r} is not allowed for {name}"
        operands = operands[1:]
    if rule.operands == "none" and operands:
        return f"{name} takes no operands"
    if len(operands) > rule.max_operands:
        return f"{name} takes at most {rule.max_operands} operands"
    if rule.operands in ("path", "url", "host"):
        for word in operands:
            problem = check_operand(rule.operands, word)
            if problem:
                return f"{name} operand: {problem}"
    return None
