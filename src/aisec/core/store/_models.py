"""SQLAlchemy table models. Change them only together with a migration in migrations/."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# BigInteger autoincrement needs INTEGER on SQLite to become the rowid alias.
_BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class AuditEventRow(Base):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=False)
    time: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(200), index=True)
    target: Mapped[str] = mapped_column(String(1000))
    outcome: Mapped[str] = mapped_column(String(20))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly what was hashed
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpointRow(Base):
    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    hash: Mapped[str] = mapped_column(String(64))
    time: Mapped[str] = mapped_column(String(40))
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(200))


class FindingRow(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(100))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rule_id: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(500))
    severity: Mapped[str] = mapped_column(String(20))
    asset: Mapped[str] = mapped_column(String(1000))
    location: Mapped[dict[str, Any]] = mapped_column(JSON)
    evidence: Mapped[str] = mapped_column(Text)
    frameworks: Mapped[list[Any]] = mapped_column(JSON)
    remediation: Mapped[str] = mapped_column(Text)


class AssetRow(Base):
    __tablename__ = "assets"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(500))
    owner: Mapped[str] = mapped_column(String(200))
    classification: Mapped[str] = mapped_column(String(50))
    location: Mapped[str] = mapped_column(String(2000))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class KeyRow(Base):
    """Metadata of one named key in the keyring (the key material lives in a keyset file)."""

    __tablename__ = "keys"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    backend: Mapped[str] = mapped_column(String(20))
    backend_ref: Mapped[str] = mapped_column(String(2000))  # KMS key URI / transit path, "" local
    primary_version: Mapped[int] = mapped_column(Integer)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rotated: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    state: Mapped[str] = mapped_column(String(20))


class KeyVersionRow(Base):
    """One version of a named key: a Tink key id inside its keyset, and its state."""

    __tablename__ = "key_versions"
    __table_args__ = (UniqueConstraint("key_name", "version"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    key_name: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    tink_key_id: Mapped[int] = mapped_column(BigInteger)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(20))


class ApiKeyRow(Base):
    """A gateway API key: its public prefix and a keyed hash of the secret, never the key."""

    __tablename__ = "api_keys"

    prefix: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 under the API-key hash key
    hash_key_id: Mapped[str] = mapped_column(String(16))  # which hash key made key_hash
    principal: Mapped[str] = mapped_column(String(200), index=True)
    tenant: Mapped[str | None] = mapped_column(String(200), nullable=True)
    models: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON list; None: policy
    rpm: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tpm: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_used: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RegistryModelRow(Base):
    """A model name in the registry; its row is the lock that serialises stage changes."""

    __tablename__ = "registry_models"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))


class RegistryVersionRow(Base):
    """One immutable version: its files (path, size, sha256 each), scan verdict, signature."""

    __tablename__ = "registry_versions"
    __table_args__ = (UniqueConstraint("model", "version"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(128), ForeignKey("registry_models.name"))
    version: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(10))  # "file" or "folder"
    manifest_digest: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    file_count: Mapped[int] = mapped_column(Integer)
    files: Mapped[str] = mapped_column(Text)  # canonical JSON list of {path, size, sha256, enc}
    scan_verdict: Mapped[str] = mapped_column(String(20))
    scan_summary: Mapped[str] = mapped_column(Text)  # JSON
    signer: Mapped[str | None] = mapped_column(String(500), nullable=True)
    signature_method: Mapped[str | None] = mapped_column(String(50), nullable=True)
    signature_blob: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pushed_by: Mapped[str] = mapped_column(String(200))
    pushed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    quarantined: Mapped[bool] = mapped_column(Boolean)
    quarantine_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    quarantined_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    quarantined_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RegistryStageRow(Base):
    """Which version a stage (staging, production) of a model points at now."""

    __tablename__ = "registry_stages"

    model: Mapped[str] = mapped_column(
        String(128), ForeignKey("registry_models.name"), primary_key=True
    )
    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    version: Mapped[str | None] = mapped_column(String(128), nullable=True)
    override: Mapped[bool] = mapped_column(Boolean)  # moved there past a failed gate
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(200))


class RegistryStageHistoryRow(Base):
    """Every move of a stage, newest last: the record rollback reads "last known good" from."""

    __tablename__ = "registry_stage_history"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(128))
    stage: Mapped[str] = mapped_column(String(20))
    version: Mapped[str | None] = mapped_column(String(128), nullable=True)
    previous: Mapped[str | None] = mapped_column(String(128), nullable=True)
    action: Mapped[str] = mapped_column(String(20))  # promote, override, rollback, auto-rollback
    gate_passed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AssessRunRow(Base):
    """One ``aisec assess`` run of a tree; its findings are FindingRows with its run_id."""

    __tablename__ = "assess_runs"

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    root_key: Mapped[str] = mapped_column(String(64), index=True)  # sha256 of the resolved root
    root: Mapped[str] = mapped_column(String(2000))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)


class DataRecordRow(Base):
    """A data set in the provenance ledger. ``signature`` authenticates the record (id,
    parent, uri, digest, tree, source, transform, actor, created); ``state_signature`` the
    approval and quarantine state with ``state_seq``. Both are keyring AEAD tags."""

    __tablename__ = "data_records"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    parent: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    uri: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64), index=True)  # Merkle root, hex
    tree: Mapped[str] = mapped_column(Text)  # canonical JSON: files and their leaves
    source: Mapped[str] = mapped_column(Text)
    transform: Mapped[str] = mapped_column(Text)
    created: Mapped[str] = mapped_column(String(40))  # ISO 8601 UTC, exactly as signed
    signature: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approved_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    quarantined_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    state_seq: Mapped[int] = mapped_column(Integer)
    state_signature: Mapped[str] = mapped_column(Text)


class MonitorAlertRow(Base):
    """An alert of ``aisec.monitor``: one row per group (rule and subject) and episode;
    later alarms of an open group raise ``count`` and ``last_seen`` instead of a new row.
    ``evidence`` is canonical JSON of counts and rates, never raw prompts or secrets."""

    __tablename__ = "monitor_alerts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    group_key: Mapped[str] = mapped_column(String(64), index=True)
    rule_id: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)  # open, acked
    title: Mapped[str] = mapped_column(String(300))
    first_seen: Mapped[str] = mapped_column(String(40))  # event time (ISO 8601 UTC)
    last_seen: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(Text)
    playbook: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acked_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    acked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class MonitorStateRow(Base):
    """Where a monitor stopped reading the audit log, and its detectors' state (JSON)."""

    __tablename__ = "monitor_state"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(Text)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlaybookRunRow(Base):
    """One run of a playbook; an unfinished run with the same ``params_key`` is resumed."""

    __tablename__ = "playbook_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    playbook: Mapped[str] = mapped_column(String(100))
    params_key: Mapped[str] = mapped_column(String(64), index=True)
    params: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # running, awaiting_approval, done, failed
    actor: Mapped[str] = mapped_column(String(200))
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    started: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class PlaybookStepRow(Base):
    """One step of a run: ``started`` before its action, ``done`` with its result after."""

    __tablename__ = "playbook_steps"

    run_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer)
    started: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    result: Mapped[str] = mapped_column(Text)


class RegistryTrainingDataRow(Base):
    """A data set (a data ledger record id) a registry version was trained on."""

    __tablename__ = "registry_training_data"

    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[str] = mapped_column(String(200), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TokenDenialRow(Base):
    """A JWT deny-list entry: ``kind`` subject (tokens of that subject issued before
    ``not_before``, UNIX seconds) or jti (that token)."""

    __tablename__ = "token_denials"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[str] = mapped_column(String(300), primary_key=True)
    not_before: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
