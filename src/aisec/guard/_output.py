"""Output scanners: system-prompt leak (canary tokens, verbatim chunks), link and image
exfiltration, and refusal detection. PII and secret leaks in output are the ``pii`` and
``secrets`` scanners, which also run on the OUTPUT direction.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote, urlsplit

from aisec.core.findings import Finding, FrameworkRef, Location, Severity
from aisec.guard._invisible import HIDDEN_KEY
from aisec.guard._options import number_option, strings_option
from aisec.guard._pii import find_pii
from aisec.guard._scanner import ORIGINAL_TEXT_KEY, Direction, ScanContext, Scanner, ScanResult
from aisec.guard._secrets import shannon_entropy

__all__ = [
    "ExfilLinkScanner",
    "RefusalScanner",
    "SystemPromptLeakScanner",
    "find_exfil_links",
    "insert_canary",
    "make_canary",
]

_LEAK_FRAMEWORKS = (FrameworkRef("OWASP-LLM", "LLM07:2025"), FrameworkRef("ATLAS", "AML.T0056"))
_EXFIL_FRAMEWORKS = (
    FrameworkRef("OWASP-LLM", "LLM05:2025"),
    FrameworkRef("OWASP-LLM", "LLM02:2025"),
    FrameworkRef("ATLAS", "AML.T0057"),
)
_REFUSAL_FRAMEWORKS = (FrameworkRef("ATLAS", "AML.T0054"),)

_CANARY_KEY = "guard.canary"
_PROMPT_KEY = "guard.system_prompt.shingles"
_SHINGLE = 8  # words per shingle for verbatim-leak detection
_WORD = re.compile(r"\w+")
_ROT13 = str.maketrans(
    "abcdefghijklmnopqrstuvwxyz", "nopqrstuvwxyzabcdefghijklm"
)  # the token is lower-case


# --- canary tokens and system-prompt leak -------------------------------------------------


def make_canary() -> str:
    """A fresh random canary token, unlikely to occur in any natural text."""
    return f"cnry-{secrets.token_hex(8)}"


def _shingles(text: str) -> frozenset[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return frozenset(tuple(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1))


def insert_canary(system_prompt: str, ctx: ScanContext) -> str:
    """Return ``system_prompt`` with a new canary token; the token and the prompt's
    fingerprint stay in ``ctx.state`` for :class:`SystemPromptLeakScanner`."""
    canary = make_canary()
    ctx.state[_CANARY_KEY] = canary
    ctx.state[_PROMPT_KEY] = _shingles(system_prompt)
    return f"<!-- {canary} -->\n{system_prompt}"


_MIN_CHUNK = 3
_MAX_GAP = 240
_MAX_GAP_AFTER_LONG = 4000  # after a piece of six or more: halves a paragraph apart


def _in_chunks(view: str, needle: str) -> bool:
    """``needle`` in ``view`` as chunks of at least three characters, in order, each
    starting at most 240 characters after the previous one ended (4000 after a chunk of
    six or more: a random six-character piece does not occur by chance), cut anywhere."""
    start = view.find(needle[:_MIN_CHUNK])
    while start != -1:
        pos, done, run = start, 0, 0
        while done < len(needle):
            if done:
                gap = _MAX_GAP_AFTER_LONG if run >= 6 else _MAX_GAP
                nxt = view.find(needle[done : done + _MIN_CHUNK], pos, pos + gap)
                if nxt == -1 or len(needle) - done < _MIN_CHUNK:
                    break
                pos = nxt
            run = 0
            while done + run < len(needle) and pos + run < len(view):
                if view[pos + run] != needle[done + run]:
                    break
                run += 1
            done += run
            pos += run
        if done >= len(needle):
            return True
        start = view.find(needle[:_MIN_CHUNK], start + 1)
    return False


def _token_in(view: str, token: str) -> bool:
    """``token`` (lower-case hex) in a run-together lower-case view: whole, reversed,
    ROT13 (a-f become n-s), or cut in chunks."""
    for needle in (token, token[::-1], token.translate(_ROT13), token[::-1].translate(_ROT13)):
        if needle in view or _in_chunks(view, needle):
            return True
    return False


def _canary_in(text: str, canary: str) -> bool:
    """True when ``canary`` is in ``text`` through the same normalisation and decoding as
    secrets: look-alikes, invisible or separator characters between its characters, halves
    apart, reversed, ROT13, base64/base32/hex/percent-encoded (wrapped or split)."""
    from aisec.guard._decode import readable_decodings
    from aisec.guard._shadow import joined, shadow

    if canary in text:
        return True
    token = canary.split("-", 1)[1].lower()
    view = shadow(text).text
    run = joined(view).text.lower()
    if _token_in(run, token) or _token_in(run, "cnry" + token):
        return True
    if not text.isascii():
        from aisec.guard._normalise import normalise

        hidden = normalise(text).hidden  # tag characters, variation-selector bytes
        if hidden and _token_in(joined(hidden).text.lower(), token):
            return True
    for _, _, text_, _ in readable_decodings(view):
        decoded = joined(shadow(text_).text).text.lower()
        if _token_in(decoded, token):
            return True
    return False


class SystemPromptLeakScanner(Scanner):
    """Flags model output holding the request's canary (even squashed, reversed, ROT13 or
    base64/hex-encoded) or a long verbatim run of the system prompt.

    Options: ``min_overlap`` (fraction of the prompt's 8-word shingles seen in the output that
    counts as a leak, default 0.3), ``min_shingles`` (absolute count, default 5).
    """

    name: ClassVar[str] = "system_prompt_leak"
    default_mode: ClassVar[str] = "block"
    directions: ClassVar[frozenset[Direction]] = frozenset({Direction.OUTPUT})

    option_names: ClassVar[frozenset[str]] = frozenset({"min_overlap", "min_shingles"})

    def __init__(self, threshold: float | None = None, **options: Any) -> None:
        super().__init__(threshold, **options)
        self.min_overlap = number_option(self.name, options, "min_overlap", 0.3, 0.0, 1.0)
        self.min_shingles = int(number_option(self.name, options, "min_shingles", 5, 1, 1e6))

    def scan(self, text: str, ctx: ScanContext) -> ScanResult:
        findings: list[Finding] = []
        score = 0.0
        canary = ctx.state.get(_CANARY_KEY)
        # text an earlier scanner stripped as invisible (tag characters, selector bytes)
        hidden = ctx.state.get(HIDDEN_KEY, "")
        # and the text before an earlier scanner redacted part of it
        original = ctx.state.get(ORIGINAL_TEXT_KEY, text)
        if isinstance(canary, str) and (
            _canary_in(text, canary)
            or (isinstance(hidden, str) and _canary_in(hidden, canary))
            or (isinstance(original, str) and original != text and _canary_in(original, canary))
        ):
            score = 1.0
            findings.append(
                _leak_finding("guard-output-canary-leak", "canary token of the system prompt", ctx)
            )
        prompt = ctx.state.get(_PROMPT_KEY)
        if isinstance(prompt, frozenset) and prompt:
            from aisec.guard._shadow import shadow

            seen = len(prompt & (_shingles(text) | _shingles(shadow(text).text)))
            if seen >= self.min_shingles or (seen and seen / len(prompt) >= self.min_overlap):
                score = max(score, min(1.0, 0.6 + seen / len(prompt)))
                findings.append(
                    _leak_finding(
                        "guard-output-system-prompt-verbatim",
                        f"verbatim system prompt text ({seen}/{len(prompt)} 8-word runs)",
                        ctx,
                    )
                )
        return ScanResult(score, tuple(findings))


def _leak_finding(rule_id: str, what: str, ctx: ScanContext) -> Finding:
    return Finding(
        rule_id=rule_id,
        title="system prompt leaked in model output",
        severity=Severity.HIGH,
        asset=ctx.route or "",
        location=Location(pointer=ctx.direction.value),
        evidence=what,
        frameworks=_LEAK_FRAMEWORKS,
        remediation="Block the response; keep secrets out of system prompts.",
    )


# --- exfiltration through links and images ------------------------------------------------

# GitHub-flavoured markdown also turns a bare "www.host/..." into a link
_BARE = re.compile(r"(?i)\b(?:(?:https?|ftp)://|www\.)[^\s<>\"')\]]{1,4096}")
_URL_PII = ("PHONE", "CREDIT_CARD", "US_SSN", "IBAN", "EMAIL")
_REDACTED = re.compile(r"<(?:[A-Z]+(?:_[A-Z]+)*_\d{1,6}|SECRET:[a-z_]+)>")
# matched at a value's start; the look-behinds keep a search from restarting inside a run
_B64 = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{16,}+={0,2}\Z")
_HEXRUN = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{24,}+\Z")
_MARKUP = ("](", "]:", "<", "![", "url(", "URL(")
_PARSE = ("]:", "<", "![", "&")  # what only a real parser reads right
_MD_LINK = re.compile(r"\[[^\]\n]{0,500}\]\(\s{0,8}<?([^)\s>]{1,4096})")


@dataclass(frozen=True, slots=True)
class ExfilLink:
    """A URL in the output to a host off the allowlist. ``kind`` is ``image`` for anything
    that loads without a click (markdown or HTML images, frames, media, stylesheets, CSS
    ``url()``, meta refresh) and ``link`` for what needs a click; ``carries_data`` when its
    path or query looks like encoded data rather than an ordinary address."""

    url: str
    host: str
    kind: str  # image | link | bare
    carries_data: bool
    start: int


# attributes that make a browser fetch a URL as the page renders, on any element
_AUTOLOAD_ATTRS = frozenset(
    {
        "src", "srcset", "lowsrc", "dynsrc", "poster", "background", "data", "codebase",
        "archive", "imagesrcset", "xlink:href", "manifest", "profile", "itemtype",
    }
)  # fmt: skip
_CLICK_TAGS = frozenset({"a", "area"})
_CLICK_ATTRS = frozenset({"ping", "action", "formaction", "cite", "longdesc"})
_SCRIPT_URL = re.compile(r"(?i)(?:https?:)?//[^\s'\"`)<>]{1,4096}")
_CSS_URL = re.compile(r"(?i)url\(\s*(?:\"([^\"]{0,4096})\"|'([^']{0,4096})'|([^)\s]{0,4096}))")
_CSS_IMPORT = re.compile(r"(?i)@import\s+(?:\"([^\"]{1,4096})\"|'([^']{1,4096})')")
_CSS_STRING = re.compile(r"(?i)image-set\(([^)]{0,4096})\)")
_REFRESH_URL = re.compile(r"(?i)url\s*=\s*['\"]?([^'\"\s>]{1,4096})")
_QUOTED = re.compile(r"\"([^\"]{1,4096})\"|'([^']{1,4096})'")


def _css_urls(css: str) -> list[str]:
    if "url" not in css.lower() and "@import" not in css.lower() and "image-set" not in css:
        return []
    out = [next(g for g in m.groups() if g is not None) for m in _CSS_URL.finditer(css)]
    out += [m.group(1) or m.group(2) for m in _CSS_IMPORT.finditer(css)]
    for m in _CSS_STRING.finditer(css):
        out += [q.group(1) or q.group(2) for q in _QUOTED.finditer(m.group(1))]
    return out


class _HtmlUrls(HTMLParser):
    """Every URL an HTML fragment names, as (kind, url): ``image`` when it loads on render."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._in_style = False
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        self._in_script = tag == "script"
        values = {k.lower(): v or "" for k, v in attrs}
        for name, value in values.items():
            if name.startswith("on") or (
                name == "href" and value.lower().startswith("javascript:")
            ):
                # script run on load or error fetches what it names without a click
                self.found += [("image", u) for u in _SCRIPT_URL.findall(value)]
            if name == "style":
                self.found += [("image", u) for u in _css_urls(value)]
            elif name == "srcdoc":
                inner = _HtmlUrls()
                _feed(inner, value)
                self.found += [("image", u) for _, u in inner.found]
            elif name in ("srcset", "imagesrcset"):
                for part in value.split(","):
                    url = part.strip().split(" ", 1)[0]
                    if url:
                        self.found.append(("image", url))
            elif name in _AUTOLOAD_ATTRS or (name == "href" and tag not in _CLICK_TAGS):
                self.found.append(("image", value))
            elif name == "href" or name in _CLICK_ATTRS:
                self.found.append(("link", value))
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            m = _REFRESH_URL.search(values.get("content", ""))
            if m:
                self.found.append(("image", m.group(1)))  # navigates without a click

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found += [("image", u) for u in _css_urls(data)]
        if self._in_script:
            self.found += [("image", u) for u in _SCRIPT_URL.findall(data)]


