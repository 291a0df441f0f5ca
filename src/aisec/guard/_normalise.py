"""Undo the text tricks attackers use to slip past detectors, and say which were used.

``normalise`` returns two views of a text: ``clean`` (NFKC, homoglyphs folded, invisible and
bidi characters removed; case kept, so encoded payloads still decode) and ``folded`` (also
case-folded, leetspeak undone, letter-by-letter spelling such as "i g n o r e" or
"i.g.n.o.r.e" joined, runs of spaces and of line breaks collapsed) for the classifier and
the rules. Text hidden in Unicode tag characters or variation selectors ("ASCII smuggling")
is decoded into ``hidden``.
"""

# ruff: noqa: RUF001, RUF002  (a table of look-alike characters, on purpose)
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Normalised", "Technique", "normalise"]


class Technique:
    """Names of the evasion techniques ``normalise`` detects (used in findings)."""

    NFKC = "nfkc"
    CONFUSABLES = "confusables"
    ZERO_WIDTH = "zero_width"
    TAG_CHARS = "tag_chars"
    VARIATION_SELECTORS = "variation_selectors"
    BIDI = "bidi"
    LEETSPEAK = "leetspeak"
    SPACED_LETTERS = "spaced_letters"


# Homoglyphs NFKC leaves alone: Cyrillic, Greek, Armenian, Latin small capitals and IPA
# letters that render like ASCII letters. Compact on purpose: the letters attackers use.
_CONFUSABLES = {
    # Cyrillic lower / upper
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "ѕ": "s",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "ԁ": "d",
    "ԛ": "q",
    "ԝ": "w",
    "һ": "h",
    "ӏ": "l",
    "ɡ": "g",
    "ү": "y",
    "ь": "b",
    "п": "n",
    "г": "r",
    "л": "n",
    "д": "d",
    "з": "3",
    "ч": "y",
    "А": "A",
    "В": "B",
    "Е": "E",
    "Ё": "E",
    "К": "K",
    "М": "M",
    "Н": "H",
    "О": "O",
    "Р": "P",
    "С": "C",
    "Т": "T",
    "У": "Y",
    "Х": "X",
    "Ѕ": "S",
    "І": "I",
    "Ї": "I",
    "Ј": "J",
    "Ԁ": "D",
    "Ԛ": "Q",
    "Ԝ": "W",
    "Һ": "H",
    "Ӏ": "I",
    "Ү": "Y",
    # Greek lower / upper
    "α": "a",
    "β": "b",
    "γ": "y",
    "δ": "d",
    "ε": "e",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "ω": "w",
    "ς": "s",
    "Α": "A",
    "Β": "B",
    "Ε": "E",
    "Ζ": "Z",
    "Η": "H",
    "Ι": "I",
    "Κ": "K",
    "Μ": "M",
    "Ν": "N",
    "Ο": "O",
    "Ρ": "P",
    "Τ": "T",
    "Υ": "Y",
    "Χ": "X",
    # Armenian
    "օ": "o",
    "ս": "u",
    "հ": "h",
    "ո": "n",
    "ց": "g",
    "ք": "p",
    "զ": "q",
    # Latin small capitals and IPA look-alikes
    "ᴀ": "a",
    "ʙ": "b",
    "ᴄ": "c",
    "ᴅ": "d",
    "ᴇ": "e",
    "ꜰ": "f",
    "ɢ": "g",
    "ʜ": "h",
    "ɪ": "i",
    "ᴊ": "j",
    "ᴋ": "k",
    "ʟ": "l",
    "ᴍ": "m",
    "ɴ": "n",
    "ᴏ": "o",
    "ᴘ": "p",
    "ʀ": "r",
    "ꜱ": "s",
    "ᴛ": "t",
    "ᴜ": "u",
    "ᴠ": "v",
    "ᴡ": "w",
    "ʏ": "y",
    "ᴢ": "z",
    "ɑ": "a",
    "ɩ": "i",
    "ɵ": "o",
    "ʋ": "v",
    # punctuation look-alikes
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "―": "-",
    "−": "-",
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "ǀ": "|",
    "∣": "|",
}

_CONFUSABLE_TABLE = str.maketrans(_CONFUSABLES)
_CONFUSABLE_CHARS = frozenset(c for c, a in _CONFUSABLES.items() if a.isalnum())
_PUNCT_TABLE = str.maketrans({c: a for c, a in _CONFUSABLES.items() if not a.isalnum()})
_GLYPH = re.compile("[" + re.escape("".join(sorted(_CONFUSABLE_CHARS))) + "]")
_PUNCT = re.compile(
    "[" + re.escape("".join(sorted(c for c, a in _CONFUSABLES.items() if not a.isalnum()))) + "]"
)

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u034f\u180e"
_ZERO_WIDTH += "\u115f\u1160\u3164\uffa0\u17b4\u17b5"
_BIDI = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_DROP_TABLE = dict.fromkeys(map(ord, _ZERO_WIDTH + _BIDI))
_ZERO_WIDTH_SET = frozenset(_ZERO_WIDTH)
_BIDI_SET = frozenset(_BIDI)

