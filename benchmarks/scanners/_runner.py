"""Runs ONE scanner over a list of files and writes per-file outcomes as JSON.

Executed by each tool's own interpreter (``benchmarks/.venv-<tool>/bin/python``; aisec uses
the project venv), so the tools never share a process or dependencies. Outcome per file:
``flagged`` (any finding/issue the tool reports as unsafe), ``clean`` or ``error``; aisec also
reports its verdict. ``analysed`` says whether the tool parsed the file as a format it
knows, as far as the tool tells (picklescan: it did not give up with "could not parse as
pickle" and scanned a file or member; modelscan: not in its skipped list; fickling: no
"no pickle" parse error; ModelAudit: a format scanner ran; aisec: a format was
recognised), or ``None`` when it cannot tell. The list is scanned twice and only the
second pass is timed (lazy imports excluded); the harness measures the whole process
separately.

usage: python _runner.py TOOL FILELIST OUT.json
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any


def _aisec(path: str) -> tuple[str, str, bool | None]:
    from aisec.artifacts import scan_path

    report = scan_path(path)
    top = report.files[0]
    verdict = top.verdict
    outcome = "clean" if verdict == "clean" else "error" if verdict == "error" else "flagged"
    return outcome, verdict, top.format not in ("unknown", "empty")


class _Gaveup(logging.Handler):
    """Counts picklescan's "could not parse ... as pickle" warnings (it gave up at once)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "could not parse" in record.getMessage():
            self.count += 1


_GAVEUP = _Gaveup()


def _picklescan(path: str) -> tuple[str, str, bool | None]:
    from picklescan.scanner import scan_file_path

    log = logging.getLogger("picklescan")
    if _GAVEUP not in log.handlers:
        log.addHandler(_GAVEUP)
        log.propagate = False
    before = _GAVEUP.count
    res = scan_file_path(path)
    analysed = res.scanned_files > 0 and _GAVEUP.count == before
    if res.infected_files or res.issues_count:
        return "flagged", f"issues={res.issues_count}", analysed
    if res.scan_err:
        return "error", "scan_err", analysed
    return "clean", "", analysed


def _fickling(path: str) -> tuple[str, str, bool | None]:
    import fickling
    from fickling.analysis import Severity

    res = fickling.scan_file(path, graceful=True)
    errors = [str(e) for e in (res.errors or [])]
    analysed = not any("No pickle" in e for e in errors)
    if res.severity != Severity.LIKELY_SAFE:
        return "flagged", res.severity.name, analysed
    if errors:
        return "error", errors[0][:80], analysed
    return "clean", "", analysed


def _modelscan(path: str) -> tuple[str, str, bool | None]:
    from modelscan.modelscan import ModelScan

    res: dict[str, Any] = ModelScan().scan(path)
    scanned = res.get("summary", {}).get("scanned", {}).get("total_scanned")
    analysed = None if scanned is None else scanned > 0
    if res.get("issues"):
        return "flagged", str(len(res["issues"])), analysed
    if res.get("errors"):
        return "error", str(res["errors"][0])[:80], analysed
    return "clean", "", analysed


def _modelaudit(path: str) -> tuple[str, str, bool | None]:
    from modelaudit.core import scan_model_directory_or_file

    res = scan_model_directory_or_file(path)
    names = getattr(res, "scanner_names", None)
    analysed = None if names is None else bool(names)
    bad = [
        i
        for i in res.issues
        if str(getattr(i.severity, "value", i.severity)).lower() in ("critical", "warning")
    ]
    if bad:
        return "flagged", str(getattr(bad[0].severity, "value", bad[0].severity)), analysed
    if res.has_errors:
        return "error", "has_errors", analysed
    return "clean", "", analysed


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
    cpu_start = time.process_time()
    for f in files:
        t0 = time.perf_counter()
        c0 = time.process_time()
        analysed: bool | None = None
        try:
            outcome, detail, analysed = fn(f)
        except Exception as exc:
            outcome, detail, analysed = "error", f"{type(exc).__name__}: {exc}"[:120], False
        took = time.perf_counter() - t0
        cpu = time.process_time() - c0
        runs = [*results.get(f, {}).get("runs", []), took]
        results[f] = {
            "outcome": outcome,
            "detail": detail,
            "analysed": analysed,
            "seconds": took,
            "cpu_seconds": cpu,  # this process only (aisec's HDF5 worker is a child)
            "runs": runs,
        }
    total = time.perf_counter() - start
    cpu_total = time.process_time() - cpu_start
    out.write_text(
        json.dumps(
            {"tool": tool, "scan_seconds": total, "scan_cpu_seconds": cpu_total, "files": results}
        )
    )


if __name__ == "__main__":
    main()
