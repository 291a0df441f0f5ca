"""The one door to the OpenSSF ``model_signing`` library: payloads, signers, verifiers.

aisec hashes the folder itself (to name each changed, missing or added file, and to keep
the reference's speed) and hands ``model_signing`` only the manifest to sign, or the
bundle to authenticate, so the bytes on disk are exactly the reference's format.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aisec.artifacts.signing import _lean
from aisec.artifacts.signing._model import SignatureError
from aisec.core.errors import InputError, UpstreamError

__all__ = [
    "MAX_BUNDLE_BYTES",
    "Bundle",
    "Expected",
    "KeyCandidate",
    "authenticate",
    "claimed_manifest",
    "ec_signer",
    "fingerprint",
    "keyring_key",
    "load_private_key",
    "make_bundle",
    "manifest_digest",
    "pem_signer",
    "read_bundle",
    "sigstore_signer",
]

MAX_BUNDLE_BYTES = 256 << 20  # ~1.6 M files; a bundle is a manifest, not a model


def fingerprint(public_key: Any) -> str:
    """``sha256:<hex>`` over the DER SubjectPublicKeyInfo of a public key."""
    from cryptography.hazmat.primitives import serialization

    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(der).hexdigest()


def manifest_digest(resources: Iterable[tuple[str, str, str]]) -> str:
    """``sha256:<hex>`` over (name, algorithm, hex digest) triples in name order: names
    count, unlike the OMS subject digest, so a renamed file changes it."""
    canonical = json.dumps(sorted(resources), separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class Expected:
    """The authenticated content of a signature: what the model must be."""

    model_name: str
    method: str  # "files" | "shards"
    hash_type: str
    allow_symlinks: bool
    ignore_paths: tuple[str, ...]
    shard_size: int
    resources: dict[str, tuple[str, str]]  # name -> (algorithm, hex digest)

    @property
    def digest(self) -> str:
        return manifest_digest((n, a, d) for n, (a, d) in self.resources.items())


# -- signing -------------------------------------------------------------------------------


def _payload(model_name: str, digests: dict[str, bytes], algorithm: str, ignored: list[str]) -> Any:
    """model_signing's in-toto Payload, built as its ``Payload(manifest)`` builds it (same
    statement, same resource order) without sorting ``Manifest`` keys through dataclass
    comparisons, which cost seconds for ten thousand files."""
    from in_toto_attestation.v1 import statement  # type: ignore[import-untyped]

    signing = _lean.load("_signing.signing")

    # model_signing orders resources by their PurePosixPath, i.e. by path components.
    names = sorted(digests, key=lambda n: n.split("/"))
    root = hashlib.sha256()
    resources = []
    for name in names:
        root.update(digests[name])
        resources.append({"name": name, "algorithm": algorithm, "digest": digests[name].hex()})
    serialization: dict[str, Any] = {
        "method": "files",
        "hash_type": algorithm,
        "allow_symlinks": False,
    }
    if ignored:
        serialization["ignore_paths"] = sorted(ignored)
    subject = statement.ResourceDescriptor(name=model_name, digest={"sha256": root.hexdigest()}).pb
    payload: Any = signing.Payload.__new__(signing.Payload)
    payload.statement = statement.Statement(
        subjects=[subject],
        predicate_type=signing._PREDICATE_TYPE,
        predicate={"serialization": serialization, "resources": resources},
    )
    return payload


Signer = Callable[[Any], Any]  # model_signing Payload -> Signature


def make_bundle(
    signer: Any, model_name: str, digests: dict[str, bytes], algorithm: str, ignored: list[str]
) -> bytes:
    """The OMS signature bundle (JSON bytes) over a files manifest of ``digests``."""
    signature = signer.sign(_payload(model_name, digests, algorithm, ignored))
    text: str = signature.bundle.to_json()
    return text.encode("utf-8")


class _KeyringPrivateKey:
    """Stands in for a pyca private key inside model_signing's EC signer: the signature
    is made by the keyring (Tink); the key never leaves it."""

    def __init__(self, sign: Callable[[bytes], bytes], public_key: Any) -> None:
        self._sign = sign
        self._public = public_key

    def sign(self, data: bytes, algorithm: Any) -> bytes:
        return self._sign(data)  # ECDSA P-256 SHA-256, what model_signing asks of P-256

    def public_key(self) -> Any:
        return self._public


def keyring_key(sign: Callable[[bytes], bytes], public_pem: bytes) -> Any:
    """A private-key stand-in that signs through ``sign`` (the keyring), for :func:`ec_signer`."""
    from cryptography.hazmat.primitives import serialization

    return _KeyringPrivateKey(sign, serialization.load_pem_public_key(public_pem))


def load_private_key(private_key: Path, password: str | None = None) -> tuple[Any, str]:
    """A PEM EC private key (P-256, P-384 or P-521) and its public key's fingerprint."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from aisec.core.inputs import read_bounded

    data = read_bounded(private_key, 1 << 20, "private key")
    try:
        key = serialization.load_pem_private_key(
            data, password.encode() if password is not None else None
        )
    except (ValueError, TypeError) as exc:
        raise InputError(f"private key {private_key}: cannot load it ({exc})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name not in (
        "secp256r1",
        "secp384r1",
        "secp521r1",
    ):
        raise InputError(
            f"private key {private_key}: OMS signs with EC keys on P-256, P-384 or P-521"
        )
    return key, fingerprint(key.public_key())