# Leetspeak is undone only inside tokens that mix letters with leet symbols, so plain
# numbers ("42", "2024") are left alone.
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "9": "g",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "l",
        "+": "t",
    }
)
# Four or more single letters joined by the same short separator: "i g n o r e", "i.g.n.o.r.e".
_SPACED = re.compile(r"(?<![a-z0-9])[a-z](?:([ .\-_*·/|,+~:]{1,3})[a-z]){3,}(?![a-z0-9])")
_SPACED_GATES = (b"asasasa", b"assassassa", b"asssasssasssa")
_SEPARATORS = re.compile(r"[ .\-_*·/|,+~:]+")
_LEET_INNER = re.compile(r"[a-z][0-9@$!]+[a-z]")
_LEET_LEAD = re.compile(r"[0-9@$!][a-z]{2,}")
# a look-behind: a search never restarts inside a digit run (quadratic on long runs)
_UNITS = re.compile(r"(?<!\d)\d++(?:st|nd|rd|th|am|pm|kg|km|cm|mm|ml|gb|mb|kb|tb|hz|px|pt|fps|mph)")
_WHITESPACE = re.compile(r"[^\S\n]{2,}|[^\S \n]")
_MULTISPACE = re.compile("  +")
_PLAIN_SPACES = re.compile(
    r"[^\t\r\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*"
)
_SHAPE = bytes(
    ord("a") if chr(i).isalpha() and i < 128 else
    ord("d") if chr(i) in "0123456789@$!" else
    ord("s") if chr(i) in " .-_*/|,+~:" else
    ord(" ")
    for i in range(256)
)  # fmt: skip
_SMUGGLING = re.compile("[\U000e0000-\U000e01ef\ufe00-\ufe0f]")
_ASCII_PRINTABLE = re.compile(r"[\x20-\x7e\s]*")


@dataclass(frozen=True, slots=True)
class Normalised:
    """The views of one text and the techniques found in it."""

    clean: str
    folded: str
    hidden: str
    techniques: frozenset[str]


def _decode_smuggled(text: str) -> tuple[str, str, set[str]]:
    """Strip tag characters and variation selectors; return (rest, hidden text, techniques)."""
    out: list[str] = []
    tags: list[str] = []
    vs_bytes = bytearray()
    found: set[str] = set()
    for ch in text:
        cp = ord(ch)
        if 0xE0000 <= cp <= 0xE007F:
            found.add(Technique.TAG_CHARS)
            if 0xE0020 <= cp <= 0xE007E:
                tags.append(chr(cp - 0xE0000))
        elif 0xFE00 <= cp <= 0xFE0F:
            found.add(Technique.VARIATION_SELECTORS)
            vs_bytes.append(cp - 0xFE00)
        elif 0xE0100 <= cp <= 0xE01EF:
            found.add(Technique.VARIATION_SELECTORS)
            vs_bytes.append(cp - 0xE0100 + 16)
        else:
            out.append(ch)
    hidden = "".join(tags)
    if vs_bytes:
        decoded = vs_bytes.decode("utf-8", "replace")
        # a lone selector after an emoji is ordinary; bytes that spell text are smuggling
        if len(vs_bytes) >= 4 and _ASCII_PRINTABLE.fullmatch(decoded):
            hidden = f"{hidden} {decoded}".strip()
        elif len(vs_bytes) < 4:
            found.discard(Technique.VARIATION_SELECTORS)
    return "".join(out), hidden, found


def _shape(low: str) -> bytes:
    """One byte per character: ``a`` letter, ``d`` leet symbol or digit, ``s`` separator,
    space otherwise; cheap substring tests on it gate the slower regular expressions."""
    if low.isascii():
        return low.encode("ascii").translate(_SHAPE)
    return low.encode("ascii", "replace").translate(_SHAPE)


