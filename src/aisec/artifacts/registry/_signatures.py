"""The registry's one door to signing (``aisec.artifacts.signing``): sign with a keyring
key, check a detached signature, verify a stored version against the trusted keys."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aisec.artifacts.signing import TrustedKey, Verified

__all__ = ["sign_with_key", "trusted_keys", "verify_by_trusted"]

_MAX_BUNDLE = 16 << 20


def trusted_keys() -> list[TrustedKey]:
    """The keys of the policy's ``signing.trusted_keys`` (none without a policy)."""
    from aisec.artifacts.signing import trusted_keys as configured

    return list(configured())


def sign_with_key(model: Path, key: str, ignore: Sequence[Path] = ()) -> tuple[bytes, Verified]:
    """Sign ``model`` with keyring key ``key``; the bundle's bytes and what verifying it
    with that key proved."""
    from aisec.artifacts.signing import sign, verify

    with tempfile.TemporaryDirectory(prefix="aisec-registry-sig-") as tmp:
        out = Path(tmp) / "model.sig"
        sign(model, key=key, signature=out, ignore_paths=ignore)
        verified = verify(model, key=key, signature=out, ignore_paths=ignore)
        return out.read_bytes(), verified


def read_bundle(path: Path) -> bytes:
    """A detached signature's bytes, bounded."""
    from aisec.core.inputs import read_bounded

    return read_bounded(path, _MAX_BUNDLE, "signature")


def verify_by_trusted(model: Path, bundle: bytes, ignore: Sequence[Path] = ()) -> Verified:
    """Verify ``model`` against ``bundle`` by the trusted keys; SignatureError otherwise."""
    from aisec.artifacts.signing import verify_trusted

    with tempfile.TemporaryDirectory(prefix="aisec-registry-sig-") as tmp:
        sig = Path(tmp) / "model.sig"
        sig.write_bytes(bundle)
        return verify_trusted(model, sig, trusted_keys(), ignore_paths=ignore)
