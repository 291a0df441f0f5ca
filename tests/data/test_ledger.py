"""The provenance ledger on SQLite and on PostgreSQL: record, verify (a changed byte named
by row group), forged records, approval, quarantine and its inheritance, lineage, audit."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aisec.core.audit import default_log
from aisec.core.errors import CryptoError, InputError
from aisec.core.store import open_store
from aisec.data import (
    approve,
    dataset_quarantined,
    get_record,
    lineage,
    quarantine,
    quarantine_of,
    record,
    release,
    verify,
)


@pytest.fixture(autouse=True)
def _database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_DATABASE_URL", db_url)


def _parquet(path: Path, rows: int = 3000, group: int = 1000) -> Path:
    table = pa.table({"id": list(range(rows)), "text": [f"row {i}" for i in range(rows)]})
    pq.write_table(table, path, row_group_size=group)
    return path


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _sql(statement: str, *params: object) -> None:
    store = open_store()
    try:
        with store.write() as conn:
            conn.execute(statement, params)
    finally:
        store.close()


def test_record_digests_each_row_group(tmp_path: Path) -> None:
    rec = record(str(_parquet(tmp_path / "d.parquet")), source="crm export", transform="none")
    (f,) = rec.tree.files
    assert f.kind == "parquet"
    assert [x.name for x in f.leaves] == [
        "header",
        "row group 0",
        "row group 1",
        "row group 2",
        "footer",
    ]
    # every byte of the file is in exactly one leaf
    assert sum(x.length for x in f.leaves) == f.size
    assert rec.authentic
    assert verify(str(tmp_path / "d.parquet"), rec.id).intact


def test_one_changed_byte_names_its_row_group(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "d.parquet")
    rec = record(str(path), source="s", transform="t")
    group1 = rec.tree.files[0].leaves[2]
    _flip_byte(path, group1.offset + group1.length // 2)
    report = verify(str(path), rec.id)
    assert [(c.path, c.what, c.leaf) for c in report.changes] == [
        ("d.parquet", "changed", "row group 1")
    ]
    (finding,) = report.findings()
    assert finding.rule_id == "data-content-changed"
    assert finding.location.path == "d.parquet: row group 1"


def test_damaged_footer_still_localised(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "d.parquet")
    rec = record(str(path), source="s", transform="t")
    _flip_byte(path, path.stat().st_size - 10)  # inside the footer's metadata
    report = verify(str(path), rec.id)
    assert [c.leaf for c in report.changes] == ["footer"]


def test_folder_chunks_added_and_missing_files(tmp_path: Path) -> None:
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "a.csv").write_bytes(b"x,y\n" + b"1,2\n" * 400_000)  # > 1 MiB: two chunks
    (folder / "b.jsonl").write_text('{"a": 1}\n')
    rec = record(str(folder), source="s", transform="t")
    assert [len(f.leaves) for f in rec.tree.files] == [2, 1]
    _flip_byte(folder / "a.csv", (1 << 20) + 5)
    (folder / "b.jsonl").unlink()
    (folder / "c.txt").write_text("new")
    changes = verify(str(folder), rec.id).changes
    assert [(c.path, c.what, c.leaf) for c in changes] == [
        ("a.csv", "changed", "chunk 1"),
        ("b.jsonl", "missing", None),
        ("c.txt", "added", None),
    ]


def test_record_edited_in_the_store_fails_verification(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "d.parquet")
    rec = record(str(path), source="crm export", transform="dedup")
    _sql("UPDATE data_records SET source = ? WHERE id = ?", "trusted vendor", rec.id)
    forged = get_record(rec.id)
    assert not forged.authentic
    assert (
        forged.problem
        == f"record {rec.id}: signature check failed: it was altered after it was signed"
    )
    rules = [f.rule_id for f in verify(str(path), rec.id).findings()]
    assert rules == ["data-record-forged"]
    with pytest.raises(CryptoError, match="cannot approve"):
        approve(rec.id)


def test_digest_swapped_to_match_tampered_data_fails(tmp_path: Path) -> None:
    # An attacker changes the data, re-digests it and writes the new tree into the record.
    path = _parquet(tmp_path / "d.parquet")
    rec = record(str(path), source="s", transform="t")
    _flip_byte(path, rec.tree.files[0].leaves[1].offset + 3)
    from aisec.data import digest_data

    tree = digest_data(str(path))
    _sql(
        "UPDATE data_records SET digest = ?, tree = ? WHERE id = ?",
        tree.root,
        json.dumps(tree.to_json(), sort_keys=True, separators=(",", ":")),
        rec.id,
    )
    report = verify(str(path), rec.id)
    assert not report.changes  # the bytes now match the forged tree…
    assert [f.rule_id for f in report.findings()] == ["data-record-forged"]  # …but not its tag


def test_quarantine_cleared_with_sql_still_refuses(tmp_path: Path) -> None:
    rec = record(str(_parquet(tmp_path / "d.parquet")), source="s", transform="t")
    quarantine(rec.id, "trigger phrase in 1% of rows")
    _sql(
        "UPDATE data_records SET quarantined_at = NULL, quarantined_by = NULL, "
        "quarantine_reason = NULL WHERE id = ?",
        rec.id,
    )
    found = dataset_quarantined(rec.id)
    assert found is not None
    assert "approval/quarantine state" in found.reason


def test_quarantine_is_inherited_and_found_by_content(tmp_path: Path) -> None:
    raw = _parquet(tmp_path / "raw.parquet")
    parent = record(str(raw), source="scrape", transform="none")
    child = record(
        str(_parquet(tmp_path / "clean.parquet", rows=2000)),
        source="raw",
        transform="dedup",
        parent=parent.id,
    )
    assert dataset_quarantined(child.id) is None
    assert quarantine_of(str(raw)) is None
    quarantine(parent.id, "poisoned source")
    inherited = dataset_quarantined(child.id)
    assert inherited is not None
    assert (inherited.dataset_id, inherited.inherited, inherited.reason) == (
        parent.id,
        True,
        "poisoned source",
    )
    finding = inherited.finding("clean.parquet")
    assert (finding.rule_id, finding.asset) == ("data-quarantined", "clean.parquet")
    assert finding.evidence == f"poisoned source (made from {parent.id})"
    copy = tmp_path / "copy.parquet"
    copy.write_bytes(raw.read_bytes())
    by_content = quarantine_of(str(copy))
    assert by_content is not None
    assert by_content.dataset_id == parent.id
    assert quarantine_of(str(_parquet(tmp_path / "other.parquet", rows=10))) is None
    with pytest.raises(InputError, match="is quarantined"):
        approve(parent.id)
    release(parent.id)
    assert dataset_quarantined(child.id) is None
    with pytest.raises(InputError, match="is not quarantined"):
        release(parent.id)


def test_lineage_tree(tmp_path: Path) -> None:
    path = str(_parquet(tmp_path / "d.parquet"))
    root = record(path, source="vendor", transform="none")
    mid = record(path, source="vendor", transform="dedup", parent=root.id)
    leaf_a = record(path, source="vendor", transform="split train", parent=mid.id)
    leaf_b = record(path, source="vendor", transform="split test", parent=mid.id)
    tree = lineage(mid.id).to_json()
    assert tree["id"] == root.id
    (child,) = tree["children"]
    assert child["id"] == mid.id
    assert {c["id"] for c in child["children"]} == {leaf_a.id, leaf_b.id}


def test_unknown_parent_and_id_are_clear(tmp_path: Path) -> None:
    path = str(_parquet(tmp_path / "d.parquet"))
    with pytest.raises(InputError, match="no data record 'ds-nope'"):
        record(path, source="s", transform="t", parent="ds-nope")
    with pytest.raises(InputError, match="no data record"):
        dataset_quarantined("ds-nope")
    with pytest.raises(InputError, match="no such file or folder"):
        record(str(tmp_path / "missing"), source="s", transform="t")


def test_actions_are_audited(tmp_path: Path) -> None:
    rec = record(str(_parquet(tmp_path / "d.parquet")), source="s", transform="t")
    approve(rec.id)
    quarantine(rec.id, "bad batch")
    release(rec.id)
    events = [(e.action, e.target) for e in default_log().tail(50) if e.action.startswith("data.")]
    assert events == [
        ("data.record", rec.id),
        ("data.approve", rec.id),
        ("data.quarantine", rec.id),
        ("data.quarantine", rec.id),
    ]


@pytest.mark.parametrize(
    ("role", "may_record", "may_approve", "may_read"),
    [
        ("ml-engineer", True, False, True),
        ("service", True, False, True),
        # checking a ledger tag is a keys.use of the data-ledger key, which auditors lack
        ("auditor", False, False, False),
        ("security", True, True, True),
    ],
)
def test_roles(
    role: str,
    may_record: bool,
    may_approve: bool,
    may_read: bool,
    tmp_path: Path,
    aisec_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aisec.core.errors import AuthorizationError
    from aisec.core.identity import os_user

    path = str(_parquet(tmp_path / "d.parquet"))
    rec = record(path, source="s", transform="t")  # as the OS user (admin): creates the key
    me = os_user()
    (aisec_home / "aisec.yaml").write_text(
        "access:\n  principals:\n"
        f"    - {{name: {me}, roles: [admin], may_act_as: [p]}}\n"
        f"    - {{name: p, roles: [{role}]}}\n"
    )
    monkeypatch.setenv("AISEC_PRINCIPAL", "p")
    for allowed, call in (
        (may_record, lambda: record(path, source="s", transform="t")),
        (may_approve, lambda: approve(rec.id)),
        (may_approve, lambda: quarantine(rec.id, "r")),
        (may_read, lambda: dataset_quarantined(rec.id)),
    ):
        if allowed:
            call()
        else:
            # denied either at the data.* permission or, for a role that has it but
            # not keys.use, at the ledger key that tags every record
            with pytest.raises(AuthorizationError, match=f"p \\({role}\\) may not (data|keys)"):
                call()


def test_fake_parquet_is_chunked_not_trusted(tmp_path: Path) -> None:
    # PAR1 at both ends but a garbage footer: no row groups to believe, so chunks
    path = tmp_path / "fake.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 5000 + b"\x10\x00\x00\x00PAR1")
    rec = record(str(path), source="s", transform="t")
    assert [(f.kind, len(f.leaves)) for f in rec.tree.files] == [("chunks", 1)]


def test_fsspec_url(tmp_path: Path) -> None:
    import fsspec

    fs = fsspec.filesystem("memory")
    with fs.open("/lake/part-0.csv", "wb") as out:
        out.write(b"a,b\n1,2\n")
    rec = record("memory://lake", source="s", transform="t")
    assert [f.path for f in rec.tree.files] == ["part-0.csv"]
    with fs.open("/lake/part-0.csv", "wb") as out:
        out.write(b"a,b\n1,3\n")
    assert [(c.path, c.leaf) for c in verify("memory://lake", rec.id).changes] == [
        ("part-0.csv", "chunk 0")
    ]
    fs.rm("/lake", recursive=True)
