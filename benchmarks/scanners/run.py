"""Scanner benchmark: aisec vs picklescan, fickling, modelscan and ModelAudit on one corpus.

    .venv/bin/python benchmarks/scanners/run.py            # build corpus, run every tool
    .venv/bin/python benchmarks/scanners/run.py --tools aisec,picklescan --repeat 5

The corpus comes from ``tests/artifacts/corpus.py`` (malicious techniques, suspicious
samples, benign real-model files; the non-pickle formats are appended there). Peers run in
their own venvs ``benchmarks/.venv-<tool>`` (see README.md). Three throughput files are
added: a large-tensor pickle, a random forest and a dense small-opcode pickle. Prints
markdown tables: detections, false positives, errors, files the tool analysed, wall time,
scan time, files/s and MB/s per tool; then MB/s per tool on the throughput files. With
``--repeat N`` every tool runs N times, the tools taking turns, and times are medians.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "out"
PEERS = ("picklescan", "fickling", "modelscan", "modelaudit")
# no peer phones home from the timed runs (ModelAudit sends telemetry unless told not to)
_ENV = {**os.environ, "PROMPTFOO_DISABLE_TELEMETRY": "1", "NO_ANALYTICS": "1", "DO_NOT_TRACK": "1"}


def build_corpus() -> dict[str, list[tuple[str, Path]]]:
    sys.path.insert(0, str(ROOT / "tests" / "artifacts"))
    from corpus import CORPUS

    corpus_dir = OUT / "corpus"
    if corpus_dir.exists():
        shutil.rmtree(corpus_dir)
    groups: dict[str, list[tuple[str, Path]]] = {"malicious": [], "suspicious": [], "clean": []}
    for name, build, expected in CORPUS:
        folder = corpus_dir / expected / name
        folder.mkdir(parents=True)
        try:
            path = build(folder)
        except Exception as exc:
            print(f"skip {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        groups[expected].append((name, path))
    return groups


def build_throughput() -> list[tuple[str, Path]]:
    import numpy as np

    folder = OUT / "throughput"
    folder.mkdir(parents=True, exist_ok=True)
    big = folder / "tensors_256mb.pkl"
    if not big.exists():
        rng = np.random.default_rng(0)
        arrays = {f"layer{i}": rng.standard_normal(4 << 20).astype(np.float32) for i in range(16)}
        big.write_bytes(pickle.dumps(arrays, protocol=4))
    dense = folder / "dense_opcodes.pkl"
    if not dense.exists():
        rows = [
            {"id": i, "w": i * 0.5, "tag": f"t{i % 97}", "ok": bool(i & 1)} for i in range(400_000)
        ]
        dense.write_bytes(pickle.dumps(rows, protocol=4))
    forest = folder / "sklearn_forest.pkl"
    if not forest.exists():
        from sklearn.ensemble import RandomForestClassifier

        rng = np.random.default_rng(0)
        x = rng.standard_normal((4000, 20))
        y = (x[:, 0] + x[:, 1] > 0).astype(int)
        model = RandomForestClassifier(n_estimators=150, random_state=0).fit(x, y)
        forest.write_bytes(pickle.dumps(model, protocol=5))
    return [("tensors_256mb", big), ("sklearn_forest", forest), ("dense_opcodes", dense)]


# Suffixes of the non-pickle formats; everything else in the corpus is the pickle family.
_OTHER_FORMATS = (".keras", ".h5", ".hdf5", ".onnx", ".safetensors", ".gguf", ".pb", ".json",
                  ".jinja", ".yaml", ".yml", ".txt.jinja")  # fmt: skip


def _pickle_family(res: dict[str, dict[str, Any]], expected: dict[str, str]) -> dict[str, float]:
    row = {"files": 0, "malicious": 0, "detected": 0, "benign": 0, "fp": 0, "errors": 0}
    seconds = 0.0
    analysed = 0
    for path, r in res.items():
        if path.endswith(_OTHER_FORMATS) or "template" in path or "gguf" in path:
            continue
        row["files"] += 1
        seconds += float(r["seconds"])
        told = r.get("analysed")
        analysed = -1 if told is None or analysed < 0 else analysed + bool(told)
        group = expected[path]
        row["errors"] += r["outcome"] == "error"
        if group == "malicious":
            row["malicious"] += 1
            row["detected"] += r["outcome"] == "flagged"
        if group == "clean":
            row["benign"] += 1
            row["fp"] += r["outcome"] != "clean"
    return {**row, "seconds": seconds, "analysed": analysed}


# --baseline SRC: "aisec-baseline" is aisec imported from another source tree (an older
# commit unpacked with git archive), run by the same interpreter, for before/after numbers.
_BASELINE: dict[str, str] = {}


def python_for(tool: str) -> Path | None:
    if tool in ("aisec", "aisec-baseline"):
        return ROOT / ".venv" / "bin" / "python"
    py = ROOT / "benchmarks" / f".venv-{tool}" / "bin" / "python"
    return py if py.exists() else None


def run_tool(tool: str, files: list[Path], tag: str) -> dict[str, object] | None:
    py = python_for(tool)
    if py is None:
        print(f"{tool}: no venv at benchmarks/.venv-{tool}; skipped", file=sys.stderr)
        return None
    listing = OUT / f"{tool}-{tag}.list"
    listing.write_text("\n".join(str(f) for f in files))
    result = OUT / f"{tool}-{tag}.json"
    t0 = time.perf_counter()
    env = dict(_ENV)
    runner_tool = tool
    if tool == "aisec-baseline":
        env["PYTHONPATH"] = _BASELINE["src"]  # ahead of the editable install of this tree
        runner_tool = "aisec"
    proc = subprocess.run(
        [str(py), str(HERE / "_runner.py"), runner_tool, str(listing), str(result)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
        cwd=OUT,
        env=env,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0 or not result.exists():
        print(f"{tool}: runner failed rc={proc.returncode}\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    data: dict[str, object] = json.loads(result.read_text())
    data["wall_seconds"] = wall
    return data


def _same_work(runs: dict[str, list[dict[str, Any]]], expected: dict[str, str]) -> None:
    """Per-file median scan time on the pickle-family files that every tool of this run
    analysed (a tool that cannot tell counts as analysing everything): the same work."""
    tools = [t for t, r in runs.items() if r]
    if len(tools) < 2:
        return
    family = [
        p for p in expected if not (p.endswith(_OTHER_FORMATS) or "template" in p or "gguf" in p)
    ]
    common = [
        p
        for p in family
        if all(runs[t][-1]["files"][p].get("analysed") is not False for t in tools)
    ]
    print(
        f"\nThe same work: the {len(common)} of {len(family)} pickle-family files that every "
        "tool above analysed (the others were skipped or given up on at once by some tool), "
        "per-file median scan time summed:\n"
    )
    print("| tool | files | scan s | files/s | MB/s | CPU s | files/CPU s |")
    print("|---|---|---|---|---|---|---|")
    mb = sum(Path(p).stat().st_size for p in common) / 1e6
    for tool in tools:

        def summed(key: str, tool: str = tool) -> float:
            return sum(
                statistics.median(float(r["files"][p].get(key, "nan")) for r in runs[tool])
                for p in common
            )

        seconds, cpu = summed("seconds"), summed("cpu_seconds")
        print(
            f"| {tool} | {len(common)} | {seconds:.4f} | {len(common) / seconds:.0f} | "
            f"{mb / seconds:.1f} | {cpu:.4f} | {len(common) / cpu:.0f} |"
        )


_GROUPS = (
    ("Keras, HDF5", (".keras", ".h5", ".hdf5")),
    ("ONNX, SavedModel, safetensors", (".onnx", ".pb", ".safetensors")),
    ("chat templates (.jinja, JSON/YAML configs, GGUF)", (".json", ".jinja", ".yaml", ".yml")),
)


def _group_of(path: str) -> str:
    for name, suffixes in _GROUPS:
        if path.endswith(suffixes):
            return name
    if "template" in path or "gguf" in path:
        return _GROUPS[2][0]
    return "pickle family"


def _by_group(runs: dict[str, list[dict[str, Any]]]) -> None:
    """Per format group and tool: files the tool analysed and its per-file median scan time
    summed, to show where each tool spends its time and which files it skips."""
    tools = [t for t, r in runs.items() if r]
    paths = list(runs[tools[0]][-1]["files"]) if tools else []
    names = ["pickle family", *(g for g, _ in _GROUPS)]
    print("\nBy format group: files analysed, and scan s (per-file medians summed):\n")
    print("| group | files | " + " | ".join(tools) + " |")
    print("|---|---|" + "---|" * len(tools))
    for name in names:
        members = [p for p in paths if _group_of(p) == name]
        cells = []
        for tool in tools:
            told = [runs[tool][-1]["files"][p].get("analysed") for p in members]
            seconds = sum(
                statistics.median(float(r["files"][p]["seconds"]) for r in runs[tool])
                for p in members
            )
            done = "?" if None in told else str(sum(bool(a) for a in told))
            cells.append(f"{done} in {seconds:.4f}")
        print(f"| {name} | {len(members)} | " + " | ".join(cells) + " |")


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", default="aisec," + ",".join(PEERS))
    parser.add_argument("--no-throughput", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; medians reported")
    parser.add_argument(
        "--baseline",
        metavar="SRC",
        help="also run aisec from this src/ folder as the tool aisec-baseline "
        "(e.g. git archive OLD src | tar -x -C /tmp/old; --baseline /tmp/old/src)",
    )
    args = parser.parse_args()
    tools = [t for t in args.tools.split(",") if t]
    if args.baseline:
        _BASELINE["src"] = str(Path(args.baseline).resolve())
        tools.insert(tools.index("aisec") + 1 if "aisec" in tools else 0, "aisec-baseline")
    OUT.mkdir(exist_ok=True)
    groups = build_corpus()
    files = [p for g in groups.values() for _, p in g]
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    expected = {str(p): g for g, items in groups.items() for _, p in items}
    names = {str(p): n for items in groups.values() for n, p in items}

    print(
        f"\n{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {os.cpu_count()} CPUs, "
        f"load average at start {_load()}; {args.repeat} run(s) per tool, medians\n"
    )
    print(
        f"Corpus: {len(groups['malicious'])} malicious, {len(groups['suspicious'])} suspicious, "
        f"{len(groups['clean'])} benign files ({size_mb:.1f} MB)\n"
    )
    runs: dict[str, list[dict[str, object]]] = {t: [] for t in tools}
    for _ in range(max(args.repeat, 1)):
        for tool in tools:  # the tools take turns, so a burst of load hits them alike
            data = run_tool(tool, files, "corpus")
            if data is not None:
                runs[tool].append(data)
    print(
        "| tool | malicious detected | suspicious flagged | false positives (benign) | errors | "
        "files analysed | wall s | scan s | files/s | MB/s | CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    misses: dict[str, list[str]] = {}
    subset: dict[str, dict[str, float]] = {}
    for tool in tools:
        if not runs[tool]:
            continue
        data = runs[tool][-1]
        res: dict[str, dict[str, str]] = data["files"]  # type: ignore[assignment]
        counts = {"malicious": 0, "suspicious": 0, "clean": 0, "errors": 0}
        for path, r in res.items():
            group = expected[path]
            if r["outcome"] == "error":
                counts["errors"] += 1
            if group in ("malicious", "suspicious") and r["outcome"] == "flagged":
                counts[group] += 1
            if group == "clean" and r["outcome"] != "clean":
                counts["clean"] += 1
            if group == "malicious" and r["outcome"] != "flagged":
                misses.setdefault(tool, []).append(names[path])
            if group == "clean" and r["outcome"] != "clean":
                misses.setdefault(tool + " FP", []).append(names[path])
        told = [r.get("analysed") for r in res.values()]
        analysed = "n/a" if None in told else f"{sum(bool(a) for a in told)}/{len(told)}"
        scan_s = statistics.median(float(d["scan_seconds"]) for d in runs[tool])  # type: ignore[arg-type]
        wall_s = statistics.median(float(d["wall_seconds"]) for d in runs[tool])  # type: ignore[arg-type]
        cpu_s = statistics.median(float(d.get("scan_cpu_seconds", "nan")) for d in runs[tool])  # type: ignore[arg-type]
        print(
            f"| {tool} | {counts['malicious']}/{len(groups['malicious'])} | "
            f"{counts['suspicious']}/{len(groups['suspicious'])} | "
            f"{counts['clean']}/{len(groups['clean'])} | {counts['errors']} | {analysed} | "
            f"{wall_s:.2f} | {scan_s:.3f} | "
            f"{len(files) / scan_s:.0f} | {size_mb / scan_s:.1f} | {cpu_s:.3f} |"
        )
        rows = [_pickle_family(d["files"], expected) for d in runs[tool]]  # type: ignore[arg-type]
        subset[tool] = {**rows[-1], "seconds": statistics.median(r["seconds"] for r in rows)}
    print(
        "\nPickle-family subset (pickle, PyTorch, joblib, NumPy, archives: the formats every "
        "peer claims), per-file scan time summed:\n"
    )
    print(
        "| tool | files | malicious detected | false positives | errors | files analysed | "
        "scan s | files/s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for tool, row in subset.items():
        analysed = "n/a" if row["analysed"] < 0 else f"{row['analysed']:.0f}/{row['files']}"
        print(
            f"| {tool} | {row['files']} | {row['detected']}/{row['malicious']} | "
            f"{row['fp']}/{row['benign']} | {row['errors']} | {analysed} | "
            f"{row['seconds']:.4f} | {row['files'] / max(row['seconds'], 1e-9):.0f} |"
        )
    _same_work(runs, expected)
    _by_group(runs)
    if not args.no_throughput:
        tp = build_throughput()
        print(
            "\nThroughput (scan time after one warm-up scan; median of 3 scans in one process):\n"
        )
        print("| tool | file | MB | median s | MB/s | outcome |")
        print("|---|---|---|---|---|---|")
        for tool in tools:
            for name, path in tp:
                run = run_tool(tool, [path] * 3, f"tp-{name}")
                if run is None:
                    continue
                entry = next(iter(run["files"].values()))  # type: ignore[attr-defined]
                times = sorted(entry["runs"])
                med = times[len(times) // 2]
                mb = path.stat().st_size / 1e6
                outcome = entry["outcome"]
                print(f"| {tool} | {name} | {mb:.0f} | {med:.4f} | {mb / med:.0f} | {outcome} |")
    print(f"\nload average at the end {_load()}")
    if misses:
        print("\nMissed malicious samples / false positives per tool:\n")
        for tool, items in misses.items():
            print(f"- {tool}: {', '.join(sorted(items))}")


if __name__ == "__main__":
    main()
