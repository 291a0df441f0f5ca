"""Runs ONE scanner over a list of files and writes per-file outcomes as JSON.

Executed by each tool's own interpreter (``benchmarks/.venv-<tool>/bin/python``; aisec uses
the project venv), so the tools never share a process or dependencies. Outcome per file:
``flagged`` (any finding/issue the tool reports as unsafe), ``clean`` or ``error``; aisec also
reports its verdict. The list is scanned twice and only the second pass is timed (lazy
imports excluded); the harness measures the whole process separately.

usage: python _runner.py TOOL FILELIST OUT.json
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


def _aisec(path: str) -> tuple[str, str]:
    from aisec.artifacts import scan_path

    report = scan_path(path)
    verdict = report.files[0].verdict
    return (
        "clean" if verdict == "clean" else "error" if verdict == "error" else "flagged"
    ), verdict


def _picklescan(path: str) -> tuple[str, str]:
    from picklescan.scanner import scan_file_path

    res = scan_file_path(path)
    if res.infected_files or res.issues_count:
        return "flagged", f"issues={res.issues_count}"
    if res.scan_err:
        return "error", "scan_err"
    return "clean", ""


def _fickling(path: str) -> tuple[str, str]:
    import fickling
    from fickling.analysis import Severity

    res = fickling.scan_file(path, graceful=True)
    if res.severity != Severity.LIKELY_SAFE:
        return "flagged", res.severity.name
    if res.errors:
        return "error", res.errors[0][:80]
    return "clean", ""


def _modelscan(path: str) -> tuple[str, str]:
    from modelscan.modelscan import ModelScan

    res: dict[str, Any] = ModelScan().scan(path)
    if res.get("issues"):
        return "flagged", str(len(res["issues"]))
    if res.get("errors"):
        return "error", str(res["errors"][0])[:80]
    return "clean", ""


def _modelaudit(path: str) -> tuple[str, str]:
    from modelaudit.core import scan_model_directory_or_file

    res = scan_model_directory_or_file(path)
    bad = [
        i
        for i in res.issues
        if str(getattr(i.severity, "value", i.severity)).lower() in ("critical", "warning")
    ]
    if bad:
        return "flagged", str(getattr(bad[0].severity, "value", bad[0].severity))
    if res.has_errors:
        return "error", "has_errors"
    return "clean", ""


TOOLS = {
    "aisec": _aisec,
    "picklescan": _picklescan,
    "fickling": _fickling,
    "modelscan": _modelscan,
    "modelaudit": _modelaudit,
}


def main() -> None:
    tool, listing, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    fn = TOOLS[tool]
    files = [line for line in listing.read_text().splitlines() if line]
    # one untimed pass first, so lazy imports (py7zr, h5py, jinja2…) are not timed
    for f in dict.fromkeys(files):
        try:
            fn(f)
        except Exception as exc:  # a failure shows up again in the timed pass
            print(f"{tool}: warm-up failed on {f}: {exc}", file=sys.stderr)
    results: dict[str, dict[str, Any]] = {}
    start = time.perf_counter()
    for f in files:
        t0 = time.perf_counter()
        try:
            outcome, detail = fn(f)
        except Exception as exc:
            outcome, detail = "error", f"{type(exc).__name__}: {exc}"[:120]
        took = time.perf_counter() - t0
        runs = [*results.get(f, {}).get("runs", []), took]
        results[f] = {"outcome": outcome, "detail": detail, "seconds": took, "runs": runs}
    total = time.perf_counter() - start
    out.write_text(json.dumps({"tool": tool, "scan_seconds": total, "files": results}))


if __name__ == "__main__":
    main()
