"""Secret detection: cloud keys, service tokens, JWTs, private keys, credentials in URLs,
and high-entropy values assigned to key-like names.

Every pattern has a cheap literal pre-filter (``anchor in text``) so a clean 1 KB prompt
costs a handful of substring searches. Evidence shows only a masked prefix and a length.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from aisec.core.findings import Finding, FrameworkRef, Location, Severity
from aisec.guard._scanner import Direction, ScanContext, Scanner, ScanResult
from aisec.guard._spans import non_overlapping

__all__ = ["SecretMatch", "SecretsScanner", "find_secrets", "shannon_entropy"]

FRAMEWORKS = (FrameworkRef("OWASP-LLM", "LLM02:2025"), FrameworkRef("ATLAS", "AML.T0057"))


@dataclass(frozen=True, slots=True)
class SecretMatch:
    """One secret: its kind (rule name), the span of the secret value, and confidence."""

    kind: str
    start: int
    end: int
    score: float


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: str
    title: str
    anchors: tuple[str, ...]  # at least one must occur in the text (case-sensitive)
    pattern: re.Pattern[str]
    group: int = 0  # which group is the secret value
    score: float = 0.95
    min_entropy: float = 0.0


def shannon_entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


_RULES: tuple[_Rule, ...] = (
    _Rule(
        "private_key",
        "private key block",
        ("PRIVATE KEY",),
        re.compile(r"-----BEGIN (?:[A-Z0-9]{1,16} ){0,4}PRIVATE KEY(?: BLOCK)?-----"),
        score=1.0,
    ),
    _Rule(
        "aws_access_key_id",
        "AWS access key id",
        ("AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "APKA"),
        re.compile(
            r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|APKA)[A-Z0-9]{16}(?![A-Z0-9])"
        ),
    ),
    _Rule(
        "aws_secret_access_key",
        "AWS secret access key",
        ("aws", "AWS", "Aws"),
        re.compile(
            r"(?i)aws.{0,20}?(?:secret|sk|private).{0,20}?[\"'=:\s]{1,4}"
            r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
        group=1,
        min_entropy=3.5,
    ),
    _Rule(
        "github_token",
        "GitHub token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        re.compile(r"(?<![\w])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})"),
    ),
    _Rule(
        "gitlab_token",
        "GitLab token",
        ("glpat-", "gldt-", "glrt-", "glptt-", "glft-", "glcbt-", "gloas-", "glimt-"),
        re.compile(r"(?<![\w-])gl(?:pat|dt|rt|ptt|ft|cbt|oas|imt)-[A-Za-z0-9_-]{20,64}(?![\w-])"),
    ),
    _Rule(
        "slack_token",
        "Slack token",
        ("xox", "hooks.slack.com"),
        re.compile(
            r"(?<![\w-])xox[abposr]-(?:\d+-)*[A-Za-z0-9-]{10,200}"
            r"|https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]{20,120}"
        ),
    ),
    _Rule(
        "stripe_key",
        "Stripe secret key",
        ("sk_live_", "rk_live_", "sk_test_", "rk_test_", "whsec_"),
        re.compile(
            r"(?<![\w])(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}|whsec_[A-Za-z0-9+/=]{24,})"
        ),
    ),
    _Rule(
        "google_api_key",
        "Google API key",
        ("AIza", "GOCSPX-"),
        re.compile(r"(?<![\w-])(?:AIza[0-9A-Za-z_-]{35}|GOCSPX-[A-Za-z0-9_-]{28})(?![\w-])"),
    ),
    _Rule(
        "anthropic_key",
        "Anthropic API key",
        ("sk-ant-",),
        re.compile(r"(?<![\w-])sk-ant-(?:api|admin|sid)\d{2}-[A-Za-z0-9_-]{32,200}"),
    ),
    _Rule(
        "openai_key",
        "OpenAI API key",
        ("sk-",),
        re.compile(
            r"(?<![\w-])sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,200}(?![\w-])"
        ),
        min_entropy=3.5,
    ),
    _Rule(
        "azure_storage_key",
        "Azure storage account key",
        ("AccountKey=",),
        re.compile(r"AccountKey=([A-Za-z0-9+/]{86}==)"),
        group=1,
    ),
    _Rule(
        "sendgrid_key",
        "SendGrid API key",
        ("SG.",),
        re.compile(r"(?<![\w.])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![\w-])"),
    ),
    _Rule(
        "twilio_key",
        "Twilio API key",
        ("SK",),
        re.compile(r"(?<![\w])SK[0-9a-f]{32}(?![\w])"),
        min_entropy=3.0,
    ),
    _Rule(
        "npm_token",
        "npm access token",
        ("npm_",),
        re.compile(r"(?<![\w-])npm_[A-Za-z0-9]{36}(?![\w-])"),
        min_entropy=3.5,
    ),
    _Rule(
        "pypi_token",
        "PyPI upload token",
        ("pypi-AgE",),
        re.compile(r"pypi-AgE[A-Za-z0-9_-]{50,1000}"),
    ),
    _Rule(
        "vault_token",
        "HashiCorp Vault token",
        ("hvs.", "hvb."),
        re.compile(r"(?<![\w.])hv[sb]\.[A-Za-z0-9_-]{24,255}(?![\w-])"),
        min_entropy=3.5,
    ),
    _Rule(
        "databricks_token",
        "Databricks token",
        ("dapi",),
        re.compile(r"(?<![\w-])dapi[0-9a-f]{32}(?:-\d)?(?![\w-])"),
        min_entropy=3.0,
    ),
    _Rule(
        "digitalocean_token",
        "DigitalOcean token",
        ("dop_v1_", "doo_v1_", "dor_v1_"),
        re.compile(r"(?<![\w-])do[por]_v1_[0-9a-f]{64}(?![\w-])"),
    ),
    _Rule(
        "shopify_token",
        "Shopify access token",
        ("shpat_", "shpss_", "shpca_", "shppa_"),
        re.compile(r"(?<![\w-])shp(?:at|ss|ca|pa)_[0-9a-fA-F]{32}(?![\w-])"),
    ),
    _Rule(
        "huggingface_token",
        "Hugging Face token",
        ("hf_",),
        re.compile(r"(?<![\w-])hf_[A-Za-z]{34}(?![\w-])"),
        min_entropy=3.5,
    ),
    _Rule(
        "jwt",
        "JSON Web Token",
        ("eyJ",),
        re.compile(
            r"(?<![\w-])eyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{0,2048}"
        ),
        score=0.9,
    ),
)

# A value assigned to a key-like name: `api_key = "..."`, `"secret": "..."`, `token: ...`,
# or a bearer token. Found on the lower-cased text (case-insensitive patterns are an order
# of magnitude slower in ``re``), values taken from the original text at the same offsets.
_HINTS = ("key", "secret", "token", "passw", "pwd", "passphrase", "credential", "bearer")
_KEY_NAME = re.compile(
    r"api[_-]?key|apikey|secret|token|passw(?:or)?d|pwd|passphrase|private[_-]?key|"
    r"access[_-]?key|auth[_-]?key|credentials?|signing[_-]?key|bearer"
)
_ASSIGNMENT_TAIL = re.compile(
    r"[a-z0-9_.-]{0,24}[\"']?\s*(?:[:=]|=>|:=)\s*[\"']?([^\s\"',;}{)(<>]{8,256})"
)
_BEARER_TAIL = re.compile(r"\s+([a-z0-9._~+/=-]{16,1024})")
_PLACEHOLDER_VALUE = re.compile(
    r"(?i)^(?:\$\{?|<|%|\{\{|\*{3}|x{4}|your[_-]|my[_-]|example|changeme|placeholder|redacted|"
    r"dummy|sample|test|none|null|true|false|undefined|password|secret|token|env\b|os\.)"
)
_HEX = re.compile(r"[0-9a-fA-F]+")
_PASSWORD_KEY = re.compile(r"passw|pwd|passphrase")


def _is_placeholder(value: str) -> bool:
    low = value.lower()
    if any(word in low for word in _PLACEHOLDER_WORDS):
        return True  # "mypassword123", "your-secret-here", "<api-token>"
    return _PLACEHOLDER_VALUE.match(value) is not None or len(set(value)) <= 3


_PLACEHOLDER_WORDS = ("password", "passwd", "secret", "token", "example", "placeholder")


def _generic(text: str) -> Iterable[SecretMatch]:
    low = text.lower()
    if len(low) != len(text):  # a few non-ASCII letters grow when lowered: keep offsets
        low = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)
    if not any(h in low for h in _HINTS):
        return
    seen: set[int] = set()
    covered = 0  # a key name inside a value already taken is part of that value
    for key in _KEY_NAME.finditer(low):
        if key.start() < covered:
            continue
        name = key.group()
        if name == "bearer":
            m = _BEARER_TAIL.match(low, key.end())
            if m is None or m.start(1) in seen:
                continue
            start, end = m.span(1)
            seen.add(start)
            covered = end
            value = text[start:end]
            if not _is_placeholder(value) and shannon_entropy(value) >= 3.0:
                yield SecretMatch("bearer_token", start, end, 0.85)
            continue
        m = _ASSIGNMENT_TAIL.match(low, key.end())
        if m is None or m.start(1) in seen:
            continue
        start, end = m.span(1)
        seen.add(start)
        covered = end
        value = text[start:end]
        if _is_placeholder(value) or text[end : end + 1] in ("(", "["):
            continue  # a placeholder, or code: `password = hashlib.sha256(pw)`
        entropy = shannon_entropy(value)
        if _PASSWORD_KEY.search(name):
            # passwords are short and human: any non-trivial value is a credential
            if len(value) >= 8 and entropy >= 2.5:
                yield SecretMatch("password_assignment", start, end, 0.8)
            continue
        if len(value) < 16:
            continue
        hexlike = _HEX.fullmatch(value) is not None
        threshold = 3.0 if hexlike else 3.7
        has_digit = any(ch.isdigit() for ch in value)
        has_alpha = any(ch.isalpha() for ch in value)
        if entropy >= threshold and has_digit and has_alpha:
            yield SecretMatch("high_entropy_assignment", start, end, 0.75)


_SCHEME = re.compile(r"([a-z][a-z0-9+]{1,15})\Z")
_DB_SCHEMES = frozenset(
    {
        "postgres", "postgresql", "mysql", "mariadb", "mongodb", "mongodb+srv", "redis",
        "rediss", "amqp", "amqps", "mssql", "sqlserver", "oracle", "clickhouse",
        "cockroachdb", "snowflake",
    }
)  # fmt: skip
_WEB_SCHEMES = frozenset({"http", "https", "ftp", "ftps", "ssh", "sftp", "git"})
_USERINFO = re.compile(r"[^\s:/@]{0,128}:([^\s@/]{1,256})@[^\s/]")


def _url_credentials(text: str) -> Iterable[SecretMatch]:
    """``scheme://user:password@host``: found from each ``://`` rather than by scanning."""
    at = text.find("://")
    while at != -1:
        scheme = _SCHEME.search(text[max(0, at - 16) : at].lower())
        if scheme is not None:
            name = scheme.group(1).removeprefix("jdbc")
            kind = (
                "connection_string"
                if name in _DB_SCHEMES or text[max(0, at - 20) : at].lower().find("jdbc:") != -1
                else "basic_auth_url"
                if name in _WEB_SCHEMES
                else None
            )
            m = _USERINFO.match(text, at + 3) if kind else None
            if kind and m is not None and not _is_placeholder(m.group(1)):
                yield SecretMatch(kind, m.start(1), m.end(1), 0.95 if kind[0] == "c" else 0.85)
        at = text.find("://", at + 3)


