"""Secret detection: cloud keys, service tokens, JWTs, private keys, credentials in URLs,
and high-entropy values assigned to key-like names.

Every pattern has a cheap literal pre-filter (``anchor in text``) so a clean 1 KB prompt
costs a handful of substring searches. Evidence shows only a masked prefix and a length.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, ClassVar

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
        ("PRIVATE", "private", "Private"),
        # dashes, spacing and case vary in hand-made or mangled headers
        re.compile(
            r"(?i)(?:-{2,5}[ \t]{0,3}(?=B))?BEGIN[ \t]{1,3}(?:[A-Z0-9]{1,16}[ \t]{1,3}){0,4}"
            r"PRIVATE[ \t]{1,3}KEY(?:[ \t]{1,3}BLOCK)?(?:[ \t]{0,3}-{2,5})?"
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
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        re.compile(r"(?<![\w])(?:gh[pousr]_[A-Za-z0-9]{36,4096}|github_pat_[A-Za-z0-9_]{60,4096})"),
    ),
    _Rule(
        "gitlab_token",
        "GitLab token",
        ("glpat-", "gldt-", "glrt-", "glptt-", "glft-", "glcbt-", "gloas-", "glimt-"),
        re.compile(r"(?<![\w-])gl(?:pat|dt|rt|ptt|ft|cbt|oas|imt)-[A-Za-z0-9_-]{20,4096}(?![\w-])"),
    ),
    _Rule(
        "slack_token",
        "Slack token",
        ("xox", "hooks.slack.com"),
        re.compile(
            r"(?<![\w-])xox[abposr]-(?:\d+-)*[A-Za-z0-9-]{10,4096}"
            r"|https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]{20,4096}"
        ),
    ),
    _Rule(
        "stripe_key",
        "Stripe secret key",
        ("sk_live_", "rk_live_", "sk_test_", "rk_test_", "whsec_"),
        re.compile(
            r"(?<![\w])(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,4096}|whsec_[A-Za-z0-9+/=]{24,})"
        ),
    ),
    _Rule(
        "google_api_key",
        "Google API key",
        ("AIza", "GOCSPX-"),
        re.compile(
            r"(?<![\w-])(?:AIza[0-9A-Za-z_-]{35,4096}|GOCSPX-[A-Za-z0-9_-]{28,4096})(?![\w-])"
        ),
    ),
    _Rule(
        "anthropic_key",
        "Anthropic API key",
        ("sk-ant-",),
        re.compile(r"(?<![\w-])sk-ant-(?:api|admin|sid)\d{2}-[A-Za-z0-9_-]{32,4096}"),
    ),
    _Rule(
        "openai_key",
        "OpenAI API key",
        ("sk-",),
        re.compile(
            r"(?<![\w-])sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,4096}(?![\w-])"
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
        re.compile(r"(?<![\w-])npm_[A-Za-z0-9]{36,4096}(?![\w-])"),
        min_entropy=3.5,
    ),
    _Rule(
        "pypi_token",
        "PyPI upload token",
        ("pypi-AgE",),
        re.compile(r"pypi-AgE[A-Za-z0-9_-]{50,4096}"),
    ),
    _Rule(
        "vault_token",
        "HashiCorp Vault token",
        ("hvs.", "hvb."),
        re.compile(r"(?<![\w.])hv[sb]\.[A-Za-z0-9_-]{24,4096}(?![\w-])"),
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
        re.compile(r"(?<![\w-])hf_[A-Za-z]{34,4096}(?![\w-])"),
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
    r"api[ _-]?key|apikey|secret|token|passw(?:or)?d|pwd|passphrase|private[ _-]?key|"
    r"access[ _-]?key|auth[ _-]?key|credentials?|signing[ _-]?key|bearer"
)
# the value runs to its closing quote, or unquoted to the next whitespace: every character
# of a password counts (``Tr0ub4dor;3xQ!zz``), and a long key is taken whole
# ("Secret access key: ...": a label may hold spaces; an escaped quote does not end a value)
_ASSIGNMENT_TAIL = re.compile(
    # matched right after a key name, which ends in a letter: the look-behind keeps a search
    # from restarting at every character of a long run of spaces
    r"(?<=[a-z])(?:[a-z0-9_.-]|(?<=[a-z]) (?=[a-z])){0,24}[\"']?\s*(?:[:=]|=>|:=)\s*"
    r"(?:\"((?:[^\"\\\n]|\\.){6,4096})\"|'((?:[^'\\\n]|\\.){6,4096})'|`([^`\n]{6,4096})`"
    r"|([^\s\"'`]{6,4096}))"
)
# "the password is X", "password was: X"
_IS_TAIL = re.compile(r"\s{1,3}(?:is|was|=)\s{1,3}:?\s{0,3}[\"'`]?([^\s\"'`]{6,256})")
_TRAILING = ".,;:)]}>"
_CALL = re.compile(r"[\w.\[\]\"']{1,80}\(")
_BEARER_TAIL = re.compile(r"(?<!\s)\s++([a-z0-9._~+/=-]{16,1024})")
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
        group = next((g for g in (1, 2, 3, 4) if m is not None and m.group(g) is not None), 0)
        if m is None and _PASSWORD_KEY.search(name):
            m = _IS_TAIL.match(low, key.end())
            group = 1
        if m is None or m.start(group) in seen:
            continue
        start, end = m.span(group)
        if group == 4 or m.re is _IS_TAIL:  # unquoted: closing punctuation is not the value
            while end > start and low[end - 1] in _TRAILING:
                end -= 1
        seen.add(start)
        covered = end
        value = text[start:end]
        if _is_placeholder(value) or _CALL.match(value) or value.endswith(("(", "[")):
            continue  # a placeholder, or code: `password = hashlib.sha256(pw)`
        entropy = shannon_entropy(value)
        if _PASSWORD_KEY.search(name):
            # passwords are short and human: any non-trivial value is a credential
            mixed = any(c.isdigit() for c in value) or not value.isalpha()
            if m.re is _IS_TAIL and not (mixed and any(c.isalpha() for c in value)):
                continue  # "the password is required"
            if len(value) >= 6 and entropy >= 2.3 and (mixed or len(value) >= 10):
                yield SecretMatch("password_assignment", start, end, 0.8)
            continue
        if len(value) < 16 or " " in value:
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
# the authority of a URL up to its path; a password may hold '@', ':' or '/': the host is
# what follows the last '@' of the whitespace-delimited token that still reads as a host
_TOKEN = re.compile(r"(?:[^\s\"'<>`]|<[A-Z]+(?:_[A-Z]+)*_\d{1,6}>){1,2048}")
# a host, or the placeholder a PII scanner that ran first put in its place (<IP_ADDRESS_1>)
# (matched right after an '@'; the look-behind keeps a search from re-reading a run of
# host characters from every position in it)
_HOST_AFTER = re.compile(
    r"(?<![A-Za-z0-9.-])"
    r"(?:[A-Za-z0-9.-]{1,253}|<[A-Z]+(?:_[A-Z]+)*_\d{1,6}>)(?::\d{1,5})?(?=[/?#,\s\"'<>`]|$)"
)


def _url_credentials(text: str) -> Iterable[SecretMatch]:
    """``scheme://user:password@host``: found from each ``://`` rather than by scanning."""
    at = text.find("://")
    while at != -1:
        scheme = _SCHEME.search(text[max(0, at - 16) : at].lower())
        token = _TOKEN.match(text, at + 3) if scheme is not None else None
        if scheme is not None and token is not None:
            name = scheme.group(1).removeprefix("jdbc")
            kind = (
                "connection_string"
                if name in _DB_SCHEMES or text[max(0, at - 20) : at].lower().find("jdbc:") != -1
                else "basic_auth_url"
                if name in _WEB_SCHEMES
                else None
            )
            value = token.group()
            cut = value.rfind("@")
            while cut > 0 and not _HOST_AFTER.match(value, cut + 1):
                cut = value.rfind("@", 0, cut)
            colon = value.find(":", 0, cut) if cut > 0 else -1
            if kind and colon != -1 and cut - colon > 1:
                start, end = token.start() + colon + 1, token.start() + cut
                if not _is_placeholder(text[start:end]):
                    yield SecretMatch(kind, start, end, 0.95 if kind[0] == "c" else 0.85)
        at = text.find("://", at + 3)


