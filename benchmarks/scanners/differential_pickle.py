"""Differential pickle fuzz: aisec must never call clean what CPython's unpickler acts on.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/scanners/differential_pickle.py``
(``--cases 30000 --seed 1``; ``--batch`` cases go to the oracle child at a time).

Generates pickles with random opcode prefixes, suffixes and mid-stream
PROTO/FRAME/POP/MEMOIZE/MARK noise around a dangerous call, some inside gzip, bz2, xz,
lzma, zlib or lz4 wrappers (``tests/artifacts/pickle_fuzz.py``). CPython's own unpickler,
in a child process, with a ``find_class`` that records and refuses dangerous names (never
runs them), says which cases reach a dangerous callable; aisec scans each case from bytes
under a neutral name. Prints: cases generated, cases where CPython reached a dangerous
callable, aisec's verdicts on those (clean must be 0), the first few misses, run time.
Exit status 1 when any reaching case was called clean.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "artifacts"))
sys.path.insert(0, str(ROOT / "src"))

from pickle_fuzz import generate, oracle  # noqa: E402

from aisec.artifacts import scan_bytes  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args()

    started = time.perf_counter()
    rng = random.Random(args.seed)
    generated = reached = 0
    verdicts: Counter[str] = Counter()
    wrappers: Counter[str] = Counter()
    misses: list[str] = []
    scan_s = oracle_s = 0.0
    while generated < args.cases:
        cases = [generate(rng) for _ in range(min(args.batch, args.cases - generated))]
        generated += len(cases)
        t0 = time.perf_counter()
        answers = oracle(cases)
        oracle_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        for case, reaches in zip(cases, answers, strict=True):
            if not reaches:
                continue
            reached += 1
            wrappers[case.wrapper] += 1
            verdict = scan_bytes(case.data, "case").files[0].verdict
            verdicts[verdict] += 1
            if verdict == "clean" and len(misses) < 10:
                misses.append(f"{case.wrapper} {case.recipe} {case.data[:60]!r}")
        scan_s += time.perf_counter() - t0
    total = time.perf_counter() - started
    print(f"seed {args.seed}")
    print(f"cases generated: {generated}")
    print(f"cases where CPython reached a dangerous callable: {reached}")
    print(f"  by wrapper: {dict(sorted(wrappers.items()))}")
    print(f"aisec verdicts on those: {dict(sorted(verdicts.items()))}")
    print(f"cases aisec called clean among them: {verdicts['clean']} (must be 0)")
    for miss in misses:
        print(f"  miss: {miss}")
    print(f"run time: {total:.1f} s (oracle {oracle_s:.1f} s, aisec scans {scan_s:.1f} s)")
    return 1 if verdicts["clean"] else 0


if __name__ == "__main__":
    sys.exit(main())
