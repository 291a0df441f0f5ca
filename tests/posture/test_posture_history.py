"""Runs in the store: the next run of the same tree says what is new and what was fixed,
on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from posture_samples import MakeInv, asset

from aisec.core.findings import Finding, Location, Severity
from aisec.core.home import create_home
from aisec.core.store import Store, open_store
from aisec.posture import Evidence, assess_inventory


@pytest.fixture
def store(db_url: str, aisec_home: Path) -> Iterator[Store]:
    create_home()
    s = open_store(db_url)
    yield s
    s.close()


def _f(rule: str, path: str, line: int) -> Finding:
    return Finding(rule, rule, Severity.MEDIUM, asset=path, location=Location(path, line))


def test_new_and_fixed_since_last_run(store: Store, make_inv: MakeInv) -> None:
    manifest = asset("dependency_manifest", "requirements.txt")
    first = make_inv([manifest], [_f("supplychain-unpinned", "requirements.txt", 2)])
    a = assess_inventory(first, Evidence(), store=store)
    assert a.changes.previous_run is None
    # the unpinned line moved (not a change), an unhashed finding is new
    second = make_inv(
        [manifest],
        [
            _f("supplychain-unpinned", "requirements.txt", 3),
            _f("supplychain-unhashed", "requirements.txt", 2),
        ],
    )
    b = assess_inventory(second, Evidence(), store=store)
    assert b.changes.previous_run == a.run_id
    assert [f.rule_id for f in b.changes.new] == ["supplychain-unhashed"]
    assert b.changes.fixed == ()
    third = make_inv([manifest], [_f("supplychain-unhashed", "requirements.txt", 2)])
    c = assess_inventory(third, Evidence(), store=store)
    assert c.changes.previous_run == b.run_id
    assert c.changes.new == ()
    assert [(f.rule_id, f.location.line) for f in c.changes.fixed] == [("supplychain-unpinned", 3)]


def test_a_clean_run_is_remembered_too(store: Store, make_inv: MakeInv) -> None:
    finding = _f("supplychain-unpinned", "requirements.txt", 2)
    assess_inventory(make_inv([], [finding]), Evidence(), store=store)
    clean = assess_inventory(make_inv([], []), Evidence(), store=store)
    again = assess_inventory(make_inv([], [finding]), Evidence(), store=store)
    # compared with the clean run, not with the first one
    assert again.changes.previous_run == clean.run_id
    assert [f.rule_id for f in again.changes.new] == ["supplychain-unpinned"]


def test_trees_are_kept_apart_and_assets_stored(store: Store, make_inv: MakeInv) -> None:
    model = asset("model_file", "m.safetensors", verdict="clean")
    assess_inventory(make_inv([model], root="/a"), Evidence(), store=store)
    other = assess_inventory(make_inv([model], root="/b"), Evidence(), store=store)
    assert other.changes.previous_run is None
    assess_inventory(make_inv([model], root="/a"), Evidence(), store=store)
    with store.read() as conn:
        rows = conn.execute("SELECT kind, location FROM assets ORDER BY name").fetchall()
    assert [tuple(r) for r in rows] == [("model_file", "m.safetensors")] * 2  # upserted per tree


def test_no_credential_is_stored_or_returned(store: Store, make_inv: MakeInv) -> None:
    token = "ghp_" + "Zx8Kq2Lm5Np7Rt9Vb3Cd6Fg1Hj4Wk0Ys2Ua5"
    server = asset("mcp_server", "mcp.json", "gh", command="npx", args=["--token", token])
    leaky = Finding("inventory-mcp-unpinned", "t", Severity.MEDIUM, evidence=f"npx --token {token}")
    result = assess_inventory(make_inv([server], [leaky]), Evidence(), store=store)
    assert token not in repr(result.to_dict()) + repr(result.findings)
    with store.read() as conn:
        rows = conn.execute("SELECT attributes FROM assets").fetchall()
        rows += conn.execute("SELECT evidence FROM findings").fetchall()
    assert rows and all(token not in str(r[0]) for r in rows)
