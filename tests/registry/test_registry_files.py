"""Walking and hashing a model: what is refused, what a deployment check reports."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from aisec.core.errors import InputError
from aisec.registry import FileEntry, hash_tree, manifest_digest
from aisec.registry._files import compare


def test_hashes_match_hashlib_and_digest_ignores_order(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"a" * 3_000_000)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("b")
    tree = hash_tree(tmp_path)
    assert [f.path for f in tree.files] == ["a.bin", "sub/b.txt"]
    assert tree.files[0].sha256 == hashlib.sha256(b"a" * 3_000_000).hexdigest()
    assert manifest_digest(reversed(tree.files)) == tree.digest


def test_a_symlink_in_the_model_is_refused(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "w.bin").symlink_to("/etc/passwd")
    with pytest.raises(InputError, match="symbolic link in the model folder"):
        hash_tree(tmp_path / "m")


def test_a_symlinked_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "x").write_text("x")
    (tmp_path / "m" / "up").symlink_to(tmp_path)
    with pytest.raises(InputError, match="symbolic link"):
        hash_tree(tmp_path / "m")


def test_a_fifo_is_refused(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    os.mkfifo(tmp_path / "m" / "pipe")
    with pytest.raises(InputError, match="not a regular file"):
        hash_tree(tmp_path / "m")


def test_an_empty_folder_and_a_missing_path_are_errors(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no files"):
        hash_tree(tmp_path / "empty")
    with pytest.raises(InputError, match="cannot read"):
        hash_tree(tmp_path / "nope")


def test_a_deployment_check_reports_links_instead_of_refusing(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "w.bin").write_bytes(b"w")
    expected = hash_tree(tmp_path / "m").files
    (tmp_path / "m" / "w.bin").unlink()
    (tmp_path / "m" / "w.bin").symlink_to("/etc/hostname")
    (tmp_path / "m" / "extra").symlink_to("/etc")
    diff = compare(expected, hash_tree(tmp_path / "m", links="report").files)
    assert diff.changed == ["w.bin"] and diff.added == ["extra"]


def test_compare_names_changed_missing_added() -> None:
    a = [FileEntry("x", 1, "0" * 64), FileEntry("y", 1, "1" * 64)]
    b = [FileEntry("x", 1, "2" * 64), FileEntry("z", 1, "1" * 64)]
    assert compare(a, b).lines() == ["changed: x", "missing: y", "added: z"]


def test_push_and_pull_report_progress_by_phase(
    tmp_path: Path, write_policy: Callable[..., Path]
) -> None:
    from registry_samples import make_model

    from aisec.registry import Registry

    write_policy(registry={"gate": {"require_signature": False}})
    seen: dict[str, list[int]] = {}

    def progress(phase: str, n: int, total: int) -> None:
        done, _ = seen.get(phase, [0, 0])
        seen[phase] = [done + n, total]

    model = make_model(tmp_path / "m")
    with Registry.open() as reg:
        size = reg.push("m", model, "1", progress=progress).version.size
        reg.pull("m", tmp_path / "out", version="1", progress=progress)
    assert seen == {p: [size, size] for p in ("hashing", "uploading", "downloading")}


def test_the_registry_loads_neither_the_scanner_nor_signing_until_it_needs_them() -> None:
    """list, show, rollback, quarantine and verify-deployment start without them."""
    import subprocess
    import sys

    code = (
        "import sys, aisec.registry, aisec.cli.registry\n"
        "heavy = ('aisec.artifacts', 'model_signing', 'sigstore', 'fsspec', 'sqlalchemy')\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith(heavy))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
