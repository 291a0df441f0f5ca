"""``aisec data record/verify/approve/quarantine/release/lineage`` as a user runs them:
acceptance 3 of issue 15 (one changed byte named by row group; a forged record fails)."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aisec.cli.main import main


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())


def _record(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["data", "record", *args]) == 0
    return capsys.readouterr().out.strip()


def _parquet() -> Path:
    path = Path("train.parquet")
    table = pa.table({"id": list(range(3000)), "text": [f"row {i}" for i in range(3000)]})
    pq.write_table(table, path, row_group_size=1000)
    return path


def test_verify_names_the_changed_row_group(capsys: pytest.CaptureFixture[str]) -> None:
    path = _parquet()
    rid = _record(capsys, str(path), "--source", "crm", "--transform", "export")
    assert main(["data", "verify", str(path), "--id", rid]) == 0
    assert "intact: 1 file(s), 5 row group(s)/chunk(s)" in capsys.readouterr().out
    meta = pq.ParquetFile(path).metadata.row_group(2).column(0)
    data = bytearray(path.read_bytes())
    data[meta.data_page_offset + 40] ^= 0x01
    path.write_bytes(bytes(data))
    assert main(["data", "verify", str(path), "--id", rid, "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [(f["rule_id"], f["location"]["path"]) for f in doc["findings"]] == [
        ("data-content-changed", "train.parquet: row group 2")
    ]


def test_forged_record_fails_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], aisec_home: Path
) -> None:
    path = _parquet()
    rid = _record(capsys, str(path), "--source", "crm", "--transform", "export")
    with sqlite3.connect(aisec_home / "aisec.db") as db:
        db.execute("UPDATE data_records SET actor = 'alice' WHERE id = ?", (rid,))
    assert main(["data", "verify", str(path), "--id", rid]) == 1
    out = capsys.readouterr().out
    assert "data-record-forged" in out
    assert (
        "signature check failed: it was altered after it"
        in out.replace("\n", " ").replace("│", " ")
        or "altered" in out
    )
    assert main(["data", "approve", rid]) == 2
    assert "cannot approve" in capsys.readouterr().err


def test_quarantine_release_and_lineage(capsys: pytest.CaptureFixture[str]) -> None:
    path = _parquet()
    parent = _record(capsys, str(path), "--source", "vendor", "--transform", "none")
    child = _record(
        capsys, str(path), "--source", "vendor", "--transform", "dedup", "--parent", parent
    )
    assert main(["data", "quarantine", parent, "--reason", "[red]trigger[/red] phrase"]) == 0
    assert "QUARANTINED ([red]trigger[/red] phrase)" in capsys.readouterr().err  # shown, not markup
    assert main(["data", "lineage", child]) == 0
    tree = " ".join(capsys.readouterr().out.split())  # unwrapped
    assert tree.index(parent) < tree.index(child)
    assert "QUARANTINED: [red]trigger[/red] phrase" in tree
    assert main(["data", "lineage", child, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["id"], doc["quarantined"], doc["children"][0]["id"]) == (parent, True, child)
    assert main(["data", "release", parent]) == 0
    assert main(["data", "release", parent]) == 2
    assert "is not quarantined" in capsys.readouterr().err


def test_unknown_record_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "verify", str(_parquet()), "--id", "ds-0000"]) == 2
    assert "no data record 'ds-0000'" in capsys.readouterr().err
