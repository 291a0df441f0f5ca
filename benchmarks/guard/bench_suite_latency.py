"""Latency of the guard input pipeline on 1 KB benign and attack prompts built from the
per-family dev suite (one core, numpy and onnxruntime one thread, each call timed alone):
the first tier alone (``second_tier: off``), the cascade with the shipped second tier
(``second_tier: builtin``), and the second-tier model alone on the same prompts.

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

from aisec.core.policy import Direction

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


def _engine(second_tier: str) -> object:
    """The default pipeline, with the prompt-injection scanner's second tier set."""
    from aisec.core.policy import parse_policy
    from aisec.guard import Engine

    entries = []
    for name, mode, _ in Engine().scanners:
        entry: dict[str, object] = {"name": name, "mode": mode}
        if name == "prompt_injection":
            entry["options"] = {"second_tier": second_tier}
        entries.append(entry)
    return Engine(parse_policy({"guard": {"scanners": entries}}).guard)


def _time(fn: object, prompts: list[str], rounds: int) -> tuple[list[float], int]:
    for p in prompts[:20]:
        fn(p)  # type: ignore[operator]  # warm-up
    times: list[float] = []
    flagged = 0
    for _ in range(rounds):
        for p in prompts:
            t0 = time.perf_counter_ns()
            out = fn(p)  # type: ignore[operator]
            times.append((time.perf_counter_ns() - t0) / 1e6)
            flagged += bool(out)
    times.sort()
    return times, flagged


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prompts", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--core", type=int, default=None)
    args = ap.parse_args()
    if args.core is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.core})
    from aisec.guard._injection import builtin_second_tier

    first, cascade = _engine("off"), _engine("builtin")
    tier2 = builtin_second_tier()
    band_hits = [0]
    real = tier2.probability
    cascade_scanner = cascade.scanner("prompt_injection")  # type: ignore[attr-defined]

    def counted(text: str) -> float:
        band_hits[0] += 1
        return real(text)

    cascade_scanner._tier2.probability = counted
    cases = {
        "first tier only (second_tier: off)": lambda p: first.scan(p, "input").blocked,  # type: ignore[attr-defined]
        "cascade (second_tier: builtin)": lambda p: cascade.scan(p, "input").blocked,  # type: ignore[attr-defined]
        "second-tier model alone": lambda p: tier2.score(p, Direction.INPUT) >= 0.5,
    }
    rng = random.Random(20261207)
    prompts = {kind: _prompts(kind, args.prompts, rng) for kind in ("benign", "attack")}
    print("| pipeline | prompts | p50 ms | p99 ms | mean ms | blocked | to 2nd tier | calls |")
    print("|---|---|---|---|---|---|---|---|")
    for name, fn in cases.items():
        for kind in ("benign", "attack"):
            band_hits[0] = 0
            times, flagged = _time(fn, prompts[kind], args.rounds)
            n = len(times)
            p50 = times[n // 2]
            p99 = times[min(n - 1, int(n * 0.99))]
            mean = sum(times) / n
            handed = f"{band_hits[0] / (n + 20):.3f}" if name.startswith("cascade") else "-"
            print(
                f"| {name} | {kind} 1 KB | {p50:.3f} | {p99:.3f} | {mean:.3f} | "
                f"{flagged / n:.3f} | {handed} | {n} |"
            )


if __name__ == "__main__":
    main()
