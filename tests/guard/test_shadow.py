"""The shadow copy and its offset map, the run-together view, and the output detectors that
read them: any text maps back inside itself and never crashes a detector."""

# ruff: noqa: RUF001
from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.guard._decode import encoded_spans
from aisec.guard._output import find_exfil_links
from aisec.guard._pii import find_pii_deep
from aisec.guard._secrets import find_secrets_deep
from aisec.guard._shadow import joined, shadow


def test_shadow_of_ascii_is_the_text_itself() -> None:
    sh = shadow("plain ascii text, 42")
    assert sh.identity and sh.text == "plain ascii text, 42"
    assert sh.span(6, 11) == (6, 11)


def test_shadow_folds_fullwidth_math_and_lookalikes() -> None:
    assert shadow("ＡＫＩＡ 𝐀𝐁 раураl").text == "AKIA AB paypal"


def test_shadow_drops_every_format_and_ignorable_class() -> None:
    # one of each: Cf (U+200B, U+2063, U+206A, U+206F), Mongolian FVS, variation selector,
    # tag, soft hyphen, combining mark, Hangul filler
    hidden = "\u200b\u2063\u206a\u206f\u180b\ufe0f\U000e0041\u00ad\u0336\u3164"
    assert shadow(f"a{hidden}b").text == "ab"
    for ch in hidden:
        assert shadow(ch).text == "", f"U+{ord(ch):04X} ({unicodedata.category(ch)})"


def test_shadow_maps_dashes_spaces_and_dots() -> None:
    assert shadow("1\u20132\u00a03\u30004\u00b75\u20106").text == "1-2 3 4.5-6"


def test_span_maps_a_shadow_match_back_to_the_original() -> None:
    text = "key: s\u200bk-ＰＲＯＪ done"
    sh = shadow(text)
    start = sh.text.index("sk")
    s, e = sh.span(start, start + len("sk-PROJ"))
    assert text[s:e] == "s\u200bk-ＰＲＯＪ"


def test_joined_runs_fragments_together_and_marks_long_gaps() -> None:
    j = joined("ab-cd | ef\n\n\ngh")
    assert j.text == "abcdefgh"
    assert j.breaks == [True, False, False, True]
    assert j.shadow_span(1, 5) == (1, 9)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_span_stays_inside_the_original(text: str) -> None:
    sh = shadow(text)
    n = len(sh.text)
    for start in range(0, n, 7):
        for end in (start, min(n, start + 5), n):
            s, e = sh.span(start, end)
            assert 0 <= s <= e <= len(text)


_ALPHABET = st.sampled_from(
    [
        *"sk-projAKIA0123456789abcdef@.:/%=+ \n|\"',[]()<>!#`",
        *("\u200b", "\u2013", "\u00a0", "\uff21", "\u0430", "·", "\u3000", "\U0001d400"),
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_ALPHABET, max_size=400).map("".join))
def test_output_detectors_never_crash_and_spans_are_in_bounds(text: str) -> None:
    for m in find_secrets_deep(text):
        assert 0 <= m.start < m.end <= len(text)
    for p in find_pii_deep(text):
        assert 0 <= p.start < p.end <= len(text)
    for enc in encoded_spans(text):
        assert 0 <= enc.start < enc.end <= len(text)
    find_exfil_links(text)
