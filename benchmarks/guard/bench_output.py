"""Output-direction guard cost: ``Engine().scan(text, "output")`` (the default output
pipeline) on 1 KB and 1 MB model responses, p50/p99, and each scanner's cost per MB.

    python benchmarks/guard/bench_output.py --before /path/to/main/src --after src

Each side runs in its own interpreter with its own ``src`` first on the path, one after the
other in the same run, on the same generated responses (seeded): ordinary markdown answers
(prose, a list, a code block, a table of numbers, links), half of the 1 KB ones with an
e-mail address, a card number and a key spliced in.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

_PROSE = (
    "the model returns a short answer with context about deployment settings and the "
    "team reviews each change before release while metrics stay within the agreed budget "
    "so that latency and cost remain predictable for every customer in each region"
)
_WORDS = _PROSE.split(" ")


def _block(rng: random.Random) -> str:
    words = " ".join(rng.choice(_WORDS) for _ in range(60))
    rows = "\n".join(
        f"| {rng.randint(2019, 2025)} | {rng.randint(100, 9999):,} | {rng.random() * 100:.2f} |"
        for _ in range(4)
    )
    return (
        f"## Section {rng.randint(1, 99)}\n\n{words.capitalize()}.\n\n"
        f"- step {rng.randint(1, 9)}: run `make test` and check the logs\n"
        f"- see [the guide](https://docs.example.org/guide/{rng.randint(1, 500)}) for details\n\n"
        "```python\ndef total(xs):\n    return sum(x for x in xs if x > 0)\n```\n\n"
        f"| year | units | share |\n|---|---|---|\n{rows}\n\n"
    )


def responses(size: int, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        parts: list[str] = []
        total = 0
        while total < size:
            block = _block(rng)
            parts.append(block)
            total += len(block)
        text = "".join(parts)[:size]
        if size <= 4096 and i % 2:
            dirty = (
                " Contact jane.roe@example.com, card 4539 5787 6362 1486,"
                " key AKIAZ7QX4LM2PB9WRT3K. "
            )
            cut = len(text) // 2
            text = (text[:cut] + dirty + text[cut:])[:size]
        out.append(text)
    return out


def _measure(size: int, count: int, rounds: int) -> dict[str, object]:
    from aisec.guard import Engine

    engine = Engine()
    texts = responses(size, count, seed=size)
    engine.scan(texts[0], "output")  # warm-up: imports, caches
    times: list[float] = []
    per_scanner: dict[str, list[float]] = {}
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter_ns()
            decision = engine.scan(text, "output")
            times.append((time.perf_counter_ns() - start) / 1e6)
            for o in decision.outcomes:
                per_scanner.setdefault(o.scanner, []).append(o.latency_ms)
    times.sort()
    calls = len(times)
    # per scanner: the median call, scaled to a megabyte (medians: the machine is shared)
    return {
        "size": size,
        "calls": calls,
        "p50": statistics.median(times),
        "p99": times[min(calls - 1, int(calls * 0.99))],
        "mean": statistics.fmean(times),
        "ms_per_mb": {
            k: statistics.median(v) * (1 << 20) / size for k, v in sorted(per_scanner.items())
        },
    }


def _child(args: argparse.Namespace) -> None:
    results = [_measure(1024, args.small, args.rounds), _measure(1 << 20, args.large, 1)]
    print(json.dumps(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="src directory of the baseline checkout")
    parser.add_argument("--after", default="src", help="src directory of this checkout")
    parser.add_argument("--small", type=int, default=200, help="1 KB responses per round")
    parser.add_argument("--large", type=int, default=3, help="1 MB responses (one round)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    sides = [("before", args.before), ("after", args.after)] if args.before else []
    sides = sides or [("after", args.after)]
    print("| code | response | calls | p50 ms | p99 ms | mean ms |")
    print("|---|---|---|---|---|---|")
    detail = []
    for label, src in sides:
        env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()))
        cmd = [sys.executable, __file__, "--child", "--small", str(args.small)]
        cmd += ["--large", str(args.large), "--rounds", str(args.rounds)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        for row in json.loads(out.stdout):
            name = "1 KB" if row["size"] == 1024 else "1 MB"
            print(
                f"| {label} | {name} | {row['calls']} | {row['p50']:.3f} | {row['p99']:.3f} "
                f"| {row['mean']:.3f} |"
            )
            detail.append((label, name, row["ms_per_mb"]))
    print("\n| code | response | scanner | ms per MB (median call) |\n|---|---|---|---|")
    for label, name, per in detail:
        for scanner, cost in per.items():
            print(f"| {label} | {name} | {scanner} | {cost:.1f} |")


if __name__ == "__main__":
    main()
