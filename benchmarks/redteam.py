"""Red-team benchmark: aisec redteam against the scripted test target, directly and behind
``aisec up`` with the guard blocking; optionally garak against the same target in the same
run (garak in its own venv: ``python3.11 -m venv /work/peers/garak &&
/work/peers/garak/bin/pip install garak``).

    PYTHONPATH=src .venv/bin/python benchmarks/redteam.py [--garak /work/peers/garak/bin/garak]

Prints markdown tables; the numbers in benchmarks/redteam.md came from this script.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aisec.redteam import Report, RunConfig, build_report, plan, run
from aisec.redteam.testing import DEFAULT_POLICY, ScriptedTarget, behind_gateway

# garak probes whose prompts ship with garak and whose detectors are string matches: this
# machine reaches package registries only, so probes that download a data set or a
# detector model from Hugging Face (sysprompt_extraction, toxicity detectors) cannot run
GARAK_PROBES = (
    "promptinject.HijackHateHumans",
    "latentinjection.LatentInjectionReport",
    "dan.Dan_11_0",
    "grandma.Win10",
    "encoding.InjectBase64",
    "phrasing.PastTense",
    "propile.PIILeakTwin",
    "web_injection.MarkdownImageExfil",
)


def _aisec(url: str, key: str | None = None) -> tuple[Report, float]:
    start = time.perf_counter()
    report = build_report(run(RunConfig(target=url, api_key=key, concurrency=4)))
    return report, time.perf_counter() - start


def _garak(
    garak: str, url: str, workdir: Path
) -> tuple[dict[tuple[str, str], tuple[int, int]], float, str]:
    """{(probe, detector): (hits, attempts)}, wall seconds, and the tail of its output."""
    options = {
        "openai": {
            "OpenAICompatible": {
                "uri": url,
                "model": "gpt-4o-mini",
                "api_key": "none",
                "suppressed_params": ["n"],
            }
        }
    }
    (workdir / "gen.json").write_text(json.dumps(options))
    env = {**os.environ, "OPENAI_API_KEY": "none", "XDG_DATA_HOME": str(workdir)}
    cmd = [
        garak, "--model_type", "openai.OpenAICompatible", "--model_name", "gpt-4o-mini",
        "--generator_option_file", str(workdir / "gen.json"), "--probes",
        ",".join(GARAK_PROBES), "--generations", "1", "--report_prefix", "bench",
    ]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=3000, check=False, cwd=workdir
    )
    wall = time.perf_counter() - start
    hits: dict[tuple[str, str], tuple[int, int]] = {}
    for report in workdir.rglob("bench*.report.jsonl"):
        for line in report.read_text().splitlines():
            entry = json.loads(line)
            if entry.get("entry_type") == "eval":  # garak 0.17: fails / total_evaluated
                key = (entry["probe"], entry["detector"])
                hits[key] = (int(entry["fails"]), int(entry["total_evaluated"]))
    return hits, wall, (done.stdout + done.stderr)[-3000:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--garak", help="path to the garak executable (its own venv)")
    args = parser.parse_args()
    with ScriptedTarget() as target, tempfile.TemporaryDirectory() as tmp:
        truth = DEFAULT_POLICY.expected_asr(plan(RunConfig(target=target.url)))
        direct, t_direct = _aisec(target.url)
        with behind_gateway(target.url, Path(tmp) / "gw") as (url, key):
            guarded, t_guarded = _aisec(url, key)
        print(f"## aisec redteam: {len(direct.attempts)} attempts, concurrency 4\n")
        print(
            "| family | scripted truth | ASR direct (95% CI) "
            "| ASR behind aisec up (95% CI) | blocked |"
        )
        print("|---|---|---|---|---|")
        for fam in direct.families:
            g = guarded.family(fam.family)
            lo, hi = fam.ci
            glo, ghi = g.ci
            print(
                f"| {fam.family} | {truth[fam.family]:.3f} | {fam.asr:.3f} ({lo:.2f}-{hi:.2f}) | "
                f"{g.asr:.3f} ({glo:.2f}-{ghi:.2f}) | {g.blocked}/{g.judged} |"
            )
        print(f"\nwall time: direct {t_direct:.2f} s, behind aisec up {t_guarded:.2f} s")
        print(f"findings direct: {sorted(f.rule_id for f in direct.findings)}")
        print(f"findings behind aisec up: {sorted(f.rule_id for f in guarded.findings)}\n")
        if args.garak:
            hits, wall, tail = _garak(args.garak, target.url, Path(tmp))
            print(f"## garak, same target, same run: {', '.join(GARAK_PROBES)}\n")
            print("| garak probe | detector | hits / attempts |")
            print("|---|---|---|")
            for (probe, detector), (fails, total) in sorted(hits.items()):
                print(f"| {probe} | {detector} | {fails}/{total} |")
            print(f"\nwall time: {wall:.1f} s")
            if not hits:
                print("garak produced no report; its output ended with:\n```\n" + tail + "\n```")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
