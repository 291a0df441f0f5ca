"""Signatures by certificate: a bundle whose chain leads to the trusted CA is accepted at
push and passes the gate; one whose chain leads elsewhere is refused at push. The
bundles are made by the reference ``model_signing`` CLI (certificate method)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from registry_samples import make_model

from aisec.artifacts import SignatureError
from aisec.registry import Registry

sys.path.insert(0, str(Path(__file__).parents[1] / "artifacts"))
from signing_samples import make_ca, model_signing_cli


def _sign_with_certificate(model: Path, ca: tuple[Path, Path, Path], out: Path) -> Path:
    root, leaf, leaf_key = ca
    done = model_signing_cli(
        "sign", "certificate", model, "--signature", out, "--private_key", leaf_key,
        "--signing_certificate", leaf, "--certificate_chain", root,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


def test_certificate_chains_to_the_trusted_ca_or_is_refused(
    tmp_path: Path, write_policy: Callable[..., Path]
) -> None:
    corp = make_ca(tmp_path, "corp")
    rogue = make_ca(tmp_path, "rogue")
    write_policy(trusted=[{"name": "corp-ca", "certificate_chain": str(corp[0])}])
    model = make_model(tmp_path / "m")
    bad = _sign_with_certificate(model, rogue, tmp_path / "rogue.sig")
    good = _sign_with_certificate(model, corp, tmp_path / "corp.sig")
    with Registry.open() as reg:
        with pytest.raises(SignatureError) as err:
            reg.push("m", model, "1", signature=bad)
        [problem] = err.value.problems
        assert problem.startswith(
            "untrusted key: trusted CA corp-ca: certificate chain does not lead"
        )
        pushed = reg.push("m", model, "1", signature=good).version
        assert pushed.signature_method == "certificate"
        assert pushed.signer is not None and pushed.signer.startswith("corp-ca")
        assert reg.promote("m", "1", "production").move.action == "promote"