# the END line of a key block, however it is spelled; without one the block runs to the end
_PEM_END = re.compile(
    r"(?i)(?<!-)-{2,}[ \t]{0,3}E[ \t]?N[ \t]?D\b[^\n]{0,80}"
    r"|\bEND[ \t]{1,3}[^\n]{0,40}KEY[^\n]{0,20}"
)
# a token runs on over these characters: a match cut short by a length bound is extended
_TOKEN_TAIL = re.compile(r"[A-Za-z0-9_+/=-]*")
_JWT_TAIL = re.compile(r"[A-Za-z0-9_+/=.-]*")
_NO_EXTEND = frozenset({"private_key", "aws_secret_access_key", "azure_storage_key"})


def _pem_end(text: str, start: int) -> int:
    """Where the key block that begins before ``start`` ends: after its END line, or at the
    end of the text when there is none (truncated or streamed output)."""
    close = _PEM_END.search(text, start)
    return close.end() if close is not None else len(text)


def find_secrets(text: str, generic: bool = True) -> list[SecretMatch]:
    """All secrets in ``text``, sorted by position, not overlapping (specific rules win);
    ``generic=False`` leaves out credentials in URLs and values assigned to key-like names."""
    found: list[SecretMatch] = []
    for rule in _RULES:
        if not any(a in text for a in rule.anchors):
            continue
        for m in rule.pattern.finditer(text):
            value = m.group(rule.group)
            if rule.group and _is_placeholder(value):
                continue
            if "EXAMPLE" in value.upper() and rule.kind != "private_key":
                continue  # vendors' documented samples (AKIAIOSFODNN7EXAMPLE) are not leaks
            if rule.min_entropy and shannon_entropy(value) < rule.min_entropy:
                continue
            end = m.end(rule.group)
            if rule.kind == "private_key":
                if not (text[m.start()] == "-" or text[end - 1 : end] == "-"):
                    continue  # "begin with the private key" in prose: a header has dashes
                end = _pem_end(text, end)
            elif rule.kind not in _NO_EXTEND:
                more = (_JWT_TAIL if rule.kind == "jwt" else _TOKEN_TAIL).match(text, end)
                end = more.end() if more else end  # past a length bound: the whole token
            found.append(SecretMatch(rule.kind, m.start(rule.group), end, rule.score))
    if generic and "://" in text:
        found.extend(_url_credentials(text))
    if generic:
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
        {
            Direction.INPUT,
            Direction.OUTPUT,
            Direction.DOCUMENT,
            Direction.TOOL_RESULT,
            Direction.SYSTEM,
        }
    )
    supports_redact: ClassVar[bool] = True

    def scan(self, text: str, ctx: ScanContext) -> ScanResult:
        if ctx.direction is Direction.OUTPUT:
            matches = find_secrets_deep(text)
        else:
            matches = find_secrets(text)
        if not matches:
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


