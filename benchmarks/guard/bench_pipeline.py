"""Latency of aisec's default guard input pipeline (Engine, every default scanner, prompt
injection included) on 1 KB prompts, one core, beside LLM Guard's runnable non-ML scanners
(InvisibleText, Secrets, Regex) timed in the same run from their own environment.

Usage:
    python benchmarks/guard/bench_pipeline.py [--prompts 200] [--rounds 5] [--core 0]
        [--peer-python benchmarks/.venv-llmguard/bin/python]

Prompts, timing and the peer side are shared with ``bench_scanners_b.py`` (same prompts:
data rows joined and cut to exactly 1024 characters, half with PII and a secret spliced in;
each call timed alone with perf_counter_ns after a warm-up; the process pinned to one core;
numpy limited to one thread). LLM Guard's PromptInjection scanner is not timed: it needs a
model download, which this sandbox cannot do.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_scanners_b as shared  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def run_aisec(prompts: list[str], rounds: int) -> dict[str, dict[str, float]]:
    from aisec.guard import Engine, PromptInjectionScanner, ScanContext

    engine = Engine()
    injection = PromptInjectionScanner()

    def pipeline(text: str) -> object:
        return engine.scan(text, "input")

    def injection_only(text: str) -> object:
        return injection.scan(text, ScanContext())

    names = ", ".join(n for n, _, d in engine.scanners if "input" in d)
    cases = {
        f"aisec default input pipeline ({names})": pipeline,
        "aisec prompt_injection scanner": injection_only,
    }
    out: dict[str, dict[str, float]] = {}
    for name, fn in cases.items():
        for subset, ps in (("clean", prompts[0::2]), ("dirty", prompts[1::2])):
            out[f"{name} [{subset}]"] = shared.summary(shared.time_calls(fn, ps, rounds))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--prompts", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--core", type=int, default=0)
    ap.add_argument("--peer-python", default=str(ROOT / "benchmarks/.venv-llmguard/bin/python"))
    args = ap.parse_args(argv)
    shared.pin(args.core)
    prompts = shared.make_prompts(args.prompts)
    ours = run_aisec(prompts, args.rounds)
    peer: dict[str, dict[str, float]] = {}
    if Path(args.peer_python).exists():
        with tempfile.TemporaryDirectory() as tmp:
            io = Path(tmp) / "io.json"
            io.write_text(json.dumps(prompts), "utf-8")
            cmd = [args.peer_python, shared.__file__, "--role", "peer", "--io", str(io)]
            cmd += ["--rounds", str(args.rounds), "--core", str(args.core)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode == 0:
                peer = {
                    k: v for k, v in json.loads(io.read_text("utf-8")).items()
                    if k.startswith("llm-guard")
                }  # fmt: skip
            else:
                print(f"peer failed (rc {proc.returncode}): {proc.stderr[-2000:]}", file=sys.stderr)
    else:
        print(f"peer environment {args.peer_python} missing: aisec only", file=sys.stderr)
    print(
        f"{len(prompts)} prompts of {shared.SIZE} chars (half clean, half dirty), "
        f"{args.rounds} rounds, pinned to core {args.core}, python {sys.version.split()[0]}\n"
    )
    print(shared.table(ours, peer))
    if peer:
        pipeline = next(k.rpartition(" [")[0] for k in ours if k.startswith("aisec default"))
        print("\n| aisec | peer | prompts | peer p50 / aisec p50 | peer p99 / aisec p99 |")
        print("|---|---|---|---|---|")
        for subset in ("clean", "dirty"):
            a = ours[f"{pipeline} [{subset}]"]
            b = peer.get(f"llm-guard InvisibleText+Secrets+Regex [{subset}]")
            if b:
                print(
                    f"| aisec default input pipeline | llm-guard InvisibleText+Secrets+Regex | "
                    f"{subset} | {b['p50'] / a['p50']:.1f}x | {b['p99'] / a['p99']:.1f}x |"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