def ec_signer(private_key: Any) -> Any:
    """model_signing's EC key signer over a loaded key (or :func:`keyring_key`)."""
    sign_ec_key = _lean.load("_signing.sign_ec_key")

    signer: Any = sign_ec_key.Signer.__new__(sign_ec_key.Signer)  # its __init__ reads a file
    signer._private_key = private_key
    return signer


def pem_signer(private_key: Path, password: str | None = None) -> tuple[Any, str]:
    """model_signing's EC key signer for a PEM private key file, and its fingerprint."""
    key, fp = load_private_key(private_key, password)
    return ec_signer(key), fp


def sigstore_signer(identity_token: str | None, interactive: bool) -> Any:
    """model_signing's Sigstore (keyless) signer; needs the network and an OIDC identity."""
    import os

    sign_sigstore = _lean.load("_signing.sign_sigstore")

    token = identity_token or os.environ.get("SIGSTORE_ID_TOKEN")
    if not token and not interactive:
        from sigstore.oidc import detect_credential

        try:
            token = detect_credential()
        except Exception as exc:  # sigstore raises its own family here
            raise UpstreamError(f"sigstore: cannot detect an ambient identity: {exc}") from None
        if not token:
            raise InputError(
                "sigstore signing needs an OIDC identity: pass --identity-token (or set "
                "SIGSTORE_ID_TOKEN), run in CI with ambient credentials, or run on a terminal "
                "for the browser flow"
            )
    try:
        return sign_sigstore.Signer(identity_token=token, use_ambient_credentials=True)
    except Exception as exc:  # network and TUF errors of many kinds
        raise UpstreamError(
            f"sigstore: cannot reach the Sigstore trust root (needs network access to "
            f"tuf-repo-cdn.sigstore.dev, Fulcio and Rekor): {type(exc).__name__}: {exc}"
        ) from None


# -- verification ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bundle:
    path: Path
    text: str
    data: dict[str, Any]

    @property
    def kind(self) -> str:
        """ "key", "certificate" or "sigstore" (a Fulcio certificate with log entries)."""
        material = self.data.get("verificationMaterial") or {}
        if "publicKey" in material:
            return "key"
        if material.get("tlogEntries") and (
            "certificate" in material or "x509CertificateChain" in material
        ):
            return "sigstore"
        if "x509CertificateChain" in material or "certificate" in material:
            return "certificate"
        return "unknown"


def read_bundle(path: Path) -> Bundle:
    """A signature bundle's JSON, bounded; SignatureError when it cannot be one."""
    from aisec.core.inputs import read_bounded

    raw = read_bounded(path, MAX_BUNDLE_BYTES, "signature")
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SignatureError(
            f"signature {path} is not a signature bundle",
            [f"unreadable signature: not JSON (truncated?): {exc}"],
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("verificationMaterial"), dict):
        raise SignatureError(
            f"signature {path} is not a signature bundle",
            ["unreadable signature: no verificationMaterial (not an OMS/Sigstore bundle)"],
        )
    return Bundle(path, text, data)


@dataclass(frozen=True, slots=True)
class KeyCandidate:
    """One way the bundle may verify: a verifier and who it stands for."""

    label: str  # shown when nothing verifies: "key release v2", "public key k.pub"
    signer: str  # Verified.signer when it verifies
    method: str
    make: Callable[[], Any]  # builds the model_signing verifier
    key_name: str | None = None
    key_version: int | None = None


def public_key_candidate(
    pem: bytes, label: str, key_name: str | None = None, version: int | None = None
) -> KeyCandidate:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise InputError(f"{label}: not a PEM public key ({exc})") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise InputError(f"{label}: OMS verifies EC public keys (P-256, P-384, P-521) only")

    def make() -> Any:
        sign_ec_key = _lean.load("_signing.sign_ec_key")

        verifier = sign_ec_key.Verifier.__new__(sign_ec_key.Verifier)
        verifier._public_key = key
        sign_ec_key._check_supported_ec_key(key)
        return verifier

    return KeyCandidate(label, fingerprint(key), "key", make, key_name, version)


def certificate_candidate(
    chain: list[Path], label: str, key_name: str | None = None
) -> KeyCandidate:
    for path in chain:
        if not path.is_file():
            raise InputError(f"certificate chain {path}: file not found")

    def make() -> Any:
        sign_certificate = _lean.load("_signing.sign_certificate")

        return sign_certificate.Verifier(chain)

    return KeyCandidate(label, "", "certificate", make, key_name)


