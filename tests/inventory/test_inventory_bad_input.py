"""Acceptance 5: bad input is reported in ``skipped`` with a reason, never a crash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aisec.inventory import Inventory, inventory


def _reasons(inv: Inventory) -> dict[str, str]:
    return {s.path: s.reason for s in inv.skipped}


def test_binary_file_named_py(tmp_path: Path) -> None:
    (tmp_path / "evil.py").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(64))
    assert "binary content" in _reasons(inventory(tmp_path))["evil.py"]


def test_python_that_does_not_parse(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("import openai\ndef f(:\n")
    assert _reasons(inventory(tmp_path))["broken.py"].startswith("not valid Python")


def test_code_that_names_no_sdk_is_not_parsed(tmp_path: Path) -> None:
    (tmp_path / "plain.py").write_text("def f(:\n")  # nothing in it could be reported
    inv = inventory(tmp_path)
    assert inv.skipped == []
    assert inv.assets == []


def test_deeply_nested_python(tmp_path: Path) -> None:
    (tmp_path / "deep.py").write_text("import torch\nx = " + "(" * 5000 + "1" + ")" * 5000 + "\n")
    assert "deep.py" in _reasons(inventory(tmp_path))


def test_notebook_that_is_not_json(tmp_path: Path) -> None:
    (tmp_path / "nb.ipynb").write_text("this is not { json")
    assert _reasons(inventory(tmp_path))["nb.ipynb"] == "not a notebook: the file is not JSON"


def test_notebook_json_without_cells(tmp_path: Path) -> None:
    (tmp_path / "nb.ipynb").write_text("[1, 2, 3]")
    assert "no list of cells" in _reasons(inventory(tmp_path))["nb.ipynb"]


def test_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "up").symlink_to(tmp_path)  # a/up -> the root: a cycle
    (tmp_path / "self").symlink_to(tmp_path / "self")  # a link to itself: ELOOP
    (tmp_path / "ok.py").write_text("import openai\nopenai.OpenAI()\n")
    inv = inventory(tmp_path)
    reasons = _reasons(inv)
    assert "symbolic link loop" in reasons["a/up"]
    assert "symbolic link loop" in reasons["self"]
    assert [a.path for a in inv.assets] == ["ok.py"]


def test_broken_symlink(tmp_path: Path) -> None:
    (tmp_path / "gone.py").symlink_to(tmp_path / "missing.py")
    assert _reasons(inventory(tmp_path))["gone.py"] == "broken symbolic link"


def test_one_gigabyte_files_are_skipped_by_the_parsing_caps(tmp_path: Path) -> None:
    gib = 1 << 30
    for name in ("huge.py", "huge.ipynb", "huge.bin"):
        with (tmp_path / name).open("wb") as fh:  # sparse: no disk space used
            fh.truncate(gib)
    reasons = _reasons(inventory(tmp_path))
    assert "larger than the 2 MiB cap" in reasons["huge.py"]
    assert "larger than the 32 MiB cap" in reasons["huge.ipynb"]
    assert "1.0 GiB of content no known format claims" in reasons["huge.bin"]


def test_large_csv_is_summarised_from_its_header_only(tmp_path: Path) -> None:
    with (tmp_path / "big.csv").open("wb") as fh:
        fh.write(b"a,b,c\n")
        fh.truncate(1 << 30)
    (dataset,) = [a for a in inventory(tmp_path).assets if a.kind == "dataset"]
    assert dataset.details["columns"] == ["a", "b", "c"]
    assert dataset.details["size"] == 1 << 30


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.py"
    path.write_text("x = 1\n")
    path.chmod(0)
    try:
        assert "unreadable" in _reasons(inventory(tmp_path))["secret.py"]
    finally:
        path.chmod(0o600)


def test_unreadable_folder(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads folders whatever their mode")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0)
    try:
        assert "folder unreadable" in _reasons(inventory(tmp_path))["locked"]
    finally:
        folder.chmod(0o700)


def test_fifo_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    assert "not a regular file" in _reasons(inventory(tmp_path))["pipe.py"]


def test_file_whose_every_read_fails_is_reported(tmp_path: Path) -> None:
    # /proc/self/mem: every read at offset 0 fails (EIO); the unreadable file that root,
    # which these tests run as in CI, can make (a mode of 000 does not stop root)
    (tmp_path / "fake.py").symlink_to("/proc/self/mem")
    assert _reasons(inventory(tmp_path))["fake.py"] == "unreadable (Input/output error)"
