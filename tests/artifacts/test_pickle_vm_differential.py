"""The pickle machine's inline fast path (``Machine.run``) against its reference walk
(``Machine.run_reference``: every opcode through the one general handler).

Both must end at the same offset or break with the same error at the same offset, and
leave the same events, calls, opcode count, protocol and ``saw_global``: on every file of
the benchmark corpus (as the scanner walks them, build hooks and nested streams
included), on truncations and mutations of real pickles, under tiny opcode limits, with
broken frames, and on random opcode soup.
"""

from __future__ import annotations

import pickle
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from corpus import CORPUS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aisec.artifacts import scan_path
from aisec.artifacts.pickle._vm import (
    Blob,
    Call,
    DictV,
    Global,
    Machine,
    Malformed,
    PersRef,
    SetV,
    Unknown,
    render_value,
)

_FAST_RUN = Machine.run


def _walk(run: Callable[[int], int], start: int) -> tuple[Any, ...]:
    try:
        return ("end", run(start))
    except Malformed as exc:
        return ("malformed", exc.offset, exc.reason)


def _plain(value: Any, budget: list[int], path: frozenset[int] = frozenset()) -> Any:
    """The whole symbolic value as comparable plain data (shared parts repeated, cycles
    cut, at most ``budget[0]`` nodes)."""
    budget[0] -= 1
    if budget[0] < 0:
        return "<budget>"
    if id(value) in path:
        return "<cycle>"
    inner = path | {id(value)}
    if isinstance(value, Global):
        return ("global", value.full, value.offset, value.via, value.kind.name)
    if isinstance(value, Call):
        parts = [_plain(p, budget, inner) for p in (value.func, value.args, value.state)]
        return ("call", value.op, value.offset, value.used, *parts)
    if isinstance(value, DictV):
        return ("dict", [_plain(v, budget, inner) for v in value])
    if isinstance(value, SetV):
        return ("set", value.frozen, [_plain(v, budget, inner) for v in value.items])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_plain(v, budget, inner) for v in value])
    if isinstance(value, PersRef):
        return ("persid", _plain(value.pid, budget, inner))
    if isinstance(value, Blob | Unknown):
        return repr(value)
    return (type(value).__name__, value)


def _state(m: Machine, outcome: tuple[Any, ...]) -> tuple[Any, ...]:
    events = [(e.kind, e.offset, render_value(e.subject), e.detail) for e in m.events]
    calls = [(c.offset, c.op, c.used, render_value(c), render_value(c.state)) for c in m.calls]
    result = _plain(m.result, [20_000])  # the whole value STOP returns
    return outcome, m.opcodes, m.protocol, m.saw_global, events, calls, result


def _reference_nested(data: Any, limit: int, torchscript: bool) -> Callable[[int], int]:
    def nested(at: int) -> int:
        return Machine(data, max_opcodes=limit, torchscript=torchscript).run_reference(at)

    return nested


def _compare(data: Any, start: int = 0, limit: int = 1_000_000) -> tuple[Any, ...]:
    fast = Machine(data, max_opcodes=limit)
    ref = Machine(data, max_opcodes=limit)
    got = _state(fast, _walk(lambda s: _FAST_RUN(fast, s), start))
    want = _state(ref, _walk(ref.run_reference, start))
    assert got == want
    return got


@pytest.fixture(scope="module")
def corpus_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("differential")
    files = []
    for name, build, _expected in CORPUS:
        folder = root / name
        folder.mkdir()
        files.append(build(folder))
    return files