# --- output: secrets disguised by formatting, look-alikes and encodings ----------------------
#
# ``find_secrets_deep`` runs the rules on the original, on its shadow (NFKC, look-alikes,
# invisible characters dropped), on the run-together letters and digits of the shadow (a key
# spelled out, wrapped over lines, split over table cells or JSON items), on the reversed and
# ROT13 shadow, and on the decodings of encoded runs; every hit maps back to a span of the
# original, and overlapping spans are merged so redaction removes the whole value.

# (kind, prefix, body) on the joined letters-and-digits view; separators are gone there
_JOINED_RULES: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (kind, re.compile(prefix), re.compile(body))
    for kind, prefix, body in (
        (
            "aws_access_key_id",
            r"(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|APKA)",
            r"[A-Z0-9]{16}",
        ),
        ("github_token", r"gh[pousr]", r"[A-Za-z0-9]{36,4096}"),
        ("github_token", r"githubpat", r"[A-Za-z0-9]{50,4096}"),
        ("gitlab_token", r"gl(?:pat|dt|rt|ptt|ft|cbt|oas|imt)", r"[A-Za-z0-9]{20,4096}"),
        ("slack_token", r"xox[abposr]", r"[A-Za-z0-9]{20,4096}"),
        ("stripe_key", r"(?:sk|rk)(?:live|test)", r"[A-Za-z0-9]{16,4096}"),
        ("google_api_key", r"AIza", r"[0-9A-Za-z]{30,4096}"),
        ("anthropic_key", r"skant(?:api|admin|sid)\d\d", r"[A-Za-z0-9]{30,4096}"),
        ("openai_key", r"sk(?:proj|svcacct|admin)?", r"[A-Za-z0-9]{20,4096}"),
        ("sendgrid_key", r"SG", r"[A-Za-z0-9]{60,4096}"),
        ("npm_token", r"npm", r"[A-Za-z0-9]{36,4096}"),
        ("pypi_token", r"pypiAgE", r"[A-Za-z0-9]{50,4096}"),
        ("vault_token", r"hv[sb]", r"[A-Za-z0-9]{24,4096}"),
        ("databricks_token", r"dapi", r"[0-9a-f]{32,4096}"),
        ("digitalocean_token", r"do[por]v1", r"[0-9a-f]{64,4096}"),
        ("shopify_token", r"shp(?:at|ss|ca|pa)", r"[0-9a-fA-F]{32,4096}"),
        ("huggingface_token", r"hf", r"[A-Za-z]{34,4096}"),
        ("jwt", r"eyJ", r"[A-Za-z0-9]{16,8192}"),
        ("twilio_key", r"SK", r"[0-9a-f]{32,4096}"),
    )
)
_JOINED_PREFIX = re.compile("|".join(f"(?:{p.pattern})" for _, p, _ in _JOINED_RULES))
# every prefix above, at the start of a word, with anything short between its characters:
# where a run-together key may begin
_GAP = r"[^A-Za-z0-9]{0,8}"


