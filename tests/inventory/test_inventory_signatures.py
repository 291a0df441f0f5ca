"""Model signatures checked through ``aisec.artifacts.signing`` against the policy's
trusted keys (where that package is installed): verified, invalid, or not judged."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import pytest

from aisec.inventory import Asset, inventory

signing = pytest.importorskip("aisec.artifacts.signing")


def _safetensors() -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}}).encode()
    return struct.pack("<Q", len(header)) + header + os.urandom(32)


def _ec_key(folder: Path) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private, public = folder / "k.pem", folder / "k.pub"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def _policy(path: Path, public: Path | None, monkeypatch: pytest.MonkeyPatch) -> None:
    from aisec.core.authz import forget_principal
    from aisec.core.identity import os_user

    text = f"access:\n  principals:\n    - {{name: {os_user()}, roles: [admin]}}\n"
    if public is not None:
        text += f"signing:\n  trusted_keys:\n    - name: release\n      public_key: {public}\n"
    path.write_text(text)
    monkeypatch.setenv("AISEC_POLICY", str(path))
    forget_principal()


def _model(inv_root: Path) -> Asset:
    (model,) = [a for a in inventory(inv_root).assets if a.kind == "model_file"]
    return model


def test_signature_verified_invalid_or_not_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "proj" / "model"
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(_safetensors())
    private, public = _ec_key(tmp_path)
    signing.sign(folder, private_key=private, signature=folder / "model.sig")

    _policy(tmp_path / "policy.yaml", public, monkeypatch)
    model = _model(tmp_path / "proj")
    assert model.details["signature"] == "signed (verified)"
    assert model.details["signed_by"] == "release"

    (folder / "model.safetensors").write_bytes(_safetensors())  # changed after signing
    inv = inventory(tmp_path / "proj")
    (model,) = [a for a in inv.assets if a.kind == "model_file"]
    assert model.details["signature"] == "signature invalid"
    (bad,) = [f for f in inv.findings if f.rule_id == "inventory-model-signature-invalid"]
    assert bad.evidence == "changed: model.safetensors"

    _policy(tmp_path / "policy.yaml", None, monkeypatch)  # no trusted key: not judged
    model = _model(tmp_path / "proj")
    assert model.details["signature"] == "signed (unverified)"
    assert "no trusted keys" in model.details["verification"]
