"""The analysers: one per kind of file the walk routes (code, notebooks, configs, models…)."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aisec.core.errors import AisecError
from aisec.inventory._datasets import describe_dataset, describe_hf_dataset, is_sqlite
from aisec.inventory._found import Found
from aisec.inventory._mcp import analyse_mcp
from aisec.inventory._models import MODEL_FORMATS, model_asset
from aisec.inventory._notebook import code_cells
from aisec.inventory._python import analyse_notebook, analyse_python
from aisec.inventory._secrets import analyse_secrets
from aisec.inventory._walk import FileRef, Tree

if TYPE_CHECKING:
    from aisec.supplychain import Manifest, OsvDatabase


@dataclass(frozen=True, slots=True)
class Partial:
    """One worker's findings and what spans files, sent back to the parent process."""

    found: Found
    hf_dirs: dict[str, list[FileRef]]
    manifests: list[Manifest]


__all__ = ["Analysers", "Partial"]

_HEAD = 4096
_BIG_UNKNOWN = 64 << 20


def _decode(data: bytes) -> str | None:
    """UTF-8 text, or None for binary content (a NUL byte, or bytes that are not UTF-8)."""
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


class Analysers:
    """Runs the analyser for each routed file; keeps what spans files (HF dataset folders,
    manifests for the vulnerability check) until :meth:`finish`."""

    def __init__(self, tree: Tree, found: Found, *, scan_models: bool) -> None:
        self.tree = tree
        self.found = found
        self.scan_models = scan_models
        self._hf_dirs: dict[str, list[FileRef]] = {}
        self._manifests: list[Manifest] = []
        self._table: dict[str, Callable[[FileRef, int | None], None]] = {
            "python": self._python,
            "notebook": self._notebook,
            "mcp": self._mcp,
            "manifest": self._manifest,
            "dockerfile": self._dockerfile,
            "prompt": self._prompt,
            "hf_dataset": self._hf_marker,
            "dataset": self._dataset,
            "sqlite": self._sqlite,
            "config": self._config,
            "sniff": self._sniff,
        }

    def run(self, kind: str, ref: FileRef, cap: int | None) -> None:
        self._table[kind](ref, cap)

    def _text(self, ref: FileRef, cap: int | None, what: str) -> str | None:
        data = self.tree.read(ref, cap or ref.size)
        text = _decode(data)
        if text is None:
            self.found.skip(ref.rel, f"binary content in a file named like {what}")
        return text

    def _python(self, ref: FileRef, cap: int | None) -> None:
        text = self._text(ref, cap, "Python source")
        if text is None:
            return
        error = analyse_python(text, ref.rel, self.found)
        if error is not None:
            self.found.skip(ref.rel, f"not valid Python ({error})")
            return
        analyse_secrets(text, ref.rel, self.found)

    def _notebook(self, ref: FileRef, cap: int | None) -> None:
        text = self._text(ref, cap, "a notebook")
        if text is None:
            return
        cells = code_cells(text)
        if isinstance(cells, str):
            self.found.skip(ref.rel, cells)
            return
        bad = analyse_notebook(cells, ref.rel, self.found)
        for index, source in cells:
            analyse_secrets(source, ref.rel, self.found, cell=index)
        if bad:
            self.found.notes.setdefault("notebook_cells_unparsed", 0)
            self.found.notes["notebook_cells_unparsed"] += bad

    def _mcp(self, ref: FileRef, cap: int | None) -> None:
        text = self._text(ref, cap, "an MCP config")
        if text is None:
            return
        analyse_mcp(text, ref.rel, self.found)
        analyse_secrets(text, ref.rel, self.found)

    def _manifest(self, ref: FileRef, cap: int | None) -> None:
        from aisec.supplychain import parse_manifest

        text = self._text(ref, cap, "a dependency manifest")
        if text is None:
            return
        try:
            manifest = parse_manifest(ref.rel, text)
        except AisecError as exc:
            self.found.skip(ref.rel, str(exc))
            return
        if manifest is None:
            return  # a setup.cfg or pyproject with no dependencies: not a manifest
        self.found.asset(
            "dependency_manifest",
            ref.rel,
            None,
            posixpath.basename(ref.rel),
            {
                "format": manifest.format,
                "dependencies": len(manifest.dependencies),
                "pinned": sum(1 for d in manifest.dependencies if d.pinned),
                "hashed": sum(1 for d in manifest.dependencies if d.hashes),
            },
        )
        self._manifests.append(manifest)
        analyse_secrets(text, ref.rel, self.found)

    def _dockerfile(self, ref: FileRef, cap: int | None) -> None:
        from aisec.supplychain import audit_dockerfile

        text = self._text(ref, cap, "a Dockerfile")
        if text is None:
            return
        result = audit_dockerfile(ref.rel, text)
        for line, image in result.images:
            self.found.asset(
                "container_image",
                ref.rel,
                line,
                image.reference,
                {"pinned_by_digest": image.digest is not None, "tag": image.tag},
            )
        self.found.findings.extend(result.findings)
        analyse_secrets(text, ref.rel, self.found)

    def _prompt(self, ref: FileRef, cap: int | None) -> None:
        text = self._text(ref, cap, "a prompt file")
        if text is None:
            return
        name = posixpath.basename(ref.rel)
        system = "system" in ref.rel.lower()
        self.found.asset(
            "prompt",
            ref.rel,
            None,
            name,
            {"source": "file", "system": system, "chars": len(text)},
        )
        analyse_secrets(text, ref.rel, self.found)

    def _hf_marker(self, ref: FileRef, cap: int | None) -> None:
        folder = posixpath.dirname(ref.rel)
        self._hf_dirs.setdefault(folder, []).append(ref)
        if posixpath.basename(ref.rel) == "dataset_dict.json":
            return
        self._config(ref, CAP_CONFIG)

    def _dataset(self, ref: FileRef, cap: int | None) -> None:
        details = describe_dataset(self.tree, ref)
        if details is None:
            return
        self.found.asset("dataset", ref.rel, None, posixpath.basename(ref.rel), details)

    def _sqlite(self, ref: FileRef, cap: int | None) -> None:
        head = self.tree.read(ref, _HEAD)
        if is_sqlite(head):
            self._dataset(ref, cap)
        else:
            self._sniff(ref, cap)

    def _config(self, ref: FileRef, cap: int | None) -> None:
        data = self.tree.read(ref, cap or CAP_CONFIG)
        text = _decode(data)
        if text is None:
            self._sniff(ref, cap)  # a binary file with a config-like name: sniff it
            return
        if ref.rel.endswith(".json"):
            _openai_tool_schemas(text, ref.rel, self.found)
        analyse_secrets(text, ref.rel, self.found)

    def _sniff(self, ref: FileRef, cap: int | None) -> None:
        from aisec.artifacts import detect_format

        head = self.tree.read(ref, _HEAD)
        if not head:
            return
        if is_sqlite(head):
            self._dataset(ref, cap)
            return
        try:
            fmt = detect_format(head)
        except AisecError:
            fmt = "unknown"
        if fmt in MODEL_FORMATS or (fmt in {"zip", "tar", "7z", "compressed"} and ref.size > 0):
            model_asset(self.tree, ref, fmt, self.found, scan=self.scan_models)
        elif fmt in {"unknown", "empty"} and ref.size >= _BIG_UNKNOWN:
            self.found.skip(
                ref.rel,
                f"{ref.size / (1 << 30):.1f} GiB of content no known format claims; "
                "only its first 4 KiB were read",
            )

    def partial(self) -> Partial:
        """What this share of the tree found, for :meth:`merge` in the parent process."""
        return Partial(self.found, self._hf_dirs, self._manifests)

    def merge(self, part: Partial) -> None:
        self.found.assets.extend(part.found.assets)
        self.found.findings.extend(part.found.findings)
        self.found.skipped.extend(part.found.skipped)
        for key, value in part.found.notes.items():
            self.found.notes[key] = self.found.notes.get(key, 0) + value
        for folder, refs in part.hf_dirs.items():
            self._hf_dirs.setdefault(folder, []).extend(refs)
        self._manifests.extend(part.manifests)

    def finish(self, db: OsvDatabase | None) -> None:
        """What spans files: HF dataset folders, the manifests' findings and vulnerabilities."""
        hf = {
            folder: refs
            for folder, refs in self._hf_dirs.items()
            if {"dataset_info.json", "dataset_dict.json"}
            & {posixpath.basename(r.rel) for r in refs}
        }
        # the Arrow shards of a datasets folder are that data set, not data sets of their own
        shards: dict[str, int] = {}
        kept = []
        for asset in self.found.assets:
            folder = posixpath.dirname(asset.path)
            if asset.kind == "dataset" and folder in hf and asset.path.endswith(".arrow"):
                shards[folder] = shards.get(folder, 0) + 1
            else:
                kept.append(asset)
        self.found.assets[:] = kept
        for folder, refs in sorted(hf.items()):
            details = describe_hf_dataset(self.tree, folder, refs)
            details["shards"] = shards.get(folder, 0)
            self.found.asset("dataset", folder or ".", None, folder or ".", details)
        self._vulnerabilities(db)

    def _vulnerabilities(self, db: OsvDatabase | None) -> None:
        from aisec.supplychain import LOCK_FORMATS, audit_vulnerabilities, manifest_findings

        if not self._manifests:
            return
        locked_dirs = {
            posixpath.dirname(m.path) for m in self._manifests if m.format in LOCK_FORMATS
        }
        deps = []
        for manifest in self._manifests:
            locked = posixpath.dirname(manifest.path) in locked_dirs
            self.found.findings.extend(manifest_findings(manifest, locked=locked))
            deps.extend(manifest.dependencies)
        result = audit_vulnerabilities(deps, db)
        self.found.findings.extend(result.findings)
        self.found.notes["vulnerability_data"] = result.statement


CAP_CONFIG = 1 << 20


def _openai_tool_schemas(text: str, rel: str, found: Found) -> None:
    """OpenAI function schemas kept in JSON files: ``{"type": "function", "function": {…}}``."""
    if '"function"' not in text:
        return
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return
    stack: list[tuple[Any, int]] = [(data, 0)]
    seen = 0
    while stack and seen < 10_000:
        node, depth = stack.pop()
        seen += 1
        if isinstance(node, dict):
            fn = node.get("function")
            if node.get("type") == "function" and isinstance(fn, dict) and "name" in fn:
                found.asset(
                    "agent_tool",
                    rel,
                    None,
                    str(fn["name"])[:200],
                    {"framework": "openai-function-schema", "source": "json"},
                )
            if depth < 32:
                stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list) and depth < 32:
            stack.extend((v, depth + 1) for v in node)
