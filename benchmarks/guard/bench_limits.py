"""Guard size limits and per-scanner cost per MB (issue 20, "limits act first").

Two tables:

1. Time to a decision for over-limit texts through the default ``Engine()``: a 50 MB
   prompt, 5 MB of phone-like numbers in a model response, 5 MB of ``<a `` in a response.
   With the limits gate the Engine blocks them after one ``len()``; before it, every
   scanner read the whole text first. Run the script against another checkout
   (``--src /path/to/other/src``) for the "before" column; ``--before-mb`` shrinks the
   texts for a slow before-run (the time is then given per MB of input).
2. Each registered scanner called directly (limits out of the way) on text shapes that
   stress regex scanners: prose, phone-like numbers, ``<a `` repeated, one long digit run,
   one long base64-like run, markdown image links, random printable ASCII. For each, the
   best of ``--rounds`` runs at 64 KB and 256 KB: ms per MB at 256 KB, and the growth from
   64 KB to 256 KB (4.0 = linear, 16 = quadratic).

Usage:
    python benchmarks/guard/bench_limits.py [--rounds 3] [--src src] [--big-mb 50]
        [--skip-scanners] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def shapes(size: int) -> dict[str, str]:
    rng = random.Random(20)
    prose = (
        "The quarterly report shows revenue grew in every region, and the team expects "
        "the new product line to ship before the end of the year. "
    )
    out = {
        "prose": prose,
        "phone-like numbers": "555-0100 ",
        "'<a ' repeated": "<a ",
        "one digit run": "7",
        "one base64-like run": "QUJDRGVmZ2gxMjM0",
        "markdown images": "![x](https://cdn.example.com/i.png) ",
    }
    texts = {name: (unit * (size // len(unit) + 1))[:size] for name, unit in out.items()}
    texts["random printable"] = "".join(rng.choice(string.printable) for _ in range(size))
    return texts


def best(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def over_limit(rounds: int, big_mb: float) -> list[tuple[str, float, int]]:
    from aisec.guard import Engine

    engine = Engine()
    size = int(big_mb * 1_000_000)
    cases = [
        ("prompt of 'a ' (input)", ("a " * (size // 2 + 1))[:size], "input"),
        ("phone-like numbers (output)", ("555-0100 " * (size // 9 + 1))[:size], "output"),
        ("'<a ' repeated (output)", ("<a " * (size // 3 + 1))[:size], "output"),
    ]
    rows = []
    for name, text, direction in cases:
        decision = engine.scan(text, direction)
        seconds = best(lambda t=text, d=direction: engine.scan(t, d), rounds)
        rows.append((f"{name}, {big_mb:g} MB -> {decision.action.value}", seconds, len(text)))
    return rows


def at_limit(rounds: int) -> list[tuple[str, float, str]]:
    """The default Engine on the largest response of each shape that the output limits
    still admit (found by bisection on the limits scanner): the worst case it scans."""
    from aisec.guard import Engine, ScanContext
    from aisec.guard._scanner import Direction

    engine = Engine()
    limits = engine.scanner("limits")
    ctx = ScanContext(direction=Direction.OUTPUT)
    top = int(getattr(limits, "max_output_chars", 0))
    if not top:
        return []
    rows = []
    for shape, full in shapes(top).items():
        low, high = 0, len(full)
        while low < high:  # the longest prefix the limits let through
            mid = (low + high + 1) // 2
            if limits.scan(full[:mid], ctx).score < limits.threshold:
                low = mid
            else:
                high = mid - 1
        text = full[:low]
        decision = engine.scan(text, "output")
        seconds = best(lambda t=text: engine.scan(t, "output"), rounds)
        rows.append((f"{shape}, {len(text):,} chars", seconds, decision.action.value))
    return rows


def per_scanner(rounds: int) -> list[tuple[str, str, float, float]]:
    from aisec.guard import SCANNERS, Engine, ScanContext
    from aisec.guard._scanner import Direction

    Engine()  # registers the built-in scanners
    rows = []
    small, large = shapes(64 * 1024), shapes(256 * 1024)
    for name, cls in sorted(SCANNERS.items()):
        if name.startswith("test_") or cls.default_mode == "off":
            continue
        scanner = cls()
        direction = Direction.OUTPUT if Direction.OUTPUT in cls.directions else Direction.INPUT
        for shape in small:
            ctx = ScanContext(direction=direction)
            t_small = best(lambda s=scanner, x=small[shape], c=ctx: s.scan(x, c), rounds)
            t_large = best(lambda s=scanner, x=large[shape], c=ctx: s.scan(x, c), rounds)
            mb = len(large[shape]) / 1_000_000
            rows.append((f"{name} ({direction.value})", shape, t_large / mb * 1000,
                         t_large / max(t_small, 1e-9)))  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--src", default=str(ROOT / "src"), help="the aisec source tree to time")
    ap.add_argument("--big-mb", type=float, default=50.0, help="size of the over-limit texts")
    ap.add_argument("--skip-scanners", action="store_true")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)
    sys.path.insert(0, args.src)

    results: dict[str, object] = {"src": args.src}
    print(f"source: {args.src}\n")
    print("| over-limit text | decision time (ms) | ms per MB |\n|---|---|---|")
    limit_rows = over_limit(args.rounds, args.big_mb)
    for name, seconds, size in limit_rows:
        print(f"| {name} | {seconds * 1e3:.3f} | {seconds * 1e3 / (size / 1e6):.4f} |")
    results["over_limit"] = limit_rows
    limit_rows_at = at_limit(args.rounds)
    if limit_rows_at:
        print(
            "\n| default Engine, largest output under the limits | decision time (ms) | decision |"
        )
        print("|---|---|---|")
        for name, seconds, action in limit_rows_at:
            print(f"| {name} | {seconds * 1e3:.1f} | {action} |")
    results["at_limit"] = limit_rows_at
    if not args.skip_scanners:
        print("\n| scanner | text | ms per MB (256 KB) | 64 KB -> 256 KB growth |")
        print("|---|---|---|---|")
        scanner_rows = per_scanner(args.rounds)
        for scanner, shape, ms_per_mb, growth in scanner_rows:
            print(f"| {scanner} | {shape} | {ms_per_mb:.1f} | {growth:.1f}x |")
        results["per_scanner"] = scanner_rows
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
