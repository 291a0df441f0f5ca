"""Append-only, hash-chained audit log with signed checkpoints.

Each event is ``{seq, time, actor, action, target, outcome, details, prev_hash, hash}``.
``hash`` is HMAC-SHA256 over the canonical JSON of the other fields, keyed by a key
derived from the Ed25519 audit key in ``$AISEC_HOME``: someone who can write the database
but cannot read that key cannot forge, insert, reorder or append events unnoticed.
Every ``CHECKPOINT_EVERY`` events (and on demand) the head ``(seq, hash)`` is signed with
Ed25519 and stored, and the newest checkpoint is also kept in ``$AISEC_HOME`` as a
witness outside the database, so removing events from the end is detected up to the
newest checkpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from aisec.core.errors import ConfigError, InputError
from aisec.core.findings import Finding, FrameworkRef, Location, Severity
from aisec.core.store import AuditCheckpointRow, AuditEventRow, Store

__all__ = [
    "CHECKPOINT_EVERY",
    "AuditEvent",
    "AuditKey",
    "AuditLog",
    "default_log",
    "record",
]

CHECKPOINT_EVERY = 100
GENESIS = "0" * 64
OUTCOMES = ("ok", "denied", "error")
DetailValue = str | int | float | bool | None

_LOCK_KEY = 0x61697365635F6175  # PostgreSQL advisory lock serialising appends
_MAX_DETAILS_BYTES = 16 * 1024
_SECRETISH = re.compile(r"pass(word|phrase)?|secret|token|api[_-]?key|private|credential", re.I)
_FRAMEWORKS = (
    FrameworkRef("NIST-AI-RMF", "MANAGE 4"),
    FrameworkRef("ATLAS", "AML.M0024"),
)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    seq: int
    time: str
    actor: str
    action: str
    target: str
    outcome: str
    details: dict[str, DetailValue]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "outcome": self.outcome,
            "details": self.details,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


class AuditKey:
    """The Ed25519 key that signs checkpoints; the chain's HMAC key is derived from it."""

    def __init__(self, path: Path) -> None:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        self.path = path
        if not path.exists():
            from aisec.core.home import write_private

            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            tmp = path.with_name(f".{path.name}.new{os.getpid()}")
            write_private(tmp, pem)
            try:
                os.link(tmp, path)  # atomic and exclusive: the first writer's key wins
            except FileExistsError:
                pass
            finally:
                tmp.unlink(missing_ok=True)
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise ConfigError(
                f"audit key {path} is readable by others (mode {mode:o}); run: chmod 600 {path}"
            )
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ConfigError(f"audit key {path} is not an Ed25519 private key")
        self._key = loaded
        self.public_key = loaded.public_key()
        raw_pub = self.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.key_id = hashlib.sha256(raw_pub).hexdigest()[:16]
        raw_priv = loaded.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        self.mac_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"aisec audit chain v1"
        ).derive(raw_priv)

    def sign(self, message: bytes) -> str:
        return self._key.sign(message).hex()

    def verify(self, message: bytes, signature_hex: str) -> bool:
        from cryptography.exceptions import InvalidSignature

        try:
            self.public_key.verify(bytes.fromhex(signature_hex), message)
        except (InvalidSignature, ValueError):
            return False
        return True


