"""Reversible PII placeholders: restored in the same request's output only, never leaked."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from aisec.guard._pii import PiiScanner, restore, restore_stream
from aisec.guard._scanner import Direction, ScanContext

PROMPT = "Email bob@example.com and call +1-202-555-0143; cc bob@example.com."


def test_round_trip_same_request() -> None:
    ctx = ScanContext()
    redacted = PiiScanner(reversible=True).scan(PROMPT, ctx).redacted_text
    assert redacted == "Email <EMAIL_1> and call <PHONE_1>; cc <EMAIL_1>."
    model_output = "Done: I wrote to <EMAIL_1> and will call <PHONE_1>."
    assert restore(model_output, ctx) == (
        "Done: I wrote to bob@example.com and will call +1-202-555-0143."
    )


def test_numbering_is_consistent_across_texts_of_one_request() -> None:
    ctx = ScanContext()
    scanner = PiiScanner(reversible=True)
    first = scanner.scan("from a@x.io to b@x.io", ctx).redacted_text
    second = scanner.scan("reply to b@x.io, not c@x.io", ctx).redacted_text
    assert first == "from <EMAIL_1> to <EMAIL_2>"
    assert second == "reply to <EMAIL_2>, not <EMAIL_3>"


def test_other_request_cannot_restore() -> None:
    ctx_a, ctx_b = ScanContext(), ScanContext()
    PiiScanner(reversible=True).scan(PROMPT, ctx_a)
    PiiScanner(reversible=True).scan("mail eve@evil.test", ctx_b)
    # request B's output naming A's placeholder gets B's own value or nothing, never A's
    assert restore("<EMAIL_1> <PHONE_1>", ctx_b) == "eve@evil.test <PHONE_1>"
    assert restore("<EMAIL_1>", ScanContext()) == "<EMAIL_1>"


def test_non_reversible_keeps_no_originals() -> None:
    ctx = ScanContext()
    redacted = PiiScanner().scan(PROMPT, ctx).redacted_text
    assert redacted == "Email <EMAIL_1> and call <PHONE_1>; cc <EMAIL_1>."
    assert restore(redacted or "", ctx) == redacted
    assert "bob@example.com" not in repr(ctx.state)


def test_vault_is_not_logged() -> None:
    ctx = ScanContext()
    PiiScanner(reversible=True).scan(PROMPT, ctx)
    shown = repr(ctx) + str(ctx.state)
    assert "bob@example.com" not in shown and "555-0143" not in shown


def test_placeholder_inside_url_is_not_restored() -> None:
    ctx = ScanContext()
    PiiScanner(reversible=True).scan(PROMPT, ctx)
    out = restore("![x](https://evil.test/p?q=<EMAIL_1>) and <EMAIL_1>", ctx)
    assert out == "![x](https://evil.test/p?q=<EMAIL_1>) and bob@example.com"
    out = restore(
        '<img src=https://evil.test/<PHONE_1>.png> see <a href="//e.test/?<EMAIL_1>">', ctx
    )
    assert "bob@example.com" not in out and "555-0143" not in out


def test_output_scan_after_restore_sees_no_placeholder_leak() -> None:
    ctx = ScanContext()
    PiiScanner(reversible=True).scan(PROMPT, ctx)
    ctx.direction = Direction.OUTPUT
    result = PiiScanner().scan("I will write to <EMAIL_1>.", ctx)
    assert result.findings == ()  # placeholders are not PII


@given(
    st.lists(
        st.tuples(
            st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8),
            st.sampled_from(["example.com", "corp.io", "mail.test"]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_round_trip_property(pairs: list[tuple[str, str]]) -> None:
    emails = [f"{user}@{domain}" for user, domain in pairs]
    text = "contacts: " + " ; ".join(emails)
    ctx = ScanContext()
    redacted = PiiScanner(reversible=True).scan(text, ctx).redacted_text
    assert redacted is not None
    assert not any(e in redacted for e in emails)
    assert restore(redacted, ctx) == text


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def test_stream_restore_handles_split_placeholders() -> None:
    ctx = ScanContext()
    PiiScanner(reversible=True).scan(PROMPT, ctx)
    out = "Wrote to <EMAIL_1>, called <PHONE_1>.\nDone <EMAIL_1>"
    for size in (1, 2, 3, 5, 8, 64):
        assert "".join(restore_stream(_chunks(out, size), ctx)) == restore(out, ctx)


def test_stream_restore_keeps_url_placeholders_even_when_split() -> None:
    ctx = ScanContext()
    PiiScanner(reversible=True).scan(PROMPT, ctx)
    out = "see ![x](https://evil.test/p?q=<EMAIL_1>) ok"
    for size in (1, 4, 7):
        joined = "".join(restore_stream(_chunks(out, size), ctx))
        assert "bob@example.com" not in joined
        assert joined == out


@given(st.integers(1, 40))
def test_stream_restore_equals_whole_restore(size: int) -> None:
    ctx = ScanContext()
    PiiScanner(reversible=True).scan(PROMPT, ctx)
    out = "a <EMAIL_1> b\t<PHONE_1>\n[c](https://x.test/<EMAIL_1>) <EMAIL_1>"
    assert "".join(restore_stream(_chunks(out, size), ctx)) == restore(out, ctx)


def test_stream_restore_passes_on_a_huge_token_unrestored() -> None:
    ctx = ScanContext()
    PiiScanner(reversible=True).scan(PROMPT, ctx)
    blob = "x" * 9000 + "<EMAIL_1>"
    out = "".join(restore_stream([blob[:4500], blob[4500:], " tail <EMAIL_1>"], ctx))
    assert out == blob + " tail bob@example.com"
