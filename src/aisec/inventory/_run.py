"""``inventory()``: walk a tree once, route each file to the analysers that fit it."""

from __future__ import annotations

import os
import posixpath
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aisec.core.authz import authorize
from aisec.inventory._found import Found
from aisec.inventory._model import ASSET_KINDS, Inventory
from aisec.inventory._walk import FileRef, LocalTree, Tree, open_tree

if TYPE_CHECKING:
    from aisec.inventory._analyse import Partial
    from aisec.supplychain import OsvDatabase

__all__ = ["inventory", "to_json"]

_MB = 1 << 20
# per-file caps for parsing: a larger file is listed in ``skipped`` with the cap it passed
CAPS = {
    "python": 2 * _MB,
    "notebook": 32 * _MB,
    "config": 1 * _MB,
    "manifest": 4 * _MB,
    "dockerfile": 1 * _MB,
    "mcp": 1 * _MB,
    "prompt": 1 * _MB,
}
_PARALLEL_FROM = 2000  # files; below this a process pool costs more than it saves
_CHUNK = 500

_PROMPT_EXTS = frozenset({".prompt", ".prompty", ".jinja", ".jinja2", ".j2"})
_PROMPT_DIR_EXTS = frozenset({".txt", ".md", ".yaml", ".yml", ".json"})
_PROMPT_DIRS = frozenset({"prompts", "prompt", "system_prompts", "templates_prompts"})
_DATASET_EXTS = frozenset(
    {".csv", ".tsv", ".jsonl", ".ndjson", ".parquet", ".arrow", ".feather", ".ipc"}
)
_SQLITE_EXTS = frozenset({".db", ".sqlite", ".sqlite3", ".duckdb"})
_CONFIG_EXTS = frozenset(
    {
        ".env",
        ".yaml",
        ".yml",
        ".json",
        ".toml",
        ".ini",
        ".cfg",
        ".conf",
        ".properties",
        ".sh",
        ".bash",
        ".zsh",
        ".js",
        ".ts",
        ".mjs",
        ".go",
        ".java",
        ".rb",
        ".tf",
        ".tfvars",
    }
)
_MCP_NAMES = frozenset(
    {
        "mcp.json",
        ".mcp.json",
        "mcp_config.json",
        "mcp_settings.json",
        "cline_mcp_settings.json",
        "claude_desktop_config.json",
    }
)
_MANIFEST_NAMES = frozenset(
    {"pyproject.toml", "pipfile", "pipfile.lock", "poetry.lock", "uv.lock", "setup.cfg"}
)


def route(rel: str) -> str:
    """Which analyser reads a file, from its name; ``sniff`` means by content."""
    name = posixpath.basename(rel).lower()
    parent = posixpath.basename(posixpath.dirname(rel)).lower()
    ext = posixpath.splitext(name)[1]
    if ext in {".py", ".pyw"}:
        return "python"
    if ext == ".ipynb":
        return "notebook"
    if name in _MCP_NAMES:
        return "mcp"
    if name in _MANIFEST_NAMES or (
        ext in {".txt", ".in"}
        and (name.startswith(("requirements", "constraints")) or parent == "requirements")
    ):
        return "manifest"
    if name in {"dockerfile", "containerfile"} or name.startswith(
        ("dockerfile.", "containerfile.")
    ):
        return "dockerfile"
    if ext == ".dockerfile":
        return "dockerfile"
    if ext in _PROMPT_EXTS or (ext in _PROMPT_DIR_EXTS and parent in _PROMPT_DIRS):
        return "prompt"
    if name in {"dataset_info.json", "state.json", "dataset_dict.json"}:
        return "hf_dataset"
    if ext in _DATASET_EXTS:
        return "dataset"
    if ext in _SQLITE_EXTS:
        return "sqlite"
    if ext in _CONFIG_EXTS or name.startswith(".env"):
        return "config"
    return "sniff"


