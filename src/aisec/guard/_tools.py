"""Tool-call policy: which tools a route or principal may call, with which arguments.

A call is checked in order: the tool is on the allowlist for this route and principal;
its arguments parse within size and depth limits; they validate against the tool's JSON
Schema; and every string argument is free of deny patterns (shell metacharacters and
command substitution, path traversal, SSRF targets, SQL) unless the tool declares that
argument as one where such text is expected (``shell_args``, ``sql_args``, ``url_args``
with ``allow_private_urls``...). Unknown tools are denied: the policy fails closed.
"""

from __future__ import annotations

import ipaddress
import json
import posixpath
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from aisec.core.errors import PolicyError
from aisec.core.findings import Finding, FrameworkRef, Location, Severity
from aisec.guard._scanner import ScanContext

__all__ = ["ToolPolicy", "ToolRule", "check_tool_call", "internal_host"]

FRAMEWORKS = (FrameworkRef("OWASP-LLM", "LLM06:2025"), FrameworkRef("OWASP-AGENTIC", "ASI02:2026"))
POLICY_KEY = "guard.tool_policy"


@dataclass(frozen=True, slots=True)
class ToolRule:
    """What one tool may be called with.

    ``routes`` / ``principals``: who may call it (None = anyone). ``schema``: JSON Schema of
    the arguments object. ``path_root``: the only directory path arguments may point into.
    ``shell_args`` / ``sql_args`` / ``text_args``: argument names exempt from the shell /
    SQL / all pattern checks. ``allow_private_urls``: allow loopback and private hosts.
    """

    name: str
    schema: Mapping[str, Any] | None = None
    routes: frozenset[str] | None = None
    principals: frozenset[str] | None = None
    path_root: str | None = None
    shell_args: frozenset[str] = frozenset()
    sql_args: frozenset[str] = frozenset()
    text_args: frozenset[str] = frozenset()
    allow_private_urls: bool = False
    _validator: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.schema is None:
            return
        import jsonschema

        try:
            cls = jsonschema.validators.validator_for(self.schema)
            cls.check_schema(dict(self.schema))
        except jsonschema.SchemaError as exc:
            raise PolicyError(f"tool {self.name}: invalid JSON Schema: {exc.message}") from None
        object.__setattr__(self, "_validator", cls(self.schema))


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
        """A policy from configuration (e.g. a section of ``aisec.yaml``)::

            max_arg_bytes: 65536
            allow:
              - name: fetch
                routes: [/chat]
                schema: {type: object, properties: {url: {type: string}}}
              - name: read_file
                path_root: /srv/data

        Every problem is a PolicyError naming its path, e.g. ``tools.allow[1].routes``.
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
        """Findings for calling tool ``name`` with ``arguments`` (a dict or a JSON string)."""
        rule = self.tools.get(name)
        if rule is None:
            return [_finding("not_allowed", f"tool {name!r} is not on the allowlist", name, "")]
        if rule.routes is not None and ctx.route not in rule.routes:
            return [_finding("route_denied", f"route {ctx.route!r} may not call it", name, "")]
        if rule.principals is not None and ctx.principal not in rule.principals:
            who = ctx.principal or "anonymous"
            return [_finding("principal_denied", f"{who} may not call it", name, "")]
        args, problem = self._parse(arguments)
        if problem is not None:
            return [problem.with_tool(name)]
        findings: list[Finding] = []
        if rule._validator is not None:
            for error in list(rule._validator.iter_errors(args))[:5]:
                pointer = "/" + "/".join(str(p) for p in error.absolute_path)
                # the schema's constraint, not jsonschema's message: that quotes the value
                expected = json.dumps(error.validator_value, default=str)[:80]
                detail = f"{error.validator} {expected}"
                findings.append(_finding("schema", detail, name, pointer))
        for pointer, key, value in _strings(args):
            findings.extend(_check_value(rule, name, pointer, key, value))
        return findings

    def _parse(self, arguments: object) -> tuple[object, _Problem | None]:
        if isinstance(arguments, str | bytes):
            raw = arguments.encode() if isinstance(arguments, str) else arguments
            if len(raw) > self.max_arg_bytes:
                return None, _Problem(
                    "size", f"arguments are {len(raw)} bytes > {self.max_arg_bytes}"
                )
            try:
                arguments = json.loads(raw)
            except (ValueError, RecursionError) as exc:
                return None, _Problem("malformed", f"arguments are not JSON: {type(exc).__name__}")
        size = 0
        stack: list[tuple[object, int]] = [(arguments, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > self.max_depth:
                return None, _Problem("depth", f"arguments nest deeper than {self.max_depth}")
            if isinstance(node, Mapping):
                size += len(node)
                stack.extend((v, depth + 1) for v in node.values())
                stack.extend((k, depth + 1) for k in node)
            elif isinstance(node, list | tuple):
                size += len(node)
                stack.extend((v, depth + 1) for v in node)
            elif isinstance(node, str):
                size += len(node) // 64
            if size > self.max_items:
                return None, _Problem("size", "arguments hold too many items")
        if not isinstance(arguments, Mapping):
            return None, _Problem("malformed", "arguments must be a JSON object")
        return arguments, None


_RULE_KEYS = frozenset(
    {"name", "schema", "routes", "principals", "path_root", "shell_args", "sql_args",
     "text_args", "allow_private_urls"}
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

    def names(key: str) -> frozenset[str] | None:
        value = item.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise PolicyError(f"{where}.{key}: expected a list of strings")
        return frozenset(value)

    schema = item.get("schema")
    if schema is not None and not isinstance(schema, Mapping):
        raise PolicyError(f"{where}.schema: expected a JSON Schema object")
    root = item.get("path_root")
    if root is not None and (not isinstance(root, str) or not root.startswith("/")):
        raise PolicyError(f"{where}.path_root: expected an absolute path")
    private = item.get("allow_private_urls", False)
    if not isinstance(private, bool):
        raise PolicyError(f"{where}.allow_private_urls: expected true or false")
    try:
        return ToolRule(
            name=name,
            schema=schema,
            routes=names("routes"),
            principals=names("principals"),
            path_root=root,
            shell_args=names("shell_args") or frozenset(),
            sql_args=names("sql_args") or frozenset(),
            text_args=names("text_args") or frozenset(),
            allow_private_urls=private,
        )
    except PolicyError as exc:
        raise PolicyError(f"{where}.schema: {exc.message}") from None


@dataclass(frozen=True, slots=True)
class _Problem:
    kind: str
    message: str

    def with_tool(self, tool: str) -> Finding:
        return _finding(self.kind, self.message, tool, "")


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
    "schema": ("tool arguments violate the schema", Severity.MEDIUM),
    "shell_injection": ("shell metacharacters in a tool argument", Severity.HIGH),
    "path_traversal": ("path traversal in a tool argument", Severity.HIGH),
    "ssrf": ("tool argument targets an internal address", Severity.HIGH),
    "sql_injection": ("SQL in a tool argument", Severity.HIGH),
}


def _finding(kind: str, detail: str, tool: str, pointer: str, evidence: str = "") -> Finding:
    title, severity = _TITLES[kind]
    return Finding(
        rule_id=f"guard-tools-{kind.replace('_', '-')}",
        title=title,
        severity=severity,
        asset=f"tool:{tool}",
        location=Location(pointer=pointer or None),
        evidence=(evidence or detail)[:160],
        frameworks=FRAMEWORKS,
        remediation="Deny the call; tighten the tool's schema or allowlist if it was legitimate.",
    )


def _strings(node: object, pointer: str = "", key: str = "") -> Iterator[tuple[str, str, str]]:
    """(JSON pointer, nearest key name, value) for every string leaf."""
    if isinstance(node, str):
        yield pointer or "/", key, node
    elif isinstance(node, Mapping):
        for k, v in node.items():
            esc = str(k).replace("~", "~0").replace("/", "~1")
            yield f"{pointer}/{esc}", "", str(k)  # a key is model-chosen text too
            yield from _strings(v, f"{pointer}/{esc}", str(k))
    elif isinstance(node, list | tuple):
        for i, v in enumerate(node):
            yield from _strings(v, f"{pointer}/{i}", key)


# --- deny patterns -------------------------------------------------------------------------

_SHELL_CMDS = (
    r"(?:rm|curl|wget|nc|ncat|netcat|bash|sh|zsh|dash|ksh|python[23]?|perl|ruby|php|node|"
    r"chmod|chown|cat|echo|id|whoami|uname|ls|cp|mv|dd|mkfifo|telnet|ssh|scp|base64|eval|"
    r"exec|sudo|su|kill|powershell|pwsh|cmd|certutil|crontab|nohup|xargs|tee|touch|env|"
    r"printf|sleep|ping|nslookup|dig|awk|sed|find|tar|socat|openssl)"
)
_SHELL = re.compile(
    r"\$\([^)]{0,500}\)|`[^`]{1,500}`|\$\{[A-Za-z_][^}]{0,100}\}|\$IFS\b"
    r"|(?:;|&&|\|\||\||&)\s*(?:[\w./-]*/)?" + _SHELL_CMDS + r"\b"
    r"|[<>]\s*/(?:dev|etc|tmp|proc)/|>\s*&\s*\d|<\(|\bIFS="
    # a newline starts a new command only for a shell: flag a command with shell-like args
    r"|[\r\n]\s*(?:[\w./-]*/)?" + _SHELL_CMDS + r"[ \t]+(?:-|/|~|\$|\.|https?:|>)"
)
_TRAVERSAL = re.compile(r"(?:^|[\\/])\.\.(?:[\\/]|$)|\x00")
_SENSITIVE_PATH = re.compile(
    r"(?i)^(?:/etc/|/proc/|/sys/|/root/|/var/run/|/dev/|~/?\.|/home/[^/]+/\.|"
    r"[a-z]:[\\/](?:windows|users[\\/][^\\/]+[\\/]appdata)|\\\\)"
)
_PATH_KEY = re.compile(r"(?i)path|file|dir|folder|dest|src|source|target|location|name")
_URL_IN_TEXT = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]{1,15}:)?//[^\s\"'<>]{1,2048}")
_HOST_KEY = re.compile(r"(?i)(?:host|hostname|domain|server|ip|address|addr|endpoint|target)\Z")
_DANGEROUS_SCHEMES = frozenset(
    {"file", "gopher", "dict", "ldap", "ldaps", "tftp", "jar", "netdoc", "php", "expect", "phar"}
)
_METADATA_HOSTS = frozenset(
    {
        "metadata.google.internal",
        "metadata.goog",
        "metadata",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.com",
        "kubernetes.default",
        "kubernetes.default.svc",
        "localhost",
        "localhost.localdomain",
        "ip6-localhost",
        "ip6-loopback",
        "localtest.me",
        "lvh.me",
        "vcap.me",
    }
)
_WILDCARD_DNS = re.compile(
    r"(?i)(?:^|[.-])((?:\d{1,3}[.-]){3}\d{1,3}|[0-9a-f]{8})\.(?:nip\.io|sslip\.io|xip\.io)$"
)
_SQL = re.compile(
    r"(?i)\bunion\b(?:\s|/\*.{0,200}?\*/)+(?:all\b(?:\s|/\*.{0,200}?\*/)+)?select\b"
    r"|'\s*(?:or|and)\s+(?:'[^']*'|\d+|\w+)\s*(?:=|like|<|>)\s*(?:'[^']*|\d+|\w+)"
    r"|'\s*(?:or|and)\s+(?:true|false|sleep\s*\()"
    r"|;\s*(?:drop|delete|truncate|alter|insert|update|create|exec|execute|shutdown|grant)\s"
    r"|'\s*;\s*(?:--|#|$)|'\s*(?:--|#)\s*$|'\s*\)\s*(?:--|#)|\bor\s+1\s*=\s*1\b"
    r"|\b(?:sleep|pg_sleep|benchmark)\s*\(\s*\d|\bwaitfor\s+delay\b|\bxp_cmdshell\b"
    r"|\binformation_schema\b|\bload_file\s*\(|\binto\s+(?:out|dump)file\b"
)


def _decoded_forms(value: str) -> list[str]:
    """``value``, its URL-decodings (double encoding included, overlong '/' folded) and
    the NFKC form of the last one (fullwidth dots and slash are '../' to many file and URL
    APIs)."""
    forms = [value]
    current = value
    for _ in range(3):
        if "%" not in current:
            break
        nxt = unquote(current.replace("%c0%af", "/").replace("%C0%AF", "/"))
        if nxt == current:
            break
        forms.append(nxt)
        current = nxt
    if not current.isascii():
        folded = _fold(current)
        if folded != current:
            forms.append(folded)
    return forms


def _fold(text: str) -> str:
    """NFKC plus the dots IDNA treats as '.'."""
    return unicodedata.normalize("NFKC", text).replace("\u3002", ".").replace("\uff61", ".")


def _parse_ipv4_loose(host: str) -> ipaddress.IPv4Address | None:
    """inet_aton's forms: 2130706433, 0x7f000001, 0177.0.0.1, 127.1, 0x7f.1."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(parts):
        return None
    nums: list[int] = []
    for part in parts:
        p = part.lower()
        try:
            if p.startswith("0x"):
                nums.append(int(p[2:] or "0", 16))
            elif len(p) > 1 and p.startswith("0"):
                nums.append(int(p, 8))
            else:
                nums.append(int(p, 10))
        except ValueError:
            return None
    *head, last = nums
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(nums)):
        return None
    value = 0
    for n in head:
        value = value * 256 + n
    value = value * 256 ** (5 - len(nums)) + last
    return ipaddress.IPv4Address(value)