def _canonical(fields: Mapping[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _checkpoint_message(seq: int, head_hash: str, time: str) -> bytes:
    return f"aisec-audit-checkpoint-v1\n{seq}\n{head_hash}\n{time}".encode()


def _clean_details(details: Mapping[str, Any] | None) -> dict[str, DetailValue]:
    out: dict[str, DetailValue] = {}
    for key, value in (details or {}).items():
        if not isinstance(key, str) or not key:
            raise InputError("audit: detail keys must be non-empty strings")
        if _SECRETISH.search(key):
            out[key] = "[redacted]"  # invariant: no secrets in audit events
        elif value is None or isinstance(value, str | int | float | bool):
            out[key] = value
        else:
            raise InputError(f"audit: detail {key!r} must be a string, number, bool or null")
    if len(_canonical(out)) > _MAX_DETAILS_BYTES:
        raise InputError(f"audit: details are over {_MAX_DETAILS_BYTES} bytes")
    return out


def _check_field(name: str, value: str, limit: int) -> str:
    if not value or len(value) > limit or any(ord(c) < 32 for c in value):
        raise InputError(f"audit: {name} must be 1-{limit} printable characters, got {value!r}")
    return value


def _finding(rule: str, title: str, seq: int | None, evidence: str, fix: str) -> Finding:
    return Finding(
        rule_id=rule,
        title=title,
        severity=Severity.CRITICAL,
        asset="audit-log",
        location=Location(pointer=f"/events/{seq}" if seq is not None else None),
        evidence=evidence,
        frameworks=_FRAMEWORKS,
        remediation=fix,
    )


def _head(conn: Any) -> Any:
    """The newest event's (seq, hash), or None for an empty log."""
    return conn.execute(
        select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.seq.desc()).limit(1)
    ).first()


class AuditLog:
    """The audit log in a store. Safe for many threads and processes at once."""

    def __init__(self, store: Store, key: AuditKey, witness: Path | None = None) -> None:
        self.store = store
        self.key = key
        self.witness = witness

    def _hash(self, fields: Mapping[str, Any]) -> str:
        return hmac.new(self.key.mac_key, _canonical(fields), hashlib.sha256).hexdigest()

    def append(
        self,
        actor: str,
        action: str,
        target: str,
        outcome: str = "ok",
        details: Mapping[str, Any] | None = None,
    ) -> AuditEvent:
        """Append one event; returns it as stored."""
        if outcome not in OUTCOMES:
            choices = ", ".join(OUTCOMES)
            raise InputError(f"audit: outcome must be one of {choices}, got {outcome!r}")
        fields: dict[str, Any] = {
            "actor": _check_field("actor", actor, 200),
            "action": _check_field("action", action, 200),
            "target": _check_field("target", target, 1000),
            "outcome": outcome,
            "details": _clean_details(details),
        }
        with self.store.write(_LOCK_KEY) as conn:
            last = _head(conn)
            seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
            fields.update(
                seq=seq, time=datetime.now(UTC).isoformat(timespec="microseconds"), prev_hash=prev
            )
            digest = self._hash(fields)
            conn.execute(
                insert(AuditEventRow).values(
                    seq=seq,
                    time=fields["time"],
                    actor=fields["actor"],
                    action=fields["action"],
                    target=fields["target"],
                    outcome=outcome,
                    details=_canonical(fields["details"]).decode(),
                    prev_hash=prev,
                    hash=digest,
                )
            )
            witness = (
                self._write_checkpoint(conn, seq, digest) if seq % CHECKPOINT_EVERY == 0 else None
            )
        self._write_witness(witness)
        return AuditEvent(hash=digest, **fields)

    def _write_checkpoint(self, conn: Any, seq: int, head: str) -> dict[str, Any]:
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        sig = self.key.sign(_checkpoint_message(seq, head, now))
        conn.execute(
            insert(AuditCheckpointRow).values(
                seq=seq, hash=head, time=now, key_id=self.key.key_id, signature=sig
            )
        )
        return {"seq": seq, "hash": head, "time": now, "key_id": self.key.key_id, "sig": sig}

    def _write_witness(self, doc: dict[str, Any] | None) -> None:
        """Keep the newest checkpoint outside the database too (after commit only)."""
        if doc is None or self.witness is None:
            return
        from aisec.core.home import write_private

        try:
            current = json.loads(self.witness.read_text())
            if int(current["seq"]) >= int(doc["seq"]):
                return
        except (OSError, ValueError, KeyError, TypeError):
            pass  # no witness yet, or a damaged one: replace it
        write_private(self.witness, json.dumps(doc).encode())

    def checkpoint(self) -> int:
        """Sign the current head now; returns its sequence number (0 when the log is empty)."""
        with self.store.write(_LOCK_KEY) as conn:
            last = _head(conn)
            if last is None:
                return 0
            doc = self._write_checkpoint(conn, last[0], last[1])
        self._write_witness(doc)
        return int(doc["seq"])

    def tail(self, n: int = 20) -> list[AuditEvent]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(AuditEventRow).order_by(AuditEventRow.seq.desc()).limit(max(n, 0))
            ).all()
        return [self._event(r) for r in reversed(rows)]

    def count(self) -> int:
        with self.store.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(AuditEventRow)).scalar_one())

    @staticmethod
    def _event(row: Any) -> AuditEvent:
        return AuditEvent(
            seq=row.seq,
            time=row.time,
            actor=row.actor,
            action=row.action,
            target=row.target,
            outcome=row.outcome,
            details=json.loads(row.details),
            prev_hash=row.prev_hash,
            hash=row.hash,
        )

    def _rows(self) -> Iterator[Any]:
        with self.store.engine.connect() as conn:
            result = conn.execution_options(yield_per=2000).execute(
                select(AuditEventRow).order_by(AuditEventRow.seq)
            )
            yield from result

    def verify(self) -> list[Finding]:
        """Findings for every break, first bad sequence number first; [] when intact."""
        findings: list[Finding] = []
        expected_seq, prev, hashes = 1, GENESIS, {}
        for row in self._rows():
            seq = int(row.seq)
            if seq != expected_seq:
                findings.append(
                    _finding(
                        "audit-event-missing",
                        "Audit events are missing or were inserted",
                        expected_seq,
                        f"expected event {expected_seq}, found {seq}",
                        "Restore the log from a backup and investigate who removed events.",
                    )
                )
            if row.prev_hash != prev:
                findings.append(
                    _finding(
                        "audit-chain-broken",
                        "Audit chain broken: events reordered, inserted or removed",
                        seq,
                        f"event {seq} does not follow the event before it",
                        "Restore the log from a backup; the order of events was changed.",
                    )
                )
            try:
                details = json.loads(row.details)
            except ValueError:
                details = row.details
            fields = {
                "seq": seq,
                "time": row.time,
                "actor": row.actor,
                "action": row.action,
                "target": row.target,
                "outcome": row.outcome,
                "details": details,
                "prev_hash": row.prev_hash,
            }
            if not hmac.compare_digest(self._hash(fields), row.hash):
                findings.append(
                    _finding(
                        "audit-event-altered",
                        "Audit event altered or forged",
                        seq,
                        f"event {seq} does not match its keyed hash",
                        "Restore the log from a backup; an event was edited or forged.",
                    )
                )
            hashes[seq] = row.hash
            prev, expected_seq = row.hash, seq + 1
        last_seq = expected_seq - 1
        for f in self._verify_checkpoints(hashes, last_seq):
            if f not in findings:  # the witness repeats the newest database checkpoint
                findings.append(f)
        findings.sort(key=lambda f: int((f.location.pointer or "/events/0").rsplit("/", 1)[1]))
        return findings

    def _verify_checkpoints(self, hashes: dict[int, str], last_seq: int) -> list[Finding]:
        out: list[Finding] = []
        with self.store.engine.connect() as conn:
            rows = [
                (r.seq, r.hash, r.time, r.key_id, r.signature)
                for r in conn.execute(select(AuditCheckpointRow).order_by(AuditCheckpointRow.id))
            ]
        if self.witness is not None and self.witness.exists():
            try:
                w = json.loads(self.witness.read_text())
                rows.append((int(w["seq"]), w["hash"], w["time"], w["key_id"], w["sig"]))
            except (ValueError, KeyError, TypeError, OSError):
                out.append(
                    _finding(
                        "audit-checkpoint-invalid",
                        "Audit checkpoint witness file is unreadable",
                        None,
                        str(self.witness),
                        "Investigate; the witness file was damaged.",
                    )
                )
        for seq, head, time, _key_id, sig in rows:
            if not self.key.verify(_checkpoint_message(seq, head, time), sig):
                out.append(
                    _finding(
                        "audit-checkpoint-invalid",
                        "Audit checkpoint signature does not verify",
                        seq,
                        f"checkpoint at event {seq} has a bad signature",
                        "Investigate; a checkpoint was forged or altered.",
                    )
                )
            elif seq > last_seq:
                out.append(
                    _finding(
                        "audit-log-truncated",
                        "Audit events removed from the end of the log",
                        last_seq + 1,
                        f"a signed checkpoint covers event {seq}, the log ends at {last_seq}",
                        "Restore the removed events from a backup and investigate.",
                    )
                )
            elif hashes.get(seq) != head:
                out.append(
                    _finding(
                        "audit-checkpoint-mismatch",
                        "Audit event differs from its signed checkpoint",
                        seq,
                        f"event {seq} is not the event the checkpoint signed",
                        "Restore the log from a backup and investigate.",
                    )
                )
        return out


_DEFAULT: dict[tuple[str, str], AuditLog] = {}


def default_log() -> AuditLog:
    """The audit log of the configured store and ``$AISEC_HOME`` (cached per process)."""
    from aisec.core.home import ensure_home
    from aisec.core.store import database_url, open_store

    home = ensure_home()
    url = database_url()
    key = (url, str(home))
    log = _DEFAULT.get(key)
    if log is None:
        tag = hashlib.sha256(url.encode()).hexdigest()[:12]
        log = AuditLog(
            open_store(url), AuditKey(home / "audit.key"), witness=home / f"audit-{tag}.checkpoint"
        )
        _DEFAULT[key] = log
    return log


def record(
    action: str,
    target: str,
    outcome: str = "ok",
    details: Mapping[str, Any] | None = None,
    actor: str | None = None,
) -> AuditEvent:
    """Record one event in the default log; the actor defaults to the current principal."""
    if actor is None:
        from aisec.core.identity import current_principal

        actor = current_principal().name
    return default_log().append(actor, action, target, outcome, details)


def reset_default() -> None:
    """Forget cached logs (tests that change AISEC_HOME or the database use this)."""
    for log in _DEFAULT.values():
        log.store.close()
    _DEFAULT.clear()
