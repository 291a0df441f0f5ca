"""Model signing and verification in the OpenSSF Model Signing (OMS) format.

``sign(path, key=NAME)`` writes a Sigstore bundle (DSSE envelope over an in-toto
statement listing every file's digest), exactly what ``model_signing sign key`` makes;
``verify(path, key=NAME)`` authenticates the bundle through ``model_signing`` and then
compares the folder with the signed manifest itself, so a failure names each changed,
missing, added or renamed file and each link out of the folder (``SignatureError.problems``).

The signature defaults to ``model.sig`` in the working folder (model_signing's CLI default)
and is left out of what it signs when it lies inside the model folder.
"""

from __future__ import annotations

from aisec.artifacts.signing._api import (
    DEFAULT_SIGNATURE,
    model_digest,
    sign,
    verify,
    verify_trusted,
)
from aisec.artifacts.signing._model import SignatureError, TrustedKey, Verified
from aisec.artifacts.signing._trust import policy_trusted_keys

__all__ = [
    "DEFAULT_SIGNATURE",
    "SignatureError",
    "TrustedKey",
    "Verified",
    "model_digest",
    "policy_trusted_keys",
    "sign",
    "verify",
    "verify_trusted",
]