def inventory(
    root: str | Path,
    *,
    exclude: Sequence[str] = (),
    osv_db: Path | None = None,
    scan_models: bool = True,
    progress: Callable[[int, int | None], None] | None = None,
) -> Inventory:
    """Find the AI assets under ``root`` (a folder, a file, or an fsspec URL).

    ``progress(done, total)`` is called as files are read (``total`` is None while the
    tree is still being listed). ``scan_models=False`` lists model files without running
    the artifact scanner on them. ``osv_db`` is a folder of OSV JSON records (osv.dev's
    export, unpacked) for the offline vulnerability check of dependency manifests; without
    it the summary and an info finding say that no vulnerability data was used.
    Needs the ``scan.run`` permission.
    """
    authorize("scan.run")
    tree = open_tree(root, exclude)
    db = _load_osv(osv_db)
    found = Found()
    files: list[FileRef] = []
    for item in tree.walk():
        if isinstance(item, FileRef):
            files.append(item)
        else:
            found.skipped.append(item)
        if progress is not None and len(files) % 1000 == 0:
            progress(0, None)
    total = len(files)
    ctx = _Context(tree, found, scan_models)
    if isinstance(tree, LocalTree) and total >= _PARALLEL_FROM and (os.cpu_count() or 1) > 1:
        _analyse_in_processes(ctx, tree, files, scan_models, progress)
    else:
        for done, ref in enumerate(files, 1):
            ctx.analyse(ref)
            if progress is not None:
                progress(done, total)
    ctx.analysers.finish(db)
    summary = _summary(found, total)
    return Inventory(
        root=tree.root,
        assets=sorted(found.assets, key=lambda a: (a.path, a.line or 0, a.kind, a.name)),
        findings=found.findings,
        summary=summary,
        skipped=sorted(found.skipped, key=lambda s: s.path),
    )


def _load_osv(folder: Path | None) -> OsvDatabase | None:
    """The OSV export, read before the walk so that a bad ``--osv-db`` fails at once."""
    if folder is None:
        return None
    from aisec.supplychain import OsvDatabase

    return OsvDatabase.load(folder)


class _Context:
    """One run (or one worker's share of it): the tree, the accumulator, the analysers."""

    def __init__(self, tree: Tree, found: Found, scan_models: bool) -> None:
        from aisec.inventory._analyse import Analysers

        self.tree = tree
        self.found = found
        self.analysers = Analysers(tree, found, scan_models=scan_models)

    def analyse(self, ref: FileRef) -> None:
        kind = route(ref.rel)
        cap = CAPS.get(kind)
        if cap is not None and ref.size > cap:
            self.found.skip(
                ref.rel, f"larger than the {cap // _MB} MiB cap for parsing {kind} files"
            )
            return
        try:
            self.analysers.run(kind, ref, cap)
        except OSError as exc:
            self.found.skip(ref.rel, f"unreadable ({exc.strerror or exc})")


def _analyse_chunk(root: str, refs: list[FileRef], scan_models: bool) -> Partial:
    """A worker's share: the files ``refs`` under ``root``, analysed in this process."""
    ctx = _Context(LocalTree(Path(root), ()), Found(), scan_models)
    for ref in refs:
        ctx.analyse(ref)
    return ctx.analysers.partial()


def _analyse_in_processes(
    ctx: _Context,
    tree: LocalTree,
    files: list[FileRef],
    scan_models: bool,
    progress: Callable[[int, int | None], None] | None,
) -> None:
    """Analyse ``files`` in a process per CPU, in chunks, merging as chunks finish (parsing
    is pure Python: threads would share one core)."""
    from concurrent.futures.process import BrokenProcessPool

    from aisec.core.jobs import LocalExecutor, Task

    chunks = [files[i : i + _CHUNK] for i in range(0, len(files), _CHUNK)]
    tasks = [Task(_analyse_chunk, (tree.root, chunk, scan_models)) for chunk in chunks]
    done = 0
    for outcome in LocalExecutor(kind="process").map(tasks, ordered=False):
        if isinstance(outcome.error, BrokenProcessPool):
            # a worker died (killed from outside, out of memory): its share is analysed
            # here instead, so nothing is lost; any other exception is a bug and propagates
            part = _analyse_chunk(tree.root, chunks[outcome.index], scan_models)
        else:
            part = outcome.result()
        ctx.analysers.merge(part)
        done += len(chunks[outcome.index])
        if progress is not None:
            progress(done, len(files))


def _summary(found: Found, files: int) -> dict[str, Any]:
    counts = Counter(a.kind for a in found.assets)
    by_severity = Counter(f.severity.value for f in found.findings)
    return {
        "files": files,
        "skipped": len(found.skipped),
        "assets": {kind: counts.get(kind, 0) for kind in ASSET_KINDS},
        "findings": {
            s: by_severity.get(s, 0) for s in ("critical", "high", "medium", "low", "info")
        },
        **found.notes,
    }


def to_json(inv: Inventory) -> dict[str, Any]:
    """The documented JSON shape (docs/json-output.md, "aisec inventory")."""
    return {
        "root": inv.root,
        "assets": [a.to_dict() for a in inv.assets],
        "findings": [f.to_dict() for f in inv.findings],
        "summary": inv.summary,
        "skipped": [s.to_dict() for s in inv.skipped],
    }
