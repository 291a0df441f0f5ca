"""sign, verify, verify_trusted, model_digest: the signing API (see the package doc)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from aisec.artifacts.signing import _oms
from aisec.artifacts.signing._hash import Progress, hash_files, hash_shards
from aisec.artifacts.signing._model import SignatureError, TrustedKey, Verified
from aisec.artifacts.signing._tree import (
    GIT_PATHS,
    SINGLE_FILE,
    ignore_names,
    model_root,
    unsafe_name,
    walk,
)
from aisec.core.errors import InputError

__all__ = ["DEFAULT_SIGNATURE", "model_digest", "sign", "verify", "verify_trusted"]

DEFAULT_SIGNATURE = Path("model.sig")  # model_signing's CLI default, relative to the cwd


def _audit(action: str, target: Path, outcome: str, details: dict[str, object]) -> None:
    from aisec.core.audit import record

    record(action, str(target), outcome=outcome, details=details)


def _signature_path(signature: Path | None) -> Path:
    return Path(os.path.abspath(signature if signature is not None else DEFAULT_SIGNATURE))  # noqa: PTH100


def _ignored(root: Path, ignore_paths: Sequence[Path], signature: Path) -> set[str]:
    """Caller's ignore paths and the signature file itself, as manifest names."""
    if root.is_file():
        return set()
    return ignore_names(root, [*ignore_paths, signature])


def model_digest(model_path: Path, *, ignore_paths: Sequence[Path] = ()) -> str:
    """``sha256:<hex>`` of a model as a SHA-256 files manifest would name it (the
    ``manifest_digest`` :func:`verify` returns for an OMS default signature of it)."""
    from aisec.core.authz import authorize

    authorize("artifacts.verify")
    root = model_root(model_path)
    ignored = set() if root.is_file() else ignore_names(root, ignore_paths) | set(GIT_PATHS)
    tree = walk(root, ignored)
    if tree.problems:
        raise InputError(f"model {model_path}: {'; '.join(tree.problems[:5])}")
    digests = hash_files(tree.files, "sha256")
    return _oms.manifest_digest((n, "sha256", d.hex()) for n, d in digests.items())