def _internal_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return _internal_ip(mapped)
        if ip in ipaddress.IPv6Network("64:ff9b::/96"):  # NAT64 embeds an IPv4
            return _internal_ip(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.packed[:12] == bytes(12) and int(ip) > 1:  # deprecated IPv4-compatible
            return _internal_ip(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    common = (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_unspecified
        or ip.is_reserved
        or ip.is_multicast
    )
    if isinstance(ip, ipaddress.IPv4Address):
        # CGNAT space also holds Alibaba's metadata service, 100.100.100.200
        return common or ip in _CGNAT
    return common or ip.is_site_local


_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")


def internal_host(host: str) -> str | None:
    """Why ``host`` (a name or any IP spelling) is internal, or None if it looks public."""
    h = _fold(unquote(host)).strip().strip("[]").rstrip(".").lower()
    if "%" in h:  # IPv6 zone id
        h = h.split("%", 1)[0]
    if not h:
        return None
    if h in _METADATA_HOSTS or h.endswith((".localhost", ".internal", ".local", ".localtest.me")):
        return f"internal name {h}"
    wild = _WILDCARD_DNS.search(h)
    if wild:
        inner = wild.group(1)
        ip4 = (
            _parse_ipv4_loose(inner.replace("-", "."))
            if "." in inner or "-" in inner
            else ipaddress.IPv4Address(int(inner, 16))
        )
        if ip4 is not None and _internal_ip(ip4):
            return f"wildcard DNS name for {ip4}"
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        ip = _parse_ipv4_loose(h) if re.fullmatch(r"[0-9a-fx.]+", h) else None
    if ip is not None and _internal_ip(ip):
        return f"internal address {ip}"
    return None


def _urls(key: str, value: str) -> Iterator[tuple[str, str]]:
    """(scheme, host) of URLs in ``value``, and the value itself when the key names a host."""
    for form in _decoded_forms(value):
        for m in _URL_IN_TEXT.finditer(form.replace("\\", "/")):
            url = m.group()
            try:
                parts = urlsplit(url)
                host = parts.hostname or ""
            except ValueError:
                host, parts = "", None
            scheme = parts.scheme.lower() if parts is not None else ""
            # WHATWG parsers cut the authority at '\\', '?' and '#', some at '@' - take both
            authority = url.split("//", 1)[1].split("/", 1)[0]
            yield scheme, host
            if "@" in authority:
                yield scheme, authority.rsplit("@", 1)[1].split(":")[0]
                yield scheme, authority.split("@", 1)[0].split(":")[0]
        if _HOST_KEY.match(key) and "//" not in form:
            yield "", form.split("/", 1)[0].rsplit(":", 1)[0] if form.count(":") == 1 else form
        scheme_only = re.match(r"(?i)^\s*([a-z][a-z0-9+.-]{1,15}):", form)
        if scheme_only and scheme_only.group(1).lower() in _DANGEROUS_SCHEMES:
            yield scheme_only.group(1).lower(), ""


def _check_value(rule: ToolRule, tool: str, pointer: str, key: str, value: str) -> list[Finding]:
    if key in rule.text_args:
        return []
    out: list[Finding] = []
    forms = _decoded_forms(value)
    if key not in rule.shell_args:
        for form in forms:
            m = _SHELL.search(form)
            if m:
                out.append(_finding("shell_injection", "", tool, pointer, f"{m.group()[:40]!r}"))
                break
    for form in forms:
        if _TRAVERSAL.search(form):
            out.append(_finding("path_traversal", "", tool, pointer, "'..' or NUL in a path"))
            break
        pathlike = _PATH_KEY.search(key) is not None or form.startswith(("/", "~", "\\"))
        if pathlike and "://" not in form:
            if _SENSITIVE_PATH.match(form):
                out.append(_finding("path_traversal", "", tool, pointer, "sensitive system path"))
                break
            absolute = form.startswith("/") or re.match(r"[A-Za-z]:", form) is not None
            if rule.path_root is not None and absolute and _PATH_KEY.search(key):
                root = posixpath.normpath(rule.path_root)
                full = posixpath.normpath(form.replace("\\", "/"))
                if full != root and not full.startswith(root.rstrip("/") + "/"):
                    out.append(
                        _finding("path_traversal", "", tool, pointer, f"outside {rule.path_root}")
                    )
                    break
    if not rule.allow_private_urls:
        for scheme, host in _urls(key, value):
            if scheme in _DANGEROUS_SCHEMES:
                out.append(_finding("ssrf", "", tool, pointer, f"scheme {scheme}:"))
                break
            reason = internal_host(host) if host else None
            if reason:
                out.append(_finding("ssrf", "", tool, pointer, reason))
                break
    if key not in rule.sql_args:
        for form in forms:
            m = _SQL.search(form)
            if m:
                out.append(_finding("sql_injection", "", tool, pointer, f"{m.group()[:40]!r}"))
                break
    return out
