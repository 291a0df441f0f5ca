"""PII detection: each type found with its validator, benign look-alikes left alone."""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.core.frameworks import lookup
from aisec.guard._pii import (
    PiiScanner,
    dni_valid,
    find_pii,
    iban_valid,
    luhn_valid,
    ssn_valid,
    verhoeff_valid,
)
from aisec.guard._scanner import SCANNERS, Direction, ScanContext


def kinds(text: str) -> list[tuple[str, str]]:
    return [(m.kind, text[m.start : m.end]) for m in find_pii(text)]


# --- positives ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("write to jane.doe+ai@example.co.uk today", "EMAIL", "jane.doe+ai@example.co.uk"),
        ("Card: 4111 1111 1111 1111 exp 12/29", "CREDIT_CARD", "4111 1111 1111 1111"),
        ("amex 3782-822463-10005", "CREDIT_CARD", "3782-822463-10005"),
        ("pay 5555555555554444 now", "CREDIT_CARD", "5555555555554444"),
        ("IBAN GB82 WEST 1234 5698 7654 32 thanks", "IBAN", "GB82 WEST 1234 5698 7654 32"),
        ("iban de89370400440532013000.", "IBAN", "de89370400440532013000"),
        ("my ssn is 536-22-1947", "US_SSN", "536-22-1947"),
        ("SSN 536221947", "US_SSN", "536221947"),
        ("server at 192.168.10.20 is down", "IP_ADDRESS", "192.168.10.20"),
        ("v6 2001:db8:85a3::8a2e:370:7334 up", "IP_ADDRESS", "2001:db8:85a3::8a2e:370:7334"),
        ("nic 00:1A:2B:3C:4D:5E", "MAC_ADDRESS", "00:1A:2B:3C:4D:5E"),
        ("cisco 001a.2b3c.4d5e", "MAC_ADDRESS", "001a.2b3c.4d5e"),
        ("National Insurance number: AB 12 34 56 C", "UK_NINO", "AB 12 34 56 C"),
        ("call me at (555) 123-4567 x890", "PHONE", "(555) 123-4567 x890"),
        ("Phone: +1-202-555-0143", "PHONE", "+1-202-555-0143"),
        ("ring +44 20 7946 0958 tomorrow", "PHONE", "+44 20 7946 0958"),
        ("mobile 030 901820", "PHONE", "030 901820"),
        ("office 212.555.0199", "PHONE", "212.555.0199"),
    ],
)
def test_detects(text: str, kind: str, value: str) -> None:
    assert (kind, value) in kinds(text)


# --- benign hard negatives ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Order 4111111111111112 shipped",  # fails Luhn
        "order #1234567890123456 is late",
        "build 2024.11.27.1530 released",
        "version 10.0.19041.1 and 1.2.3.4.5",
        "timestamp 2024-01-15 13:45:12 UTC",
        "at 1700000000 epoch seconds",
        "uuid 123e4567-e89b-12d3-a456-426614174000",
        "commit 3f786850e387550fdab836ed7e6dc881de23001b",
        "sha 9fceb02 fixed it",
        "the year 2023 had 365 days and 8760 hours",
        "invoice no. 2023-0042-7781",
        "ISBN 978-3-16-148410-0",
        "ssn-like 666-12-3456 and 900-12-3456 and 123-00-4567",
        "Total: 1,234,567.89 USD",
        "std::vector<int> a::b::c",
        "time 12:30:45:00",
        "python 3.11.4 on linux",
        "call stack depth 12",
        "budget: 2000-3000 tokens for 2024-2026",
        "repair after a service call: $200-1000 depending on the issue",
        "what are the next numbers in 3 9 5 2 11 1",
        "carmakers produce 5 650 000 cars a year",
        "growth of 1234-5678% is impossible",
    ],
)
def test_benign_not_flagged(text: str) -> None:
    flagged = [k for k in kinds(text) if k[0] in ("CREDIT_CARD", "PHONE", "US_SSN", "IBAN")]
    assert flagged == [], flagged


def test_networks_and_loopback_are_not_personal_ips() -> None:
    assert kinds("vpc 10.0.0.0/16, bind to 127.0.0.1 not 0.0.0.0") == []
    assert kinds("client 10.0.0.15 connected") == [("IP_ADDRESS", "10.0.0.15")]


