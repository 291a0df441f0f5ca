"""Interop with the reference OpenSSF ``model_signing`` CLI, both ways, and certificates."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from signing_samples import make_ca, make_model, model_signing_cli, write_ec_key

from aisec.artifacts import SignatureError, TrustedKey, sign, verify, verify_trusted
from aisec.core.crypto import Keyring


@pytest.fixture(autouse=True)
def master_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return make_model(tmp_path / "bert")


def test_aisec_keyring_signature_verifies_with_model_signing(model: Path, tmp_path: Path) -> None:
    with Keyring.open() as ring:
        ring.create_key("release", "signing")
        public = tmp_path / "release.pub"
        public.write_bytes(ring.public_keys("release")[1])
    sig = sign(model, key="release", signature=tmp_path / "bert.sig")
    done = model_signing_cli("verify", "key", model, "--signature", sig, "--public_key", public)
    assert done.returncode == 0, done.stderr
    assert "Verification succeeded" in done.stdout


def test_aisec_signature_inside_the_model_verifies_with_model_signing(
    model: Path, tmp_path: Path
) -> None:
    private, public = write_ec_key(tmp_path)
    sig = sign(model, private_key=private, signature=model / "model.sig")
    done = model_signing_cli("verify", "key", model, "--signature", sig, "--public_key", public)
    assert done.returncode == 0, done.stderr


def test_model_signing_key_signature_verifies_with_aisec(model: Path, tmp_path: Path) -> None:
    private, public = write_ec_key(tmp_path)
    sig = tmp_path / "ref.sig"
    done = model_signing_cli("sign", "key", model, "--signature", sig, "--private_key", private)
    assert done.returncode == 0, done.stderr
    result = verify(model, public_key=public, signature=sig)
    assert result.files == 3
    (model / "config.json").write_text("{}")
    with pytest.raises(SignatureError) as exc:
        verify(model, public_key=public, signature=sig)
    assert exc.value.problems == ["changed: config.json"]


def test_model_signing_certificate_signature_verifies_with_the_chain(
    model: Path, tmp_path: Path
) -> None:
    root, leaf, leaf_key = make_ca(tmp_path)
    sig = tmp_path / "cert.sig"
    done = model_signing_cli(
        "sign", "certificate", model, "--signature", sig, "--private_key", leaf_key,
        "--signing_certificate", leaf, "--certificate_chain", root,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = verify(model, certificate_chain=[root], signature=sig)
    assert result.method == "certificate"
    assert result.signer.startswith("sha256:")
    assert (
        verify_trusted(model, sig, [TrustedKey("corp", certificate_chain=root)]).key_name == "corp"
    )


def test_certificate_chain_not_leading_to_a_trusted_root_is_untrusted(
    model: Path, tmp_path: Path
) -> None:
    root, leaf, leaf_key = make_ca(tmp_path, "rogue")
    trusted_root, _, _ = make_ca(tmp_path, "corp")
    sig = tmp_path / "rogue.sig"
    done = model_signing_cli(
        "sign", "certificate", model, "--signature", sig, "--private_key", leaf_key,
        "--signing_certificate", leaf, "--certificate_chain", root,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with pytest.raises(SignatureError) as exc:
        verify(model, certificate_chain=[trusted_root], signature=sig)
    [problem] = exc.value.problems
    assert problem.startswith("untrusted key: certificate chain: certificate chain does not lead")


def test_key_bundle_offered_to_a_certificate_verifier_fails_closed(
    model: Path, tmp_path: Path
) -> None:
    private, _ = write_ec_key(tmp_path)
    root, _, _ = make_ca(tmp_path)
    sig = sign(model, private_key=private, signature=tmp_path / "k.sig")
    with pytest.raises(SignatureError) as exc:
        verify(model, certificate_chain=[root], signature=sig)
    assert exc.value.problems[0].startswith("bad signature: certificate chain:")


def test_model_signing_sharded_signature_verifies_and_names_the_file(
    model: Path, tmp_path: Path
) -> None:
    private, public = write_ec_key(tmp_path)
    sig = tmp_path / "shards.sig"
    script = (
        "import sys, model_signing\n"
        "model_signing.signing.Config().use_elliptic_key_signer(private_key=sys.argv[2])"
        ".set_hashing_config(model_signing.hashing.Config().use_shard_serialization("
        "shard_size=100000)).sign(sys.argv[1], sys.argv[3])\n"
    )
    subprocess.run([sys.executable, "-c", script, str(model), str(private), str(sig)], check=True)
    (model / "empty.txt").write_text("")  # an empty file has no shard: not "added"
    assert verify(model, public_key=public, signature=sig).files == 3
    weights = model / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(SignatureError) as exc:
        verify(model, public_key=public, signature=sig)
    assert exc.value.problems == ["changed: model.safetensors"]


def test_payload_is_the_one_model_signing_builds(tmp_path: Path) -> None:
    """aisec builds the in-toto statement itself (fast); it must equal the reference's."""
    from google.protobuf import json_format
    from model_signing import hashing

    from aisec.artifacts.signing import _oms

    folder = tmp_path / "m"
    for name in ("a.b", "a/b", "a/c/d", "a-b", "B", "a/b.c", "z"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(name.encode())
    manifest = hashing.Config().set_ignored_paths(paths=[], ignore_git_paths=False).hash(folder)
    from model_signing._signing import signing

    reference = json_format.MessageToJson(signing.Payload(manifest).statement.pb)
    digests = {rd.identifier: rd.digest.digest_value for rd in manifest.resource_descriptors()}
    ours = json_format.MessageToJson(_oms._payload("m", digests, "sha256", []).statement.pb)
    assert ours == reference


@pytest.mark.parametrize("algorithm", ["blake3", "sha256"])
def test_model_signing_signature_with_another_hash_verifies(
    model: Path, tmp_path: Path, algorithm: str
) -> None:
    private, public = write_ec_key(tmp_path)
    sig = tmp_path / f"{algorithm}.sig"
    script = (
        "import sys, model_signing\n"
        "model_signing.signing.Config().use_elliptic_key_signer(private_key=sys.argv[2])"
        ".set_hashing_config(model_signing.hashing.Config().use_file_serialization("
        "hashing_algorithm=sys.argv[4])).sign(sys.argv[1], sys.argv[3])\n"
    )
    args = [str(model), str(private), str(sig), algorithm]
    subprocess.run([sys.executable, "-c", script, *args], check=True)
    assert verify(model, public_key=public, signature=sig).files == 3
    (model / "tokenizer" / "vocab.txt").write_text("z")
    with pytest.raises(SignatureError) as exc:
        verify(model, public_key=public, signature=sig)
    assert exc.value.problems == ["changed: tokenizer/vocab.txt"]


def test_model_signing_api_still_works_after_aisec_loaded_it_lean(
    model: Path, tmp_path: Path
) -> None:
    """aisec imports model_signing without its heavy __init__ (no sigstore); code that
    imports model_signing afterwards in the same process must see its whole public API."""
    private, public = write_ec_key(tmp_path)
    sig = sign(model, private_key=private, signature=tmp_path / "s.sig")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from aisec.artifacts import verify\n"
        "verify(Path(sys.argv[1]), public_key=Path(sys.argv[2]), signature=Path(sys.argv[3]))\n"
        "assert 'sigstore.models' not in sys.modules, 'sigstore loaded for a key signature'\n"
        "import model_signing\n"
        "from model_signing import hashing\n"
        "model_signing.verifying.Config().use_elliptic_key_verifier(public_key=sys.argv[2])"
        ".set_hashing_config(hashing.Config()).verify(sys.argv[1], sys.argv[3])\n"
        "print(model_signing.__version__)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2] / "src"))
    done = subprocess.run(
        [sys.executable, "-c", script, str(model), str(public), str(sig)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    from importlib.metadata import version

    assert done.stdout.strip() == version("model-signing")
