"""Encrypted files: round trips, every tamper case, rewrap, fuzzing."""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aisec.core.crypto import Keyring, read_header
from aisec.core.errors import AisecError, CryptoError, InputError

# Tink AES256_GCM_HKDF_1MB: 1 MiB ciphertext segments, 16-byte tags, and a 40-byte stream
# header (1 length byte, 32 salt, 7 nonce prefix) that shares the first segment.
SEG = 1 << 20
PT_SEG = SEG - 16
FIRST = PT_SEG - 40
BOUNDARIES = [FIRST, FIRST + PT_SEG]


@pytest.fixture
def kring(ring: Keyring) -> Keyring:
    ring.create_key("files", "streaming")
    return ring


def _enc(ring: Keyring, data: bytes, aad: bytes = b"") -> bytes:
    out = io.BytesIO()
    ring.encrypt_stream(io.BytesIO(data), out, "files", aad)
    return out.getvalue()


def _dec(ring: Keyring, blob: bytes, aad: bytes = b"") -> bytes:
    out = io.BytesIO()
    ring.decrypt_stream(io.BytesIO(blob), out, aad)
    return out.getvalue()


def _payload_offset(blob: bytes) -> int:
    src = io.BytesIO(blob)
    read_header(src)
    return src.tell()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=5000), aad=st.binary(max_size=40))
def test_round_trip_small(kring: Keyring, data: bytes, aad: bytes) -> None:
    assert _dec(kring, _enc(kring, data, aad), aad) == data


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    size=st.sampled_from([0, 1, *[b + d for b in BOUNDARIES for d in (-1, 0, 1)]]),
    seed=st.integers(0, 2**32 - 1),
)
def test_round_trip_at_segment_boundaries(kring: Keyring, size: int, seed: int) -> None:
    data = random.Random(seed).randbytes(size)
    assert _dec(kring, _enc(kring, data)) == data


def test_zero_bytes_round_trip(kring: Keyring) -> None:
    blob = _enc(kring, b"")
    assert blob.startswith(b"AISECENC") and _dec(kring, blob) == b""


def test_same_plaintext_gives_different_ciphertexts(kring: Keyring) -> None:
    assert _enc(kring, b"same") != _enc(kring, b"same")


# -- tamper cases: each must fail with CryptoError and leave nothing at OUT ---------------


@pytest.fixture
def sample(kring: Keyring, tmp_path: Path) -> tuple[Path, bytes]:
    plain = os.urandom(3 * SEG + 1234)  # four segments
    src = tmp_path / "plain.bin"
    src.write_bytes(plain)
    enc = tmp_path / "data.aisec"
    kring.encrypt_file(src, enc, "files")
    return enc, plain


def _assert_refused(ring: Keyring, path: Path, blob: bytes, match: str, aad: bytes = b"") -> None:
    path.write_bytes(blob)
    out = path.parent / "out.bin"
    with pytest.raises(CryptoError, match=match):
        ring.decrypt_file(path, out, aad)
    assert not out.exists()
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".out")] == []


def _flip(blob: bytes, offset: int) -> bytes:
    b = bytearray(blob)
    b[offset] ^= 0x01
    return bytes(b)


def test_untampered_sample_decrypts(kring: Keyring, sample: tuple[Path, bytes]) -> None:
    enc, plain = sample
    out = enc.parent / "ok.bin"
    kring.decrypt_file(enc, out)
    assert out.read_bytes() == plain


@pytest.mark.parametrize(
    ("field", "offset"),
    [
        ("magic", 0),
        ("format", 8),
        ("flags", 9),
        ("file_id", 15),
        ("key_name", 27),
        ("version", 33),
        ("wrapped_len", 37),
        ("wrapped_key", 60),
    ],
)
def test_bit_flip_in_header(
    kring: Keyring, sample: tuple[Path, bytes], field: str, offset: int
) -> None:
    enc, _ = sample
    blob = enc.read_bytes()
    _assert_refused(kring, enc, _flip(blob, offset), ".")


def test_bit_flip_in_payload(kring: Keyring, sample: tuple[Path, bytes]) -> None:
    enc, _ = sample
    blob = enc.read_bytes()
    _assert_refused(kring, enc, _flip(blob, _payload_offset(blob) + SEG + 17), "authentication")


def test_bit_flip_in_tink_stream_header(kring: Keyring, sample: tuple[Path, bytes]) -> None:
    enc, _ = sample
    blob = enc.read_bytes()
    _assert_refused(kring, enc, _flip(blob, _payload_offset(blob) + 5), "authentication")


def test_bit_flip_in_last_chunk(kring: Keyring, sample: tuple[Path, bytes]) -> None:
    enc, _ = sample
    blob = enc.read_bytes()
    _assert_refused(kring, enc, _flip(blob, len(blob) - 3), "authentication")