_MAX_PEM = 16 * 1024


def find_secrets(text: str) -> list[SecretMatch]:
    """All secrets in ``text``, sorted by position, not overlapping (specific rules win)."""
    found: list[SecretMatch] = []
    for rule in _RULES:
        if not any(a in text for a in rule.anchors):
            continue
        for m in rule.pattern.finditer(text):
            value = m.group(rule.group)
            if rule.group and _is_placeholder(value):
                continue
            if "EXAMPLE" in value.upper():
                continue  # vendors' documented samples (AKIAIOSFODNN7EXAMPLE) are not leaks
            if rule.min_entropy and shannon_entropy(value) < rule.min_entropy:
                continue
            end = m.end(rule.group)
            if rule.kind == "private_key":  # the block runs to its END line, if near
                close = text.find("-----END ", end, end + _MAX_PEM)
                if close != -1:
                    tail = text.find("-----", close + 9, close + 64)
                    end = tail + 5 if tail != -1 else close
            found.append(SecretMatch(rule.kind, m.start(rule.group), end, rule.score))
    if "://" in text:
        found.extend(_url_credentials(text))
    found.extend(_generic(text))
    # rules are ordered most specific first; the generic ones come last
    return non_overlapping(found)


_TITLES = {r.kind: r.title for r in _RULES} | {
    "connection_string": "connection string with a password",
    "basic_auth_url": "credentials in a URL",
    "password_assignment": "password assigned in text",
    "bearer_token": "bearer token",
    "high_entropy_assignment": "high-entropy value assigned to a key-like name",
}


