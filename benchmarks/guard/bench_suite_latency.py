"""Latency of the default guard input pipeline on 1 KB benign and attack prompts built
from the per-family dev suite (one core, numpy one thread, each call timed alone).

Usage:
    python benchmarks/guard/bench_suite_latency.py [--prompts 200] [--rounds 5] [--core 1]

Prompts: rows of the suite's benign families (resp. attack families) joined in a seeded
order and cut to exactly 1024 characters; an attack prompt starts with one attack row, so
the injection is in it. No peer: LLM Guard's environment is not installed here.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

SUITE = Path(__file__).resolve().parent / "devsuite"


def _rows(kind: str) -> list[str]:
    spec = json.loads((SUITE / "suite.json").read_text(encoding="utf-8"))
    out: list[str] = []
    for fam in spec["families"]:
        if fam["kind"] == kind and "@" not in fam["name"]:
            lines = (SUITE / fam["file"]).read_text(encoding="utf-8").splitlines()
            out += [json.loads(line)["text"] for line in lines if line]
    return out


def _prompts(kind: str, n: int, rng: random.Random) -> list[str]:
    rows = _rows(kind)
    benign = _rows("benign")
    out = []
    for _ in range(n):
        parts = [rng.choice(rows)]
        while sum(len(p) + 1 for p in parts) < 1024:
            parts.append(rng.choice(benign))
        out.append("\n".join(parts)[:1024])
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompts", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--core", type=int, default=None)
    args = ap.parse_args()
    if args.core is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.core})
    from aisec.guard import Engine

    engine = Engine()
    rng = random.Random(20261207)
    print("| prompts | p50 ms | p99 ms | mean ms | blocked | calls |")
    print("|---|---|---|---|---|---|")
    for kind in ("benign", "attack"):
        prompts = _prompts(kind, args.prompts, rng)
        for p in prompts[:20]:
            engine.scan(p, "input")  # warm-up
        times: list[float] = []
        blocked = 0
        for _ in range(args.rounds):
            for p in prompts:
                t0 = time.perf_counter_ns()
                d = engine.scan(p, "input")
                times.append((time.perf_counter_ns() - t0) / 1e6)
                blocked += d.blocked
        times.sort()
        p50 = times[len(times) // 2]
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        mean = sum(times) / len(times)
        share = blocked / len(times)
        print(f"| {kind} 1 KB | {p50:.3f} | {p99:.3f} | {mean:.3f} | {share:.3f} | {len(times)} |")


if __name__ == "__main__":
    main()
