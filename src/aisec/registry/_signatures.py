"""The registry's one door to signing (``aisec.artifacts.signing``): sign with a keyring
key, check a detached signature, verify a stored version against the trusted keys."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aisec.registry._files import Progress

if TYPE_CHECKING:
    from aisec.artifacts.signing import Verified

__all__ = ["read_bundle", "sign_with_key", "verify_by_trusted"]

_MAX_BUNDLE = 16 << 20


def _phase(progress: Progress | None, phase: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda n, total: progress(phase, n, total)


def sign_with_key(
    model: Path, key: str, ignore: Sequence[Path] = (), progress: Progress | None = None
) -> tuple[bytes, Verified]:
    """Sign ``model`` with keyring key ``key``; the bundle's bytes and what verifying it
    with that key proved."""
    from aisec.artifacts.signing import sign, verify

    with tempfile.TemporaryDirectory(prefix="aisec-registry-sig-") as tmp:
        out = Path(tmp) / "model.sig"
        sign(
            model, key=key, signature=out, ignore_paths=ignore, progress=_phase(progress, "signing")
        )
        verified = verify(model, key=key, signature=out, ignore_paths=ignore)
        return out.read_bytes(), verified


def read_bundle(path: Path) -> bytes:
    """A detached signature's bytes, bounded."""
    from aisec.core.inputs import read_bounded

    return read_bounded(path, _MAX_BUNDLE, "signature")


def verify_by_trusted(
    model: Path, bundle: bytes, ignore: Sequence[Path] = (), progress: Progress | None = None
) -> Verified:
    """Verify ``model`` against ``bundle`` by the policy's ``signing.trusted_keys``;
    SignatureError naming each problem otherwise."""
    from aisec.artifacts.signing import policy_trusted_keys, verify_trusted

    with tempfile.TemporaryDirectory(prefix="aisec-registry-sig-") as tmp:
        sig = Path(tmp) / "model.sig"
        sig.write_bytes(bundle)
        return verify_trusted(
            model,
            sig,
            policy_trusted_keys(),
            ignore_paths=ignore,
            progress=_phase(progress, "verifying"),
        )