def sigstore_candidate(identity: str, issuer: str) -> KeyCandidate:
    def make() -> Any:
        sign_sigstore = _lean.load("_signing.sign_sigstore")

        try:
            return sign_sigstore.Verifier(identity=identity, oidc_issuer=issuer)
        except Exception as exc:  # network and TUF errors of many kinds
            raise UpstreamError(
                "sigstore: cannot load the Sigstore trust root (needs network access to "
                f"tuf-repo-cdn.sigstore.dev the first time): {type(exc).__name__}: {exc}"
            ) from None

    return KeyCandidate(f"sigstore identity {identity}", identity, "sigstore", make)


class _Text:
    """The bundle bytes already read, offered where model_signing reads a path, so the
    bundle authenticated is the one aisec parsed (the file is read once)."""

    def __init__(self, text: str) -> None:
        self._text = text

    def read_text(self, encoding: str = "utf-8") -> str:
        return self._text


def _signature_object(bundle: Bundle, method: str) -> Any:
    source: Any = _Text(bundle.text)  # read() only calls read_text()
    if method == "sigstore":
        sign_sigstore = _lean.load("_signing.sign_sigstore")

        return sign_sigstore.Signature.read(source)
    sign_sigstore_pb = _lean.load("_signing.sign_sigstore_pb")

    return sign_sigstore_pb.Signature.read(source)


def _leaf_fingerprint(bundle: Bundle) -> str:
    import base64

    from cryptography import x509

    chain = bundle.data["verificationMaterial"]["x509CertificateChain"]["certificates"]
    leaf = x509.load_der_x509_certificate(base64.b64decode(chain[0]["rawBytes"]))
    return fingerprint(leaf.public_key())


def _why(label: str, exc: Exception) -> str:
    """One problem line for a candidate that did not verify the bundle."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    name = type(exc).__name__
    if "Key mismatch" in text:
        return f"untrusted key: signed by another key than {label}"
    if name == "X509StoreContextError":
        return f"untrusted key: {label}: certificate chain does not lead to it ({text})"
    if name == "InvalidSignature":
        return f"bad signature: {label}: the signature does not match (bundle altered?)"
    return f"bad signature: {label}: {name}: {text}" if text else f"bad signature: {label}: {name}"


def authenticate(
    bundle: Bundle, candidates: list[KeyCandidate]
) -> tuple[Expected, KeyCandidate, str]:
    """The signed manifest, the candidate that verified it and the signer id; else
    SignatureError naming why each candidate failed."""
    reasons: list[str] = []
    for cand in candidates:
        try:
            verifier = cand.make()
            signature = _signature_object(bundle, cand.method)
            manifest = verifier.verify(signature)
        except (UpstreamError, InputError):
            raise
        except Exception as exc:  # model_signing, sigstore, OpenSSL and
            # protobuf raise a dozen types for a bad bundle; each means "does not verify"
            reasons.append(_why(cand.label, exc))
            continue
        signer = cand.signer
        if cand.method == "certificate":
            signer = _leaf_fingerprint(bundle)
        return _expected(manifest), cand, signer
    raise SignatureError(
        f"signature {bundle.path} does not verify", reasons or ["untrusted key: none given"]
    )


def claimed_manifest(bundle: Bundle) -> Expected | None:
    """What the bundle's payload says, NOT authenticated: lets hashing start while
    model_signing loads and checks the signature. Use only when it equals the manifest
    :func:`authenticate` returns. None when the payload does not parse as OMS v1."""
    import base64
    import binascii

    try:
        envelope = bundle.data["dsseEnvelope"]
        statement = json.loads(base64.b64decode(envelope["payload"], validate=True))
        predicate = statement["predicate"]
        params = predicate["serialization"]
        resources = {
            str(r["name"]): (str(r["algorithm"]), str(r["digest"])) for r in predicate["resources"]
        }
        return Expected(
            model_name=str(statement["subject"][0]["name"]),
            method=str(params.get("method", "")),
            hash_type=str(params.get("hash_type", "")),
            allow_symlinks=bool(params.get("allow_symlinks", False)),
            ignore_paths=tuple(str(p) for p in params.get("ignore_paths", ())),
            shard_size=int(params.get("shard_size", 0)),
            resources=resources,
        )
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, binascii.Error):
        return None


def _expected(manifest: Any) -> Expected:
    params: dict[str, Any] = dict(manifest.serialization_type)
    items = getattr(manifest, "_item_to_digest", None)  # unsorted: resource_descriptors()
    if isinstance(items, dict):  # sorts through dataclass comparisons, seconds for 10k files
        pairs = [(str(key), digest) for key, digest in items.items()]
    else:
        pairs = [(rd.identifier, rd.digest) for rd in manifest.resource_descriptors()]
    resources = {name: (d.algorithm, d.digest_hex) for name, d in pairs}
    return Expected(
        model_name=str(manifest.model_name),
        method=str(params.get("method", "")),
        hash_type=str(params.get("hash_type", "")),
        allow_symlinks=bool(params.get("allow_symlinks", False)),
        ignore_paths=tuple(str(p) for p in params.get("ignore_paths", ())),
        shard_size=int(params.get("shard_size", 0)),
        resources=resources,
    )
