"""Corrupt inputs: a registry blob changed or removed on disk, a truncated signature
bundle, a bundle for another model, a bundle by an untrusted key. Each is a clear error
and nothing is left at DEST."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from registry_samples import make_model, tree_bytes

from aisec.artifacts import SignatureError, sign
from aisec.core.crypto import Keyring
from aisec.core.errors import InputError
from aisec.registry import IntegrityError, Registry

TRUSTED = [{"name": "release", "keyring": "release"}]


@pytest.fixture(autouse=True)
def keys(write_policy: Callable[..., Path]) -> None:
    write_policy(trusted=TRUSTED)
    with Keyring.open() as ring:
        ring.create_key("release", "signing")
        ring.create_key("laptop", "signing")


def _blob(aisec_home: Path, digest: str) -> Path:
    found = list((aisec_home / "registry" / "blobs" / "sha256" / digest[:2]).glob(digest + "*"))
    assert len(found) == 1
    return found[0]


def _no_leftovers(dest: Path) -> None:
    assert not dest.exists()
    assert not [p for p in dest.parent.iterdir() if p.name.startswith(f".{dest.name}.")]


def test_a_blob_changed_on_disk_stops_the_pull_and_leaves_no_dest(
    tmp_path: Path, aisec_home: Path
) -> None:
    with Registry.open() as reg:
        v = reg.push("m", make_model(tmp_path / "m"), "1", key="release").version
        weights = next(f for f in v.files if f.path == "model.safetensors")
        blob = _blob(aisec_home, weights.sha256)
        data = bytearray(blob.read_bytes())
        data[100] ^= 0xFF
        blob.write_bytes(bytes(data))
        dest = tmp_path / "out" / "model"
        dest.parent.mkdir()
        with pytest.raises(
            IntegrityError, match=r"m:1 model\.safetensors: blob sha256:\w+… in .* was changed"
        ) as err:
            reg.pull("m", dest, version="1")
        assert err.value.exit_code == 1
        _no_leftovers(dest)


def test_a_blob_changed_on_disk_stops_promotion_too(tmp_path: Path, aisec_home: Path) -> None:
    with Registry.open() as reg:
        v = reg.push("m", make_model(tmp_path / "m"), "1", key="release").version
        _blob(aisec_home, v.files[0].sha256).write_bytes(b"{}")
        with pytest.raises(IntegrityError, match=r"config\.json"):
            reg.promote("m", "1", "production")


def test_a_missing_blob_is_named(tmp_path: Path, aisec_home: Path) -> None:
    with Registry.open() as reg:
        v = reg.push("m", make_model(tmp_path / "m"), "1").version
        _blob(aisec_home, v.files[2].sha256).unlink()
        with pytest.raises(IntegrityError, match=r"tok/vocab.txt: blob sha256:\w+… is missing"):
            reg.pull("m", tmp_path / "dest", version="1")
        _no_leftovers(tmp_path / "dest")


def test_a_truncated_signature_bundle_is_refused_at_push(tmp_path: Path) -> None:
    model = make_model(tmp_path / "m")
    sig = sign(model, key="release", signature=tmp_path / "model.sig")
    sig.write_bytes(sig.read_bytes()[:200])
    with Registry.open() as reg:
        with pytest.raises(SignatureError, match="does not verify by a trusted key"):
            reg.push("m", model, "1", signature=sig)
        assert reg.list_models() == []


def test_a_bundle_for_another_model_is_refused_at_push(tmp_path: Path) -> None:
    other = make_model(tmp_path / "other", seed=7)
    sig = sign(other, key="release", signature=tmp_path / "other.sig")
    with Registry.open() as reg, pytest.raises(SignatureError) as err:
        reg.push("m", make_model(tmp_path / "m", seed=8), "1", signature=sig)
    assert any(p.startswith("changed: model.safetensors") for p in err.value.problems)


def test_a_bundle_by_an_untrusted_key_is_refused_at_push(tmp_path: Path) -> None:
    model = make_model(tmp_path / "m")
    sig = sign(model, key="laptop", signature=tmp_path / "model.sig")
    with Registry.open() as reg, pytest.raises(SignatureError) as err:
        reg.push("m", model, "1", signature=sig)
    assert any(p.startswith("untrusted key") for p in err.value.problems)


def test_a_detached_trusted_signature_inside_the_folder_is_kept_out_of_the_version(
    tmp_path: Path,
) -> None:
    model = make_model(tmp_path / "m")
    sig = sign(model, key="release", signature=model / "model.sig")
    with Registry.open() as reg:
        v = reg.push("m", model, "1", signature=sig).version
        assert "model.sig" not in [f.path for f in v.files]
        assert v.signer is not None and v.signer.startswith("release")
        reg.promote("m", "1", "production")
        reg.pull("m", tmp_path / "out", stage="production")
    expected = tree_bytes(model)
    del expected["model.sig"]
    assert tree_bytes(tmp_path / "out") == expected


def test_a_signature_blob_swapped_for_another_models_fails_the_pull(
    tmp_path: Path, aisec_home: Path
) -> None:
    with Registry.open() as reg:
        a = reg.push("m", make_model(tmp_path / "a", seed=1), "1", key="release").version
        b = reg.push("m", make_model(tmp_path / "b", seed=2), "2", key="release").version
        assert a.signature_blob and b.signature_blob
        # an attacker with write access to the store points v1 at v2's signature
        with reg._store.write() as conn:
            conn.execute(
                "UPDATE registry_versions SET signature_blob = ? WHERE version = '1'",
                (b.signature_blob,),
            )
        with pytest.raises(IntegrityError, match="signature does not verify"):
            reg.pull("m", tmp_path / "dest", version="1")
        _no_leftovers(tmp_path / "dest")


def test_a_stored_file_name_that_escapes_dest_is_refused(tmp_path: Path) -> None:
    with Registry.open() as reg:
        v = reg.push("m", make_model(tmp_path / "m"), "1").version
        files = [f.to_dict() for f in v.files]
        files[0]["path"] = "../../escaped.json"
        with reg._store.write() as conn:
            conn.execute("UPDATE registry_versions SET files = ?", (json.dumps(files),))
        with pytest.raises(IntegrityError, match="unsafe"):
            reg.pull("m", tmp_path / "dest", version="1")
    assert not (tmp_path / "escaped.json").exists()
    _no_leftovers(tmp_path / "dest")


def test_pull_refuses_an_existing_dest(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    with Registry.open() as reg:
        reg.push("m", make_model(tmp_path / "m"), "1")
        with pytest.raises(InputError, match="exists; pull into a new path"):
            reg.pull("m", dest, version="1")
    assert (dest / "keep.txt").read_text() == "mine"


def test_encrypted_blobs_round_trip_and_a_moved_blob_fails_authentication(
    tmp_path: Path, aisec_home: Path, write_policy: Callable[..., Path]
) -> None:
    write_policy(trusted=TRUSTED, registry={"encrypt_key": "blobs"})
    with Keyring.open() as ring:
        ring.create_key("blobs", "streaming")
    model = make_model(tmp_path / "m")
    with Registry.open() as reg:
        v = reg.push("m", model, "1", key="release").version
        assert all(f.encrypted for f in v.files)
        blob = _blob(aisec_home, v.files[1].sha256)
        assert blob.suffix == ".aisec"
        assert b'"dtype"' not in blob.read_bytes()  # no plaintext at rest
        reg.promote("m", "1", "production")
        reg.pull("m", tmp_path / "out", stage="production")
        assert tree_bytes(tmp_path / "out") == tree_bytes(model)
        # one encrypted blob put under another blob's name: its associated data differs
        other = _blob(aisec_home, v.files[0].sha256)
        other.write_bytes(blob.read_bytes())
        with pytest.raises(IntegrityError, match="does not decrypt"):
            reg.pull("m", tmp_path / "again", version="1")
        _no_leftovers(tmp_path / "again")


def test_a_single_file_model_round_trips(tmp_path: Path) -> None:
    make_model(tmp_path / "m")
    weights = tmp_path / "m" / "model.safetensors"
    with Registry.open() as reg:
        v = reg.push("w", weights, "1", key="release").version
        assert v.kind == "file" and [f.path for f in v.files] == ["model.safetensors"]
        reg.promote("w", "1", "production")
        reg.pull("w", tmp_path / "deployed.bin", stage="production")
        assert (tmp_path / "deployed.bin").read_bytes() == weights.read_bytes()
        check = reg.verify_deployment("w", "production", tmp_path / "deployed.bin")
        assert check.diff.identical