@pytest.mark.parametrize("cut", [1, 16, 17, 1300, "segment"])
def test_truncation(kring: Keyring, sample: tuple[Path, bytes], cut: int | str) -> None:
    enc, _ = sample
    blob = enc.read_bytes()
    if cut == "segment":  # cut exactly at a segment boundary: the final-segment flag catches it
        end = _payload_offset(blob) + 3 * SEG
    else:
        assert isinstance(cut, int)
        end = len(blob) - cut
    _assert_refused(kring, enc, blob[:end], "authentication")


@pytest.mark.parametrize("end", [0, 5, 30, 40])
def test_truncation_inside_header(kring: Keyring, sample: tuple[Path, bytes], end: int) -> None:
    enc, _ = sample
    _assert_refused(kring, enc, enc.read_bytes()[:end], "not an aisec encrypted file|truncated")


def test_chunk_reorder(kring: Keyring, sample: tuple[Path, bytes]) -> None:
    enc, _ = sample
    blob = enc.read_bytes()
    p = _payload_offset(blob)
    s1, s2 = blob[p + SEG : p + 2 * SEG], blob[p + 2 * SEG : p + 3 * SEG]
    swapped = blob[: p + SEG] + s2 + s1 + blob[p + 3 * SEG :]
    assert len(swapped) == len(blob)
    _assert_refused(kring, enc, swapped, "authentication")


def test_appended_bytes(kring: Keyring, sample: tuple[Path, bytes]) -> None:
    enc, _ = sample
    _assert_refused(kring, enc, enc.read_bytes() + b"\x00" * 100, "authentication")


def test_wrong_aad(kring: Keyring, tmp_path: Path) -> None:
    src = tmp_path / "p.bin"
    src.write_bytes(b"hello" * 1000)
    enc = tmp_path / "e.aisec"
    kring.encrypt_file(src, enc, "files", aad=b"tenant=a")
    blob = enc.read_bytes()
    _assert_refused(kring, enc, blob, "different --aad", aad=b"tenant=b")
    _assert_refused(kring, enc, blob, "pass the same --aad")
    out = tmp_path / "good.bin"
    kring.decrypt_file(enc, out, aad=b"tenant=a")
    assert out.read_bytes() == src.read_bytes()


def test_aad_given_for_file_without_aad(kring: Keyring, sample: tuple[Path, bytes]) -> None:
    enc, _ = sample
    _assert_refused(kring, enc, enc.read_bytes(), "without associated data", aad=b"x")


def test_renamed_file_with_bound_name(kring: Keyring, tmp_path: Path) -> None:
    src = tmp_path / "p.bin"
    src.write_bytes(b"payroll")
    enc = tmp_path / "payroll.aisec"
    kring.encrypt_file(src, enc, "files", bind_name=True)
    moved = tmp_path / "public.aisec"
    _assert_refused(kring, moved, enc.read_bytes(), "renamed file")
    kring.decrypt_file(enc, tmp_path / "ok.bin")
    assert (tmp_path / "ok.bin").read_bytes() == b"payroll"


def test_disabled_key_version(kring: Keyring, sample: tuple[Path, bytes]) -> None:
    enc, _ = sample
    kring.rotate("files")
    kring.disable_version("files", 1)
    _assert_refused(kring, enc, enc.read_bytes(), "version 1 is disabled")