def _spread(prefix: str) -> str:
    parts = re.findall(r"\[[^\]]+\]|\(\?:[^)]+\)|\\d|.", prefix)
    return _GAP.join(parts)


_JOINED_START = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    + "|".join(
        _spread(p)
        for p in (
            "AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "APKA",
            "gh[pousr]", "gl[pdrfcoi]", "xox", "[sr]k", "AIza", "SG", "SK", "npm", "pypi",
            "hv[sb]", "dapi", "do[por]", "shp", "hf", "eyJ",
        )
    )
    + ")"
)  # fmt: skip
_GENERIC = frozenset(
    {"password_assignment", "high_entropy_assignment", "bearer_token", "basic_auth_url"}
)
_ROT13 = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm",
)
# DER of a private key: SEQUENCE, then INTEGER version 0 or 1 (a certificate or a public key
# starts SEQUENCE, SEQUENCE); OpenSSH's own format names itself
_DER_KEY = re.compile(rb"\x30(?:\x82..|\x81.|[\x00-\x7f])\x02\x01[\x00\x01]", re.DOTALL)


def _wordlike(fragment: str) -> bool:
    """A fragment that reads as an ordinary word: the end of a run-together key."""
    return len(fragment) >= 3 and fragment.isalpha() and (fragment.islower() or fragment.istitle())


def _joined_secrets(view: str) -> Iterable[tuple[str, int, int]]:
    """(kind, start, end) in ``view`` (a shadow) of prefixed keys whose characters are
    separated by anything short: spaces, dashes, dots, invisible characters, line breaks,
    table pipes, JSON quotes and commas. Looked at only from where a prefix's first two
    characters begin a word, however they are separated."""
    from aisec.guard._shadow import joined

    # markup between the parts (<td>, <b>) and list markers ("2. ") separate like spaces
    if "<" in view:
        view = _TAGS.sub(_blank, view)
    if "\n" in view:
        view = _LIST_MARKER.sub(_blank, view)
    covered = 0
    for hit in _JOINED_START.finditer(view):
        if hit.start() < covered:
            continue
        # a first look that stops at the first word; the long one only when a prefix fits
        first = joined(view, hit.start(), hit.start() + 16_384, _wordlike, 0)
        if not _JOINED_PREFIX.match(first.text):
            continue
        # a short window first: the long one (16 KB) only when what was read reached the
        # short one's last fragment (a long look from every hit was quadratic)
        for window in (1_024, 16_384):
            j = joined(view, hit.start(), hit.start() + window, _wordlike, 9)
            results = list(_joined_at(j, view))
            if j.complete or j.touched[0] < len(j.starts) - 1:
                break
        for found in results:
            covered = max(covered, found[2])
            yield found


