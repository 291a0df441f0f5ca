"""Find payloads hidden in encodings (base64, base32, hex, rot13 and other Caesar shifts,
reversed text, letter-by-letter spelling, URL and unicode escapes) and decode them, within
limits, so the injection scanner can rescan what the model would read.

Limits: at most ``MAX_PAYLOADS`` decoded payloads per text, ``MAX_DECODED_CHARS`` decoded
characters in all, ``MAX_DEPTH`` nested layers (base64 of hex of ...). Candidates that do not
decode to readable text are ignored, so random tokens and hashes cost little.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import html
import re
import string
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

__all__ = ["MAX_DECODED_CHARS", "MAX_DEPTH", "MAX_PAYLOADS", "Decoded", "decode_payloads"]

MAX_PAYLOADS = 16
MAX_DECODED_CHARS = 65_536
MAX_DEPTH = 3
_MAX_CANDIDATE = 65_536

_FUNCTION_WORDS = (" the ", " and ", " to ", " of ", " is ", " you ", " a ", " in ", " for ",
                   " that ", " it ", " on ", " with ", " are ", " this ")  # fmt: skip
_LONG_TOKEN = re.compile(r"\S{16,}")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_HEX_RUN = re.compile(r"(?:0x)?[0-9a-fA-F]{16,}")
_HEX_SPACED = re.compile(r"(?:[0-9a-fA-F]{2}[ :]){7,}[0-9a-fA-F]{2}")
_HEX_ESCAPES = re.compile(r"(?:\\x[0-9a-fA-F]{2}){4,}")
_URL_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_UNICODE_ESCAPES = re.compile(r"(?:\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8}){3,}")
_HTML_ENTITIES = re.compile(r"(?:&#(?:x[0-9a-fA-F]{1,6}|[0-9]{1,7});){3,}")
_ROT13_HINTS = ("rot13", "rot-13", "rot 13", "caesar", "cipher", "decode", "decrypt", "rotate")
_BASE32 = re.compile(r"[A-Z2-7]{16,}={0,6}")
_SPACED_RUN = re.compile(r"(?<![A-Za-z])(?:[A-Za-z][ .\-_*]{1,3}){5,}[A-Za-z](?![A-Za-z])")
_SPACED_GAP = re.compile(r"[^A-Za-z]+")
# _HEX_SPACED matches exactly where the text mapped by _HEX_CLASSES (hex digit -> "h",
# " " or ":" -> "s", the letters h and s -> "x") holds _HEX_SPACED_CLASSES: a str.find
# that tells prose without one from the rest before the regex tries every position
_HEX_CLASSES = str.maketrans(
    {**dict.fromkeys("0123456789abcdefABCDEF", "h"), " ": "s", ":": "s", "h": "x", "s": "x"}
)
_HEX_SPACED_CLASSES = "hhs" * 7 + "hh"
# the same for _SPACED_RUN: ASCII letter -> "L", a separator of a spaced run -> "s"
_SPACED_CLASSES = str.maketrans(
    {**dict.fromkeys(string.ascii_letters, "L"), **dict.fromkeys(" .-_*", "s")}
)
_SPACED_PAIRS = ("sLsLs", "sLssLs", "sLsssLs")
_REVERSED_HINTS = ("revers", "backward", "right to left", "mirror")
_ENCODED_AGAIN = re.compile(r"[A-Za-z0-9+/_=-]{16,}|(?:[0-9a-fA-F]{2}[ :]?){8,}")
_EDGE_CHARS = "\"'`()[]{}<>.,;:!?*"
_COMMON = frozenset(
    [
        "the",
        "and",
        "you",
        "your",
        "to",
        "of",
        "a",
        "in",
        "is",
        "it",
        "that",
        "for",
        "all",
        "are",
        "be",
        "this",
        "with",
        "now",
        "as",
        "not",
        "on",
        "or",
        "ignore",
        "instructions",
        "previous",
        "system",
        "prompt",
        "tell",
        "me",
        "say",
        "what",
        "from",
        "any",
        "do",
        "i",
    ]
)


@dataclass(frozen=True, slots=True)
class Decoded:
    """One decoded payload: how it was encoded, where it starts, and its text."""

    encoding: str
    offset: int
    text: str


def _readable(text: str) -> bool:
    """True when ``text`` looks like natural-language text rather than binary noise."""
    if len(text) < 6:
        return False
    printable = sum(c.isprintable() or c in "\n\r\t" for c in text)
    if printable < 0.95 * len(text):
        return False
    letters = sum(c.isalpha() for c in text)
    return letters >= 0.5 * len(text.replace(" ", "")) and " " in text.strip()


def _b64(candidate: str) -> str | None:
    raw = candidate.rstrip("=")
    if len(raw) % 4 == 1:
        return None
    padded = raw + "=" * (-len(raw) % 4)
    try:
        if "-" in raw or "_" in raw:
            data = base64.urlsafe_b64decode(padded)
        else:
            data = base64.b64decode(padded, validate=True)
        return data.decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _hex(candidate: str) -> str | None:
    digits = re.sub(r"[^0-9a-fA-F]", "", candidate)
    if len(digits) % 2:
        return None
    try:
        return bytes.fromhex(digits).decode("utf-8")
    except ValueError:
        return None


def _b32(candidate: str) -> str | None:
    body = candidate.rstrip("=")
    pad = {2: 6, 4: 4, 5: 3, 7: 1}.get(len(body) % 8, 0)
    try:
        return base64.b32decode(body + "=" * pad).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _unspace(run: str) -> str:
    """Letters spelt one by one ("b y p a s s   t h e"): the commonest gap joins letters,
    any other gap (a longer run of spaces, another separator) separates words."""
    gaps = _SPACED_GAP.findall(run)
    common = max(set(gaps), key=gaps.count)
    return _SPACED_GAP.sub(lambda m: "" if m.group(0) == common else " ", run)


def _shift(text: str, k: int) -> str:
    return text.translate(_SHIFTS[k])


_LOWER = "abcdefghijklmnopqrstuvwxyz"
_SHIFTS = [
    str.maketrans(
        _LOWER + _LOWER.upper(),
        _LOWER[k:] + _LOWER[:k] + (_LOWER[k:] + _LOWER[:k]).upper(),
    )
    for k in range(26)
]


def _english_score(text: str) -> float:
    words = text.lower().split()
    if not words:
        return 0.0
    return sum(w.strip(_EDGE_CHARS) in _COMMON for w in words) / len(words)


def _layer(text: str) -> list[Decoded]:
    """Decode one layer of every encoding found in ``text``."""
    out: list[Decoded] = []
    offset = 0
    # str.split() and the regexes' \s agree on whitespace; a C-speed split and length
    # check spare ordinary prose the per-position regex scans below
    long_tokens = max(map(len, text.split()), default=0) >= 16
    for token in _LONG_TOKEN.findall(text) if long_tokens else ():
        offset = text.find(token, offset)
        cand = token.strip(_EDGE_CHARS)
        if len(cand) > _MAX_CANDIDATE:
            continue
        if _HEX_RUN.fullmatch(cand):
            dec = _hex(cand.removeprefix("0x"))
            if dec is not None and (_readable(dec) or _ENCODED_AGAIN.fullmatch(dec)):
                out.append(Decoded("hex", offset, dec))
                continue
        if _BASE32.fullmatch(cand):
            dec = _b32(cand)
            if dec is not None and (_readable(dec) or _ENCODED_AGAIN.fullmatch(dec)):
                out.append(Decoded("base32", offset, dec))
                continue
        if _BASE64.fullmatch(cand) and not (cand.isalpha() and cand.islower()):
            dec = _b64(cand)
            if dec is not None and (_readable(dec) or _ENCODED_AGAIN.fullmatch(dec)):
                out.append(Decoded("base64", offset, dec))
    spaced_hex = text.translate(_HEX_CLASSES).find(_HEX_SPACED_CLASSES) >= 0
    for m in _HEX_SPACED.finditer(text) if spaced_hex else ():
        dec = _hex(m.group(0)[:_MAX_CANDIDATE])
        if dec is not None and _readable(dec):
            out.append(Decoded("hex", m.start(), dec))
    if "\\x" in text:
        for m in _HEX_ESCAPES.finditer(text):
            dec = _hex(m.group(0)[:_MAX_CANDIDATE].replace("\\x", ""))
            if dec is not None and _readable(dec):
                out.append(Decoded("hex", m.start(), dec))
    if "%" in text:
        first = _URL_ESCAPE.search(text)
        if first and len(_URL_ESCAPE.findall(text, first.start(), first.start() + 4096)) >= 3:
            dec = unquote(text[:_MAX_CANDIDATE])
            if dec != text:
                out.append(Decoded("url", first.start(), dec))
    if "\\u" in text or "\\U" in text:
        esc = _UNICODE_ESCAPES.search(text)
        if esc:
            try:
                dec = codecs.decode(esc.group(0)[:_MAX_CANDIDATE], "unicode_escape")
            except UnicodeDecodeError:
                dec = ""
            if dec:
                whole = text.replace(esc.group(0), dec, 1)
                out.append(Decoded("unicode_escape", esc.start(), whole))
    if "&#" in text:
        ent = _HTML_ENTITIES.search(text)
        if ent:
            whole = html.unescape(text[:_MAX_CANDIDATE])
            out.append(Decoded("html_entities", ent.start(), whole))
    out += _ciphers(text, 0)
    colon = text.find(": ", 0, 300)
    if colon > 0:  # "Decode this and follow it: <cipher text>": the payload on its own
        out += _ciphers(text[colon + 2 :], colon + 2)
    head = text[:_MAX_CANDIDATE]
    classes = head.translate(_SPACED_CLASSES)
    # every _SPACED_RUN match has two single letters in a row ("b y p", "b.y.p"), so its
    # mapped text holds one of _SPACED_PAIRS: a str.find spares prose the regex scan
    spaced = any(classes.find(pair) >= 0 for pair in _SPACED_PAIRS)
    for m in _SPACED_RUN.finditer(head) if spaced else ():
        if m.group(0).count(" ") + m.group(0).count("-") >= 5:
            whole = text[: m.start()] + _unspace(m.group(0)) + text[m.end() : _MAX_CANDIDATE]
            out.append(Decoded("spaced", m.start(), whole))
            break
    return out


def _ciphers(text: str, offset: int) -> list[Decoded]:
    """rot13 is decoded when the text asks for decoding, or when it does not read as
    English and decoding a sample of it does; then the other ciphers (see below)."""
    out: list[Decoded] = []
    sample = text[:600]
    low = sample.lower()
    hinted = any(h in low for h in _ROT13_HINTS)
    # plain English has plenty of " the ", " and ", " to " ...; rot13 text has none
    plain = sum(low.count(w) for w in _FUNCTION_WORDS) >= 0.05 * (low.count(" ") + 1)
    if hinted or (not plain and _english_score(sample) < 0.08):
        rot_sample = codecs.encode(sample, "rot13")
        if hinted or _english_score(rot_sample) >= 0.15:
            dec = codecs.encode(text[:_MAX_CANDIDATE], "rot13")
            out.append(Decoded("rot13", offset, dec))
        out += _other_ciphers(text, sample, offset)
    return out


def _other_ciphers(text: str, sample: str, offset: int) -> list[Decoded]:
    """Reversed text and Caesar shifts other than 13, when a sample of the text does not
    read as English and one decoding of it clearly does (at least four words)."""
    if len(sample.split()) < 4:
        return []
    out: list[Decoded] = []
    low = sample.lower()
    rev = sample[::-1]
    if _english_score(rev) >= 0.15 or (
        any(h in low for h in _REVERSED_HINTS) and _english_score(rev) >= 0.08
    ):
        out.append(Decoded("reversed", offset, text[:_MAX_CANDIDATE][::-1]))
    best, best_k = 0.0, 0
    for k in range(1, 26):
        if k == 13:
            continue
        score = _english_score(_shift(sample, k))
        if score > best:
            best, best_k = score, k
    if best >= 0.15:
        out.append(Decoded("caesar", offset, _shift(text[:_MAX_CANDIDATE], best_k)))
    return out


def decode_payloads(text: str) -> list[Decoded]:
    """Every readable payload hidden in ``text``, nested layers included, within limits."""
    found: list[Decoded] = []
    budget = MAX_DECODED_CHARS
    frontier = [(text, 0)]
    seen = {text}
    while frontier and len(found) < MAX_PAYLOADS and budget > 0:
        current, depth = frontier.pop(0)
        if depth >= MAX_DEPTH:
            continue
        for item in _layer(current):
            if item.text in seen or len(found) >= MAX_PAYLOADS:
                continue
            snippet = item.text[:budget]
            budget -= len(snippet)
            seen.add(item.text)
            found.append(Decoded(item.encoding, item.offset, snippet))
            frontier.append((snippet, depth + 1))
            if budget <= 0:
                break
    return found


# --- encoded values in model output ---------------------------------------------------------
#
# A model talked into leaking a key, a canary or personal data may write it base64-, base32-,
# hex- or percent-encoded, wrapped over lines or split over JSON items. ``encoded_spans``
# finds such runs (their chunks joined across whitespace, quotes, commas and pipes) and
# decodes them at every alignment, within a candidate and byte budget, so a detector can
# look at the bytes and the caller can cut the run out of the original text.

MAX_ENCODED_CANDIDATES = 64
MAX_ENCODED_BYTES = 262_144
_MAX_RUN = 16_384
_GLUE = r"[\s\"',|\[\]`]{1,8}"
# one token, or chunks of eight or more (wrapped lines, JSON items, table cells) and a
# shorter last one: ordinary words in a sentence are rarely all eight letters or longer
_B64_RUN = re.compile(
    r"[A-Za-z0-9+/_-](?<![A-Za-z0-9+/_=-].)[A-Za-z0-9+/_-]{7,}={0,2}"
    r"(?:" + _GLUE + r"[A-Za-z0-9+/_-]{8,}={0,2})*"
    r"(?:" + _GLUE + r"[A-Za-z0-9+/_-]{2,7}={0,2}(?![A-Za-z0-9+/_-]))?"
)
_MIXED = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"[0-9]"))
# hex of ASCII text: eight bytes or more, the first a digit (ASCII bytes are 0x20-0x7e), so
# ``re`` skips to digits instead of trying every letter a-f of ordinary prose
_HEX_SEQ = re.compile(r"\d(?<![0-9a-fA-F]\d)[0-9a-fA-F](?:[\s:,]{0,3}[0-9a-fA-F]{2}){7,}")
_HEX_ESCAPED = re.compile(r"(?:(?:\\x|%)[0-9a-fA-F]{2}[\s:,]{0,3}){8,}")
_PCT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2}|[A-Za-z0-9._~+-])*")
_URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+-")
_PCT = re.compile(r"%[0-9A-Fa-f]{2}")
# from the start of a token (the look-behind: a search does not re-read a long token from
# every position in it, and padding before the first escape cannot push it out of reach)
_ESCAPED_TOKEN = re.compile(
    r"(?<![^\s\"'`<>])[^\s\"'`<>]*?(?:\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2})[^\s\"'`<>]{0,4096}"
)
_ONE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})")
_OCTAL_RUN = re.compile(r"(?:\\[0-3]?[0-7]{1,2}(?![0-7])){4,}")
_QP_RUN = re.compile(r"(?:=[0-9A-F]{2}[!-<>-~]{0,3}){6,}")
# (patterns start with a character class and look behind afterwards: ``re`` then skips
# ahead by that class instead of trying the look-behind at every position)
_B64_QUADS = re.compile(
    r"[A-Za-z0-9+/](?<![A-Za-z0-9+/].)[A-Za-z0-9+/]{3} (?:[A-Za-z0-9+/]{4} ){2,}"
    r"[A-Za-z0-9+/]{2,4}={0,2}"
)
# ASCII codes written as decimal numbers or 8-bit binary: "99 110 114 121", "01100011 ..."
_CHAR_CODES = re.compile(
    r"\d(?<![\w.]\d)(?:\d{1,2}(?:[\s,;]{1,3}\d{2,3}){7,}|[01]{7}(?:[\s,;]{1,3}[01]{8}){7,})(?![\w.])"
)
_CODE = re.compile(r"\d+")
_SEPS = re.compile(r"[\s\"',|\[\]`]+")
_B64_SIGNAL = re.compile(r"[0-9+/=]")
_B32_ONLY = re.compile(r"[A-Z2-7]+=*")
_HEX_ONLY = re.compile(r"(?:\\x|0x|%)|[\s:,]")


_TEXT_BYTES = bytes(range(0x20, 0x7F)) + b"\t\r\n"


@dataclass(frozen=True, slots=True)
class Encoded:
    """A run of ``text[start:end]`` and one decoding of it (``encoding``:
    base64, base64url, base32, hex or url)."""

    encoding: str
    start: int
    end: int
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")

    @property
    def textual(self) -> bool:
        """Mostly printable ASCII (a few bytes of junk at the edges allowed): worth
        reading for keys and personal data."""
        junk = len(self.data.translate(None, _TEXT_BYTES))
        return junk <= max(3, len(self.data) // 8)


def _b64_variants(compact: str) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    body = compact.rstrip("=")
    urlsafe = "-" in body or "_" in body
    for align in range(4):
        chunk = body[align:]
        chunk = (
            chunk + "==" if len(chunk) % 4 == 2 else chunk + "=" if len(chunk) % 4 == 3 else chunk
        )
        chunk = chunk[: len(chunk) // 4 * 4]
        if len(chunk) < 8:
            break
        try:
            if urlsafe:
                data = base64.urlsafe_b64decode(chunk)
            else:
                data = base64.b64decode(chunk, validate=True)
        except (binascii.Error, ValueError):
            continue
        out.append(("base64url" if urlsafe else "base64", data))
    return out


def _b32_variants(compact: str) -> list[tuple[str, bytes]]:
    body = compact.upper().rstrip("=")
    if not _B32_ONLY.fullmatch(body):
        return []
    out: list[tuple[str, bytes]] = []
    for align in range(8):
        chunk = body[align:]
        pad = {2: 6, 4: 4, 5: 3, 7: 1}.get(len(chunk) % 8)
        chunk = chunk + "=" * pad if pad else chunk[: len(chunk) // 8 * 8]
        if len(chunk) < 16:
            break
        try:
            out.append(("base32", base64.b32decode(chunk)))
        except (binascii.Error, ValueError):
            continue
    return out


def _hex_variants(run: str) -> list[tuple[str, bytes]]:
    digits = _HEX_ONLY.sub("", run)
    out: list[tuple[str, bytes]] = []
    for align in (0, 1):
        chunk = digits[align:]
        chunk = chunk[: len(chunk) // 2 * 2]
        try:
            out.append(("hex", bytes.fromhex(chunk)))
        except ValueError:
            continue
    return out


@lru_cache(maxsize=4)  # the PII and secrets scanners look at the same output in turn
def encoded_spans(
    text: str,
    max_candidates: int = MAX_ENCODED_CANDIDATES,
    max_bytes: int = MAX_ENCODED_BYTES,
) -> tuple[Encoded, ...]:
    """Decodings of every encoded-looking run in ``text``, within the budgets (runs past
    ``max_candidates`` or ``max_bytes`` of decoded data are not decoded)."""
    out: list[Encoded] = []
    budget = max_bytes
    candidates = 0

    def add(encoding: str, start: int, end: int, data: bytes) -> None:
        nonlocal budget
        if data and budget > 0:
            data = data[:budget]
            budget -= len(data)
            out.append(Encoded(encoding, start, end, data))

    for m in _B64_RUN.finditer(text):
        run = m.group()
        if len(run) < 16:
            continue
        b64 = all(p.search(run) for p in _MIXED)  # base64 of 12+ bytes mixes all three
        b32 = (run.isupper() or run.islower()) and _B64_SIGNAL.search(run) is not None
        if not (b64 or b32):
            continue
        if candidates >= max_candidates or budget <= 0:
            break
        candidates += 1
        compact = _SEPS.sub("", run[:_MAX_RUN])
        variants = _b64_variants(compact) if b64 else []
        variants += _b32_variants(compact) if b32 else []
        for encoding, data in variants:
            add(encoding, m.start(), m.end(), data)
    hex_runs = list(_HEX_SEQ.finditer(text))
    if "\\x" in text or "%" in text:
        hex_runs += _HEX_ESCAPED.finditer(text)
    for m in hex_runs:
        if candidates >= max_candidates or budget <= 0:
            break
        candidates += 1
        for encoding, data in _hex_variants(m.group()[:_MAX_RUN]):
            add(encoding, m.start(), m.end(), data)
    for m in _CHAR_CODES.finditer(text):
        codes = [
            int(c, 2) if len(c) == 8 and set(c) <= {"0", "1"} else int(c)
            for c in _CODE.findall(m.group())
        ]
        if all(32 <= c < 127 for c in codes) and candidates < max_candidates and budget > 0:
            candidates += 1
            add("char_codes", m.start(), m.end(), bytes(codes))
    if "&#" in text:
        for m in _HTML_ENTITIES.finditer(text):
            if candidates >= max_candidates or budget <= 0:
                break
            candidates += 1
            add("html", m.start(), m.end(), html.unescape(m.group()[:_MAX_RUN]).encode())
    if "\\u" in text or "\\U" in text:
        for m in _UNICODE_ESCAPES.finditer(text):
            if candidates >= max_candidates or budget <= 0:
                break
            candidates += 1
            try:
                dec = codecs.decode(m.group()[:_MAX_RUN], "unicode_escape")
            except UnicodeDecodeError:
                continue
            add("unicode_escape", m.start(), m.end(), dec.encode("utf-8", "replace"))
    if "\\u" in text or "\\x" in text:
        for m in _ESCAPED_TOKEN.finditer(text):  # one escape inside a token: "s\u006b-..."
            if candidates >= max_candidates or budget <= 0:
                break
            candidates += 1
            dec = _ONE_ESCAPE.sub(lambda e: chr(int(e.group(1) or e.group(2), 16)), m.group())
            add("escapes", m.start(), m.end(), dec.encode("utf-8", "replace"))
    if "\\" in text:
        for m in _OCTAL_RUN.finditer(text):  # \143\156\162...
            if candidates >= max_candidates or budget <= 0:
                break
            candidates += 1
            data = bytes(int(code, 8) for code in m.group().split("\\")[1:])
            add("octal_escapes", m.start(), m.end(), data)
    if "=" in text:
        for m in _QP_RUN.finditer(text):  # quoted-printable: =73=6B=2D...
            if candidates >= max_candidates or budget <= 0:
                break
            candidates += 1
            add("quoted_printable", m.start(), m.end(), binascii.a2b_qp(m.group()[:_MAX_RUN]))
    for m in _B64_QUADS.finditer(text):  # base64 written in groups of four
        run = m.group()
        if not all(p.search(run) for p in _MIXED) or candidates >= max_candidates:
            continue
        candidates += 1
        for encoding, data in _b64_variants(_SEPS.sub("", run[:_MAX_RUN])):
            add(encoding, m.start(), m.end(), data)
    reached = 0
    for m in _PCT.finditer(text) if "%" in text else ():
        if m.start() < reached:
            continue
        start = m.start()
        while start > 0 and m.start() - start < 256 and text[start - 1] in _URL_SAFE:
            start -= 1  # the unescaped characters before the first escape belong to it
        grown = _PCT_RUN.match(text, m.start())
        end = grown.end() if grown else m.end()
        reached = end
        if candidates >= max_candidates or budget <= 0:
            break
        candidates += 1
        run = text[start:end][:_MAX_RUN]
        add("url", start, end, unquote(run).encode("utf-8", "replace"))
    return tuple(out)


def readable_decodings(text: str) -> list[tuple[int, int, str, bytes]]:
    """(start, end, decoded text, bytes) of every encoded run of ``text`` worth reading, and
    of runs encoded twice (base64 of base64, hex of base64 ...): the inner decodings keep
    the outer run's span. Within the budgets of :func:`encoded_spans`."""
    out: list[tuple[int, int, str, bytes]] = []
    for enc in encoded_spans(text):
        out.append((enc.start, enc.end, enc.text, enc.data))
        if enc.textual and len(enc.data) >= 16:
            out += [
                (enc.start, enc.end, inner.text, inner.data)
                for inner in encoded_spans(enc.text)
                if inner.textual
            ]
    return out
