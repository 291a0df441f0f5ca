"""Training-data lineage: a version records the data ledger sets it was trained on, and the
promotion gate refuses it while one of them (or a set it was made from) is quarantined."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from registry_samples import make_model

from aisec.core.audit import default_log
from aisec.core.errors import InputError
from aisec.data import DataRecord, quarantine, record, release
from aisec.registry import GateRefusedError, Registry, RegistryError

NO_SIGNATURE = {"gate": {"require_signature": False}}


def _dataset(tmp_path: Path, name: str, parent: str | None = None) -> DataRecord:
    path = tmp_path / f"{name}.csv"
    path.write_text(f"text,label\n{name} one,1\n{name} two,0\n")
    return record(str(path), source="test", transform="none", parent=parent)


@pytest.fixture
def reg(
    write_policy: Callable[..., Path], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> Registry:
    """The registry and the data ledger in one store: SQLite, and PostgreSQL when set."""
    monkeypatch.setenv("AISEC_DATABASE_URL", db_url)
    write_policy(registry=NO_SIGNATURE)
    return Registry.open()


def test_push_records_training_data_and_show_lists_it(reg: Registry, tmp_path: Path) -> None:
    a, b = _dataset(tmp_path, "a"), _dataset(tmp_path, "b")
    pushed = reg.push("m", make_model(tmp_path / "v1"), "1", trained_on=[b.id, a.id, a.id])
    assert pushed.version.training_data == tuple(sorted([a.id, b.id]))
    assert reg.get("m", "1").training_data == tuple(sorted([a.id, b.id]))
    assert reg.get("m", "1").to_dict()["training_data"] == sorted([a.id, b.id])
    assert [v.ref for v in reg.trained_on([a.id])] == ["m:1"]
    event = [e for e in default_log().tail(50) if e.action == "registry.push"][-1]
    assert a.id in str(event.details["trained_on"])
    reg.close()


def test_unknown_training_data_set_is_refused_at_push(reg: Registry, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not in the data ledger"):
        reg.push("m", make_model(tmp_path / "v1"), "1", trained_on=["no-such-set"])
    with pytest.raises(RegistryError, match="no version"):
        reg.get("m", "1")
    reg.close()


def test_gate_refuses_a_model_trained_on_a_quarantined_data_set(
    reg: Registry, tmp_path: Path
) -> None:
    ds = _dataset(tmp_path, "train")
    reg.push("m", make_model(tmp_path / "v1"), "1", trained_on=[ds.id])
    reg.promote("m", "1", "staging")  # clean data: the gate passes
    quarantine(ds.id, "poisoned rows found by aisec data check")
    with pytest.raises(GateRefusedError) as exc:
        reg.promote("m", "1", "production")
    assert any(ds.id in p and "poisoned rows" in p for p in exc.value.problems)
    release(ds.id)
    assert reg.promote("m", "1", "production").problems == []
    reg.close()


def test_gate_refuses_a_model_trained_on_data_made_from_a_quarantined_set(
    reg: Registry, tmp_path: Path
) -> None:
    raw = _dataset(tmp_path, "raw")
    cleaned = _dataset(tmp_path, "cleaned", parent=raw.id)
    reg.push("m", make_model(tmp_path / "v1"), "1", trained_on=[cleaned.id])
    quarantine(raw.id, "source compromised")
    with pytest.raises(GateRefusedError) as exc:
        reg.promote("m", "1", "production")
    assert any(f"made from {raw.id}" in p for p in exc.value.problems)
    reg.close()


def test_lineage_recorded_after_push_is_only_added_to_and_audited(
    reg: Registry, tmp_path: Path
) -> None:
    a, b = _dataset(tmp_path, "a"), _dataset(tmp_path, "b")
    folder = make_model(tmp_path / "v1")
    reg.push("m", folder, "1", trained_on=[a.id])
    assert reg.record_training_data("m", "1", [a.id, b.id]) == [b.id]
    assert reg.record_training_data("m", "1", [a.id]) == []
    # the same bytes pushed again with other sets adds them, never removes any
    assert reg.push("m", folder, "1", trained_on=[]).version.training_data == tuple(
        sorted([a.id, b.id])
    )
    events = [e for e in default_log().tail(50) if e.action == "registry.lineage"]
    assert len(events) == 2 and all(e.outcome == "ok" for e in events)
    with pytest.raises(RegistryError, match="no version"):
        reg.record_training_data("m", "9", [a.id])
    reg.close()


def test_trained_on_and_lineage_from_the_command_line(
    write_policy: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from aisec.cli.main import main

    write_policy(registry=NO_SIGNATURE)
    a, b = _dataset(tmp_path, "a"), _dataset(tmp_path, "b")
    model = str(make_model(tmp_path / "v1"))
    push = ["registry", "push", "m", model, "--version", "1", "--trained-on", a.id]
    rc = main([*push, "-f", "json"])
    pushed = json.loads(capsys.readouterr().out)
    assert rc == 0 and pushed["training_data"] == [a.id]
    assert main(["registry", "lineage", "m", "1", "--trained-on", b.id]) == 0
    assert "recorded 1 new training data set" in capsys.readouterr().out
    assert main(["registry", "lineage", "m", "1", "--trained-on", "no-such-set"]) == 2
    assert "not in the data ledger" in capsys.readouterr().err
    quarantine(b.id, "label flips")
    assert main(["registry", "promote", "m", "1", "--stage", "production"]) == 1
    refused = capsys.readouterr()
    assert f"trained on data set {b.id}" in refused.out + refused.err
