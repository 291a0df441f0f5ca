"""Tool-call policy: which tools a route or principal may call, with which typed arguments.

A call is checked in order: the tool is on the allowlist for this route and principal; its
arguments are a JSON object (a dict, or JSON text with no duplicate key) of JSON values only
(``bytes``, sets, NaN and other Python objects are refused; ``os.PathLike`` is read as its
path string) within size and depth limits; every argument is declared by the tool
(undeclared ones are denied); the object validates against the tool's JSON Schema (built
from the declarations, plus any ``schema`` the policy adds); and each argument is checked by
its declared type:

========  =====================================================================
``path``  resolved (percent-decoding, NFKC, ``~user``, ``..;/``, symlinks) inside ``roots``
``url``   allowed scheme, valid host, not internal (all IP notations; see ``_tool_net``),
          optionally on the ``hosts`` allowlist
``host``  a host or host:port, judged like a URL's host
``sql``   ``value`` (one literal) or ``query`` (one statement of the declared types, no
          comments, subqueries, set operations or tautologies; optional ``tables``)
``shell`` an allowlist of commands, options and operands (see ``_tool_shell``)
``text``  free text (any JSON value); URLs inside it must not point to internal hosts
``integer`` / ``number`` / ``boolean``: that JSON type
========  =====================================================================

Unknown tools are denied, and so is anything that cannot be parsed: the policy fails closed.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aisec.core.errors import PolicyError
from aisec.core.findings import Finding, FrameworkRef, Location, Severity
from aisec.guard._scanner import ScanContext
from aisec.guard._tool_net import host_problem, internal_host, parse_url
from aisec.guard._tool_path import path_problem
from aisec.guard._tool_shell import ShellSpec, check_shell
from aisec.guard._tool_sql import MAX_SQL_CHARS, check_sql_query, check_sql_value

__all__ = ["ArgSpec", "ToolPolicy", "ToolRule", "check_tool_call", "internal_host"]

FRAMEWORKS = (FrameworkRef("OWASP-LLM", "LLM06:2025"), FrameworkRef("OWASP-AGENTIC", "ASI02:2026"))
POLICY_KEY = "guard.tool_policy"

ARG_TYPES = frozenset(
    {"path", "url", "host", "sql", "shell", "text", "integer", "number", "boolean"}
)
_STRING_TYPES = frozenset({"path", "url", "host", "sql", "shell"})
_JSON_TYPES = {"integer": "integer", "number": "number", "boolean": "boolean"}


@dataclass(frozen=True, slots=True)
class ArgSpec:
    """One declared argument: its ``type`` (see the module's table) and the options of that
    type. ``schema`` adds JSON Schema constraints on the value (``maxLength``, ``enum``...).
    """

    type: str
    required: bool = False
    schema: Mapping[str, Any] | None = None
    roots: tuple[str, ...] = ()
    schemes: frozenset[str] = frozenset({"http", "https"})
    hosts: frozenset[str] | None = None
    allow_private: bool = False
    sql: str = "value"
    statements: frozenset[str] = frozenset({"SELECT"})
    tables: frozenset[str] | None = None
    shell: ShellSpec | None = None
    max_chars: int = MAX_SQL_CHARS

    def __post_init__(self) -> None:
        if self.type not in ARG_TYPES:
            raise PolicyError(
                f"type: expected one of {', '.join(sorted(ARG_TYPES))}, got {self.type!r}"
            )
        if self.type == "path" and not self.roots:
            raise PolicyError("roots: a path argument needs at least one allowed root")
        if any(not r.startswith("/") for r in self.roots):
            raise PolicyError("roots: expected absolute paths")
        if self.type == "sql" and self.sql not in ("value", "query"):
            raise PolicyError(f"sql: expected value or query, got {self.sql!r}")
        if self.type == "shell" and self.shell is None:
            raise PolicyError("commands: a shell argument needs its allowed commands")

    def json_schema(self) -> dict[str, Any]:
        base: dict[str, Any] = {}
        if self.type in _STRING_TYPES:
            base["type"] = "string"
        elif self.type in _JSON_TYPES:
            base["type"] = _JSON_TYPES[self.type]
        if self.schema:
            return {"allOf": [base, dict(self.schema)]} if base else dict(self.schema)
        return base


@dataclass(frozen=True, slots=True)
class ToolRule:
    """What one tool may be called with.

    ``routes`` / ``principals``: who may call it (None = anyone). ``args``: the declared
    arguments; any other argument is denied. ``schema``: an optional JSON Schema of the
    whole arguments object, checked as well as the one built from ``args``.
    """

    name: str
    args: Mapping[str, ArgSpec] = field(default_factory=dict)
    schema: Mapping[str, Any] | None = None
    routes: frozenset[str] | None = None
    principals: frozenset[str] | None = None
    _validators: tuple[Any, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        import jsonschema

        built = {
            "type": "object",
            "properties": {k: spec.json_schema() for k, spec in self.args.items()},
            "required": sorted(k for k, spec in self.args.items() if spec.required),
        }
        validators = []
        for schema in (built, self.schema):
            if schema is None:
                continue
            try:
                cls = jsonschema.validators.validator_for(schema)
                cls.check_schema(dict(schema))
            except jsonschema.SchemaError as exc:
                raise PolicyError(f"tool {self.name}: invalid JSON Schema: {exc.message}") from None
            validators.append(cls(schema))
        object.__setattr__(self, "_validators", tuple(validators))


@dataclass(frozen=True, slots=True)
class ToolPolicy:
    """The allowlist of tools, with limits on argument size and nesting depth."""

    tools: Mapping[str, ToolRule] = field(default_factory=dict)
    max_arg_bytes: int = 64 * 1024
    max_depth: int = 16
    max_items: int = 10_000

    @classmethod
    def from_rules(cls, *rules: ToolRule, **limits: int) -> ToolPolicy:
        """A policy from rules, keyed by their names."""
        return cls(tools={r.name: r for r in rules}, **limits)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str = "tools") -> ToolPolicy:
        """A policy from configuration (e.g. ``guard.tools`` in ``aisec.yaml``)::

            max_arg_bytes: 65536
            allow:
              - name: fetch
                routes: [/chat]
                args:
                  url: {type: url, required: true, schemes: [https]}
              - name: read_file
                args:
                  path: {type: path, roots: [/srv/data], required: true}
              - name: run
                args:
                  command:
                    type: shell
                    constructs: [pipe]
                    commands:
                      ls: {options: ["-l", "-a", "-la"], operands: path}
                      grep: {options: ["-i", "-n"], operands: text}
                    roots: [/srv/data]

        Every problem is a PolicyError naming its path, e.g. ``tools.allow[1].args.path``.
        """
        if not isinstance(data, Mapping):
            raise PolicyError(f"{where}: expected a mapping")
        unknown = sorted(set(data) - {"allow", "max_arg_bytes", "max_depth", "max_items"})
        if unknown:
            raise PolicyError(f"{where}: unknown key(s) {', '.join(unknown)}")
        limits = {}
        for key in ("max_arg_bytes", "max_depth", "max_items"):
            if key in data:
                value = data[key]
                if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                    raise PolicyError(f"{where}.{key}: expected a positive integer, got {value!r}")
                limits[key] = value
        allow = data.get("allow", [])
        if not isinstance(allow, list):
            raise PolicyError(f"{where}.allow: expected a list of tools")
        rules = [_rule_from_mapping(item, f"{where}.allow[{i}]") for i, item in enumerate(allow)]
        names = [r.name for r in rules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise PolicyError(f"{where}.allow: tool(s) listed twice: {', '.join(dupes)}")
        return cls.from_rules(*rules, **limits)

    def check(self, name: str, arguments: object, ctx: ScanContext) -> list[Finding]:
        """Findings for calling tool ``name`` with ``arguments`` (a mapping or JSON text)."""
        rule = self.tools.get(name) if isinstance(name, str) else None
        if rule is None:
            return [_finding("not_allowed", f"tool {str(name)[:60]!r} is not on the allowlist",
                             str(name)[:60], "")]  # fmt: skip
        if rule.routes is not None and ctx.route not in rule.routes:
            return [_finding("route_denied", f"route {ctx.route!r} may not call it", name, "")]
        if rule.principals is not None and ctx.principal not in rule.principals:
            who = ctx.principal or "anonymous"
            return [_finding("principal_denied", f"{who} may not call it", name, "")]
        args, problem = self._parse(arguments)
        if problem is not None:
            return [_finding(problem.kind, problem.message, name, problem.pointer)]
        if not isinstance(args, dict):  # _parse returns a dict or a problem
            return [_finding("malformed", "arguments must be a JSON object", name, "")]
        findings: list[Finding] = []
        for key in args:
            if key not in rule.args:
                pointer = "/" + _escape(key)
                findings.append(
                    _finding("undeclared", "argument is not declared by the tool", name, pointer)
                )
        for validator in rule._validators:
            for error in list(validator.iter_errors(args))[:5]:
                pointer = "/" + "/".join(_escape(str(p)) for p in error.absolute_path)
                # the schema's constraint, not jsonschema's message: that quotes the value
                expected = json.dumps(error.validator_value, default=str)[:80]
                findings.append(_finding("schema", f"{error.validator} {expected}", name, pointer))
        if findings:
            return findings
        for key, value in args.items():
            findings.extend(_check_arg(rule.args[key], name, "/" + _escape(key), value))
        return findings

    def _parse(self, arguments: object) -> tuple[object, _Problem | None]:
        if isinstance(arguments, str | bytes | bytearray):
            raw = arguments.encode() if isinstance(arguments, str) else bytes(arguments)
            if len(raw) > self.max_arg_bytes:
                return None, _Problem(
                    "size", f"arguments are {len(raw)} bytes > {self.max_arg_bytes}"
                )
            try:
                arguments = json.loads(
                    raw, object_pairs_hook=_no_duplicates, parse_constant=_no_constant
                )
            except _DuplicateKeyError as exc:
                return None, _Problem("duplicate_key", f"key {exc.key[:40]!r} appears twice")
            except (ValueError, RecursionError) as exc:
                return None, _Problem("malformed", f"arguments are not JSON: {type(exc).__name__}")
        if not isinstance(arguments, Mapping):
            return None, _Problem("malformed", "arguments must be a JSON object")
        budget = _Budget(self.max_arg_bytes, self.max_items, self.max_depth)
        return _to_json(arguments, "", 1, budget)


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(key)
        out[key] = value
    return out


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


@dataclass(slots=True)
class _Budget:
    bytes_left: int
    items_left: int
    max_depth: int


def _to_json(
    node: object, pointer: str, depth: int, budget: _Budget
) -> tuple[object, _Problem | None]:
    """A copy of ``node`` made only of JSON values, or the first thing that is not one."""
    if depth > budget.max_depth:
        return None, _Problem("depth", f"arguments nest deeper than {budget.max_depth}", pointer)
    budget.items_left -= 1
    if budget.items_left < 0:
        return None, _Problem("size", "arguments hold too many items", pointer)
    if isinstance(node, os.PathLike) and not isinstance(node, str | bytes):
        node = os.fspath(node)
    # subclasses are read through the base type's own methods: an override of __str__,
    # items() or __iter__ cannot show the check one value and the tool another
    if isinstance(node, str):
        node = str.__add__("", node)
        budget.bytes_left -= len(node) + 2
        if budget.bytes_left < 0:
            return None, _Problem("size", "arguments are too large", pointer)
        return node, None
    if node is None or isinstance(node, bool):
        return None if node is None else node is True, None
    if isinstance(node, int):
        return int.__add__(0, node), None
    if isinstance(node, float):
        number = float.__add__(0.0, node)
        if not math.isfinite(number):
            return None, _Problem("malformed", "a number that is not finite", pointer)
        return number, None
    if isinstance(node, Mapping):
        out: dict[str, object] = {}
        pairs = list(dict.items(node) if isinstance(node, dict) else node.items())
        for key, value in pairs:
            if not isinstance(key, str):
                return None, _Problem("malformed", f"a key of type {type(key).__name__}", pointer)
            key = str.__add__("", key)
            at = f"{pointer}/{_escape(key)}"
            budget.bytes_left -= len(key) + 4
            converted, problem = _to_json(value, at, depth + 1, budget)
            if problem is not None:
                return None, problem
            out[key] = converted
        return out, None
    if isinstance(node, list | tuple):
        items: list[object] = []
        values = list.__iter__(node) if isinstance(node, list) else tuple.__iter__(node)
        for i, value in enumerate(values):
            converted, problem = _to_json(value, f"{pointer}/{i}", depth + 1, budget)
            if problem is not None:
                return None, problem
            items.append(converted)
        return items, None
    kind = type(node).__name__
    return None, _Problem("malformed", f"a value of type {kind[:40]} is not JSON", pointer or "/")


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


_RULE_KEYS = frozenset({"name", "schema", "routes", "principals", "args"})
_ARG_KEYS = frozenset(
    {"type", "required", "schema", "roots", "schemes", "hosts", "allow_private", "sql",
     "statements", "tables", "commands", "constructs", "max_chars"}
)  # fmt: skip


def _rule_from_mapping(item: object, where: str) -> ToolRule:
    if not isinstance(item, Mapping):
        raise PolicyError(f"{where}: expected a mapping with at least a name")
    unknown = sorted(set(item) - _RULE_KEYS)
    if unknown:
        raise PolicyError(
            f"{where}: unknown key(s) {', '.join(map(str, unknown))}; "
            f"expected some of {', '.join(sorted(_RULE_KEYS))}"
        )
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise PolicyError(f"{where}.name: expected a tool name")
    schema = item.get("schema")
    if schema is not None and not isinstance(schema, Mapping):
        raise PolicyError(f"{where}.schema: expected a JSON Schema object")
    args_raw = item.get("args", {})
    if not isinstance(args_raw, Mapping):
        raise PolicyError(f"{where}.args: expected a mapping of argument name to its type")
    args = {
        str(key): _arg_from_mapping(spec, f"{where}.args.{key}") for key, spec in args_raw.items()
    }
    try:
        return ToolRule(
            name=name,
            args=args,
            schema=schema,
            routes=_names(item, "routes", where),
            principals=_names(item, "principals", where),
        )
    except PolicyError as exc:
        raise PolicyError(f"{where}.schema: {exc.message}") from None


def _names(item: Mapping[str, Any], key: str, where: str) -> frozenset[str] | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{where}.{key}: expected a list of strings")
    return frozenset(value)


def _arg_from_mapping(spec: object, where: str) -> ArgSpec:
    if isinstance(spec, str):
        spec = {"type": spec}
    if not isinstance(spec, Mapping):
        raise PolicyError(f"{where}: expected a type name or a mapping with a type")
    unknown = sorted(set(spec) - _ARG_KEYS)
    if unknown:
        raise PolicyError(
            f"{where}: unknown key(s) {', '.join(map(str, unknown))}; "
            f"expected some of {', '.join(sorted(_ARG_KEYS))}"
        )
    kwargs: dict[str, Any] = {"type": spec.get("type")}
    for key in ("required", "allow_private"):
        if key in spec:
            if not isinstance(spec[key], bool):
                raise PolicyError(f"{where}.{key}: expected true or false")
            kwargs[key] = spec[key]
    for key in ("roots", "schemes", "hosts", "statements", "tables"):
        if key in spec:
            value = _names(spec, key, where) or frozenset()
            if key == "roots":
                kwargs[key] = tuple(spec[key])
            elif key in ("schemes", "hosts", "tables"):
                kwargs[key] = frozenset(v.lower().rstrip(".") for v in value)
            else:
                kwargs[key] = frozenset(v.upper() for v in value)
    if "sql" in spec:
        kwargs["sql"] = spec["sql"]
    if "max_chars" in spec:
        value = spec["max_chars"]
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise PolicyError(f"{where}.max_chars: expected a positive integer")
        kwargs["max_chars"] = value
    if "schema" in spec:
        if not isinstance(spec["schema"], Mapping):
            raise PolicyError(f"{where}.schema: expected a JSON Schema object")
        kwargs["schema"] = spec["schema"]
    if spec.get("type") == "shell":
        kwargs["shell"] = ShellSpec.from_mapping(spec, where)
    elif "commands" in spec or "constructs" in spec:
        raise PolicyError(f"{where}: commands and constructs are for shell arguments")
    try:
        return ArgSpec(**kwargs)
    except PolicyError as exc:
        raise PolicyError(f"{where}.{exc.message}") from None


@dataclass(frozen=True, slots=True)
class _Problem:
    kind: str
    message: str
    pointer: str = ""


def check_tool_call(
    name: str, arguments: object, ctx: ScanContext, policy: ToolPolicy | None = None
) -> list[Finding]:
    """Findings for a tool call; the policy is ``policy`` or the one the engine put in
    ``ctx.state["guard.tool_policy"]``. No policy at all means no tool is allowed."""
    if policy is None:
        found = ctx.state.get(POLICY_KEY)
        policy = found if isinstance(found, ToolPolicy) else ToolPolicy()
    return policy.check(name, arguments, ctx)


_TITLES = {
    "not_allowed": ("tool not on the allowlist", Severity.HIGH),
    "route_denied": ("tool not allowed on this route", Severity.HIGH),
    "principal_denied": ("tool not allowed for this principal", Severity.HIGH),
    "size": ("tool arguments too large", Severity.MEDIUM),
    "depth": ("tool arguments nested too deep", Severity.MEDIUM),
    "malformed": ("tool arguments malformed", Severity.MEDIUM),
    "duplicate_key": ("duplicate key in tool arguments", Severity.HIGH),
    "undeclared": ("tool argument not declared", Severity.HIGH),
    "schema": ("tool arguments violate the schema", Severity.MEDIUM),
    "shell_injection": ("command line not allowed in a tool argument", Severity.HIGH),
    "path_traversal": ("path outside the allowed roots in a tool argument", Severity.HIGH),
    "ssrf": ("tool argument targets an internal or unparsable address", Severity.HIGH),
    "sql_injection": ("SQL not allowed in a tool argument", Severity.HIGH),
}


def _finding(kind: str, detail: str, tool: str, pointer: str) -> Finding:
    title, severity = _TITLES[kind]
    return Finding(
        rule_id=f"guard-tools-{kind.replace('_', '-')}",
        title=title,
        severity=severity,
        asset=f"tool:{tool}",
        location=Location(pointer=pointer or None),
        evidence=detail[:160],
        frameworks=FRAMEWORKS,
        remediation="Deny the call; declare the argument's type and allowed values in the "
        "tool policy if it was legitimate.",
    )


# --- checks by declared type -------------------------------------------------------------------


def _check_arg(spec: ArgSpec, tool: str, pointer: str, value: object) -> list[Finding]:
    if spec.type in _JSON_TYPES:
        return []  # the JSON Schema already held it to its type
    if spec.type == "text":
        return [
            _finding("ssrf", reason, tool, at)
            for at, text in _strings(value, pointer)
            for reason in _text_problems(text, spec)
        ][:5]
    if not isinstance(value, str):  # the schema already requires a string here
        return [_finding("schema", "expected a string", tool, pointer)]
    kind, reason = _string_problem(spec, value)
    return [] if reason is None else [_finding(kind, reason, tool, pointer)]


def _string_problem(spec: ArgSpec, value: str) -> tuple[str, str | None]:
    if spec.type == "path":
        return "path_traversal", path_problem(value, spec.roots)
    if spec.type == "url":
        return "ssrf", url_problem(value, spec)
    if spec.type == "host":
        return "ssrf", _host_arg_problem(value, spec)
    if spec.type == "sql":
        if spec.sql == "query":
            reason = check_sql_query(value, spec.statements, spec.tables, spec.max_chars)
        else:
            reason = check_sql_value(value, spec.max_chars)
        return "sql_injection", reason
    if spec.shell is None:  # ArgSpec refuses a shell argument without commands
        return "shell_injection", "no commands are allowed"
    return "shell_injection", check_shell(value, spec.shell, lambda k, w: _operand(spec, k, w))


def _operand(spec: ArgSpec, kind: str, word: str) -> str | None:
    if kind == "path":
        return path_problem(word, spec.roots) if spec.roots else "no allowed root for paths"
    if kind == "url":
        return url_problem(word, spec)
    return _host_arg_problem(word, spec)


def url_problem(value: str, spec: ArgSpec) -> str | None:
    """Why ``value`` may not be fetched under ``spec``, or None."""
    if len(value) > 8192:
        return "URL longer than 8192 characters"
    parsed = parse_url(value)
    if parsed.problem:
        return parsed.problem
    scheme = parsed.scheme or "http"
    if scheme not in spec.schemes:
        return f"scheme {scheme[:20]}: is not one of {', '.join(sorted(spec.schemes))}"
    if not parsed.hosts or not all(parsed.hosts):
        return "URL without a host"
    for host in parsed.hosts:
        reason = host_problem(host, spec.allow_private)
        if reason:
            return reason
        if spec.hosts is not None and not _host_listed(host, spec.hosts):
            return "host is not on the tool's host allowlist"
    return None


def _host_arg_problem(value: str, spec: ArgSpec) -> str | None:
    parsed = parse_url("//" + value.strip())
    if parsed.problem:
        return parsed.problem
    if len(parsed.hosts) != 1 or not parsed.hosts[0]:
        return "not a single host"
    host = parsed.hosts[0]
    reason = host_problem(host, spec.allow_private)
    if reason is None and spec.hosts is not None and not _host_listed(host, spec.hosts):
        return "host is not on the tool's host allowlist"
    return reason


def _host_listed(host: str, allowed: frozenset[str]) -> bool:
    from aisec.guard._tool_net import clean_host

    h = clean_host(host)
    return any(h == a or h.endswith("." + a) for a in allowed)


def _strings(node: object, pointer: str) -> Iterator[tuple[str, str]]:
    """(JSON pointer, text) for every string in ``node``, keys included."""
    if isinstance(node, str):
        yield pointer, node
    elif isinstance(node, Mapping):
        for k, v in node.items():
            at = f"{pointer}/{_escape(str(k))}"
            yield at, str(k)
            yield from _strings(v, at)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _strings(v, f"{pointer}/{i}")


# a URL: with a scheme (one to three slashes or backslashes), or starting with '//'; a bare
# address in prose ("the disk on 10.0.0.5 is full") is not a request for it
_URL_IN_TEXT = re.compile(
    r"(?i)(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,15}:[/\\]{1,3}[^\s\"'<>]{1,2048}"
    r"|(?<![:/\\\w])[/\\]{2}[^\s\"'<>/\\]{1,255}"
)


def _text_problems(text: str, spec: ArgSpec) -> Iterator[str]:
    if "\x00" in text:
        yield "NUL in text"
    if spec.allow_private:
        return
    for m in _URL_IN_TEXT.finditer(text):
        parsed = parse_url(m.group())
        reason = next((r for h in parsed.hosts if h for r in [internal_host(h)] if r), None)
        if reason:
            yield f"{reason} in text"
            return
