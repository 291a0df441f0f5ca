"""A bounded, seeded sample of the differential pickle fuzz (the full run is
``benchmarks/scanners/differential_pickle.py``): whenever CPython's unpickler would reach a
dangerous callable, the scanner must not call the file clean."""

from __future__ import annotations

import random

import pytest
from pickle_fuzz import generate, oracle

from aisec.artifacts import scan_bytes

_CASES = 400


@pytest.mark.parametrize("seed", [20261207, 11])
def test_no_case_cpython_acts_on_is_called_clean(seed: int) -> None:
    rng = random.Random(seed)
    cases = [generate(rng) for _ in range(_CASES)]
    reaches = oracle(cases, timeout=120)
    reached = [c for c, r in zip(cases, reaches, strict=True) if r]
    # the generator is built to reach: a sample where CPython never reaches proves nothing
    assert len(reached) > _CASES // 3
    assert {c.wrapper for c in reached} > {"raw"}
    missed = [
        (c.wrapper, c.recipe, c.data[:60])
        for c in reached
        if scan_bytes(c.data, "case").files[0].verdict == "clean"
    ]
    assert missed == []


def test_oracle_refuses_rather_than_runs(tmp_path: object) -> None:
    # the oracle's find_class refuses dangerous names: a payload that would create a file
    # reaches os.system, and the file is never created
    from pathlib import Path

    from pickle_fuzz import Case

    target = Path(str(tmp_path)) / "ran"
    payload = b"cos\nsystem\n(S'touch " + str(target).encode() + b"'\ntR."
    assert oracle([Case(payload, "raw", "os.system"), Case(b"K\x01.", "raw", "int")]) == [
        True,
        False,
    ]
    assert not target.exists()
