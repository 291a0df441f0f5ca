"""GGUF v1-v3: bounded metadata parsing, tensor infos, chat-template SSTI."""

from __future__ import annotations

import struct

import pytest
from _formats_samples import (
    BENIGN_TEMPLATES,
    GGUF_ATTACKS,
    GGUF_STR,
    gguf_benign,
    gguf_bytes,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.artifacts import scan_bytes


@pytest.mark.parametrize("version", [1, 2, 3])
def test_benign_versions_are_clean(version: int) -> None:
    report = scan_bytes(gguf_benign(version), "tiny.gguf")
    assert (report.files[0].format, report.files[0].verdict) == ("gguf", "clean")


@pytest.mark.parametrize("name", sorted(BENIGN_TEMPLATES))
def test_benign_chat_templates_in_gguf(name: str) -> None:
    report = scan_bytes(gguf_benign(template=BENIGN_TEMPLATES[name]), "m.gguf")
    assert report.files[0].verdict == "clean", report.findings


@pytest.mark.parametrize("technique", sorted(GGUF_ATTACKS))
def test_gguf_technique(technique: str) -> None:
    build, rule = GGUF_ATTACKS[technique]
    report = scan_bytes(build(), "model.gguf")
    assert report.files[0].format == "gguf"
    assert rule in {f.rule_id for f in report.findings}


def test_template_finding_points_at_the_key() -> None:
    report = scan_bytes(GGUF_ATTACKS["named_chat_template_ssti"][0](), "m.gguf")
    finding = next(f for f in report.findings if f.rule_id == "gguf-template-ssti")
    assert finding.location.pointer == "tokenizer.chat_template.tool_use"


def test_big_endian_gguf_is_an_error_verdict() -> None:
    data = b"GGUF" + struct.pack(">I", 3) + b"\0" * 32
    assert scan_bytes(data, "be.gguf").files[0].verdict == "error"


def test_unknown_version_or_text_is_not_gguf() -> None:
    # llama.cpp refuses versions it does not know; prose that starts with "GGUF" is not a model
    for data in (b"GGUF" + struct.pack("<I", 99) + b"\0" * 32, b"GGUF files hold models.\n"):
        assert scan_bytes(data, "v.gguf").files[0].format != "gguf"


def test_large_vocabulary_parses() -> None:
    tokens = [f"token{i}" for i in range(50_000)]
    data = gguf_bytes([("tokenizer.ggml.tokens", 9, (GGUF_STR, tokens))])
    assert scan_bytes(data, "vocab.gguf").files[0].verdict == "clean"


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_after_magic_never_crash(body: bytes) -> None:
    data = b"GGUF" + struct.pack("<I", 3) + body
    assert scan_bytes(data, "r.gguf").files[0].verdict in (
        "clean", "suspicious", "malicious", "error",
    )  # fmt: skip


def test_vocabulary_with_brace_tokens_is_clean() -> None:
    tokens = ["{{", "{%", "{#", "}}", "%}", "{{-", *[f"t{i}" for i in range(20)]]
    data = gguf_bytes([("tokenizer.ggml.tokens", 9, (GGUF_STR, tokens))])
    assert scan_bytes(data, "vocab.gguf").findings == []


def test_appended_zip_is_scanned() -> None:
    report = scan_bytes(GGUF_ATTACKS["zip_appended_polyglot"][0](), "m.gguf")
    nested = [r for r in report.files if r.path.endswith("!/trailing-data")]
    assert nested and nested[0].verdict == "malicious"


def test_duplicate_key_is_a_parser_differential() -> None:
    kvs = [("tokenizer.chat_template", GGUF_STR, BENIGN_TEMPLATES["llama3"]),
           ("tokenizer.chat_template", GGUF_STR, "{{ lipsum.__globals__ }}")]  # fmt: skip
    rules = {f.rule_id for f in scan_bytes(gguf_bytes(kvs), "d.gguf").findings}
    assert {"gguf-invalid-metadata", "gguf-template-ssti"} <= rules