def _joined_at(j: Any, view: str) -> Iterable[tuple[str, int, int]]:
    q = j.text
    n = len(j.starts)
    for kind, prefix, body in _JOINED_RULES:
        m = prefix.match(q)
        if m is None:
            continue
        last = j.fragment_at(m.end() - 1)
        frag_end = j.starts[last + 1] if last + 1 < n else len(q)
        straddled = j.fragment(last)
        plain = not any(c.isdigit() for c in straddled) and not straddled.isupper()
        if frag_end > m.end() and (_wordlike(straddled) or plain):
            continue  # "skip", "Skynet": a word that merely starts like a prefix
        k = last + 1
        while k < n and not j.breaks[k] and not _wordlike(j.fragment(k)):
            k += 1
        limit = j.starts[k] if k < n else len(q)
        b = body.match(q, m.end(), limit)
        if b is None:
            hit = _across_words(j, kind, body, m.start(), m.end(), k)
            if hit is not None:
                yield hit
                return
            continue
        value = q[m.end() : b.end()]
        if len(set(value)) < 6 or "EXAMPLE" in value.upper():
            continue
        cut = j.fragment_at(b.end() - 1)
        if b.end() != (j.starts[cut + 1] if cut + 1 < n else len(q)):
            continue  # a key ends where a fragment ends ("ASIAN MARKETS REPORT 2024")
        if kind in ("openai_key", "jwt", "sendgrid_key") and not (
            any(c.isdigit() for c in value) and shannon_entropy(value) >= 3.5
        ):
            continue
        end_frag = _continued(j, view, j.fragment_at(b.end() - 1))
        end = j.starts[end_frag + 1] if end_frag + 1 < n else len(q)
        yield (kind, *j.shadow_span(m.start(), end))
        return


# (a placeholder put in by a scanner that ran first, <CREDIT_CARD_1>, stays: it is part of
# what is being spelled out)
_TAGS = re.compile(r"<(?![A-Z]+(?:_[A-Z]+)*_\d{1,6}>|SECRET:)/?[A-Za-z][^<>\n]{0,60}>")
_LONG_TOKEN = re.compile(r"[A-Za-z0-9_+/=.-]{16,}")
_LIST_MARKER = re.compile(r"(?m)^[ \t]{0,8}(?:\d{1,3}[.)]|[-*+])[ \t]+")


def _blank(m: re.Match[str]) -> str:
    return " " * len(m.group())


_URL_GLUE = re.compile(r"[:/@=?&#<>]")


def _continued(j: Any, view: str, last: int) -> int:
    """The last fragment of a key whose rest follows a few words later ("... and the second
    half is ..."): key-like chunks of eight or more characters within eight words of prose
    (a URL, an assignment or markup between them ends the key)."""
    n = len(j.starts)
    k = last + 1
    skipped = 0
    while k < n and skipped <= 8 and not j.breaks[k]:
        if _URL_GLUE.search(view, j.spans[k - 1][1], j.spans[k][0]):
            break
        frag = j.fragment(k)
        if len(frag) >= 8 and _keylike(frag) and shannon_entropy(frag) >= 3.0:
            last = k
            skipped = 0
        else:
            skipped += 1
        k += 1
    return last


def _keylike(fragment: str) -> bool:
    """A chunk of a random key: long enough, with digits or mixed case."""
    has_digit = any(c.isdigit() for c in fragment)
    mixed = not fragment.isupper() and not fragment.islower()
    return len(fragment) >= 4 and (has_digit or mixed) and not fragment.istitle()


_BODY_SHAPE = re.compile(r"(\[[^\]]+\])\{\d+,(\d+)\}")
# each joined rule's body is one character class repeated up to a length: a value with a
# character outside it, or longer, never becomes that body however much is added to it
_BODY_LIMITS: dict[str, tuple[re.Pattern[str], int]] = {
    body.pattern: (re.compile(m.group(1) + "*"), int(m.group(2)))
    for _, _, body in _JOINED_RULES
    if (m := _BODY_SHAPE.fullmatch(body.pattern)) is not None
}


def _never_body(body: re.Pattern[str], value: str) -> bool:
    limits = _BODY_LIMITS.get(body.pattern)
    return limits is not None and (len(value) > limits[1] or not limits[0].fullmatch(value))


def _across_words(
    j: Any, kind: str, body: re.Pattern[str], start: int, body_start: int, k: int
) -> tuple[str, int, int] | None:
    """A key cut in parts with a few words between them ("the first half is ... and the
    second half is ..."): the key-like chunks after the prefix, skipping up to eight
    ordinary words, read together."""
    n = len(j.starts)
    value = j.text[body_start : j.starts[k] if k < n else len(j.text)]
    if len(value) < 6 and body_start - start < 3:
        return None  # a two-letter prefix ("sk", "hf") followed by words is prose
    last = k - 1
    skipped = 0
    if _never_body(body, value):
        return None
    while k < n and skipped <= 8 and not j.breaks[k]:
        frag = j.fragment(k)
        if _keylike(frag):
            value += frag
            last = k
            skipped = 0
            if _never_body(body, value):
                # it only grows: the check below would fail (reading on to the end of a
                # 16 KB window from every "use", ROT13 "hfr", was quadratic)
                return None
        else:
            skipped += 1
        k += 1
        if body.fullmatch(value) and len(value) >= 20:
            break
    if last < 0 or body.fullmatch(value) is None or shannon_entropy(value) < 3.5:
        return None
    end = j.starts[last + 1] if last + 1 < n else len(j.text)
    return (kind, *j.shadow_span(start, end))


