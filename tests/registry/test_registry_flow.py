"""The whole life of a model on every store and blob store: SQLite and the real PostgreSQL,
blobs on a local folder and on a real S3 API (moto's server, started here).

Push v1 and v2, promote both; one changed byte in the deployed v2 fails
verify-deployment; rollback puts v1 back; a pull by stage gives v1's bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from registry_samples import make_model, tree_bytes

from aisec.core.crypto import Keyring
from aisec.registry import Registry, RegistryError


@pytest.fixture
def registry_env(
    db_url: str,
    blob_store: dict[str, Any],
    write_policy: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AISEC_DATABASE_URL", db_url)
    write_policy(registry=blob_store, trusted=[{"name": "release", "keyring": "release"}])
    with Keyring.open() as ring:
        ring.create_key("release", "signing")


@pytest.mark.usefixtures("registry_env")
def test_push_promote_tamper_rollback_pull(tmp_path: Path) -> None:
    v1 = make_model(tmp_path / "m1", seed=1)
    v2 = make_model(tmp_path / "m2", seed=2)
    with Registry.open() as reg:
        r1 = reg.push("fraud", v1, "1", key="release")
        r2 = reg.push("fraud", v2, "2", key="release")
        assert r1.created and r2.created
        assert r1.version.scan_verdict == "clean"
        assert r1.version.signer is not None and r1.version.signer.startswith("release")
        assert len(r1.version.files) == 3
        reg.promote("fraud", "1", "production")
        moved = reg.promote("fraud", "2", "production")
        assert (moved.move.previous, moved.move.version) == ("1", "2")

        deployed = tmp_path / "deploy-v2"
        reg.pull("fraud", deployed, stage="production")
        assert tree_bytes(deployed) == tree_bytes(v2)
        assert reg.verify_deployment("fraud", "production", deployed).diff.identical

        weights = deployed / "model.safetensors"
        data = bytearray(weights.read_bytes())
        data[-1] ^= 0x01
        weights.write_bytes(bytes(data))
        check = reg.verify_deployment("fraud", "production", deployed)
        assert check.diff.changed == ["model.safetensors"]
        assert not check.diff.missing and not check.diff.added

        back = reg.rollback("fraud", "production")
        assert (back.previous, back.version) == ("2", "1")
        out = tmp_path / "deploy-v1"
        pulled = reg.pull("fraud", out, stage="production")
        assert pulled.version.version == "1"
        assert pulled.signer is not None
        assert tree_bytes(out) == tree_bytes(v1)


@pytest.mark.usefixtures("registry_env")
def test_versions_are_immutable_and_a_repeat_push_is_a_no_op(tmp_path: Path) -> None:
    model = make_model(tmp_path / "m", seed=3)
    with Registry.open() as reg:
        first = reg.push("fraud", model, "1.0")
        again = reg.push("fraud", model, "1.0")
        assert first.created and not again.created
        assert again.version.manifest_digest == first.version.manifest_digest
        (model / "config.json").write_text('{"hidden": 9}')
        with pytest.raises(RegistryError, match=r"exists with other bytes \(changed: config.json"):
            reg.push("fraud", model, "1.0")
        assert [v.version for v in reg.show("fraud").versions] == ["1.0"]