def sign(
    model_path: Path,
    *,
    key: str | None = None,
    private_key: Path | None = None,
    sigstore: bool = False,
    signature: Path | None = None,
    ignore_paths: Sequence[Path] = (),
    password: str | None = None,
    identity_token: str | None = None,
    interactive: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Sign a model folder (or file) in the OMS format; returns the signature path written.

    One of ``key`` (a signing key of the aisec keyring), ``private_key`` (a PEM EC private
    key, ``password`` if encrypted) or ``sigstore`` (keyless; needs the network and an OIDC
    identity: ``identity_token``, ``SIGSTORE_ID_TOKEN``, ambient CI credentials, or the
    browser flow when ``interactive``). ``signature`` defaults to ``model.sig`` in the
    working folder, as model_signing's CLI does. Ignored: ``ignore_paths`` (relative to the
    model folder, or absolute inside it), git's files, and the signature itself; each is
    recorded in the signed manifest. Links are refused (OMS's default).
    """
    from aisec.core.authz import authorize

    authorize("artifacts.sign")
    if sum((key is not None, private_key is not None, sigstore)) != 1:
        raise InputError("sign with exactly one of --key NAME, --private-key PEM or --sigstore")
    root = model_root(model_path)
    sig = _signature_path(signature)
    if root.is_file() and os.path.realpath(sig) == os.path.realpath(root):
        raise InputError(f"signature {sig}: is the model file itself; choose another path")
    ignored = _ignored(root, ignore_paths, sig)
    if root.is_dir():
        ignored |= set(GIT_PATHS)
    tree = walk(root, ignored)
    if tree.problems:
        raise InputError(
            f"model {model_path}: cannot sign: {'; '.join(tree.problems[:5])}"
            " (OMS signs regular files only; copy linked files into the folder)"
        )
    bad = [n for n in tree.files if not _utf8(n)]
    if bad:
        raise InputError(f"model {model_path}: file names must be UTF-8: {bad[0]!r}")
    details: dict[str, object] = {"files": len(tree.files), "signature": str(sig)}
    try:
        with ExitStack() as stack:
            make_signer, signer_id, method = _signer(
                stack, key, private_key, password, identity_token, interactive
            )
            details.update(method=method, signer=signer_id)
            # Hash while model_signing loads (imports hold the GIL; hashing mostly not).
            with ThreadPoolExecutor(max_workers=1) as background:
                hashing = background.submit(hash_files, tree.files, "sha256", progress)
                signer = make_signer()
                digests = hashing.result()
            data = _oms.make_bundle(signer, root.name, digests, "sha256", sorted(ignored))
    except Exception:
        _audit("artifacts.sign", root, "error", details)
        raise
    from aisec.core.crypto import atomic_output

    with atomic_output(sig, mode=0o644) as out:  # a signature is public, as model.sig is
        out.write(data)
    details["manifest_digest"] = _oms.manifest_digest(
        (n, "sha256", d.hex()) for n, d in digests.items()
    )
    _audit("artifacts.sign", root, "ok", details)
    return sig


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _signer(
    stack: ExitStack,
    key: str | None,
    private_key: Path | None,
    password: str | None,
    identity_token: str | None,
    interactive: bool,
) -> tuple[Callable[[], Any], str, str]:
    """(make the model_signing signer, signer id, method), every input checked first; a
    keyring stays open in ``stack``. The maker imports model_signing (slow), so it runs
    while the model is hashed."""
    if private_key is not None:
        loaded, fp = _oms.load_private_key(private_key, password)
        return lambda: _oms.ec_signer(loaded), fp, "key"
    if key is not None:
        from aisec.core.crypto import Keyring

        ring = stack.enter_context(Keyring.open())
        pems = ring.public_keys(key)
        primary = ring.get(key).primary_version
        if primary not in pems:
            raise InputError(f"key {key!r}: its primary version is disabled")
        candidate = _oms.public_key_candidate(pems[primary], f"key {key}")
        stand_in = _oms.keyring_key(lambda data: ring.sign(key, data)[1], pems[primary])
        return lambda: _oms.ec_signer(stand_in), candidate.signer, "key"
    return lambda: _oms.sigstore_signer(identity_token, interactive), "sigstore", "sigstore"


def _key_candidates(
    key: str | None,
    public_key: Path | None,
    certificate_chain: Sequence[Path],
    identity: str | None,
    issuer: str | None,
) -> list[_oms.KeyCandidate]:
    chosen = sum(
        (key is not None, public_key is not None, bool(certificate_chain), identity is not None)
    )
    if chosen != 1:
        raise InputError(
            "verify with exactly one of --key NAME, --public-key PEM, --certificate-chain PEM "
            "or --identity ID --issuer URL"
        )
    if identity is not None:
        if not issuer:
            raise InputError("--identity needs --issuer (the OIDC issuer URL)")
        return [_oms.sigstore_candidate(identity, issuer)]
    if public_key is not None:
        from aisec.core.inputs import read_bounded

        pem = read_bounded(public_key, 1 << 20, "public key")
        return [_oms.public_key_candidate(pem, f"public key {public_key}")]
    if certificate_chain:
        return [_oms.certificate_candidate(list(certificate_chain), "certificate chain")]
    if key is None:  # unreachable: exactly one was chosen
        raise InputError("verify needs a key")
    return _keyring_candidates(key, key)


def _keyring_candidates(key: str, name: str) -> list[_oms.KeyCandidate]:
    from aisec.core.crypto import Keyring

    with Keyring.open() as ring:
        pems = ring.public_keys(key)
    return [
        _oms.public_key_candidate(pem, f"key {key} v{version}", name, version)
        for version, pem in sorted(pems.items(), reverse=True)
    ]


def verify(
    model_path: Path,
    *,
    key: str | None = None,
    public_key: Path | None = None,
    certificate_chain: Sequence[Path] = (),
    identity: str | None = None,
    issuer: str | None = None,
    signature: Path | None = None,
    ignore_paths: Sequence[Path] = (),
    progress: Progress | None = None,
) -> Verified:
    """Verify a model against its OMS signature; raises SignatureError naming each problem.

    One of ``key`` (keyring signing key: every enabled version is tried), ``public_key``
    (PEM), ``certificate_chain`` (PEM CA certificates the signing certificate must chain
    to), or ``identity`` + ``issuer`` (Sigstore). ``signature`` defaults to ``model.sig`` in
    the working folder. Fails closed: a changed, missing, added or renamed file, a link
    out of the folder, a file that cannot be read, a bundle that does not parse or verify.
    """
    from aisec.core.authz import authorize

    authorize("artifacts.verify")
    candidates = _key_candidates(key, public_key, certificate_chain, identity, issuer)
    return _verify(model_path, _signature_path(signature), candidates, ignore_paths, progress)


def verify_trusted(
    model_path: Path,
    signature: Path,
    trusted: Sequence[TrustedKey],
    *,
    ignore_paths: Sequence[Path] = (),
    progress: Progress | None = None,
) -> Verified:
    """Verify against any of ``trusted`` (policy ``signing.trusted_keys``); SignatureError
    with an ``untrusted key`` problem when none of them signed it."""
    from aisec.core.authz import authorize

    authorize("artifacts.verify")
    if not trusted:
        raise SignatureError(
            f"model {model_path} cannot be verified",
            ["untrusted key: no trusted keys configured (policy signing.trusted_keys)"],
        )
    candidates: list[_oms.KeyCandidate] = []
    for entry in trusted:
        if entry.keyring is not None:
            candidates += _keyring_candidates(entry.keyring, entry.name)
        elif entry.public_key is not None:
            from aisec.core.inputs import read_bounded

            pem = read_bounded(entry.public_key, 1 << 20, f"trusted key {entry.name}")
            candidates.append(
                _oms.public_key_candidate(pem, f"trusted key {entry.name}", entry.name)
            )
        elif entry.certificate_chain is not None:
            candidates.append(
                _oms.certificate_candidate(
                    [entry.certificate_chain], f"trusted CA {entry.name}", entry.name
                )
            )
    return _verify(model_path, _signature_path(signature), candidates, ignore_paths, progress)


def _verify(
    model_path: Path,
    sig: Path,
    candidates: list[_oms.KeyCandidate],
    ignore_paths: Sequence[Path],
    progress: Progress | None,
) -> Verified:
    root = model_root(model_path)
    details: dict[str, object] = {"signature": str(sig)}
    try:
        bundle = _oms.read_bundle(sig)
        usable = [c for c in candidates if _fits(c.method, bundle.kind)] or candidates
        ignored = _ignored(root, ignore_paths, sig)
        claimed = _oms.claimed_manifest(bundle)
        with ThreadPoolExecutor(max_workers=1) as background:
            # The folder is compared with what the payload claims while model_signing
            # loads and authenticates it; the result counts only if the authenticated
            # manifest is that same claim (it is the same payload), else it is redone.
            early = (
                background.submit(_compare, root, claimed, ignored, progress)
                if claimed is not None
                else None
            )
            try:
                expected, cand, signer = _oms.authenticate(bundle, usable)
            except BaseException:
                if early is not None:
                    early.cancel()
                raise
            details.update(method=cand.method, signer=signer)
            if early is not None and claimed == expected:
                problems = early.result()
            else:
                problems = _compare(root, expected, ignored, progress)
        details["files"] = len(expected.resources)
        details["manifest_digest"] = expected.digest
        if problems:
            details["problems"] = len(problems)
            raise SignatureError(f"model {model_path} does not match its signature", problems)
    except SignatureError as exc:
        details.setdefault("problems", len(exc.problems))
        _audit("artifacts.verify", root, "error", details)
        raise
    _audit("artifacts.verify", root, "ok", details)
    files = len({n.rsplit(":", 2)[0] for n in expected.resources})
    if expected.method != "shards":
        files = len(expected.resources)
    return Verified(signer, cand.method, files, expected.digest, cand.key_name, cand.key_version)


def _fits(method: str, kind: str) -> bool:
    return method == kind


def _compare(
    root: Path, expected: _oms.Expected, ignored: set[str], progress: Progress | None
) -> list[str]:
    """Every way the folder differs from the signed manifest, one line each."""
    problems: list[str] = []
    if expected.method not in ("files", "shards"):
        return [f"bad signature: unknown serialization method {expected.method!r}"]
    sharded = expected.method == "shards"
    by_file: dict[str, list[str]] = {}
    for name in expected.resources:
        path = name.rsplit(":", 2)[0] if sharded else name
        if unsafe_name(path):
            problems.append(f"escapes model folder: {path} (named in the signature)")
        by_file.setdefault(path, []).append(name)
    if problems:
        return sorted(set(problems))
    single = root.is_file()
    if single != (set(by_file) <= {SINGLE_FILE} and bool(by_file)):
        what = "a single file" if SINGLE_FILE in by_file else "a folder"
        return [f"signature is for {what}, but {root} is not one"]
    if not single:
        ignored = ignored | ignore_names(root, expected.ignore_paths)
    tree = walk(root, ignored, expected.allow_symlinks)
    problems += tree.problems
    present = tree.files
    if sharded:  # empty files have no shard, so no resource
        present = {n: v for n, v in present.items() if v[1] > 0 or n in by_file}
    missing = sorted(set(by_file) - set(present))
    added = sorted(set(present) - set(by_file))
    common = {n: present[n] for n in by_file if n in present}
    algorithm = expected.hash_type
    named = f"{algorithm}-sharded-{expected.shard_size}" if sharded else algorithm
    if any(a != named for a, _ in expected.resources.values()):
        return [*problems, f"bad signature: a resource is not hashed with {named}"]
    try:
        if sharded:
            actual = hash_shards(common, algorithm, expected.shard_size, progress)
        else:
            actual = hash_files(common, algorithm, progress)
    except InputError as exc:
        return [*problems, f"unreadable: {exc.message}"]
    got: dict[str, dict[str, str]] = {}
    for n, d in actual.items():
        got.setdefault(n.rsplit(":", 2)[0] if sharded else n, {})[n] = d.hex()
    changed: set[str] = set()
    for name, names in by_file.items():
        if name in common and got.get(name) != {n: expected.resources[n][1] for n in names}:
            changed.add(name)
    problems += _renames(missing, added, present, expected, algorithm, sharded)
    problems += [f"changed: {root.name if n == SINGLE_FILE else n}" for n in sorted(changed)]
    if missing and not any(n in common and n not in changed for n in by_file):
        problems.insert(
            0,
            f"signature is for another model ({expected.model_name!r}): none of its "
            f"{len(by_file)} files match",
        )
    return problems


def _renames(
    missing: list[str],
    added: list[str],
    present: dict[str, tuple[str, int]],
    expected: _oms.Expected,
    algorithm: str,
    sharded: bool,
) -> list[str]:
    """missing/added lines, pairing an added file whose bytes are a missing one's."""
    renamed: list[str] = []
    if missing and added and not sharded:
        try:
            digests = hash_files({n: present[n] for n in added}, algorithm)
        except InputError:
            digests = {}
        wanted = {expected.resources[n][1]: n for n in missing}
        for name in list(added):
            old = wanted.pop(digests[name].hex(), None) if name in digests else None
            if old is not None:
                renamed.append(f"renamed: {old} -> {name}")
                missing.remove(old)
                added.remove(name)
    return [f"missing: {n}" for n in missing] + [f"added: {n}" for n in added] + renamed
