"""The model registry: push, list, show, promote, pull, verify a deployment, roll back,
quarantine and release.

Every method asks :func:`~aisec.core.authz.authorize` for its permission (``registry.*``)
and records an audit event (refusals and failures too). Versions are immutable; stage
changes hold the model's row lock; pulled files reach their destination only after
every blob digest and the signature were checked, by one rename.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aisec.core.errors import AisecError, InputError
from aisec.registry import _catalog as cat
from aisec.registry._blobs import BlobStore
from aisec.registry._catalog import HistoryEntry, ModelVersion, StageState
from aisec.registry._errors import GateRefusedError, IntegrityError, RegistryError
from aisec.registry._files import (
    FileEntry,
    Progress,
    Tree,
    TreeDiff,
    compare,
    hash_tree,
)
from aisec.registry._gate import (
    scan_problems,
    signature_presence_problems,
    training_data_problems,
)

if TYPE_CHECKING:
    from aisec.artifacts.signing import Verified
    from aisec.core.crypto import Keyring
    from aisec.core.identity import Principal
    from aisec.core.policy import ArtifactsPolicy, RegistryPolicy
    from aisec.core.store import Store

__all__ = [
    "DeploymentCheck",
    "ModelInfo",
    "PromoteResult",
    "PullResult",
    "PushResult",
    "QuarantineResult",
    "Registry",
    "StageMove",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_MAX_REASON = 500


def _check_name(what: str, value: str) -> str:
    if not _NAME.match(value):
        raise InputError(
            f"registry: {what} {value!r}: use 1-128 characters of A-Z, a-z, 0-9, '.', '_', "
            "'-', starting with a letter or digit"
        )
    return value


def _check_stage(stage: str) -> str:
    if stage not in cat.STAGES:
        raise InputError(f"registry: stage {stage!r}: expected one of {', '.join(cat.STAGES)}")
    return stage


def _check_reason(reason: str | None, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise InputError(f"registry: {what} needs --reason (it is kept in the audit log)")
    if len(text) > _MAX_REASON or any(ord(c) < 32 for c in text):
        raise InputError(f"registry: --reason: one line of at most {_MAX_REASON} characters")
    return text


@dataclass(frozen=True, slots=True)
class PushResult:
    """``created`` False: the same bytes were registered under this version already."""

    version: ModelVersion
    created: bool
    uploaded: int = 0
    reused: int = 0


@dataclass(frozen=True, slots=True)
class StageMove:
    """A stage moved from ``previous`` to ``version`` (None: the stage is empty)."""

    model: str
    stage: str
    version: str | None
    previous: str | None
    action: str
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "stage": self.stage,
            "version": self.version,
            "previous": self.previous,
            "action": self.action,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class PromoteResult:
    """A promotion; ``problems``: the gate's, when it was overridden."""

    move: StageMove
    problems: list[str]
    signer: str | None


@dataclass(frozen=True, slots=True)
class QuarantineResult:
    version: ModelVersion
    moves: list[StageMove]


@dataclass(frozen=True, slots=True)
class PullResult:
    version: ModelVersion
    dest: Path
    signer: str | None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DeploymentCheck:
    model: str
    stage: str
    version: str
    path: Path
    diff: TreeDiff

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "stage": self.stage,
            "version": self.version,
            "path": str(self.path),
            "identical": self.diff.identical,
            "changed": self.diff.changed,
            "missing": self.diff.missing,
            "added": self.diff.added,
        }


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    versions: list[ModelVersion]
    stages: dict[str, StageState]
    history: list[HistoryEntry]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.name,
            "versions": [v.to_dict(with_files=False) for v in self.versions],
            "stages": {s: st.version for s, st in self.stages.items()},
            "history": [h.to_dict() for h in self.history],
        }


def _tagged(v: ModelVersion, stages: Mapping[str, StageState]) -> ModelVersion:
    return replace(v, stages=tuple(s for s, st in stages.items() if st.version == v.version))


def _phase(progress: Progress | None, phase: str, total: int) -> Callable[[int], None] | None:
    if progress is None:
        return None

    def tick(n: int) -> None:
        progress(phase, n, total)

    return tick


def _signer_text(verified: Verified) -> str:
    if verified.key_name:
        return f"{verified.key_name} ({verified.signer})"
    return verified.signer