def test_unknown_key_in_header(
    kring: Keyring, sample: tuple[Path, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enc, _ = sample
    blob = enc.read_bytes()
    monkeypatch.setenv("AISEC_HOME", str(tmp_path / "other-home"))  # a keyring without "files"
    with Keyring.open() as other:
        _assert_refused(other, enc, blob, "does not have|no key named")


def test_data_key_moved_from_another_file(kring: Keyring, tmp_path: Path) -> None:
    """Splicing file A's header onto file B's payload fails (the file id binds both)."""
    a, b = _enc(kring, b"A" * 5000), _enc(kring, b"B" * 5000)
    spliced = a[: _payload_offset(a)] + b[_payload_offset(b) :]
    _assert_refused(kring, tmp_path / "x.aisec", spliced, "authentication")


def test_nothing_left_at_out_and_out_not_overwritten(kring: Keyring, tmp_path: Path) -> None:
    src = tmp_path / "p.bin"
    src.write_bytes(b"x" * 100)
    out = tmp_path / "exists.bin"
    out.write_bytes(b"keep me")
    with pytest.raises(InputError, match="--force"):
        kring.encrypt_file(src, out, "files")
    assert out.read_bytes() == b"keep me"
    with pytest.raises(InputError, match="same file"):
        kring.encrypt_file(src, src, "files", force=True)


def test_fuzz_random_mutations_fail_cleanly(kring: Keyring) -> None:
    rng = random.Random(1234)
    blob = _enc(kring, os.urandom(10_000))
    for _ in range(60):
        mutated = bytearray(blob)
        for _ in range(rng.randint(1, 4)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        if rng.random() < 0.3:
            mutated = mutated[: rng.randrange(len(mutated))]
        if bytes(mutated) == blob:
            continue
        with pytest.raises(AisecError):
            _dec(kring, bytes(mutated))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(junk=st.binary(max_size=300))
def test_fuzz_random_bytes_fail_cleanly(kring: Keyring, junk: bytes) -> None:
    with pytest.raises(AisecError):
        _dec(kring, junk)
    with pytest.raises(AisecError):
        _dec(kring, b"AISECENC\x01\x00" + junk)


# -- rewrap ----------------------------------------------------------------------------------


def test_rotate_then_old_and_new_files_decrypt_and_rewrap_changes_only_header(
    kring: Keyring, tmp_path: Path
) -> None:
    plain = os.urandom(2 * SEG + 99)
    src = tmp_path / "p.bin"
    src.write_bytes(plain)
    old, new = tmp_path / "old.aisec", tmp_path / "new.aisec"
    kring.encrypt_file(src, old, "files")
    kring.rotate("files")
    kring.encrypt_file(src, new, "files")
    assert read_header(old.open("rb")).version == 1 and read_header(new.open("rb")).version == 2
    for f, name in ((old, "o1"), (new, "n1")):
        kring.decrypt_file(f, tmp_path / name)
        assert (tmp_path / name).read_bytes() == plain

    before = old.read_bytes()
    assert kring.rewrap(old) == (1, 2)
    after = old.read_bytes()
    p_before, p_after = _payload_offset(before), _payload_offset(after)
    assert before[p_before:] == after[p_after:]  # payload bytes unchanged
    assert before[:p_before] != after[:p_after]  # header changed
    assert read_header(old.open("rb")).version == 2
    assert kring.rewrap(old) is None  # already under the primary: nothing to do
    assert old.read_bytes() == after

    kring.disable_version("files", 1)
    kring.decrypt_file(old, tmp_path / "o2")  # disabled v1 no longer matters after rewrap
    assert (tmp_path / "o2").read_bytes() == plain


def test_rewrap_keeps_aad_binding(kring: Keyring, tmp_path: Path) -> None:
    src = tmp_path / "p.bin"
    src.write_bytes(b"bound" * 100)
    enc = tmp_path / "bound.aisec"
    kring.encrypt_file(src, enc, "files", aad=b"ctx", bind_name=True)
    kring.rotate("files")
    assert kring.rewrap(enc) == (1, 2)
    kring.decrypt_file(enc, tmp_path / "o", aad=b"ctx")
    assert (tmp_path / "o").read_bytes() == src.read_bytes()


def test_rewrap_of_disabled_version_is_refused(kring: Keyring, sample: tuple[Path, bytes]) -> None:
    enc, _ = sample
    before = enc.read_bytes()
    kring.rotate("files")
    kring.disable_version("files", 1)
    with pytest.raises(CryptoError, match="disabled"):
        kring.rewrap(enc)
    assert enc.read_bytes() == before


def test_field_key_cannot_encrypt_files(ring: Keyring, tmp_path: Path) -> None:
    ring.create_key("det", "deterministic")
    src = tmp_path / "p.bin"
    src.write_bytes(b"x")
    with pytest.raises(CryptoError, match="purpose deterministic"):
        ring.encrypt_file(src, tmp_path / "o", "det")
    assert not (tmp_path / "o").exists()


def test_progress_callback_sees_every_byte(kring: Keyring, tmp_path: Path) -> None:
    src = tmp_path / "p.bin"
    src.write_bytes(os.urandom(300_000))
    seen: list[int] = []
    kring.encrypt_file(src, tmp_path / "e", "files", progress=seen.append)
    assert sum(seen) == 300_000
    seen.clear()
    kring.decrypt_file(tmp_path / "e", tmp_path / "d", progress=seen.append)
    assert sum(seen) == (tmp_path / "e").stat().st_size


def test_header_with_control_characters_in_key_name(kring: Keyring, tmp_path: Path) -> None:
    """A forged key name never reaches the audit log or the file system."""
    blob = bytearray(_enc(kring, b"x"))
    blob[27] = 0x07  # first character of "files"
    _assert_refused(kring, tmp_path / "bell.aisec", bytes(blob), "invalid key name")
    blob[27:32] = b"../.."
    _assert_refused(kring, tmp_path / "dots.aisec", bytes(blob), "invalid key name")
