"""Non-pickle formats: aisec vs ModelAudit vs modelscan on the same files.

Run: ``.venv/bin/python benchmarks/scanners/formats.py`` (peers from ``benchmarks/.venv-*``).

1. Builds the non-pickle corpus (Keras, HDF5, SavedModel, ONNX, safetensors, GGUF, chat
   templates; malicious, suspicious and benign samples from ``tests/artifacts/corpus.py``),
   one folder per sample, and runs each tool ONCE over the whole tree (JSON output), so
   start-up costs are paid once per tool. Prints detection, false positives, errors, wall
   time, files/s and MB/s.
2. Header-only speed: a sparse 10 GiB safetensors file and a sparse 4 GiB GGUF, scanned by
   each tool (median of ``--repeat`` runs).

A sample counts as detected when the tool reports anything at warning/medium or above for
a file in its folder; benign samples flagged that way are false positives.
"""

from __future__ import annotations

import argparse
import json
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "artifacts"))

PART_B_PREFIXES = (
    "keras_", "hdf5_", "savedmodel_", "onnx_", "safetensors_", "gguf_", "template_",
    "tf_", "chat_template_",
)  # fmt: skip
AISEC = [str(ROOT / ".venv" / "bin" / "aisec")]
MODELAUDIT = [str(ROOT / "benchmarks" / ".venv-modelaudit" / "bin" / "modelaudit")]
MODELSCAN = [str(ROOT / "benchmarks" / ".venv-modelscan" / "bin" / "modelscan")]


def build_corpus(folder: Path) -> dict[str, tuple[str, Path]]:
    from corpus import CORPUS

    samples: dict[str, tuple[str, Path]] = {}
    for name, build, verdict in CORPUS:
        if not name.startswith(PART_B_PREFIXES):
            continue
        sub = folder / name
        sub.mkdir()
        build(sub)
        samples[name] = (verdict, sub)
    return samples


def _run(cmd: list[str], timeout: float = 1800) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    return time.perf_counter() - start, proc.stdout


def _sample_of(path: str, root: Path) -> str | None:
    text = path.replace(str(root) + "/", "", 1)
    name = text.split("/", 1)[0].split(":", 1)[0]
    return name or None


def aisec_results(root: Path) -> tuple[float, dict[str, bool], dict[str, bool]]:
    wall, out = _run([*AISEC, "scan", "--recursive", "--format", "json", "--fail-on", "never",
                      str(root)])  # fmt: skip
    doc = json.loads(out)
    flagged: dict[str, bool] = {}
    errors: dict[str, bool] = {}
    for entry in doc["files"]:
        name = _sample_of(entry["path"], root)
        if name is None:
            continue
        bad = entry["verdict"] in ("malicious", "suspicious")
        flagged[name] = flagged.get(name, False) or bad
        errors[name] = errors.get(name, False) or entry["verdict"] == "error"
    return wall, flagged, errors


def aisec_api_results(root: Path) -> tuple[float, dict[str, bool], dict[str, bool]]:
    """The same scan through ``aisec.artifacts.scan_path`` in this process (warm, median of 3):
    what a service or CI job embedding aisec pays, without interpreter start-up."""
    from aisec.artifacts import scan_path

    scan_path(root, recursive=True)  # warm-up: imports, HDF5 worker
    times = []
    for _ in range(3):
        start = time.perf_counter()
        report = scan_path(root, recursive=True)
        times.append(time.perf_counter() - start)
    flagged: dict[str, bool] = {}
    errors: dict[str, bool] = {}
    for entry in report.files:
        name = _sample_of(entry.path, root)
        if name is None:
            continue
        flagged[name] = flagged.get(name, False) or entry.verdict in ("malicious", "suspicious")
        errors[name] = errors.get(name, False) or entry.verdict == "error"
    return statistics.median(times), flagged, errors


def modelaudit_results(root: Path) -> tuple[float, dict[str, bool], dict[str, bool]]:
    wall, out = _run([*MODELAUDIT, "scan", "--format", "json", str(root)])
    start = out.find("{")
    doc = json.loads(out[start:]) if start >= 0 else {"issues": []}
    flagged: dict[str, bool] = {}
    errors: dict[str, bool] = {}
    for issue in doc.get("issues", []):
        name = _sample_of(str(issue.get("location", "")), root)
        if name is None:
            continue
        sev = str(issue.get("severity", "")).lower()
        flagged[name] = flagged.get(name, False) or sev in ("warning", "critical", "error")
        msg = str(issue.get("message", "")).lower()
        errors[name] = errors.get(name, False) or ("error" in msg and sev != "critical")
    return wall, flagged, errors


def modelscan_results(root: Path) -> tuple[float, dict[str, bool], dict[str, bool]]:
    report = root.parent / "modelscan.json"  # stdout JSON is wrapped by the console
    wall, _ = _run([*MODELSCAN, "-p", str(root), "-r", "json", "-o", str(report)])
    doc = json.loads(report.read_text()) if report.exists() else {}
    flagged: dict[str, bool] = {}
    errors: dict[str, bool] = {}
    for issue in doc.get("issues", []):
        name = _sample_of(str(issue.get("source", "")), root)
        if name is not None:
            flagged[name] = True
    for err in doc.get("errors", []):
        name = _sample_of(str(err.get("source", "")), root)
        if name is not None:
            errors[name] = True
    return wall, flagged, errors