def _token_spans(shape: bytes) -> list[tuple[int, int]]:
    """Spans of the tokens (runs of letters, digits and @$!) that mix letters with leet
    symbols, found from the shape bytes with C-speed searches."""
    starts: list[int] = []
    for pair in (b"ad", b"da"):
        i = shape.find(pair)
        while i != -1:
            starts.append(i)
            i = shape.find(pair, i + 1)
    spans: list[tuple[int, int]] = []
    n = len(shape)
    for i in sorted(starts):
        if spans and i < spans[-1][1]:
            continue
        lo = max(shape.rfind(b" ", 0, i), shape.rfind(b"s", 0, i)) + 1
        ends = [e for e in (shape.find(b" ", i), shape.find(b"s", i)) if e != -1]
        spans.append((lo, min(ends) if ends else n))
    return spans


def _unleet(low: str, shape: bytes, found: set[str]) -> str:
    """Undo leetspeak in tokens that mix letters with leet symbols; plain numbers, units
    and ordinals ("42", "3rd", "10am") and one trailing digit ("gpt4") are kept."""
    out: list[str] = []
    last = 0
    for lo, hi in _token_spans(shape):
        token = low[lo:hi]
        leet = sum(not c.isalpha() for c in token)
        inner = _LEET_INNER.search(token)
        lead = _LEET_LEAD.fullmatch(token)
        email = "@" in token and low[hi : hi + 1] == "."
        if token.isdigit() or _UNITS.fullmatch(token) or email:
            continue
        if leet < 2 and inner is None and not lead:
            continue
        found.add(Technique.LEETSPEAK)
        out.append(low[last:lo])
        out.append(token.translate(_LEET))
        last = hi
    if not out:
        return low
    out.append(low[last:])
    return "".join(out)


def _fold(text: str, found: set[str]) -> str:
    low = text.casefold()
    shape = _shape(low)
    if any(g in shape for g in _SPACED_GATES) and _SPACED.search(low):
        found.add(Technique.SPACED_LETTERS)
        low = _SPACED.sub(lambda m: _SEPARATORS.sub("", m.group(0)), low)
        shape = _shape(low)
    if b"ad" in shape or b"da" in shape:
        low = _unleet(low, shape, found)
    if not _PLAIN_SPACES.fullmatch(low):
        low = _WHITESPACE.sub(" ", low)
    elif "  " in low:
        low = _MULTISPACE.sub(" ", low)
    if "\n" in low:
        low = "\n".join(line.strip() for line in low.split("\n") if line and not line.isspace())
    return low.strip()


def normalise(text: str) -> Normalised:
    """Normalise ``text`` for detection; never raises on any string."""
    found: set[str] = set()
    if not text.isascii():
        nfkc = unicodedata.normalize("NFKC", text)
        if nfkc != text:
            found.add(Technique.NFKC)
        text = nfkc
        if _SMUGGLING.search(text):
            text, hidden, smuggled = _decode_smuggled(text)
            found |= smuggled
        else:
            hidden = ""
        chars = set(text)
        if not chars.isdisjoint(_ZERO_WIDTH_SET):
            found.add(Technique.ZERO_WIDTH)
        if not chars.isdisjoint(_BIDI_SET):
            found.add(Technique.BIDI)
        text = text.translate(_DROP_TABLE)
        if not chars.isdisjoint(_CONFUSABLES):
            text = _fold_glyphs(text, found)
    else:
        hidden = ""
    folded = _fold(text, found)
    return Normalised(text, folded, hidden, frozenset(found))


def _fold_glyphs(text: str, found: set[str]) -> str:
    """Fold look-alike letters in words that mix scripts, and in words made only of
    look-alikes when the text around them is mostly Latin.

    A Russian or Greek sentence keeps its letters; "Іgnоrе" (Cyrillic І, о, е) becomes
    "Ignore" and is reported as a disguise.
    """
    ascii_bytes = text.encode("ascii", "ignore")
    latin_context = ascii_bytes.translate(_SHAPE).count(b"a") > len(text) - len(ascii_bytes)
    out: list[str] = []
    last = 0
    pos = 0
    n = len(text)
    while True:
        m = _GLYPH.search(text, pos)
        if m is None:
            break
        lo = m.start()
        while lo > 0 and text[lo - 1].isalpha():
            lo -= 1
        hi = m.end()
        while hi < n and text[hi].isalpha():
            hi += 1
        pos = hi
        word = text[lo:hi]
        ascii_letters = sum(c.isascii() for c in word)
        glyphs = sum(c in _CONFUSABLE_CHARS for c in word)
        if ascii_letters or (glyphs == len(word) and latin_context and len(word) > 1):
            found.add(Technique.CONFUSABLES)
            out.append(text[last:lo])
            out.append(word.translate(_CONFUSABLE_TABLE))
            last = hi
    if out:
        out.append(text[last:])
        text = "".join(out)
    return text.translate(_PUNCT_TABLE) if _PUNCT.search(text) else text
