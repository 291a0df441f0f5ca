"""Pipeline and supply-chain signals (issue 18): stored ``aisec data check`` findings, a
staged model whose signature no longer verifies, a pinned dependency newly vulnerable in a
refreshed OSV export (a local export: no network), keys past rotation. Each raises its rule
once, with frameworks and a playbook; a condition that stays raises nothing more."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from aisec.core.identity import os_user
from aisec.monitor import list_alerts, monitor_once


@pytest.fixture(autouse=True)
def master_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    monkeypatch.delenv("AISEC_MASTER_PASSPHRASE", raising=False)


def _policy(aisec_home: Path, **sections: Any) -> None:
    from aisec.core.authz import forget_principal

    doc: dict[str, Any] = {"access": {"principals": [{"name": os_user(), "roles": ["admin"]}]}}
    doc.update(sections)
    aisec_home.mkdir(mode=0o700, exist_ok=True)
    path = aisec_home / "aisec.yaml"
    path.write_text(yaml.safe_dump(doc))
    path.chmod(0o600)
    forget_principal()


def _rules() -> list[str]:
    return sorted(a.rule_id for a in list_alerts())


def test_data_check_findings_raise_one_alert_per_check_run(
    aisec_home: Path, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aisec.data

    monkeypatch.setenv("AISEC_DATABASE_URL", db_url)  # SQLite, and PostgreSQL when set
    _policy(aisec_home, monitor={"pipeline": {"signatures": False, "keys": False}})
    clean = tmp_path / "clean.csv"
    rows = [f"{i},{20 + i % 50},{i % 2}\n" for i in range(400)]
    clean.write_text("n,age,label\n" + "".join(rows))
    contract = aisec.data.infer_contract(str(clean), label="label")
    assert list(aisec.data.check(str(clean), contract).findings) == []
    bad = tmp_path / "batch.csv"
    rows[7] = "7,999,1\n"
    bad.write_text("n,age,label\n" + "".join(rows))
    result = aisec.data.check(str(bad), contract)
    assert any(f.rule_id == "data-out-of-range" for f in result.findings)
    run = monitor_once()
    assert run.pipeline["data_check"] == "ok"
    alerts = list_alerts()
    assert [a.rule_id for a in alerts] == ["monitor-data-check-findings"]
    ev = alerts[0].evidence
    assert ev["asset"] == result.location and "data-out-of-range" in ev["rules"]
    assert alerts[0].playbook == "quarantine-dataset"
    assert "OWASP-LLM:LLM04:2025" in alerts[0].frameworks
    assert "999" not in json.dumps(ev)  # rule ids and the location, never the data
    monitor_once()  # the same stored run is not read again
    assert len(list_alerts()) == 1 and list_alerts()[0].count == 1


def test_staged_model_whose_signature_no_longer_verifies_raises_one_alert(
    aisec_home: Path, tmp_path: Path
) -> None:
    from aisec.core.crypto import Keyring
    from aisec.registry import Registry

    trusted = {"signing": {"trusted_keys": [{"name": "release", "keyring": "release"}]}}
    monitor = {"pipeline": {"signature_interval_s": 0, "keys": False}}
    _policy(aisec_home, monitor=monitor, **trusted)
    with Keyring.open() as ring:
        ring.create_key("release", "signing")
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(_safetensors(1))
    with Registry.open() as reg:
        v = reg.push("fraud", folder, "1", key="release").version
        reg.promote("fraud", "1", "production")
    assert monitor_once().pipeline["signatures"] == "ok"
    assert list_alerts() == []  # it verifies
    blob = next((aisec_home / "registry" / "blobs" / "sha256").rglob(v.files[0].sha256 + "*"))
    data = bytearray(blob.read_bytes())
    data[-1] ^= 0xFF
    blob.write_bytes(bytes(data))
    monitor_once()
    alerts = list_alerts()
    assert [(a.rule_id, a.subject) for a in alerts] == [
        ("monitor-model-signature-invalid", "model:fraud")
    ]
    ev = alerts[0].evidence
    assert (ev["model"], ev["version"], ev["stage"]) == ("fraud", "1", "production")
    assert "changed" in ev["problems"]
    assert alerts[0].playbook == "rollback-model"
    monitor_once()  # still broken: no new alarm
    assert list_alerts()[0].count == 1


def _osv(folder: Path, vid: str, package: str, fixed: str) -> None:
    folder.mkdir(exist_ok=True)
    record = {
        "id": vid,
        "summary": f"{package} does a bad thing",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": package},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
    }
    (folder / f"{vid}.json").write_text(json.dumps(record))


def test_osv_export_refresh_alerts_only_on_newly_vulnerable_pins(
    aisec_home: Path, tmp_path: Path
) -> None:
    osv = tmp_path / "osv"
    _osv(osv, "PYSEC-2026-1", "examplepkg", "2.0")
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("examplepkg==1.0\notherpkg==3.1\nsafepkg==1.0\n")
    pipeline = {"signatures": False, "keys": False, "osv_db": str(osv), "manifests": [str(reqs)]}
    _policy(aisec_home, monitor={"pipeline": pipeline})
    assert monitor_once().pipeline["osv"] == "ok"
    alerts = list_alerts()
    assert [(a.rule_id, a.subject) for a in alerts] == [
        ("monitor-dependency-newly-vulnerable", "dependency:examplepkg")
    ]
    assert alerts[0].evidence["vulnerabilities"] == "PYSEC-2026-1"
    assert alerts[0].evidence["fixed_in"] == "2.0"
    assert alerts[0].playbook == "rotate-keys"
    monitor_once()  # the export did not change
    assert len(list_alerts()) == 1 and list_alerts()[0].count == 1
    _osv(osv, "PYSEC-2026-2", "otherpkg", "3.2")  # the export is refreshed
    monitor_once()
    assert sorted(a.subject for a in list_alerts()) == [
        "dependency:examplepkg",
        "dependency:otherpkg",
    ]
    assert {a.subject: a.count for a in list_alerts()}["dependency:examplepkg"] == 1


def test_missing_osv_export_is_reported_and_the_other_checks_still_run(
    aisec_home: Path, tmp_path: Path
) -> None:
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("examplepkg==1.0\n")
    pipeline = {"keys": False, "osv_db": str(tmp_path / "nope"), "manifests": [str(reqs)]}
    _policy(aisec_home, monitor={"pipeline": pipeline})
    run = monitor_once()
    assert run.pipeline["osv"].startswith("skipped:")
    assert run.pipeline["data_check"] == "ok" and run.pipeline["signatures"] == "ok"


def test_key_past_rotation_raises_one_alert(
    aisec_home: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aisec.core.crypto import Keyring
    from aisec.core.store import open_store

    monkeypatch.setenv("AISEC_DATABASE_URL", db_url)
    _policy(
        aisec_home,
        keys={"default_rotation_days": 30},
        monitor={"pipeline": {"signatures": False}},
    )
    with Keyring.open() as ring:
        ring.create_key("pii", "aead")
        ring.create_key("fresh", "aead")
    assert monitor_once().pipeline["keys"] == "ok"
    assert list_alerts() == []
    old = datetime.now(UTC) - timedelta(days=45)
    with open_store().write() as conn:
        conn.execute("UPDATE keys SET created = ? WHERE name = 'pii'", (conn.time_param(old),))
    monitor_once()
    alerts = list_alerts()
    assert [(a.rule_id, a.subject) for a in alerts] == [("monitor-key-past-rotation", "key:pii")]
    assert alerts[0].evidence["keys"] == "pii"
    assert alerts[0].playbook == "rotate-keys"
    monitor_once()
    assert list_alerts()[0].count == 1


def _safetensors(seed: int, n: int = 64) -> bytes:
    import struct

    header = json.dumps({"w": {"dtype": "F32", "shape": [n], "data_offsets": [0, 4 * n]}}).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + bytes((seed + i) % 251 for i in range(4 * n))