def _mask(value: str) -> str:
    if value.startswith("-----BEGIN"):
        return value.split("\n", 1)[0][:64]
    shown = min(4, len(value) // 4)
    return f"{value[:shown]}*** ({len(value)} chars)"


class SecretsScanner(Scanner):
    """Flags credentials; in ``redact`` mode replaces each with ``<SECRET:kind>``."""

    name: ClassVar[str] = "secrets"
    default_mode: ClassVar[str] = "redact"
    directions: ClassVar[frozenset[Direction]] = frozenset(
        {Direction.INPUT, Direction.OUTPUT, Direction.DOCUMENT, Direction.TOOL_RESULT}
    )
    supports_redact: ClassVar[bool] = True

    def scan(self, text: str, ctx: ScanContext) -> ScanResult:
        matches = find_secrets(text)
        if not matches:
            if ctx.direction is Direction.OUTPUT:
                return self._disguised(text, ctx)
            return ScanResult(0.0)
        where = "model output" if ctx.direction is Direction.OUTPUT else "text"
        findings = tuple(
            Finding(
                rule_id=f"guard-secrets-{m.kind.replace('_', '-')}",
                title=f"{_TITLES[m.kind]} in {where}",
                severity=Severity.CRITICAL if m.score >= 0.9 else Severity.HIGH,
                asset=ctx.route or "",
                location=Location(offset=m.start, pointer=ctx.direction.value),
                evidence=_mask(text[m.start : m.end]),
                frameworks=FRAMEWORKS,
                remediation="Remove the credential and rotate it: treat it as leaked.",
            )
            for m in matches
        )
        out: list[str] = []
        pos = 0
        for m in matches:
            out.append(text[pos : m.start])
            out.append(f"<SECRET:{m.kind}>")
            pos = m.end
        out.append(text[pos:])
        return ScanResult(max(m.score for m in matches), findings, "".join(out))

    def _disguised(self, text: str, ctx: ScanContext) -> ScanResult:
        """A model talked into leaking a key writes it in fullwidth letters or spells it out
        (``A K I A …``); look again with both undone. Both map back to spans of ``text``,
        so redaction still works."""
        spans = _disguised_spans(text)
        if not spans:
            return ScanResult(0.0)
        findings = tuple(
            Finding(
                rule_id=f"guard-secrets-{kind.replace('_', '-')}",
                title=f"{_TITLES[kind]} in model output, disguised",
                severity=Severity.CRITICAL,
                asset=ctx.route or "",
                location=Location(offset=start, pointer=ctx.direction.value),
                evidence="spelled out or in fullwidth characters",
                frameworks=FRAMEWORKS,
                remediation="Block the response and rotate the credential.",
            )
            for kind, start, _ in spans
        )
        out: list[str] = []
        pos = 0
        for kind, start, end in spans:
            out.append(text[pos:start])
            out.append(f"<SECRET:{kind}>")
            pos = end
        out.append(text[pos:])
        return ScanResult(0.95, findings, "".join(out))


_GENERIC_KINDS = frozenset(
    {"password_assignment", "high_entropy_assignment", "bearer_token", "basic_auth_url"}
)
# 12+ single characters, each followed by one separator: "s k - p r o j - …"
_SPELLED = re.compile(r"(?<!\S)(?:\S[ .,_|]){11,}\S(?!\S)")
# fullwidth ASCII (U+FF01-FF5E) to ASCII, one character for one: offsets stay valid
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}


def _disguised_spans(text: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) of prefixed keys in ``text`` once fullwidth letters are folded
    and spelled-out runs joined; generic key=value rules are left out (too loose here)."""
    folded = text.translate(_FULLWIDTH) if not text.isascii() else text
    found: list[tuple[str, int, int]] = []
    if folded != text:
        found += [
            (m.kind, m.start, m.end) for m in find_secrets(folded) if m.kind not in _GENERIC_KINDS
        ]
    if " " in folded:
        for run in _SPELLED.finditer(folded):
            kinds = [m.kind for m in find_secrets(run.group()[::2]) if m.kind not in _GENERIC_KINDS]
            if kinds:
                found.append((kinds[0], run.start(), run.end()))
    found.sort(key=lambda f: f[1])
    return [f for i, f in enumerate(found) if i == 0 or f[1] >= found[i - 1][2]]