def _der_private_key(data: bytes) -> bool:
    """The decoded body of a private key: DER (PKCS#1/#8, SEC1), OpenSSH's format, or an
    OpenPGP secret-key packet (old-format tag 5, version 4, a public-key algorithm)."""
    if data.startswith(b"openssh-key-v1") or _DER_KEY.match(data) is not None:
        return True
    if len(data) < 12 or data[0] not in (0x94, 0x95, 0x96):
        return False
    header = 1 + (1, 2, 4)[data[0] & 3]
    return data[header] == 4 and data[header + 5] in (1, 16, 17, 18, 19, 22)


def find_secrets_deep(text: str) -> list[SecretMatch]:
    """:func:`find_secrets` and the disguised forms (see above), as merged spans of ``text``."""
    from aisec.guard._decode import readable_decodings
    from aisec.guard._shadow import shadow

    found = list(find_secrets(text))
    sh = shadow(text)
    view = sh.text
    if not sh.identity:
        found += [
            SecretMatch(m.kind, *sh.span(m.start, m.end), m.score) for m in find_secrets(view)
        ]
    for kind, start, end in _joined_secrets(view):
        found.append(SecretMatch(kind, *sh.span(start, end), 0.95))
    # a key written backwards or in ROT13 is one long token: read those tokens, joined by
    # line breaks, turned back (rather than search two more whole copies of the text)
    tokens = list(_LONG_TOKEN.finditer(view))
    if tokens:
        starts = list(accumulate((len(t.group()) + 1 for t in tokens[:-1]), initial=0))
        packed = "\n".join(t.group() for t in tokens)
        size = len(packed)

        def back(pos: int) -> int:  # packed offset -> view offset
            i = bisect_right(starts, pos) - 1
            return tokens[i].start() + min(pos - starts[i], len(tokens[i].group()))

        for m in find_secrets(packed[::-1], generic=False):
            found.append(
                SecretMatch(m.kind, *sh.span(back(size - m.end), back(size - m.start)), m.score)
            )
        for m in find_secrets(packed.translate(_ROT13), generic=False):
            found.append(SecretMatch(m.kind, *sh.span(back(m.start), back(m.end)), m.score))
    n = len(view)
    for kind, start, end in _joined_secrets(view[::-1]):  # ... or spelled out
        found.append(SecretMatch(kind, *sh.span(n - end, n - start), 0.95))
    rot = view.translate(_ROT13)
    if rot != view:
        for kind, start, end in _joined_secrets(rot):
            found.append(SecretMatch(kind, *sh.span(start, end), 0.95))
    for start, end, decoded, data in readable_decodings(view):
        kind = "private_key" if _der_private_key(data) else ""
        if not kind and not _textual(data):
            continue
        if not kind:
            inner = [m for m in find_secrets(decoded) if m.kind not in _GENERIC or "=" in decoded]
            inner += [SecretMatch(k, s, e, 0.9) for k, s, e in _joined_secrets(decoded)]
            kind = inner[0].kind if inner else ""
        if kind:
            found.append(SecretMatch(kind, *sh.span(start, end), 0.95))
    return merge_spans(found)


def _textual(data: bytes) -> bool:
    from aisec.guard._decode import Encoded

    return Encoded("", 0, 0, data).textual


def merge_spans(found: list[SecretMatch]) -> list[SecretMatch]:
    """Overlapping or touching matches merged into one (the highest score names it)."""
    out: list[SecretMatch] = []
    for m in sorted(found, key=lambda x: (x.start, -x.end)):
        if out and m.start < out[-1].end:
            last = out[-1]
            best = last if last.score >= m.score else m
            out[-1] = SecretMatch(best.kind, last.start, max(last.end, m.end), best.score)
        else:
            out.append(m)
    return out
