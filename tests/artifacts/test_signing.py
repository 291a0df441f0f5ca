"""aisec.artifacts.sign / verify: round trips, and each tampering technique named."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from signing_samples import make_model, write_ec_key

from aisec.artifacts import (
    SignatureError,
    TrustedKey,
    model_digest,
    policy_trusted_keys,
    sign,
    verify,
    verify_trusted,
)
from aisec.core.crypto import Keyring
from aisec.core.errors import InputError, PolicyError, UpstreamError


@pytest.fixture(autouse=True)
def master_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())


@pytest.fixture
def signing_key() -> str:
    with Keyring.open() as ring:
        ring.create_key("release", "signing")
    return "release"


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return make_model(tmp_path / "bert")


@pytest.fixture
def signed(model: Path, signing_key: str, tmp_path: Path) -> Path:
    """The model signed by the keyring key; returns the signature path (outside it)."""
    return sign(model, key=signing_key, signature=tmp_path / "bert.sig")


def _problems(model: Path, sig: Path, key: str = "release") -> list[str]:
    with pytest.raises(SignatureError) as exc:
        verify(model, key=key, signature=sig)
    assert exc.value.exit_code == 1
    return exc.value.problems


# -- round trips --------------------------------------------------------------------------


def test_keyring_signature_verifies_and_says_who(model: Path, signed: Path) -> None:
    result = verify(model, key="release", signature=signed)
    assert result.method == "key"
    assert result.files == 3
    assert result.key_name == "release"
    assert result.key_version == 1
    assert result.signer.startswith("sha256:")
    assert len(result.signer) == len("sha256:") + 64
    assert result.manifest_digest == model_digest(model)


def test_signature_is_an_oms_bundle_listing_every_file(model: Path, signed: Path) -> None:
    bundle = json.loads(signed.read_text())
    assert bundle["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    assert statement["predicateType"] == "https://model_signing/signature/v1.0"
    names = sorted(r["name"] for r in statement["predicate"]["resources"])
    assert names == ["config.json", "model.safetensors", "tokenizer/vocab.txt"]
    assert statement["subject"][0]["name"] == "bert"


def test_default_signature_is_model_sig_in_the_working_folder(
    model: Path, signing_key: str
) -> None:
    written = sign(model, key=signing_key)
    assert written == Path.cwd() / "model.sig"
    assert verify(model, key=signing_key).files == 3


def test_signature_inside_the_model_is_left_out_of_it(model: Path, signing_key: str) -> None:
    sig = sign(model, key=signing_key, signature=model / "model.sig")
    assert verify(model, key=signing_key, signature=sig).files == 3


def test_manifest_digest_stable_for_same_bytes_and_layout(
    model: Path, signing_key: str, tmp_path: Path
) -> None:
    one = verify(
        model, key="release", signature=sign(model, key=signing_key, signature=tmp_path / "1.sig")
    )
    two = verify(
        model, key="release", signature=sign(model, key=signing_key, signature=tmp_path / "2.sig")
    )
    assert one.manifest_digest == two.manifest_digest


def test_single_file_model(tmp_path: Path, signing_key: str) -> None:
    weights = tmp_path / "model.gguf"
    weights.write_bytes(b"GGUF" + os.urandom(1000))
    sig = sign(weights, key=signing_key, signature=tmp_path / "w.sig")
    assert verify(weights, key=signing_key, signature=sig).files == 1
    weights.write_bytes(b"GGUF" + os.urandom(1000))
    assert _problems(weights, sig) == ["changed: model.gguf"]


def test_pem_private_key_signs_and_public_key_verifies(model: Path, tmp_path: Path) -> None:
    private, public = write_ec_key(tmp_path)
    sig = sign(model, private_key=private, signature=tmp_path / "p.sig")
    assert verify(model, public_key=public, signature=sig).method == "key"


# -- tampering: each technique named ----------------------------------------------------------


def test_tamper_one_byte_is_named_changed(model: Path, signed: Path) -> None:
    weights = model / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[150_000] ^= 1
    weights.write_bytes(bytes(data))
    assert _problems(model, signed) == ["changed: model.safetensors"]


def test_tamper_renamed_file_is_named(model: Path, signed: Path) -> None:
    (model / "config.json").rename(model / "config.old.json")
    assert _problems(model, signed) == ["renamed: config.json -> config.old.json"]


def test_tamper_added_file_is_named(model: Path, signed: Path) -> None:
    (model / "tokenizer" / "extra.bin").write_bytes(b"payload")
    assert _problems(model, signed) == ["added: tokenizer/extra.bin"]


def test_tamper_removed_file_is_named_missing(model: Path, signed: Path) -> None:
    (model / "tokenizer" / "vocab.txt").unlink()
    assert _problems(model, signed) == ["missing: tokenizer/vocab.txt"]


def test_tamper_symlink_out_of_the_folder_is_named(model: Path, signed: Path) -> None:
    (model / "passwd").symlink_to("/etc/passwd")
    assert _problems(model, signed) == ["escapes model folder: passwd -> /etc/passwd"]


def test_tamper_file_replaced_by_symlink_out_of_the_folder(
    model: Path, signed: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text('{"hidden_size": 8}')  # the same bytes: still refused
    (model / "config.json").unlink()
    (model / "config.json").symlink_to(outside)
    problems = _problems(model, signed)
    assert problems == [f"escapes model folder: config.json -> {outside}", "missing: config.json"]


def test_tamper_relative_dotdot_symlink_is_named(model: Path, signed: Path) -> None:
    (model / "up").symlink_to("../../")
    assert _problems(model, signed) == ["escapes model folder: up -> ../.."]


def test_tamper_symlink_inside_refused_when_signature_allows_none(
    model: Path, signed: Path
) -> None:
    (model / "alias.json").symlink_to("config.json")
    assert _problems(model, signed) == [
        "symlink: alias.json -> config.json (the signature allows no links)"
    ]


def test_tamper_fifo_is_refused_without_opening_it(model: Path, signed: Path) -> None:
    os.mkfifo(model / "pipe")
    assert _problems(model, signed) == ["not a regular file: pipe"]


def test_tamper_several_at_once_all_named(model: Path, signed: Path) -> None:
    (model / "config.json").write_text("{}")
    (model / "tokenizer" / "vocab.txt").unlink()
    (model / "new.py").write_text("import os")
    assert _problems(model, signed) == [
        "missing: tokenizer/vocab.txt",
        "added: new.py",
        "changed: config.json",
    ]


def test_manifest_naming_a_path_outside_the_folder_is_named(model: Path, tmp_path: Path) -> None:
    from aisec.artifacts.signing import _oms

    private, public = write_ec_key(tmp_path)
    signer, _ = _oms.pem_signer(private)
    digest = bytes(32)
    data = _oms.make_bundle(signer, "bert", {"../secrets.txt": digest}, "sha256", [])
    sig = tmp_path / "evil.sig"
    sig.write_bytes(data)
    with pytest.raises(SignatureError) as exc:
        verify(model, public_key=public, signature=sig)
    assert exc.value.problems == ["escapes model folder: ../secrets.txt (named in the signature)"]


# -- corrupt or foreign signatures -----------------------------------------------------------


def test_truncated_bundle_is_a_clear_signature_error(model: Path, signed: Path) -> None:
    signed.write_bytes(signed.read_bytes()[:200])
    [problem] = _problems(model, signed)
    assert problem.startswith("unreadable signature: not JSON (truncated?)")


def test_bundle_that_is_not_a_bundle(model: Path, tmp_path: Path, signing_key: str) -> None:
    sig = tmp_path / "x.sig"
    sig.write_text('["a list"]')
    assert _problems(model, sig) == [
        "unreadable signature: no verificationMaterial (not an OMS/Sigstore bundle)"
    ]


def test_bundle_with_altered_payload_does_not_verify(model: Path, signed: Path) -> None:
    bundle = json.loads(signed.read_text())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    statement["predicate"]["resources"][0]["digest"] = "00" * 32
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    signed.write_text(json.dumps(bundle))
    [problem] = _problems(model, signed)
    assert problem.startswith("bad signature: key release v1: the signature does not match")


def test_bundle_for_another_model(model: Path, signing_key: str, tmp_path: Path) -> None:
    other = tmp_path / "gpt"
    other.mkdir()
    (other / "weights.bin").write_bytes(b"other weights")
    sig = sign(other, key=signing_key, signature=tmp_path / "gpt.sig")
    problems = _problems(model, sig)
    assert problems[0] == "signature is for another model ('gpt'): none of its 1 files match"
    assert "missing: weights.bin" in problems


def test_signed_by_another_key_is_untrusted(model: Path, signed: Path, tmp_path: Path) -> None:
    _, public = write_ec_key(tmp_path, "stranger")
    with pytest.raises(SignatureError) as exc:
        verify(model, public_key=public, signature=signed)
    assert exc.value.problems == [f"untrusted key: signed by another key than public key {public}"]


def test_missing_signature_file_is_an_input_error(model: Path, signing_key: str) -> None:
    with pytest.raises(InputError, match="file not found"):
        verify(model, key=signing_key, signature=Path("nowhere.sig"))


def test_verify_needs_exactly_one_way_to_trust(model: Path, signed: Path, tmp_path: Path) -> None:
    _, public = write_ec_key(tmp_path)
    with pytest.raises(InputError, match="exactly one"):
        verify(model, signature=signed)
    with pytest.raises(InputError, match="exactly one"):
        verify(model, key="release", public_key=public, signature=signed)


# -- ignore paths (as OMS defines them) ------------------------------------------------------------


def test_ignore_paths_are_recorded_and_honoured(
    model: Path, signing_key: str, tmp_path: Path
) -> None:
    (model / "logs").mkdir()
    (model / "logs" / "run.txt").write_text("1")
    sig = sign(model, key=signing_key, signature=tmp_path / "s.sig", ignore_paths=[Path("logs")])
    bundle = json.loads(sig.read_text())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    assert "logs" in statement["predicate"]["serialization"]["ignore_paths"]
    (model / "logs" / "run.txt").write_text("2")
    (model / "logs" / "more.txt").write_text("3")
    assert verify(model, key=signing_key, signature=sig).files == 3


def test_git_files_are_left_out_by_default(model: Path, signing_key: str, tmp_path: Path) -> None:
    (model / ".git").mkdir()
    (model / ".git" / "HEAD").write_text("ref: main")
    (model / ".gitattributes").write_text("*.bin lfs")
    sig = sign(model, key=signing_key, signature=tmp_path / "s.sig")
    (model / ".git" / "HEAD").write_text("ref: other")
    assert verify(model, key=signing_key, signature=sig).files == 3


def test_verifier_ignore_path_over_a_signed_file_fails_closed(model: Path, signed: Path) -> None:
    with pytest.raises(SignatureError) as exc:
        verify(model, key="release", signature=signed, ignore_paths=[Path("config.json")])
    assert exc.value.problems == ["missing: config.json"]


def test_sign_refuses_a_link_and_says_why(model: Path, signing_key: str) -> None:
    (model / "passwd").symlink_to("/etc/passwd")
    with pytest.raises(InputError, match="escapes model folder: passwd -> /etc/passwd"):
        sign(model, key=signing_key)


# -- keys: rotation, disabling, trust ---------------------------------------------------------


def test_old_signatures_verify_after_rotation(model: Path, signed: Path, tmp_path: Path) -> None:
    with Keyring.open() as ring:
        ring.rotate("release")
    assert verify(model, key="release", signature=signed).key_version == 1
    new = sign(model, key="release", signature=tmp_path / "v2.sig")
    assert verify(model, key="release", signature=new).key_version == 2


def test_disabled_version_no_longer_verifies(model: Path, signed: Path) -> None:
    with Keyring.open() as ring:
        ring.rotate("release")
        ring.disable_version("release", 1)
    assert _problems(model, signed) == ["untrusted key: signed by another key than key release v2"]


def test_verify_trusted_finds_the_key_among_several(
    model: Path, signed: Path, tmp_path: Path
) -> None:
    _, stranger = write_ec_key(tmp_path, "stranger")
    trusted = [TrustedKey("ext", public_key=stranger), TrustedKey("ours", keyring="release")]
    result = verify_trusted(model, signed, trusted)
    assert result.key_name == "ours"


def test_verify_trusted_refuses_an_untrusted_signer(model: Path, tmp_path: Path) -> None:
    private, _ = write_ec_key(tmp_path, "rogue")
    _, other = write_ec_key(tmp_path, "other")
    sig = sign(model, private_key=private, signature=tmp_path / "rogue.sig")
    with pytest.raises(SignatureError) as exc:
        verify_trusted(model, sig, [TrustedKey("other", public_key=other)])
    assert all(p.startswith("untrusted key:") for p in exc.value.problems)


def test_verify_trusted_with_no_trusted_keys_fails_closed(model: Path, signed: Path) -> None:
    with pytest.raises(SignatureError, match="no trusted keys configured"):
        verify_trusted(model, signed, [])


def test_trusted_key_needs_exactly_one_source() -> None:
    with pytest.raises(InputError, match="exactly one"):
        TrustedKey("x")
    with pytest.raises(InputError, match="exactly one"):
        TrustedKey("x", keyring="a", public_key=Path("b.pub"))


def test_policy_trusted_keys_resolve_relative_to_the_policy(
    tmp_path: Path, aisec_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "conf" / "aisec.yaml"
    policy.parent.mkdir()
    policy.write_text(
        "signing:\n  trusted_keys:\n"
        "    - {name: release, keyring: release}\n"
        "    - {name: vendor, public_key: keys/vendor.pub}\n"
    )
    monkeypatch.setenv("AISEC_POLICY", str(policy))
    keys = policy_trusted_keys()
    assert keys == [
        TrustedKey("release", keyring="release"),
        TrustedKey("vendor", public_key=policy.parent / "keys" / "vendor.pub"),
    ]


def test_policy_trusted_key_with_two_sources_is_a_policy_error() -> None:
    from aisec.core.policy import parse_policy

    with pytest.raises(PolicyError) as exc:
        parse_policy(
            {"signing": {"trusted_keys": [{"name": "a", "keyring": "a", "public_key": "b"}]}}
        )
    assert "exactly one" in " ".join(exc.value.errors)


def test_project_policy_may_not_add_trusted_keys(tmp_path: Path) -> None:
    from aisec.core.policy import load_project_policy

    project = tmp_path / "aisec.yaml"
    project.write_text("signing:\n  trusted_keys:\n    - {name: evil, public_key: evil.pub}\n")
    with pytest.raises(PolicyError, match="may not set signing"):
        load_project_policy(project)


# -- sigstore: wired, needs the network ---------------------------------------------------


def test_sigstore_signing_offline_fails_with_a_clear_error(
    model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No network here (and none forced: an unreachable proxy), so the trust root cannot load.
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(Path.cwd() / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(Path.cwd() / "data"))
    with pytest.raises(UpstreamError, match="sigstore: cannot reach the Sigstore trust root"):
        sign(model, sigstore=True, identity_token="not-a-real-token")


def test_sigstore_signing_without_an_identity_says_how(
    model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SIGSTORE_ID_TOKEN", raising=False)
    for var in ("GITHUB_ACTIONS", "ACTIONS_ID_TOKEN_REQUEST_URL", "GOOGLE_SERVICE_ACCOUNT_NAME"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(InputError, match="sigstore signing needs an OIDC identity"):
        sign(model, sigstore=True)


def test_claimed_manifest_equals_the_authenticated_one(model: Path, signed: Path) -> None:
    """verify() hashes while model_signing authenticates, against the payload's claim; the
    claim must equal what authentication returns, or that early work is thrown away."""
    from aisec.artifacts.signing import _oms

    bundle = _oms.read_bundle(signed)
    with Keyring.open() as ring:
        pem = ring.public_keys("release")[1]
    expected, _, _ = _oms.authenticate(bundle, [_oms.public_key_candidate(pem, "k")])
    assert _oms.claimed_manifest(bundle) == expected


def test_claimed_manifest_of_garbage_is_none(signed: Path, tmp_path: Path) -> None:
    from aisec.artifacts.signing import _oms

    doc = json.loads(signed.read_text())
    doc["dsseEnvelope"]["payload"] = "!!not base64!!"
    bad = tmp_path / "bad.sig"
    bad.write_text(json.dumps(doc))
    assert _oms.claimed_manifest(_oms.read_bundle(bad)) is None
    with pytest.raises(SignatureError):
        verify(signed.parent / "bert", key="release", signature=bad)


def test_fuzzed_bundles_always_fail_as_signature_errors(model: Path, signed: Path) -> None:
    """Truncations and byte flips anywhere in a bundle: a SignatureError, never a crash."""
    import random

    data = signed.read_bytes()
    rng = random.Random(1234)
    cuts = [rng.randrange(1, len(data)) for _ in range(12)]
    flips = [rng.randrange(len(data)) for _ in range(24)]
    bad = signed.parent / "fuzz.sig"
    for cut in cuts:
        bad.write_bytes(data[:cut])
        with pytest.raises(SignatureError):
            verify(model, key="release", signature=bad)
    failed = 0
    for at in flips:
        mutated = bytearray(data)
        mutated[at] ^= 1 << rng.randrange(8)
        bad.write_bytes(bytes(mutated))
        try:
            verify(model, key="release", signature=bad)
        except SignatureError:
            failed += 1
    # A flip in JSON whitespace or in an unsigned, unused field may still verify; one in the
    # signed payload or the signature never does, and nothing else escapes as a crash.
    assert failed >= len(flips) // 2
