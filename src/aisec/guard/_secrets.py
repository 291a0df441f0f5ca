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
from typing import Any, ClassVar

from aisec.core.findings import Finding, FrameworkRef, Location, Severity
from aisec.guard._scanner import Direction, ScanContext, Scanner, ScanResult

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
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
            r"(?:[\s\S]{0,8192}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?"
        ),
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
        ("gh", "github_pat_"),
        re.compile(r"(?<![\w])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})"),
    ),
    _Rule(
        "gitlab_token",
        "GitLab token",
        ("gl",),
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
    _Rule(
        "connection_string",
        "connection string with a password",
        ("://",),
        re.compile(
            r"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|"
            r"sqlserver|oracle|jdbc:[a-z]+|clickhouse|cockroachdb|snowflake)"
            r"://[^\s:/@]{0,128}:([^\s@/]{1,256})@[^\s/]+"
        ),
        group=1,
    ),
    _Rule(
        "basic_auth_url",
        "credentials in a URL",
        ("://",),
        re.compile(
            r"(?i)\b(?:https?|ftp|ftps|ssh|sftp|git)://[^\s:/@]{1,128}:([^\s@/]{1,256})@[^\s/]+"
        ),
        group=1,
        score=0.85,
    ),
)

# A value assigned to a key-like name: `api_key = "..."`, `"secret": "..."`, `token: ...`.
_KEYWORDS = re.compile(
    r"(?i)(?:api|secret|token|passw|pwd|private|access|auth|credential|client|bearer|signing)"
)
_ASSIGNED = re.compile(
    r"(?i)(?<![A-Za-z0-9])((?:[a-z0-9_.-]{0,24}[_.-])?(?:api[_-]?key|apikey|secret(?:[_-]?key)?|"
    r"token|passw(?:or)?d|pwd|passphrase|private[_-]?key|access[_-]?key|auth[_-]?key|"
    r"client[_-]?secret|credentials?|signing[_-]?key)(?:[_.-][a-z0-9_]{0,24})?)"
    r"[\"']?\s*(?:[:=]|=>|:=)\s*[\"']?([^\s\"',;}{)(<>]{8,256})"
    r"|\b(?:authorization:\s*)?bearer\s+([A-Za-z0-9._~+/=-]{16,1024})"
)
_PLACEHOLDER_VALUE = re.compile(
    r"(?i)^(?:\$\{?|<|%|\{\{|\*{3}|x{4}|your[_-]|my[_-]|example|changeme|placeholder|redacted|"
    r"dummy|sample|test|none|null|true|false|undefined|password|secret|token|env\b|os\.)"
)
_HEX = re.compile(r"[0-9a-fA-F]+")
_PASSWORD_KEY = re.compile(r"(?i)passw|pwd|passphrase")


def _is_placeholder(value: str) -> bool:
    return _PLACEHOLDER_VALUE.match(value) is not None or len(set(value)) <= 3


def _generic(text: str) -> Iterable[SecretMatch]:
    if _KEYWORDS.search(text) is None:
        return
    for m in _ASSIGNED.finditer(text):
        if m.group(3) is not None:  # bearer token
            value, start = m.group(3), m.start(3)
            if not _is_placeholder(value) and shannon_entropy(value) >= 3.0:
                yield SecretMatch("bearer_token", start, start + len(value), 0.85)
            continue
        value, start = m.group(2), m.start(2)
        password = _PASSWORD_KEY.search(m.group(1)) is not None
        if _is_placeholder(value):
            continue
        entropy = shannon_entropy(value)
        if password:
            # passwords are short and human: any non-trivial value is a credential
            if len(value) >= 8 and entropy >= 2.5:
                yield SecretMatch("password_assignment", start, start + len(value), 0.8)
            continue
        if len(value) < 16:
            continue
        hexlike = _HEX.fullmatch(value) is not None
        threshold = 3.0 if hexlike else 3.7
        has_digit = any(ch.isdigit() for ch in value)
        has_alpha = any(ch.isalpha() for ch in value)
        if entropy >= threshold and has_digit and has_alpha:
            yield SecretMatch("high_entropy_assignment", start, start + len(value), 0.75)


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
            if rule.min_entropy and shannon_entropy(value) < rule.min_entropy:
                continue
            found.append(SecretMatch(rule.kind, m.start(rule.group), m.end(rule.group), rule.score))
    found.extend(_generic(text))
    taken: list[SecretMatch] = []
    for s in found:  # rules are ordered most specific first; the generic ones come last
        if all(s.end <= t.start or s.start >= t.end for t in taken):
            taken.append(s)
    taken.sort(key=lambda s: s.start)
    return taken


_TITLES = {r.kind: r.title for r in _RULES} | {
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
    directions: ClassVar[frozenset[Direction]] = frozenset(
        {Direction.INPUT, Direction.OUTPUT, Direction.DOCUMENT, Direction.TOOL_RESULT}
    )
    supports_redact: ClassVar[bool] = True

    def __init__(self, threshold: float | None = None, **options: Any) -> None:
        super().__init__(threshold, **options)

    def scan(self, text: str, ctx: ScanContext) -> ScanResult:
        matches = find_secrets(text)
        if not matches:
            return ScanResult(0.0)
        where = "model output" if ctx.direction is Direction.OUTPUT else "text"
        findings = tuple(
            Finding(
                rule_id=f"guard.secrets.{m.kind}",
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
