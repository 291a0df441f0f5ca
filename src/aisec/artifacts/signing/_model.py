"""The values of signing: what a verification proved, a trusted key, the error naming problems."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aisec.core.errors import AisecError, ExitCode, InputError

__all__ = ["SignatureError", "TrustedKey", "Verified"]

_SHOWN = 5  # problems quoted in the one-line message; .problems has them all


class SignatureError(AisecError):
    """A model does not verify against its signature; ``problems`` names each reason.

    Each problem is one short line: ``changed: weights/model.safetensors``, ``missing:
    config.json``, ``added: extra.bin``, ``renamed: a.bin -> b.bin``, ``escapes model
    folder: link -> /etc/passwd``, ``untrusted key: …``. Exit code 1 in the CLI.
    """

    exit_code = ExitCode.FINDINGS

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = list(problems) if problems else [message]
        shown = "; ".join(self.problems[:_SHOWN])
        more = len(self.problems) - _SHOWN
        tail = f" (and {more} more)" if more > 0 else ""
        super().__init__(f"{message}: {shown}{tail}" if problems else message)


@dataclass(frozen=True, slots=True)
class Verified:
    """What a successful verification proved.

    ``signer``: ``sha256:<hex>`` over the DER SubjectPublicKeyInfo of the key that verified
    (for a certificate, its public key), or the Sigstore identity. ``manifest_digest``:
    ``sha256:<hex>`` over the signed file names, algorithms and digests (see
    :func:`aisec.artifacts.model_digest`); equal for the same bytes and layout.
    """

    signer: str
    method: str  # "key" | "certificate" | "sigstore"
    files: int
    manifest_digest: str
    key_name: str | None = None  # the keyring key or trusted-key entry that verified
    key_version: int | None = None  # the keyring version that verified


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """A key whose signatures are trusted (policy ``signing.trusted_keys``).

    Exactly one of: ``keyring`` (a signing key in the aisec keyring: every enabled version),
    ``public_key`` (a PEM public key file), ``certificate_chain`` (a PEM file of CA
    certificates: a signing certificate chaining to one of them).
    """

    name: str
    keyring: str | None = None
    public_key: Path | None = None
    certificate_chain: Path | None = None

    def __post_init__(self) -> None:
        given = [x for x in (self.keyring, self.public_key, self.certificate_chain) if x]
        if len(given) != 1:
            raise InputError(
                f"trusted key {self.name!r}: give exactly one of keyring, public_key or "
                "certificate_chain"
            )