# browsers read markup html.parser does not (``<img/src=...>``): every attribute that names
# a URL in every tag is also taken by this looser reading, and the two are joined
_LOOSE_TAG = re.compile(r"<([A-Za-z][\w:-]{0,30})([^>]{0,4096})")
_LOOSE_ATTR = re.compile(
    r"(?i)[\s/\"'](src|srcset|lowsrc|dynsrc|poster|background|data|codebase|xlink:href|href"
    r"|imagesrcset|action|formaction|ping)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+))"
)
_DATA_MARKUP = re.compile(
    r"(?i)data:(?:text/html|image/svg\+xml|application/xhtml\+xml)[^,]{0,80},"
)
_TICKS = re.compile(r"`+")


def _strip_code_spans(text: str) -> str:
    """``text`` less its code spans: what ``re.sub(r"(`+)[^`].*?\\1", "", text, flags=re.S)``
    gives, in one pass (that pattern searched to the end of the text again from every
    backtick of an unclosed run: quadratic).

    A span opens at a backtick run (or the tail of one) of length m, is followed by one
    character, and closes at the first later run of at least m backticks, taking its first
    m: the regex's leftmost start in a run of length L is the one whose tail length is
    min(L, the longest later run)."""
    runs = [(m.start(), m.end()) for m in _TICKS.finditer(text)]
    longest_after = [0] * (len(runs) + 1)
    for i in range(len(runs) - 1, -1, -1):
        longest_after[i] = max(longest_after[i + 1], runs[i][1] - runs[i][0])
    out: list[str] = []
    pos = 0  # everything before pos is decided (kept in out, or removed)
    i = 0
    while i < len(runs):
        start, end = runs[i]
        start = max(start, pos)
        if end <= start or end >= len(text):  # consumed, or no character after it
            i += 1
            continue
        size = min(end - start, longest_after[i + 1])
        if size == 0:
            i += 1
            continue
        close = i + 1
        while runs[close][1] - runs[close][0] < size:
            close += 1
        out.append(text[pos : end - size])
        pos = runs[close][0] + size
        i = close
    out.append(text[pos:])
    return "".join(out)