class Registry:
    """The registry over one store and one blob store; use :meth:`open`."""

    def __init__(
        self,
        store: Store,
        policy: RegistryPolicy,
        home: Path,
        artifacts: ArtifactsPolicy | None = None,
    ) -> None:
        self._store = store
        self.policy = policy
        self._artifacts = artifacts
        self._ring: Keyring | None = None
        self._owns_store = False
        url = policy.blob_store or str(home / "registry" / "blobs")
        self._blobs = BlobStore(url, endpoint_url=policy.endpoint_url, keyring=self._keyring)

    @classmethod
    def open(cls, store: Store | None = None) -> Registry:
        """The registry of the active policy (``registry:``), ``$AISEC_HOME`` and the store."""
        from aisec.core.home import ensure_home
        from aisec.core.policy import RegistryPolicy, active_policy
        from aisec.core.store import open_store

        home = ensure_home()
        found = active_policy()
        policy = found.registry if found is not None else RegistryPolicy()
        artifacts = found.artifacts if found is not None else None
        reg = cls(store or open_store(), policy, home, artifacts)
        reg._owns_store = store is None
        return reg

    def close(self) -> None:
        if self._ring is not None:
            self._ring.close()
            self._ring = None
        if self._owns_store:
            self._store.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _keyring(self) -> Keyring:
        if self._ring is None:
            from aisec.core.crypto import Keyring

            self._ring = Keyring.open(store=self._store)
        return self._ring

    # -- authorization and audit ------------------------------------------------------------

    @contextmanager
    def _act(
        self, permission: str, target: str, action: str | None = None
    ) -> Iterator[tuple[Principal, dict[str, Any]]]:
        """Require ``permission``; audit the block as ``action`` (default: the permission):
        ``ok``, ``denied`` for a refused gate, or ``error``."""
        from aisec.core.audit import record
        from aisec.core.authz import authorize

        principal = authorize(permission)  # audits a denial itself
        details: dict[str, Any] = {}
        name = action or permission
        try:
            yield principal, details
        except GateRefusedError as exc:
            details["problems"] = "; ".join(exc.problems)[:2000]
            record(name, target, outcome="denied", details=details, actor=principal)
            raise
        except AisecError as exc:
            details["error"] = type(exc).__name__
            details["message"] = exc.message[:500]
            record(name, target, outcome="error", details=details, actor=principal)
            raise
        record(name, target, outcome="ok", details=details, actor=principal)

    # -- push -------------------------------------------------------------------------------

    def push(
        self,
        name: str,
        path: Path,
        version: str,
        *,
        key: str | None = None,
        signature: Path | None = None,
        progress: Progress | None = None,
        trained_on: Sequence[str] = (),
    ) -> PushResult:
        """Register ``path`` (a model file or folder) as ``name`` ``version``.

        Hashes every file, scans them with the artifact scanner, signs with keyring ``key``
        or checks the detached ``signature`` against the trusted keys, stores the blobs and
        records the version. The same bytes again: a no-op (``created`` False); other bytes
        under an existing version: RegistryError, versions are immutable. ``trained_on``:
        data ledger record ids the model was trained on (its lineage; see
        :meth:`record_training_data`).
        """
        _check_name("model name", name)
        _check_name("version", version)
        if key is not None and signature is not None:
            raise InputError("registry push: give --key or --signature, not both")
        with self._act("registry.push", f"{name}:{version}") as (who, details):
            ignore = self._inside(path, signature)
            tree = hash_tree(path, progress, exclude=ignore)
            details.update(digest=tree.digest, size=tree.size, files=len(tree.files))
            datasets = _check_datasets(trained_on)
            with self._store.read() as conn:
                existing = cat.get_version(conn, name, version)
            if existing is not None:
                same = self._same_bytes(existing, tree)
                if datasets:
                    with cat.locked(self._store, name) as conn:
                        added = cat.record_training_data(conn, name, version, datasets, who.name)
                        same = cat.get_version(conn, name, version) or same
                    details.update(trained_on_added=", ".join(added)[:1000])
                return PushResult(same, created=False)
            verdict, summary = self._scan(tree)
            bundle, signer, method = self._signature(path, key, signature, ignore, progress)
            uploaded, reused, files = self._upload(tree, progress)
            sig_blob = None
            if bundle is not None:
                sig_blob = self._blobs.put_bytes(bundle, self.policy.encrypt_key)
            v = ModelVersion(
                model=name,
                version=version,
                kind=tree.kind,
                manifest_digest=tree.digest,
                size=tree.size,
                files=files,
                scan_verdict=verdict,
                scan_summary=summary,
                signer=signer,
                signature_method=method,
                signature_blob=sig_blob,
                pushed_by=who.name,
                pushed_at=datetime.now(UTC),
            )
            with cat.locked(self._store, name, create_by=who.name) as conn:
                raced = cat.get_version(conn, name, version)
                if raced is None:
                    cat.insert_version(conn, v)
                cat.record_training_data(conn, name, version, datasets, who.name)
                v = replace(v, training_data=tuple(sorted(set(datasets))))
            if raced is not None:  # a concurrent push of the same version won
                return PushResult(self._same_bytes(raced, tree), created=False)
            if datasets:
                details.update(trained_on=", ".join(datasets)[:1000])
            details.update(verdict=verdict, signer=signer, uploaded=uploaded, reused=reused)
            return PushResult(v, created=True, uploaded=uploaded, reused=reused)

    @staticmethod
    def _inside(path: Path, signature: Path | None) -> list[Path]:
        """The signature file, when it lies inside the model folder (left out of it)."""
        if signature is None or not path.is_dir():
            return []
        try:
            signature.resolve().relative_to(path.resolve())
        except ValueError:
            return []
        return [signature]

    @staticmethod
    def _same_bytes(existing: ModelVersion, tree: Tree) -> ModelVersion:
        if existing.manifest_digest != tree.digest:
            diff = compare(existing.files, tree.files)
            raise RegistryError(
                f"registry: {existing.ref} exists with other bytes ("
                + "; ".join(diff.lines()[:5])
                + "); versions are immutable: push these files as a new version"
            )
        return existing

    def _scan(self, tree: Tree) -> tuple[str, dict[str, Any]]:
        from aisec.artifacts import Verdict, scan_path
        from aisec.core.findings import Severity

        paths = [tree.root] if tree.kind == "file" else [tree.root / f.path for f in tree.files]
        report = scan_path(paths, policy=self._artifacts)
        worst = max((r.verdict for r in report.files), default=Verdict.CLEAN)
        partial = report.partial
        if partial and worst < Verdict.ERROR:
            worst = Verdict.ERROR  # content never inspected cannot pass as clean
        rules = sorted({f.rule_id for f in report.findings if f.severity >= Severity.LOW})
        summary: dict[str, Any] = dict(report.summary())
        summary.update(partial=len(partial), rules=rules[:20])
        return str(worst.value), summary

    @staticmethod
    def _signature(
        path: Path,
        key: str | None,
        signature: Path | None,
        ignore: list[Path],
        progress: Progress | None,
    ) -> tuple[bytes | None, str | None, str | None]:
        """(bundle, signer, method): signed now with ``key``, or ``signature`` verified by
        a trusted key, or nothing."""
        from aisec.registry import _signatures

        if key is not None:
            bundle, verified = _signatures.sign_with_key(path, key, ignore, progress)
            return bundle, _signer_text(verified), verified.method
        if signature is None:
            return None, None, None
        from aisec.artifacts.signing import SignatureError

        bundle = _signatures.read_bundle(signature)
        try:
            verified = _signatures.verify_by_trusted(path, bundle, ignore, progress)
        except SignatureError as exc:
            raise SignatureError(
                f"registry push: signature {signature} does not verify by a trusted key",
                exc.problems,
            ) from None
        return bundle, _signer_text(verified), verified.method

    def _upload(
        self, tree: Tree, progress: Progress | None
    ) -> tuple[int, int, tuple[FileEntry, ...]]:
        key = self.policy.encrypt_key
        tick = _phase(progress, "uploading", tree.size)
        uploaded = reused = 0
        done: set[str] = set()
        files = []
        for f in tree.files:
            src = tree.root if tree.kind == "file" else tree.root / f.path
            if f.sha256 not in done:
                if self._blobs.put_file(src, f.sha256, key, tick):
                    uploaded += 1
                else:
                    reused += 1
                done.add(f.sha256)
            elif tick is not None:
                tick(f.size)
            files.append(FileEntry(f.path, f.size, f.sha256, encrypted=key is not None))
        return uploaded, reused, tuple(files)

    # -- read -------------------------------------------------------------------------------

    def list_models(self) -> list[tuple[str, int, str | None, dict[str, str | None]]]:
        """(name, versions, newest version, {stage: version}) of every model."""
        from aisec.core.authz import authorize

        authorize("registry.read")
        with self._store.read() as conn:
            return [
                (name, n, latest, {s: st.version for s, st in cat.stages_of(conn, name).items()})
                for name, n, latest in cat.list_models(conn)
            ]

    def show(self, name: str) -> ModelInfo:
        """A model's versions, stages and stage history."""
        from aisec.core.authz import authorize

        authorize("registry.read")
        with self._store.read() as conn:
            versions = cat.list_versions(conn, name)
            stages = cat.stages_of(conn, name)
            moves = cat.history(conn, name)
        if not versions:
            raise RegistryError(f"registry: no model named {name!r} (see: aisec registry list)")
        return ModelInfo(name, [_tagged(v, stages) for v in versions], stages, moves)

    def get(self, name: str, version: str) -> ModelVersion:
        """One version, with the stages that point at it."""
        from aisec.core.authz import authorize

        authorize("registry.read")
        with self._store.read() as conn:
            v = self._version(conn, name, version)
            return _tagged(v, cat.stages_of(conn, name))

    @staticmethod
    def _version(conn: Any, name: str, version: str) -> ModelVersion:
        v = cat.get_version(conn, name, version)
        if v is None:
            raise RegistryError(
                f"registry: {name} has no version {version!r} (see: aisec registry show {name})"
            )
        return v

    # -- materialise --------------------------------------------------------------------------

    def _materialise(self, v: ModelVersion, into: Path, progress: Progress | None) -> Path:
        """Write ``v``'s files under the new folder ``into`` from verified blobs; the model
        path (``into/model`` for a folder, ``into/NAME`` for a file)."""
        tick = _phase(progress, "downloading", v.size)
        root = into / "model"
        if v.kind == "folder":
            root.mkdir()
        for f in v.files:
            rel = PurePosixPath(f.path)
            if rel.is_absolute() or ".." in rel.parts or not rel.parts or "\\" in f.path:
                raise IntegrityError(f"registry: {v.ref}: stored file name {f.path!r} is unsafe")
            target = into / rel.name if v.kind == "file" else root.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            with os.fdopen(fd, "wb") as out:
                self._blobs.fetch(f.sha256, f.size, f.encrypted, out, f"{v.ref} {f.path}", tick)
        if v.kind == "file":
            return into / PurePosixPath(v.files[0].path).name
        return root

    def _verify_signature(
        self, v: ModelVersion, model: Path, progress: Progress | None
    ) -> Verified:
        from aisec.registry import _signatures

        assert v.signature_blob is not None  # noqa: S101 - callers check
        encrypted = v.files[0].encrypted if v.files else False
        bundle = self._blobs.read_small(v.signature_blob, encrypted, f"{v.ref} signature")
        return _signatures.verify_by_trusted(model, bundle, progress=progress)

    def check_signatures(self, staged_only: bool = True) -> list[tuple[ModelVersion, list[str]]]:
        """Verify again the signature of every signed version (only those a stage points at,
        by default) against the trusted keys of the policy now: blobs read back and checked
        against their digests, the files materialised, the bundle verified. Returns each
        checked version with its problems (none: it verifies). Needs ``registry.read``;
        audited as ``registry.check-signatures``."""
        from aisec.artifacts.signing import SignatureError

        out: list[tuple[ModelVersion, list[str]]] = []
        with self._act("registry.read", "*", "registry.check-signatures") as (_, details):
            with self._store.read() as conn:
                todo = []
                for name, _n, _latest in cat.list_models(conn):
                    stages = cat.stages_of(conn, name)
                    staged = {st.version for st in stages.values()}
                    todo += [
                        _tagged(v, stages)
                        for v in cat.list_versions(conn, name)
                        if v.signature_blob is not None and (v.version in staged or not staged_only)
                    ]
            for v in todo:
                problems: list[str] = []
                with tempfile.TemporaryDirectory(prefix="aisec-registry-check-") as tmp:
                    try:
                        model = self._materialise(v, Path(tmp), None)
                        self._verify_signature(v, model, None)
                    except SignatureError as exc:
                        problems = [str(p)[:300] for p in exc.problems[:5]] or [exc.message[:300]]
                    except (IntegrityError, RegistryError) as exc:
                        problems = [exc.message[:300]]
                out.append((v, problems))
            details.update(checked=len(out), failed=sum(1 for _, p in out if p))
        return out

    # -- training-data lineage ---------------------------------------------------------------

    def record_training_data(
        self, name: str, version: str, dataset_ids: Sequence[str]
    ) -> list[str]:
        """Record that ``name`` ``version`` was trained on the data sets (data ledger record
        ids, each checked to be in the ledger). Lineage is only ever added to: a wrong entry
        cannot be erased to let a model past the gate. Needs ``registry.push``; audited
        (``registry.lineage``). Returns the ids not recorded before."""
        datasets = _check_datasets(dataset_ids)
        if not datasets:
            raise InputError("registry lineage: name at least one data set (--trained-on)")
        with self._act("registry.push", f"{name}:{version}", "registry.lineage") as (
            who,
            details,
        ):
            with cat.locked(self._store, name) as conn:
                self._version(conn, name, version)
                added = cat.record_training_data(conn, name, version, datasets, who.name)
            details.update(trained_on=", ".join(datasets)[:1000], added=len(added))
            return added

    def trained_on(self, dataset_ids: Sequence[str]) -> list[ModelVersion]:
        """The versions recorded as trained on any of the data sets. Needs ``registry.read``."""
        from aisec.core.authz import authorize

        authorize("registry.read")
        with self._store.read() as conn:
            pairs = cat.versions_trained_on(conn, list(dataset_ids))
            out = []
            for model, version in pairs:
                v = cat.get_version(conn, model, version)
                if v is not None:
                    out.append(_tagged(v, cat.stages_of(conn, model)))
        return out

    # -- promote ------------------------------------------------------------------------------

    def promote(
        self,
        name: str,
        version: str,
        stage: str,
        *,
        override: bool = False,
        reason: str | None = None,
        progress: Progress | None = None,
    ) -> PromoteResult:
        """Move ``stage`` to ``version`` if it passes the gate (``registry.gate``): scan
        verdict, a signature verified by a trusted key, not quarantined. ``override`` with a
        ``reason`` lets a principal with ``registry.override`` pass a failed gate (audited);
        a quarantined version is never promoted."""
        from aisec.artifacts.signing import SignatureError
        from aisec.core.authz import require

        _check_stage(stage)
        if override:
            reason = _check_reason(reason, "--override")
        elif reason is not None:
            reason = _check_reason(reason, "promote")
        with self._act("registry.promote", f"{name}:{version}") as (who, details):
            details.update(stage=stage, override=override, reason=reason)
            with self._store.read() as conn:
                v = self._version(conn, name, version)
            self._refuse_quarantined(v, f"promoted to {stage}")
            gate = self.policy.gate
            problems = scan_problems(v, gate) + signature_presence_problems(v, gate)
            problems += training_data_problems(v)
            signer = None
            if gate.require_signature and v.signature_blob is not None:
                with tempfile.TemporaryDirectory(prefix="aisec-registry-gate-") as tmp:
                    model = self._materialise(v, Path(tmp), progress)
                    try:
                        signer = _signer_text(self._verify_signature(v, model, progress))
                    except SignatureError as exc:
                        problems += [f"signature: {p}" for p in exc.problems]
            if problems and not override:
                raise GateRefusedError(f"registry: {v.ref} may not enter {stage}", problems)
            if problems:
                require(who, "registry.override")  # audits a denial itself
            action = "override" if problems else "promote"
            with cat.locked(self._store, name) as conn:
                self._refuse_quarantined(self._version(conn, name, version), f"promoted to {stage}")
                previous = cat.move_stage(
                    conn,
                    name,
                    stage,
                    version,
                    action=action,
                    gate_passed=not problems,
                    actor=who.name,
                    reason=reason,
                )
            details.update(previous=previous, gate="overridden" if problems else "passed")
            if problems:
                details["problems"] = "; ".join(problems)[:2000]
            move = StageMove(name, stage, version, previous, action, reason)
            return PromoteResult(move, problems, signer)

    @staticmethod
    def _refuse_quarantined(v: ModelVersion, what: str) -> None:
        if v.quarantined:
            raise RegistryError(
                f"registry: {v.ref} is quarantined ({v.quarantine_reason}); it cannot be "
                f"{what}. Release it first: aisec registry release {v.model} {v.version}"
            )

    # -- rollback, quarantine -----------------------------------------------------------------

    def rollback(self, name: str, stage: str) -> StageMove:
        """Move ``stage`` back to its last known good version (see
        :func:`~aisec.registry._catalog.last_known_good`)."""
        _check_stage(stage)
        with self._act("registry.rollback", f"{name}:{stage}") as (who, details):
            with cat.locked(self._store, name) as conn:
                target = cat.last_known_good(conn, name, stage)
                if target is None:
                    raise RegistryError(
                        f"registry: {name} has no earlier version that passed the {stage} gate "
                        "and is not quarantined; nothing to roll back to"
                    )
                previous = cat.move_stage(
                    conn, name, stage, target, action="rollback", gate_passed=True, actor=who.name
                )
            details.update(previous=previous, version=target)
            return StageMove(name, stage, target, previous, "rollback")

    def quarantine(self, name: str, version: str, reason: str) -> QuarantineResult:
        """Quarantine ``version``: it cannot be promoted or pulled by stage, and each stage
        pointing at it rolls back to its last known good version (or is emptied)."""
        from aisec.core.audit import record

        reason = _check_reason(reason, "quarantine")
        with self._act("registry.quarantine", f"{name}:{version}") as (who, details):
            details["reason"] = reason
            moves: list[StageMove] = []
            with cat.locked(self._store, name) as conn:
                v = self._version(conn, name, version)
                cat.set_quarantine(conn, name, version, reason, who.name)
                for stage, state in cat.stages_of(conn, name).items():
                    if state.version != version:
                        continue
                    target = cat.last_known_good(conn, name, stage)
                    why = f"{version} quarantined: {reason}"
                    cat.move_stage(
                        conn,
                        name,
                        stage,
                        target,
                        action="auto-rollback",
                        gate_passed=target is not None,
                        actor=who.name,
                        reason=why,
                    )
                    moves.append(StageMove(name, stage, target, version, "auto-rollback", why))
                v = _tagged(cat.get_version(conn, name, version) or v, cat.stages_of(conn, name))
            details["rolled_back"] = ", ".join(f"{m.stage}->{m.version or 'empty'}" for m in moves)
        for m in moves:
            record(
                "registry.auto-rollback",
                f"{name}:{m.stage}",
                details={"from": version, "to": m.version, "reason": reason},
                actor=who,
            )
        return QuarantineResult(v, moves)

    def release(self, name: str, version: str) -> ModelVersion:
        """Lift a quarantine; stages are not moved back (promote the version again)."""
        with (
            self._act("registry.quarantine", f"{name}:{version}", "registry.release") as (
                who,
                _,
            ),
            cat.locked(self._store, name) as conn,
        ):
            v = self._version(conn, name, version)
            if not v.quarantined:
                raise RegistryError(f"registry: {v.ref} is not quarantined")
            cat.set_quarantine(conn, name, version, None, who.name)
            return _tagged(self._version(conn, name, version), cat.stages_of(conn, name))

    # -- pull, verify a deployment --------------------------------------------------------------

    def pull(
        self,
        name: str,
        dest: Path,
        *,
        version: str | None = None,
        stage: str | None = None,
        progress: Progress | None = None,
    ) -> PullResult:
        """Write a version (by ``version`` or by ``stage``) to the new path ``dest``.

        The files are written to a temporary folder beside ``dest``; every blob's digest
        and the signature (by a trusted key) are checked there, and only then is the model
        renamed to ``dest``. On any failure nothing is at ``dest``. A signature that does
        not verify stops the pull, except for a stage that was promoted with an override
        (the override accepted it; the result says so).
        """
        from aisec.artifacts.signing import SignatureError

        if (version is None) == (stage is None):
            raise InputError("registry pull: give --version V or --stage STAGE (one of them)")
        target = f"{name}:{version}" if version is not None else f"{name}@{stage}"
        with self._act("registry.pull", target) as (_, details):
            v, state = self._resolve(name, version, stage)
            details.update(version=v.version, dest=str(dest))
            if os.path.lexists(dest):
                raise InputError(f"registry pull: {dest} exists; pull into a new path")
            parent = dest.parent if str(dest.parent) else Path()
            if not parent.is_dir():
                raise InputError(f"registry pull: folder {parent} does not exist")
            notes: list[str] = []
            if v.quarantined:
                notes.append(f"{v.ref} is quarantined: {v.quarantine_reason}")
            try:
                tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.aisec-pull-", dir=parent))
            except OSError as exc:
                raise InputError(
                    f"registry pull: cannot write in {parent} ({exc.strerror})"
                ) from None
            try:
                model = self._materialise(v, tmp, progress)
                signer = None
                if v.signature_blob is None:
                    notes.append(f"{v.ref} is unsigned; its files match their registered digests")
                else:
                    try:
                        signer = _signer_text(self._verify_signature(v, model, progress))
                    except SignatureError as exc:
                        if state is None or not state.override:
                            raise IntegrityError(
                                f"registry: {v.ref}: signature does not verify by a trusted "
                                "key: " + "; ".join(exc.problems[:5]) + "; nothing was written"
                            ) from None
                        notes.append(
                            f"signature not verified ({'; '.join(exc.problems[:3])}); accepted "
                            f"by the override that promoted it to {stage}: {state.reason}"
                        )
                model.rename(dest)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            details["signer"] = signer
            return PullResult(v, dest, signer, notes)

    def _resolve(
        self, name: str, version: str | None, stage: str | None
    ) -> tuple[ModelVersion, StageState | None]:
        with self._store.read() as conn:
            if version is not None:
                return self._version(conn, name, version), None
            assert stage is not None  # noqa: S101 - the caller checked
            state = cat.get_stage(conn, name, _check_stage(stage))
            if state is None or state.version is None:
                raise RegistryError(f"registry: {name} has no version in {stage}")
            v = self._version(conn, name, state.version)
        self._refuse_quarantined(v, f"pulled by stage ({stage})")
        return v, state

    def verify_deployment(
        self, name: str, stage: str, path: Path, progress: Progress | None = None
    ) -> DeploymentCheck:
        """Compare the files at ``path`` with the version ``stage`` points at: each
        changed, missing and added file."""
        _check_stage(stage)
        action = "registry.verify-deployment"
        with self._act("registry.read", f"{name}@{stage}", action) as (_, details):
            v, _ = self._resolve(name, None, stage)
            details.update(version=v.version, path=str(path))
            tree = hash_tree(path, progress, links="report")
            deployed = list(tree.files)
            if v.kind == "file":
                if tree.kind != "file":
                    raise InputError(f"{path}: a folder, but {v.ref} is a single file")
                # a single file may be deployed under another name: its bytes are what count
                deployed = [FileEntry(v.files[0].path, tree.files[0].size, tree.files[0].sha256)]
            diff = compare(v.files, deployed)
            details.update(
                identical=diff.identical,
                changed=len(diff.changed),
                missing=len(diff.missing),
                added=len(diff.added),
            )
            return DeploymentCheck(name, stage, v.version, path, diff)


_MAX_DATASETS = 100


def _check_datasets(dataset_ids: Sequence[str]) -> list[str]:
    """The ids, deduplicated, each in the data ledger (an unknown id is an input error, not
    lineage that can never be checked)."""
    ids = list(dict.fromkeys(str(d).strip() for d in dataset_ids if str(d).strip()))
    if len(ids) > _MAX_DATASETS:
        raise InputError(f"registry: at most {_MAX_DATASETS} training data sets per version")
    if not ids:
        return []
    from aisec.data import NOT_IN_LEDGER, training_data_quarantines

    unknown = [
        d
        for d, q in training_data_quarantines(ids).items()
        if q is not None and q.dataset_id == d and q.reason == NOT_IN_LEDGER
    ]
    if unknown:
        raise InputError(
            "registry: training data set(s) not in the data ledger: "
            + ", ".join(repr(d[:100]) for d in unknown[:5])
            + " (ids are printed by: aisec data record)"
        )
    return ids