def test_fast_path_and_reference_agree_on_every_corpus_file(
    corpus_files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[tuple[Any, ...]] = []

    def checked_run(self: Machine, start: int) -> int:
        twin = Machine(
            self.data,
            max_opcodes=self.max_opcodes,
            torchscript=self.torchscript,
            build_hook=self.build_hook,
            on_nested_stream=(
                _reference_nested(self.data, self.max_opcodes, self.torchscript)
                if self.on_nested_stream is not None
                else None
            ),
        )
        want = _state(twin, _walk(twin.run_reference, start))
        outcome = _walk(lambda s: _FAST_RUN(self, s), start)
        got = _state(self, outcome)
        assert got == want
        checked.append(got)
        if outcome[0] == "malformed":
            raise Malformed(outcome[1], outcome[2])
        return int(outcome[1])

    monkeypatch.setattr(Machine, "run", checked_run)
    for path in corpus_files:
        scan_path(path)
    walked = sum(state[1] for state in checked)
    assert len(checked) > 100  # every pickle stream of the corpus, nested ones included
    assert walked > 10_000
    assert any(state[0][0] == "malformed" for state in checked)
    assert any(state[4] for state in checked)  # streams with events (imports, calls)


def _real_pickles() -> list[bytes]:
    rows = [{"id": i, "w": i * 0.5, "tag": f"t{i % 7}", "ok": bool(i & 1)} for i in range(300)]
    nested = {"a": [1, 2, (3, 4, 5), (6,), ()], "b": {"c": None, "d": b"x" * 300}}
    big = {"s": "x" * 70_000, "u": "é" * 300, "n": -(2**40), "m": 70000, "f": frozenset({1})}
    out = [pickle.dumps(obj, protocol=p) for obj in (rows, nested, big) for p in range(6)]
    out.append(pickle.dumps(random.Random(0), protocol=2))  # globals, REDUCE, BUILD
    return out


def test_agree_on_real_pickles_and_every_truncation() -> None:
    for data in _real_pickles():
        assert _compare(data)[0][0] == "end"
        step = max(1, len(data) // 97)
        for cut in range(0, len(data), step):
            _compare(data[:cut])


def test_agree_on_a_long_walk_and_leave_the_gc_as_found() -> None:
    import gc

    rows = [{"id": i, "w": i * 0.5, "tag": f"t{i % 97}", "ok": bool(i & 1)} for i in range(60_000)]
    data = pickle.dumps(rows, protocol=4)
    assert len(data) > 1 << 20  # long enough for run() to pause the cyclic GC
    assert gc.isenabled()
    assert _compare(data)[0] == ("end", len(data))
    assert gc.isenabled()
    _compare(data[: len(data) // 2])  # broken: the GC comes back on the error path too
    assert gc.isenabled()


@pytest.mark.parametrize(
    "data",
    [
        b"\x80\x02X\x02\x00\x00\x00\xff\xfe.",  # BINUNICODE, invalid UTF-8
        b"\x80\x02X\x09\x00\x00\x00abc.",  # BINUNICODE longer than the data
        b"\x80\x02X\x01\x00.",  # BINUNICODE length cut short
        b"\x80\x04X" + (2 << 20).to_bytes(4, "little") + b"x" * (2 << 20) + b".",  # a Blob
        b"\x80\x04\x8c\x02\xff\xfe.",  # SHORT_BINUNICODE, invalid UTF-8
        b"\x80\x04J\x01\x02.",  # BININT cut short
        b"\x80\x04M\x01.",  # BININT2 cut short
        b"\x80\x04G\x00\x00.",  # BINFLOAT cut short
        b"\x80\x04(K\x01u.",  # SETITEMS with an odd count
        b"\x80\x04(K\x01K\x02u.",  # SETITEMS with nothing under the mark
        b"\x80\x04]K\x01K\x02u.",  # SETITEMS without a mark
        b"\x80\x04](K\x01K\x02u.",  # SETITEMS on a list
        b"\x80\x04}(K\x01e.",  # APPENDS on a dict
        b"\x80\x04(K\x01e.",  # APPENDS with nothing under the mark
        b"\x80\x04K\x01\x86.",  # TUPLE2 on one item
        b"\x80\x04t.",  # TUPLE without a mark
        b"\x80\x04.",  # STOP on an empty stack
        b"\x80\x04h\x00.",  # BINGET of nothing
        b"\x80\x04\x94.",  # MEMOIZE of nothing
    ],
)
def test_agree_on_edge_streams(data: bytes) -> None:
    _compare(data)


def test_agree_under_tiny_opcode_limits() -> None:
    for data in _real_pickles()[:6]:
        for limit in (1, 2, 3, 5, 8, 13, 100, 1000):
            _compare(data, limit=limit)


def test_agree_on_mutated_real_pickles() -> None:
    rng = random.Random(4321)
    for data in _real_pickles():
        for _ in range(40):
            buf = bytearray(data)
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(buf))
                buf[i] = rng.randrange(256)
            _compare(bytes(buf))


def test_agree_on_broken_frames() -> None:
    data = pickle.dumps([{"k": i, "v": "x" * (i % 50)} for i in range(20_000)], protocol=4)
    frame = data.index(b"\x95", 2)
    length = int.from_bytes(data[frame + 1 : frame + 9], "little")
    for delta in (-9, -1, 1, 7, 1 << 40):
        bad = data[: frame + 1] + (length + delta).to_bytes(8, "little") + data[frame + 9 :]
        events = _compare(bad)[4]
        # one byte short still ends on an opcode boundary; the others are seen as lies
        assert bool(events) == (delta != -1)
    # a frame opened inside a frame
    _compare(data[:20] + b"\x95" + (4).to_bytes(8, "little") + data[20:])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(list(range(0x28, 0x9A))), max_size=80), st.binary(max_size=40))
def test_agree_on_opcode_soup(opcodes: list[int], tail: bytes) -> None:
    _compare(b"\x80\x04" + bytes(opcodes) + tail)
    _compare(bytes(opcodes) + b".")
    _compare(bytes(opcodes) + tail, limit=len(opcodes) // 2 + 1)


def test_opcodes_table_is_exactly_what_the_machine_walks() -> None:
    # OPCODES is every byte the general handler knows: any other byte stops a walk at once
    import pickletools

    from aisec.artifacts.pickle._vm import OPCODES

    assert frozenset(op.code.encode("latin-1")[0] for op in pickletools.opcodes) == OPCODES
    for byte in range(256):
        try:
            Machine(bytes([byte]) + b"\x00" * 16, max_opcodes=10).run_reference(0)
            stopped = False
        except Malformed as exc:
            stopped = exc.offset == 0 and exc.reason == f"invalid opcode 0x{byte:02x}"
        assert stopped == (byte not in OPCODES), hex(byte)


def test_fast_path_and_reference_record_the_same_shared_references() -> None:
    # memo gets and DUPs (the input of the billion-laughs check) are recorded on both paths
    laughs = b"\x80\x04(X\x03\x00\x00\x00lol" + (b"\x94" + b"h\x00" * 3 + b"2" * 3 + b"l") + b"."
    for data in [*_real_pickles(), laughs, b"(I1\np0\ng0\ng0\nl."]:
        fast = Machine(data, max_opcodes=1_000_000)
        ref = Machine(data, max_opcodes=1_000_000)
        _FAST_RUN(fast, 0)
        ref.run_reference(0)
        assert [render_value(v) for v in fast.shared] == [render_value(v) for v in ref.shared]
        if data is laughs:
            assert len(fast.shared) == 6  # three memo gets, three DUPs
