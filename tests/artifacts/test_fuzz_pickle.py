"""Fuzz-style: truncated, mutated and random inputs end in findings or an error verdict,
never an exception, a hang or unbounded memory (limits are kept small here)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from corpus import MALICIOUS, PICKLE_FAMILY, SUSPICIOUS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aisec.artifacts import Limits, Verdict, scan_bytes

_LIMITS = Limits(
    max_pickle_bytes=8 << 20,
    max_archive_total_bytes=16 << 20,
    max_archive_members=200,
    max_opcodes=200_000,
)
_CHEAP = [
    (n, b)
    for n, b, _ in MALICIOUS + SUSPICIOUS
    if n in PICKLE_FAMILY
    and not n.startswith(("torchscript", "legacy", "sevenz", "zip_bomb", "joblib_zlib"))
]


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("fuzz")
    return {name: build(folder).read_bytes() for name, build in _CHEAP}


def _ok(data: bytes) -> None:
    report = scan_bytes(data, "fuzz.bin", limits=_LIMITS)
    assert report.files, "every input gets an entry"
    assert all(isinstance(r.verdict, Verdict) for r in report.files)
    # no unexpected exception in any handler (members may be of any format)
    assert [(r.path, r.error) for r in report.internal_errors] == []


def test_every_truncation_of_small_samples(samples: dict[str, bytes]) -> None:
    for data in samples.values():
        step = max(1, len(data) // 64)
        for cut in range(0, len(data), step):
            _ok(data[:cut])


def test_truncated_malicious_pickle_is_still_judged_by_its_prefix(
    samples: dict[str, bytes],
) -> None:
    data = samples["os_system_protocol_4"]
    # cut right after the REDUCE: the call already ran in a real loader
    cut = data.rindex(b"R") + 1
    report = scan_bytes(data[:cut], "cut.pkl")
    assert report.files[0].verdict == "malicious"
    assert {"pickle-dangerous-call", "pickle-malformed"} <= {f.rule_id for f in report.findings}


def test_random_byte_mutations(samples: dict[str, bytes]) -> None:
    rng = random.Random(1234)
    for data in samples.values():
        for _ in range(12):
            buf = bytearray(data)
            for _ in range(rng.randint(1, 6)):
                if not buf:
                    break
                i = rng.randrange(len(buf))
                op = rng.random()
                if op < 0.5:
                    buf[i] = rng.randrange(256)
                elif op < 0.75:
                    del buf[i]
                else:
                    buf.insert(i, rng.randrange(256))
            _ok(bytes(buf))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=512))
def test_random_bytes(data: bytes) -> None:
    _ok(data)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list(range(0x28, 0x9A))), max_size=64), st.binary(max_size=64))
def test_random_opcode_soup(opcodes: list[int], tail: bytes) -> None:
    _ok(b"\x80\x04" + bytes(opcodes) + tail)
    _ok(bytes(opcodes) + b".")


@pytest.mark.parametrize(
    "prefix", [b"PK\x03\x04", b"\x93NUMPY", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b\x08", b"BZh9"]
)
def test_magic_then_garbage(prefix: bytes) -> None:
    rng = random.Random(7)
    for size in (0, 1, 10, 100, 1000):
        _ok(prefix + bytes(rng.randrange(256) for _ in range(size)))


def test_huge_declared_lengths_do_not_allocate(tmp_path: Path) -> None:
    # BINBYTES8 / BINUNICODE8 / FRAME claiming exabytes: bounded checks, no allocation
    for op in (b"\x8e", b"\x8d", b"\x96", b"\x95"):
        _ok(b"\x80\x04" + op + b"\xff" * 8 + b"x" * 16)
    _ok(b"\x80\x02\x8b\xff\xff\xff\x7f")  # LONG4 of 2 GiB