def _loose(html: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for tag in _LOOSE_TAG.finditer(html):
        name = tag.group(1).lower()
        for attr in _LOOSE_ATTR.finditer(tag.group(2)):
            key = attr.group(1).lower()
            value = next((g for g in attr.groups()[1:] if g is not None), "")
            value = unescape(value)
            click = key in _CLICK_ATTRS or (key == "href" and name in _CLICK_TAGS)
            urls = (
                [u.strip().split(" ", 1)[0] for u in value.split(",")]
                if "srcset" in key
                else [value]
            )
            found += [("link" if click else "image", u) for u in urls if u]
    return found


def _feed(parser: _HtmlUrls, html: str, depth: int = 0) -> None:
    # one parser is fed every HTML piece of a response: only what this piece added is
    # compared and expanded here (going over all found so far was quadratic in the pieces)
    before = len(parser.found)
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # html.parser's own complaints on broken markup
        parser.found.append(("image", "https://unparsable.invalid/"))
    known = set(parser.found[before:])  # a set: a list searched per URL was quadratic
    parser.found += [u for u in _loose(html) if u not in known]
    if depth < 2:
        # a data: URL of HTML or SVG in a frame or object loads what its markup names
        for kind, url in parser.found[before:]:
            m = _DATA_MARKUP.match(url.strip())
            if kind == "image" and m:
                body = url.strip()[m.end() :]
                if ";base64" in m.group().lower():
                    try:
                        body = base64.b64decode(unquote(body)).decode("utf-8", "replace")
                    except (binascii.Error, ValueError):
                        body = ""
                inner = _HtmlUrls()
                _feed(inner, unquote(body), depth + 1)
                parser.found += [("image", u) for _, u in inner.found]


_MD: Any = None


def _markdown() -> Any:
    global _MD
    if _MD is None:
        from markdown_it import MarkdownIt

        _MD = MarkdownIt("commonmark")
    return _MD


def _urls(text: str) -> list[tuple[str, str]]:
    """(kind, url) of every URL the text would show or load once rendered as CommonMark
    with its raw HTML (the renderer a chat client uses), in document order."""
    found: list[tuple[str, str]] = []
    if not any(m in text for m in _PARSE):
        # no image, HTML or reference definition: only inline links (clicks) can be here
        found = [("link", m.group(1)) for m in _MD_LINK.finditer(text)]
        return found + [("image", u) for u in _css_urls(text)]
    html = _HtmlUrls()
    for token in _markdown().parse(text):
        if token.type == "html_block":
            _feed(html, token.content)
        for child in token.children or ():
            if child.type == "image":
                found.append(("image", str(child.attrs.get("src", ""))))
            elif child.type == "link_open":
                found.append(("link", str(child.attrs.get("href", ""))))
            elif child.type == "html_inline":
                _feed(html, child.content)
        if token.type == "inline" and "<" in token.content:
            # markup CommonMark leaves as text (``<img/src=...>``) that a lenient client
            # would still render; code spans are shown, not rendered
            html.found += _loose(_strip_code_spans(token.content))
    found += html.found
    # CSS outside a style element still loads when a client renders raw HTML loosely
    found += [("image", u) for u in _css_urls(text) if ("image", u) not in found]
    return found


_SPECIAL = ("http", "https", "ftp", "ws", "wss")
_BAD_SCHEMES = ("javascript", "vbscript")


def _absolute(url: str) -> str:
    """The URL a browser would fetch for ``url`` (no base): backslashes read as slashes,
    ``http:/host`` and ``http:host`` as ``http://host``, ``//host`` as https."""
    url = url.strip().replace("\\", "/").replace("%5C", "/").replace("%5c", "/")
    url = "".join(c for c in url if (c.isprintable() and not c.isspace()) or c == " ")
    low = url.lower()
    if low.startswith("//"):
        return "https:" + url
    if low.startswith("www."):
        return "https://" + url
    scheme, sep, rest = url.partition(":")
    if sep and scheme.lower() in _SPECIAL and not rest.startswith("//"):
        return f"{scheme}://{rest.lstrip('/')}"
    return url


def _scheme(url: str) -> str:
    scheme, sep, _ = url.partition(":")
    return scheme.lower() if sep and scheme.isalpha() else ""


# query names that say what rides in the value, however short it is
_SENSITIVE_PARAM = re.compile(
    r"(?i)^(?:pw|pwd|pass|passwd|password|secret|token|api_?key|access_?key|ssn|card|cc|"
    r"cvv|otp|email|phone|session|cookie|auth|creds?|payload|leak|exfil|stolen)$"
)


def _looks_like_data(value: str) -> bool:
    value = unquote(value)
    if len(value) >= 64:
        return True
    if len(value) >= 7 and any(ch.isdigit() for ch in value) and find_pii(value, _URL_PII):
        return True  # a phone number, card or SSN is short but personal
    if len(value) < 16:
        return False
    if _HEXRUN.match(value):
        return True
    if (
        _B64.match(value)
        and any(c.isdigit() for c in value)
        and any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and shannon_entropy(value) >= 3.5
    ):
        return True
    # a sentence or PII stuffed into a parameter
    return len(value.split()) >= 4 or "@" in value or "<" in value


def _carries_data(url: str) -> bool:
    if _REDACTED.search(unquote(url)):
        return True  # a placeholder of redacted PII or a secret is being sent out
    try:
        parts = urlsplit(url)
    except ValueError:
        return True  # a URL Python cannot split is no ordinary address
    params = parse_qsl(parts.query, True)
    if any(_SENSITIVE_PARAM.match(k) and len(v) >= 4 for k, v in params):
        return True  # ?pw=hunter2: a short value under a name that says what it is
    if any(_looks_like_data(v) or _looks_like_data(k) for k, v in params):
        return True
    if parts.fragment and _looks_like_data(parts.fragment):
        return True
    if any(_data_label(label) for label in (parts.hostname or "").split(".")[:-2]):
        return True  # DNS exfiltration: the data rides in a subdomain
    return any(_looks_like_data(seg) for seg in parts.path.split("/"))


def _data_label(label: str) -> bool:
    """A DNS label that reads as encoded data (hex, base32/64), not a name."""
    return (len(label) >= 20 and shannon_entropy(label) >= 3.5) or _looks_like_data(label)


def _site(host: str) -> str:
    """``host`` for evidence: long subdomains (possibly the leaked data) are elided."""
    labels = host.split(".")
    if len(host) <= 40 and not any(_data_label(lb) for lb in labels[:-2]):
        return host
    return "*." + ".".join(labels[-2:])[:60]


def _host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    return any(host == a or host.endswith("." + a) for a in allowed)


def _host_of(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return unquote(host).rstrip(".").lower()


def _redirect_target(url: str, allowed: tuple[str, ...]) -> str | None:
    """The first URL in ``url``'s query to a host off the allowlist (open redirects such
    as ``https://www.google.com/url?q=https://evil/...``), or None."""
    try:
        query = urlsplit(url).query
    except ValueError:
        return None
    for _, value in parse_qsl(query, keep_blank_values=True):
        inner = value.strip()
        if inner[:7].lower() in ("http://", "https:/") or inner.startswith("//"):
            target = "https:" + inner if inner.startswith("//") else inner
            host = _host_of(target)
            if host and not _host_allowed(host, allowed):
                return target
    return None


_MAX_RESCANS = 64


def find_exfil_links(text: str, allowed_hosts: tuple[str, ...] = ()) -> list[ExfilLink]:
    """URLs in ``text`` (markdown images and links, reference definitions, raw HTML and CSS,
    bare links) whose host is not ``allowed_hosts`` or a subdomain of one; ``kind`` says
    whether it loads without a click. ``javascript:`` URLs count as off the list."""
    if not any(m in text for m in _MARKUP) and "//" not in text and "www." not in text.lower():
        return []
    found: dict[tuple[str, str], ExfilLink] = {}
    urls = _urls(text) if any(m in text for m in _MARKUP) else []
    marked = len(urls)
    urls += [("bare", m.group()) for m in _BARE.finditer(text)]
    # where each URL is: both lists are in document order, so each is looked for from where
    # the one before it was (a search from the text's start for each of many URLs was
    # quadratic); one not found there (its text was unescaped) is looked for from the start,
    # a bounded number of times, else its offset is 0
    cursor = 0
    rescans = 0
    for index, (kind, raw) in enumerate(urls):
        if index == marked:
            cursor = 0
        url = _absolute(raw)
        scheme = _scheme(url)
        if scheme in _BAD_SCHEMES:
            host = scheme
        else:
            if scheme not in _SPECIAL:
                continue  # relative, data:, mailto: ...: nothing is fetched from another host
            host = _host_of(url)
            if host and _host_allowed(host, allowed_hosts):
                # an allowed host may redirect: judge the URL it is told to forward to
                url = _redirect_target(url, allowed_hosts) or url
                host = _host_of(url)
                if _host_allowed(host, allowed_hosts):
                    continue
            host = host or "(no host)"
        key = (kind, url)
        if key in found or any(
            (k, url) in found for k in ("image", "link")[: 1 + (kind == "bare")]
        ):
            continue
        start = text.find(raw[:40], cursor) if raw else -1
        if start < 0 and raw and rescans < _MAX_RESCANS:
            rescans += 1
            start = text.find(raw[:40])
        cursor = max(cursor, start)
        found[key] = ExfilLink(url, host, kind, _carries_data(url), max(start, 0))
    return sorted(found.values(), key=lambda x: x.start)


class ExfilLinkScanner(Scanner):
    """Blocks URLs in model output that load without a click (images, frames, media, CSS,
    meta refresh) to any host off ``allowed_hosts`` (default: none), whether or not they
    seem to carry data; links that need a click are flagged when they carry data.

    Scores: auto-loading 0.95, link carrying data 0.75, bare URL carrying data 0.6.
    Option ``allowed_hosts``: list of hosts (subdomains included).
    """

    name: ClassVar[str] = "exfil_links"
    default_mode: ClassVar[str] = "block"
    default_threshold: ClassVar[float] = 0.7
    directions: ClassVar[frozenset[Direction]] = frozenset({Direction.OUTPUT})

    option_names: ClassVar[frozenset[str]] = frozenset({"allowed_hosts"})

    def __init__(self, threshold: float | None = None, **options: Any) -> None:
        super().__init__(threshold, **options)
        hosts = strings_option(self.name, options, "allowed_hosts")
        self.allowed_hosts = tuple(h.lower().strip(".") for h in hosts)

    def scan(self, text: str, ctx: ScanContext) -> ScanResult:
        score = 0.0
        findings: list[Finding] = []
        for link in find_exfil_links(text, self.allowed_hosts):
            if link.kind == "image":
                s = 0.95
            elif link.carries_data or link.host in _BAD_SCHEMES:
                s = 0.75 if link.kind == "link" else 0.6
            else:
                continue
            score = max(score, s)
            data = " carrying data" if link.carries_data else ""
            what = {"image": "auto-loading URL", "link": "link"}.get(link.kind, "bare URL")
            findings.append(
                Finding(
                    rule_id=f"guard-output-exfil-{link.kind}",
                    title=f"{what} to unlisted host{data}",
                    severity=Severity.HIGH if s >= 0.75 else Severity.MEDIUM,
                    asset=ctx.route or "",
                    location=Location(offset=link.start, pointer=ctx.direction.value),
                    evidence=f"host {_site(link.host)}, url {len(link.url)} chars",
                    frameworks=_EXFIL_FRAMEWORKS,
                    remediation="Strip the link or add the host to exfil_links.allowed_hosts.",
                )
            )
        return ScanResult(score, tuple(findings))


# --- refusals ---------------------------------------------------------------------------------

# matched on the lower-cased text: case-insensitive alternations are slow in ``re``
_Q = "['\u2019]"  # models write both straight and curly apostrophes
_CANT = rf"(?:can{_Q}?t|cannot|can not|won{_Q}t|will\s+not)"
_REFUSAL = re.compile(
    rf"\b(?:i(?:{_Q}m|\s+am)\s+(?:sorry|afraid),?\s+(?:but\s+)?i\s+(?:{_CANT}|am\s+(?:not\s+able|unable))"
    rf"|i\s+(?:{_CANT}|am\s+(?:not\s+able|unable)\s+to)\s+"
    r"(?:help|assist|provide|comply|fulfil+|do\s+that|share|create|generate|support|engage)"
    rf"|as\s+an\s+ai(?:\s+language\s+model)?,?\s+i\s+(?:{_CANT}|don{_Q}t|do\s+not)"
    r"|(?:against|violates?)\s+(?:my|our|the)\s+(?:guidelines|policies|policy|usage\s+polic)"
    r"|i\s+must\s+(?:decline|refuse)|not\s+able\s+to\s+(?:help|assist)\s+with\s+(?:that|this))"
)


class RefusalScanner(Scanner):
    """Signals that the model refused (a monitoring signal; run it in ``detect`` mode).

    Score 0.9 when the refusal opens the response, 0.6 when it comes later.
    """

    name: ClassVar[str] = "refusal"
    directions: ClassVar[frozenset[Direction]] = frozenset({Direction.OUTPUT})
    default_mode: ClassVar[str] = "detect"

    def scan(self, text: str, ctx: ScanContext) -> ScanResult:
        m = _REFUSAL.search(text.lower())
        if m is None:
            return ScanResult(0.0)
        score = 0.9 if m.start() < 200 else 0.6
        finding = Finding(
            rule_id="guard-output-refusal",
            title="model refused the request",
            severity=Severity.INFO,
            asset=ctx.route or "",
            location=Location(offset=m.start(), pointer=ctx.direction.value),
            evidence=text[m.start() : m.end()][:60],
            frameworks=_REFUSAL_FRAMEWORKS,
            remediation="A signal, not a block: watch refusal rates for jailbreak campaigns.",
        )
        return ScanResult(score, (finding,))