TOOLS: dict[str, Callable[[Path], tuple[float, dict[str, bool], dict[str, bool]]]] = {
    "aisec": aisec_results,
    "aisec-api": aisec_api_results,
    "modelaudit": modelaudit_results,
    "modelscan": modelscan_results,
}


def detection_table(tools: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="aisec-bench-b-") as tmp:
        root = Path(tmp) / "corpus"
        root.mkdir()
        samples = build_corpus(root)
        total_bytes = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        n_files = sum(1 for p in root.rglob("*") if p.is_file())
        by_verdict = {v: [n for n, (e, _) in samples.items() if e == v] for v in
                      ("malicious", "suspicious", "clean")}  # fmt: skip
        print(f"\ncorpus: {len(samples)} samples, {n_files} files, {total_bytes / 1e6:.2f} MB "
              f"(malicious {len(by_verdict['malicious'])}, suspicious "
              f"{len(by_verdict['suspicious'])}, benign {len(by_verdict['clean'])})\n")  # fmt: skip
        print("| tool | malicious detected | suspicious flagged | benign false positives "
              "| errors | wall s | files/s | MB/s |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|")
        missed: dict[str, list[str]] = {}
        for tool in tools:
            wall, flagged, errors = TOOLS[tool](root)
            mal = sum(flagged.get(n, False) for n in by_verdict["malicious"])
            sus = sum(flagged.get(n, False) for n in by_verdict["suspicious"])
            fps = sum(flagged.get(n, False) for n in by_verdict["clean"])
            errs = sum(errors.values())
            missed[tool] = [n for n in by_verdict["malicious"] if not flagged.get(n, False)]
            counts = (
                f"{mal}/{len(by_verdict['malicious'])} | {sus}/{len(by_verdict['suspicious'])} "
                f"| {fps}/{len(by_verdict['clean'])} | {errs}"
            )
            rates = f"{wall:.2f} | {n_files / wall:.1f} | {total_bytes / 1e6 / wall:.2f}"
            print(f"| {tool} | {counts} | {rates} |")
        for tool, names in missed.items():
            if names:
                print(f"\n{tool} missed {len(names)}: {', '.join(sorted(names)[:40])}")


def big_files(folder: Path) -> dict[str, Path]:
    n = 10 * 1024**3 // 4
    header = json.dumps({"w": {"dtype": "F32", "shape": [n], "data_offsets": [0, n * 4]}}).encode()
    st = folder / "big.safetensors"
    with st.open("wb") as fh:
        fh.write(struct.pack("<Q", len(header)) + header)
        fh.truncate(8 + len(header) + n * 4)
    import _formats_samples as fs

    rows = 4 * 1024**3 // (4096 * 4)
    head = fs.gguf_bytes(fs._llama_kvs(), [("w", (4096, rows), 0, b"")])
    gg = folder / "big.gguf"
    with gg.open("wb") as fh:
        fh.write(head)
        fh.truncate(len(head) + 4096 * rows * 4)
    return {"safetensors 10 GiB": st, "gguf 4 GiB": gg}


def speed_table(tools: list[str], repeat: int) -> None:
    cmds = {
        "aisec": lambda p: [*AISEC, "scan", "--format", "json", "--fail-on", "never", str(p)],
        "modelaudit": lambda p: [*MODELAUDIT, "scan", "--format", "json", str(p)],
        "modelscan": lambda p: [*MODELSCAN, "-p", str(p), "-r", "json", "-o", f"{p}.ms.json"],
    }
    with tempfile.TemporaryDirectory(prefix="aisec-bench-big-") as tmp:
        files = big_files(Path(tmp))
        print(
            "\n| file | " + " | ".join(f"{t} median s" for t in tools) + " | aisec API median ms |"
        )
        print("|---|" + "---|" * (len(tools) + 1))
        from aisec.artifacts import scan_path

        for label, path in files.items():
            scan_path(path)
            api = []
            for _ in range(max(repeat, 5)):
                start = time.perf_counter()
                scan_path(path)
                api.append((time.perf_counter() - start) * 1000)
            cells = []
            for tool in tools:
                times = [_run(cmds[tool](path), timeout=900)[0] for _ in range(repeat)]
                cells.append(f"{statistics.median(times):.2f}")
            print(f"| {label} | " + " | ".join(cells) + f" | {statistics.median(api):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", default="aisec,aisec-api,modelaudit,modelscan")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-big", action="store_true")
    args = parser.parse_args()
    tools = [t for t in args.tools.split(",") if t in TOOLS]
    detection_table(tools)
    if not args.skip_big:
        speed_table([t for t in tools if t != "aisec-api"], args.repeat)


if __name__ == "__main__":
    main()
