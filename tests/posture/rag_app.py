"""examples/insecure-rag-app, copied into a temporary folder with its model files built."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "insecure-rag-app"


def build_example(dest: Path) -> Path:
    """A copy of the example at ``dest`` with models/ written by its build.py."""
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("__pycache__", "models"))
    spec = importlib.util.spec_from_file_location("rag_app_build", EXAMPLE / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(dest)
    return dest


def osv_export(dest: Path) -> Path:
    """A one-record OSV export about a package the example does not use."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "PYSEC-0000-1.json").write_text(
        '{"id": "PYSEC-0000-1", "modified": "2026-01-01T00:00:00Z", "affected": [{"package": '
        '{"ecosystem": "PyPI", "name": "unrelated-package"}, "versions": ["0.1"]}]}',
        encoding="utf-8",
    )
    return dest