def test_ssn_invalid_areas_rejected() -> None:
    assert not ssn_valid("000", "12", "3456")
    assert not ssn_valid("666", "12", "3456")
    assert not ssn_valid("912", "12", "3456")
    assert not ssn_valid("123", "00", "3456")
    assert not ssn_valid("123", "45", "0000")
    assert ssn_valid("536", "22", "1947")


def test_ssn_with_spaces_needs_context() -> None:
    assert kinds("Suite 680 36 4022 Oakridge Lane") == []
    assert ("US_SSN", "536 22 1947") in kinds("social security: 536 22 1947")


def test_bare_nine_digits_without_context_is_not_ssn() -> None:
    assert [k for k in kinds("ref 536221947") if k[0] == "US_SSN"] == []


def test_nino_needs_context() -> None:
    assert [k for k in kinds("code AB123456C") if k[0] == "UK_NINO"] == []


def test_id_numbers_are_not_phones() -> None:
    assert kinds("My driver's license number is 425700624") == []
    assert kinds("passport number 5123456789") == []


def test_card_inside_phone_wins_priority() -> None:
    found = kinds("card 4111-1111-1111-1111")
    assert found == [("CREDIT_CARD", "4111-1111-1111-1111")]


# --- validators: property tests --------------------------------------------------------


def _luhn_digit(body: str) -> str:
    for d in "0123456789":
        if luhn_valid(body + d):
            return d
    raise AssertionError("no check digit")


