"""Model files: found by content (the artifact scanner's format detection), with size,
digest, signature state and the scanner's verdict."""

from __future__ import annotations

import hashlib
import importlib
import posixpath
from pathlib import Path
from typing import Any

from aisec.core.errors import AisecError
from aisec.core.findings import Severity
from aisec.inventory._found import Found, rule_finding
from aisec.inventory._walk import FileRef, Tree

__all__ = ["MODEL_FORMATS", "model_asset", "sha256_of", "signature_state", "verify_signature"]

MODEL_FORMATS = frozenset(
    {
        "pickle",
        "pytorch",
        "pytorch-legacy",
        "joblib",
        "npy",
        "npz",
        "hdf5",
        "keras",
        "onnx",
        "tf-savedmodel",
        "tf-graphdef",
        "gguf",
        "safetensors",
        "torch-package",
    }
)
_ARCHIVES = frozenset({"zip", "tar", "7z", "compressed"})
_MODEL_EXTS = frozenset(
    {
        ".pt",
        ".pth",
        ".bin",
        ".ckpt",
        ".pkl",
        ".pickle",
        ".joblib",
        ".keras",
        ".h5",
        ".mar",
        ".nemo",
        ".npz",
        ".model",
        ".sav",
    }
)
# signature files beside a model: OMS/sigstore bundles and detached signatures
_SIG_SUFFIXES = (".sig", ".sigstore", ".sigstore.json", ".bundle", ".oms.json")
_REMOTE_SCAN_CAP = 512 << 20


def sha256_of(tree: Tree, ref: FileRef) -> str:
    """The file's SHA-256, read in chunks (never the whole file in memory when local)."""
    digest = hashlib.sha256()
    local = tree.local_path(ref)
    if local is not None:
        with local.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    else:
        digest.update(tree.read(ref, ref.size))
    return digest.hexdigest()


def signature_state(tree: Tree, ref: FileRef) -> tuple[str, str | None]:
    """("signed", sig path) when a signature file lies beside the model (or a folder-level
    ``model.sig``), else ("unsigned", None)."""
    folder = posixpath.dirname(ref.rel)
    candidates = [ref.rel + s for s in _SIG_SUFFIXES]
    candidates.append(posixpath.join(folder, "model.sig") if folder else "model.sig")
    local = tree.local_path(ref)
    for cand in candidates:
        if local is not None:
            path = local.parent / posixpath.basename(cand)
            if path.is_file():
                return "signed", cand
        else:
            try:
                if tree.read(FileRef(cand, 0), 1):
                    return "signed", cand
            except OSError:
                continue
    return "unsigned", None


def verify_signature(model: Path, signature: Path) -> tuple[str, dict[str, Any], str | None]:
    """``(state, details, problem)`` from the signing package's ``verify_trusted`` against
    the policy's ``signing.trusted_keys``, where that package is installed: ``signed
    (verified)``, ``signature invalid`` (``problem`` says why), or ``signed (unverified)``
    with the reason when it cannot be judged here (no signing package, no trusted key, no
    permission). A folder-level ``model.sig`` covers its whole folder."""
    try:
        signing: Any = importlib.import_module("aisec.artifacts.signing")
    except ImportError:
        return "signed (unverified)", {"verification": "no signing support installed"}, None
    target = model.parent if signature.name == "model.sig" else model
    try:
        trusted = signing.policy_trusted_keys()
        if not trusted:
            reason = "no trusted keys in the policy (signing.trusted_keys)"
            return "signed (unverified)", {"verification": reason}, None
        verified = signing.verify_trusted(target, signature, trusted)
    except signing.SignatureError as exc:
        problems = [str(p) for p in getattr(exc, "problems", ())][:3]
        return "signature invalid", {}, "; ".join(problems) or str(exc)
    except AisecError as exc:  # not allowed to verify, a policy error: not judged
        return "signed (unverified)", {"verification": str(exc)[:200]}, None
    return "signed (verified)", {"signer": verified.signer, "signed_by": verified.key_name}, None


def model_asset(tree: Tree, ref: FileRef, fmt: str, found: Found, *, scan: bool) -> None:
    """Add the model file (or archive holding models) at ``ref``; archives that hold no
    model and carry no model extension are not models and add nothing."""
    details: dict[str, Any] = {"format": fmt, "size": ref.size}
    report = _scan(tree, ref) if scan else None
    if fmt in _ARCHIVES:
        inner = {r.format for r in report.files} if report is not None else set()
        model_inside = bool(inner & MODEL_FORMATS)
        ext = posixpath.splitext(ref.rel)[1].lower()
        if not model_inside and ext not in _MODEL_EXTS:
            return
        if report is not None and report.files:
            details["format"] = report.files[0].format
    try:
        details["sha256"] = sha256_of(tree, ref)
    except OSError as exc:
        found.skip(ref.rel, f"unreadable ({exc.strerror or exc})")
        return
    state, sig = signature_state(tree, ref)
    problem = None
    if sig is not None:
        details["signature_file"] = sig
        local = tree.local_path(ref)
        if local is None:
            state = "signed (unverified)"
            details["verification"] = "remote model: not verified"
        else:
            state, more, problem = verify_signature(local, local.parent / posixpath.basename(sig))
            details.update(more)
    details["signature"] = state
    if report is None:
        details["verdict"] = "not scanned"
    elif isinstance(report, str):
        details["verdict"] = "error"
        details["scan_error"] = report
    else:
        top = report.files[0] if report.files else None
        verdict = top.verdict.value if top is not None else "error"
        details["verdict"] = verdict
        if verdict in {"malicious", "suspicious", "error"}:
            for result in report.files:
                found.findings.extend(
                    _relocated(f, ref.rel, result.path)
                    for f in result.findings
                    if f.severity >= Severity.LOW
                )
    found.asset("model_file", ref.rel, None, posixpath.basename(ref.rel), details)
    if state == "unsigned":
        found.finding(rule_finding("inventory-model-unsigned", ref.rel, None, "no signature file"))
    elif problem is not None:
        found.finding(rule_finding("inventory-model-signature-invalid", ref.rel, None, problem))


def _relocated(finding: Any, rel: str, scanned: str) -> Any:
    """The scanner's finding, located by the path relative to the inventory's root."""
    from dataclasses import replace

    from aisec.core.findings import Location

    member = scanned.partition("!/")[2]
    where = f"{rel}!/{member}" if member else rel
    loc = finding.location
    return replace(
        finding,
        asset=where,
        location=Location(path=where, line=loc.line, offset=loc.offset, pointer=loc.pointer),
    )


def _scan(tree: Tree, ref: FileRef) -> Any:
    """The artifact scanner's report for the file, or an error message."""
    from aisec.artifacts import scan_bytes, scan_path

    local = tree.local_path(ref)
    try:
        if local is not None:
            return scan_path([local])
        if ref.size > _REMOTE_SCAN_CAP:
            return f"remote file larger than {_REMOTE_SCAN_CAP >> 20} MiB: not scanned"
        return scan_bytes(tree.read(ref, ref.size), posixpath.basename(ref.rel))
    except (AisecError, OSError) as exc:
        return str(exc)
