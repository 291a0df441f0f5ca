"""Signing keys in the keyring: EC P-256 in Tink, PEM public keys out, rotation, disabling."""

from __future__ import annotations

import io

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from aisec.core.crypto import Keyring
from aisec.core.errors import CryptoError


def _verify(pem: bytes, signature: bytes, data: bytes) -> None:
    key = serialization.load_pem_public_key(pem)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    key.verify(signature, data, ec.ECDSA(hashes.SHA256()))


def test_signing_key_is_p256_and_signs_plain_der_ecdsa(ring: Keyring) -> None:
    info = ring.create_key("release", "signing")
    assert info.purpose == "signing"
    version, signature = ring.sign("release", b"payload")
    assert version == 1
    pem = ring.public_keys("release")[1]
    key = serialization.load_pem_public_key(pem)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert key.curve.name == "secp256r1"
    _verify(pem, signature, b"payload")  # no Tink prefix: any ECDSA verifier accepts it
    with pytest.raises(InvalidSignature):
        _verify(pem, signature, b"other")


def test_keyset_file_holds_no_plaintext_private_key(ring: Keyring) -> None:
    import base64

    from tink.proto import ecdsa_pb2

    from aisec.core.crypto import _tink

    ring.create_key("release", "signing")
    keyset = _tink.to_proto(ring._load("release").handle)
    private = ecdsa_pb2.EcdsaPrivateKey()
    private.ParseFromString(keyset.key[0].key_data.value)
    scalar = private.key_value.lstrip(b"\0")
    data = (ring.keys_dir / "release.tink").read_bytes()
    assert len(scalar) >= 30
    assert scalar not in data  # the keyset is encrypted under the master key
    assert base64.b64encode(private.key_value) not in data
    assert b"encryptedKeyset" in data


def test_rotation_adds_a_version_and_keeps_the_old_public_key(ring: Keyring) -> None:
    ring.create_key("release", "signing")
    old = ring.public_keys("release")[1]
    ring.rotate("release")
    keys = ring.public_keys("release")
    assert sorted(keys) == [1, 2]
    assert keys[1] == old
    version, signature = ring.sign("release", b"x")
    assert version == 2
    _verify(keys[2], signature, b"x")


def test_disabled_version_is_left_out_of_public_keys(ring: Keyring) -> None:
    ring.create_key("release", "signing")
    ring.rotate("release")
    ring.disable_version("release", 1)
    assert sorted(ring.public_keys("release")) == [2]
    assert sorted(ring.public_keys("release", enabled_only=False)) == [1, 2]


def test_signing_key_cannot_encrypt(ring: Keyring) -> None:
    ring.create_key("release", "signing")
    with pytest.raises(CryptoError, match="file encryption needs"):
        ring.encrypt_stream(io.BytesIO(b"x"), io.BytesIO(), "release")
    with pytest.raises(CryptoError, match="field encryption needs"):
        ring.field_cipher("release", "col")


def test_aead_key_cannot_sign_or_give_a_public_key(ring: Keyring) -> None:
    ring.create_key("data", "aead")
    with pytest.raises(CryptoError, match="signing needs a signing key"):
        ring.sign("data", b"x")
    with pytest.raises(CryptoError, match="signing needs a signing key"):
        ring.public_keys("data")


def test_signing_is_audited_without_key_material(ring: Keyring) -> None:
    from aisec.core.audit import default_log

    ring.create_key("release", "signing")
    ring.sign("release", b"x")
    events = [e for e in default_log().tail(50) if e.action == "keys.use"]
    assert events[-1].details.get("op") == "sign"
    assert events[-1].details.get("version") == 1


def test_signing_keys_on_each_database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Create, rotate, sign and verify on SQLite and on the real PostgreSQL."""
    from pathlib import Path

    from aisec.artifacts import sign, verify

    monkeypatch.setenv("AISEC_DATABASE_URL", db_url)
    model = Path.cwd() / "m"
    model.mkdir()
    (model / "w.bin").write_bytes(b"weights")
    with Keyring.open() as ring:
        ring.create_key("release", "signing")
    old = sign(model, key="release", signature=Path("old.sig"))
    with Keyring.open() as ring:
        ring.rotate("release")
    new = sign(model, key="release", signature=Path("new.sig"))
    assert verify(model, key="release", signature=old).key_version == 1
    assert verify(model, key="release", signature=new).key_version == 2
