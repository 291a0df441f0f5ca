"""The YAML sniffer runs on every file and archive member no other format claims.

It must accept exactly the openings its first, backtracking pattern accepted (kept here as
the reference), and read any head in one pass: that pattern took exponential time on blank
lines followed by something that is not YAML.
"""

from __future__ import annotations

import itertools
import random
import re

from aisec.artifacts import scan_bytes
from aisec.artifacts._base import ArtifactContext
from aisec.artifacts.configs._jsonyaml import YamlConfigHandler

_REFERENCE = re.compile(
    rb"\A(?:\xef\xbb\xbf)?(?:\s*#[^\n]*\n|\s*\n)*\s*(?:---[ \t]*(?:\n|$)|%YAML|%TAG|"
    rb"[\w.\-\"']+[ \t]*:(?:[ \t]|\n|$)|-[ \t]+\S)"
)
_PIECES = [
    *(b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c", b"\x00", b"#", b"-", b"---", b":", b"%"),
    *(b"%YAML", b"%TAG", b"a", b"Z9_", b".", b'"', b"'", b"\xef\xbb\xbf", b"\xef", b"!", b"x y"),
    *(b"\xc3\xa9", b"\n#c\n", b"- ", b"a: ", b"# k: v"),
]


def _sniff(head: bytes) -> bool:
    ctx = ArtifactContext(stream=None, display_path="x", size=len(head))  # type: ignore[arg-type]
    return YamlConfigHandler.sniff(head, ctx)


def _reference(head: bytes) -> bool:
    return b"\x00" not in head and bool(_REFERENCE.match(head))


def test_yaml_sniff_accepts_what_the_reference_accepts() -> None:
    heads = [b"".join(c) for n in range(4) for c in itertools.product(_PIECES, repeat=n)]
    rnd = random.Random(20261127)
    heads += [b"".join(rnd.choices(_PIECES, k=rnd.randint(4, 12))) for _ in range(50_000)]
    wrong = [h for h in heads if _sniff(h) != _reference(h)]
    assert not wrong, wrong[:5]
    assert sum(map(_sniff, heads)) > len(heads) // 10  # the inputs reach both answers


def test_blank_lines_before_prose_are_read_in_one_pass() -> None:
    # the reference pattern tries every way of cutting the blank lines (2**4000 here)
    report = scan_bytes(b"\n" * 4000 + b"Hello world\n", "notes.txt")
    assert (report.files[0].format, report.files[0].verdict) == ("unknown", "clean")


def test_yaml_after_blank_lines_and_comments_is_recognised() -> None:
    data = b"\n \t\r\n" * 500 + b"# settings: none\n" * 20 + b"chat_template: '{{ 1 }}'\n"
    assert _sniff(data[:4096])
    assert scan_bytes(data, "serving.yaml").files[0].format == "yaml"


def test_long_word_without_colon_is_not_yaml() -> None:
    for head in (b"A" * 4096, b"A" * 4095 + b"-", b" " * 4095 + b"A", b"# c\n" * 1024):
        assert not _sniff(head)