@given(st.text(alphabet=string.digits, min_size=1, max_size=30))
def test_luhn_check_digit_round_trip(body: str) -> None:
    full = body + _luhn_digit(body)
    assert luhn_valid(full)
    # any single-digit change breaks the checksum
    i = len(full) - 1 - (len(body) // 2)
    changed = full[:i] + str((int(full[i]) + 1) % 10) + full[i + 1 :]
    assert not luhn_valid(changed)


def _iban_with_check(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    number = int("".join(str(int(ch, 36)) for ch in rearranged))
    return f"{country}{98 - number % 97:02d}{bban}"


@given(st.text(alphabet=string.digits + string.ascii_uppercase, min_size=18, max_size=18))
def test_iban_check_digits_round_trip(bban: str) -> None:
    iban = _iban_with_check("GB", bban)
    assert iban_valid(iban)
    assert iban_valid(" ".join(iban[i : i + 4] for i in range(0, len(iban), 4)))
    assert iban_valid(iban.lower())
    if bban[:2].isdigit():  # mod-97 catches any transposition of two adjacent digits
        swapped = iban[:4] + bban[1] + bban[0] + bban[2:]
        assert swapped == iban or not iban_valid(swapped)


@given(st.text(alphabet=string.digits, min_size=18, max_size=18))
def test_generated_iban_is_found_in_text(bban: str) -> None:
    iban = _iban_with_check("DE", bban)
    assert ("IBAN", iban) in kinds(f"please wire to {iban} by friday")


def test_iban_wrong_length_for_country() -> None:
    assert not iban_valid(_iban_with_check("GB", "1" * 17))


# --- scanner -------------------------------------------------------------------------------


def test_scanner_registered_and_redacts_with_typed_placeholders() -> None:
    assert SCANNERS["pii"] is PiiScanner
    ctx = ScanContext()
    text = "mail a@b.io or a@b.io, then c@d.io; card 4111111111111111"
    result = PiiScanner().scan(text, ctx)
    assert (
        result.redacted_text == "mail <EMAIL_1> or <EMAIL_1>, then <EMAIL_2>; card <CREDIT_CARD_1>"
    )
    assert result.score >= 0.9
    assert {f.rule_id for f in result.findings} == {"guard-pii-email", "guard-pii-credit-card"}
    for f in result.findings:
        assert "a@b.io" not in f.evidence and "4111111111111111" not in f.evidence
        for ref in f.frameworks:
            assert lookup(ref)


def test_scanner_output_direction_titles_a_leak() -> None:
    ctx = ScanContext(direction=Direction.OUTPUT)
    result = PiiScanner().scan("her email is x.y@corp.com", ctx)
    assert result.findings[0].title == "email in model output"


def test_scanner_kinds_option_and_bad_kind() -> None:
    from aisec.core.errors import PolicyError

    only_mail = PiiScanner(kinds=["email"])
    assert only_mail.scan("4111111111111111", ScanContext()).findings == ()
    with pytest.raises(PolicyError, match="unknown kinds"):
        PiiScanner(kinds=["DNA"])


def test_clean_text_scores_zero() -> None:
    result = PiiScanner().scan(
        "Summarise the attached report in three bullet points.", ScanContext()
    )
    assert result.score == 0.0 and result.redacted_text is None


# --- fuzz ----------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.printable + "\u00e9\u4e2d\u200b@+-.:()", max_size=300))
def test_random_text_never_crashes(text: str) -> None:
    for m in find_pii(text):
        assert 0 <= m.start < m.end <= len(text)


def test_pathological_inputs_finish() -> None:
    rnd = random.Random(7)
    samples = [
        "1-" * 5000,
        "a" * 20000 + "@",
        "@" * 5000 + "a.b" * 2000,
        ":" * 8000,
        "1." * 8000,
        " ".join(str(rnd.randrange(10**12)) for _ in range(2000)),
        "GB" + "1" * 10000,
    ]
    for s in samples:
        find_pii(s)  # returns without hanging: the patterns have no nested quantifiers
        assert isinstance(find_pii(s), list)


def test_repeated_fragments_stay_linear() -> None:
    for fragment in ("1-", "a@b.", "(1) ", "+1 ", "GB82 ", "::", "ssn 1", "x1"):
        text = fragment * (32_000 // len(fragment))
        assert isinstance(find_pii(text), list)


def test_decorator_after_newline_is_not_email() -> None:
    assert kinds("```python\n@mcp.tool\ndef f(): ...") == []


def test_spelled_out_email_evasion() -> None:
    assert ("EMAIL", "jane.doe [at] corp [dot] com") in kinds("write jane.doe [at] corp [dot] com")
    assert ("EMAIL", "bob(at)mail.example.org") in kinds("contact: bob(at)mail.example.org")
    assert kinds("we meet (at) noon [dot] later") == []


def _verhoeff_digit(body: str) -> str:
    for d in "0123456789":
        if verhoeff_valid(body + d):
            return d
    raise AssertionError("no check digit")


@given(st.text(alphabet=string.digits, min_size=1, max_size=20))
def test_verhoeff_round_trip_and_single_digit_errors(body: str) -> None:
    full = body + _verhoeff_digit(body)
    assert verhoeff_valid(full)
    changed = full[:-1] + str((int(full[-1]) + 1) % 10)
    assert not verhoeff_valid(changed)


def test_aadhaar_with_context_and_checksum() -> None:
    number = "2345 6789 012"
    number = number + _verhoeff_digit(number.replace(" ", ""))
    assert ("IN_AADHAAR", number) in kinds(f"My Aadhaar number is {number}")
    assert [k for k in kinds(f"ticket {number}") if k[0] == "IN_AADHAAR"] == []
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert [k for k in kinds(f"Aadhaar {wrong}") if k[0] == "IN_AADHAAR"] == []


def test_spanish_dni_and_nie() -> None:
    assert dni_valid("12345678Z") and not dni_valid("12345678A")
    assert ("ES_DNI", "12345678Z") in kinds("Mi DNI es 12345678Z")
    nie = next(f"X1234567{c}" for c in "TRWAGMYFPDXBNJZSQVHLCKE" if dni_valid(f"X1234567{c}"))
    assert ("ES_DNI", nie) in kinds(f"NIE: {nie}")
    assert [k for k in kinds("part 12345678Z in stock") if k[0] == "ES_DNI"] == []


def test_fullwidth_digits_evasion() -> None:
    card = " ".join(["\uff14\uff11\uff11\uff11"] + ["\uff11" * 4] * 3)
    assert kinds(f"card {card}") == [("CREDIT_CARD", card)]


def test_arabic_indic_digits_evasion() -> None:
    ssn = "\u0665\u0663\u0666-\u0662\u0662-\u0661\u0669\u0664\u0667"  # 536-22-1947
    assert kinds(f"ssn {ssn}") == [("US_SSN", ssn)]
