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

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aisec.core.errors import ConfigError, InputError
from aisec.core.findings import Finding, FrameworkRef, Location, Severity
from aisec.core.store import Connection, Store

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

__all__ = [
    "CHECKPOINT_EVERY",
    "AuditEvent",
    "AuditKey",
    "AuditLog",
    "default_log",
    "record",
    "set_redactor",
]

CHECKPOINT_EVERY = 100
GENESIS = "0" * 64
OUTCOMES = ("ok", "denied", "error")
DetailValue = str | int | float | bool | None

_LOCK_KEY = 0x61697365635F6175  # PostgreSQL advisory lock serialising appends
_MAX_DETAILS_BYTES = 16 * 1024
_PAGE = 2000  # events per query when verifying
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


# RFC 8410 section 7: the PKCS #8 DER of an Ed25519 private key is this prefix + the seed.
_ED25519_PKCS8_PREFIX = bytes.fromhex("302e020100300506032b657004220420")
_PEM_BEGIN = b"-----BEGIN PRIVATE KEY-----"
_PEM_END = b"-----END PRIVATE KEY-----"
_CHAIN_INFO = b"aisec audit chain v1"


def _hkdf_sha256(ikm: bytes, info: bytes) -> bytes:
    """HKDF-SHA256 (RFC 5869), no salt, 32 bytes: one extract and one expand HMAC.

    Equal to pyca's ``HKDF(SHA256(), 32, salt=None, info)`` (a test checks it); done with
    the standard library's HMAC, as the chain itself is, so appending an event does not
    load pyca/cryptography (~9 MB of RSS).
    """
    prk = hmac.new(b"\0" * hashlib.sha256().digest_size, ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def _ed25519_seed(pem: bytes) -> bytes | None:
    """The 32-byte seed of an unencrypted PEM PKCS #8 Ed25519 key in the RFC 8410 encoding
    (the one aisec writes); None for anything else, which the caller hands to pyca."""
    body = pem.strip()
    if not (body.startswith(_PEM_BEGIN) and body.endswith(_PEM_END)):
        return None
    try:
        der = base64.b64decode(body[len(_PEM_BEGIN) : -len(_PEM_END)])
    except binascii.Error:
        return None
    if len(der) != len(_ED25519_PKCS8_PREFIX) + 32 or not der.startswith(_ED25519_PKCS8_PREFIX):
        return None
    return der[len(_ED25519_PKCS8_PREFIX) :]


class AuditKey:
    """The Ed25519 key that signs checkpoints; the chain's HMAC key is derived from it.

    Appending an event needs only the HMAC key; pyca/cryptography is loaded only to create
    the key, to sign a checkpoint (every ``CHECKPOINT_EVERY`` events) or to verify one.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():
            _create_key(path)
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise ConfigError(
                f"audit key {path} is readable by others (mode {mode:o}); run: chmod 600 {path}"
            )
        pem = path.read_bytes()
        seed = _ed25519_seed(pem)
        self._seed = seed if seed is not None else _seed_from_pem(path, pem)
        self.mac_key = _hkdf_sha256(self._seed, _CHAIN_INFO)

    @cached_property
    def _private_key(self) -> Ed25519PrivateKey:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(self._seed)

    @cached_property
    def public_key(self) -> Ed25519PublicKey:
        return self._private_key.public_key()

    @cached_property
    def key_id(self) -> str:
        """First 16 hex digits of SHA-256 over the raw public key."""
        from cryptography.hazmat.primitives import serialization

        raw = self.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return hashlib.sha256(raw).hexdigest()[:16]

    def sign(self, message: bytes) -> str:
        return self._private_key.sign(message).hex()

    def verify(self, message: bytes, signature_hex: str) -> bool:
        from cryptography.exceptions import InvalidSignature

        try:
            self.public_key.verify(bytes.fromhex(signature_hex), message)
        except (InvalidSignature, ValueError):
            return False
        return True


def _create_key(path: Path) -> None:
    """Write a new Ed25519 key to ``path`` (0600) unless another process got there first."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from aisec.core.home import write_private

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
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


def _seed_from_pem(path: Path, pem: bytes) -> bytes:
    """The seed of an Ed25519 key in any PEM encoding pyca reads."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        loaded = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        loaded = None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ConfigError(f"audit key {path} is not an unencrypted Ed25519 private key (PEM)")
    return loaded.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


def _canonical(fields: Mapping[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _checkpoint_message(seq: int, head_hash: str, time: str) -> bytes:
    return f"aisec-audit-checkpoint-v1\n{seq}\n{head_hash}\n{time}".encode()


_redactor: Callable[[str], str] | None = None
_REDACTION_FAILED = "[withheld: redaction failed]"


def set_redactor(redactor: Callable[[str], str] | None) -> None:
    """Install the function that removes secrets from targets and string details before
    they are stored (core may not import the guard: the CLI installs the guard's secret
    scanner here, see ``aisec.cli._redact``). Set once; ``None`` removes it."""
    global _redactor
    if redactor is not None and _redactor is not None and _redactor is not redactor:
        raise ConfigError("audit: a different redactor is already installed")
    _redactor = redactor


def _redact(text: str) -> str:
    if _redactor is None:
        return text
    try:
        return _redactor(text)
    except Exception:  # fail closed: a broken redactor must not let a secret through
        return _REDACTION_FAILED


def _redact_detail(key: str, value: str) -> str:
    # The key goes along as context ("pwd=hunter22"): detectors of assigned secrets need it.
    redacted = _redact(f"{key}={value}")
    prefix = f"{key}="
    return redacted[len(prefix) :] if redacted.startswith(prefix) else "[redacted]"


def _clean_details(details: Mapping[str, Any] | None) -> dict[str, DetailValue]:
    out: dict[str, DetailValue] = {}
    for raw_key, value in (details or {}).items():
        if not isinstance(raw_key, str) or not raw_key:
            raise InputError("audit: detail keys must be non-empty strings")
        key = _redact(raw_key)
        if _SECRETISH.search(key):
            out[key] = "[redacted]"  # invariant: no secrets in audit events
        elif isinstance(value, str):
            out[key] = _redact_detail(key, value)
        elif value is None or isinstance(value, int | float | bool):
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


def _head(conn: Connection) -> tuple[int, str] | None:
    """The newest event's (seq, hash), or None for an empty log."""
    row = conn.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else None


class AuditLog:
    """The audit log in a store. Safe for many threads and processes at once."""

    def __init__(self, store: Store, key: AuditKey, witness: Path | None = None) -> None:
        self.store = store
        self.key = key
        self.witness = witness
        self._witness_lock = threading.Lock()

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
            "target": _redact(_check_field("target", target, 1000)),
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
                "INSERT INTO audit_events"
                " (seq, time, actor, action, target, outcome, details, prev_hash, hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    seq,
                    fields["time"],
                    fields["actor"],
                    fields["action"],
                    fields["target"],
                    outcome,
                    _canonical(fields["details"]).decode(),
                    prev,
                    digest,
                ),
            )
            witness = (
                self._write_checkpoint(conn, seq, digest) if seq % CHECKPOINT_EVERY == 0 else None
            )
        self._write_witness(witness)
        return AuditEvent(hash=digest, **fields)

    def _write_checkpoint(self, conn: Connection, seq: int, head: str) -> dict[str, Any]:
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        sig = self.key.sign(_checkpoint_message(seq, head, now))
        conn.execute(
            "INSERT INTO audit_checkpoints (seq, hash, time, key_id, signature)"
            " VALUES (?, ?, ?, ?, ?)",
            (seq, head, now, self.key.key_id, sig),
        )
        return {"seq": seq, "hash": head, "time": now, "key_id": self.key.key_id, "sig": sig}

    def _write_witness(self, doc: dict[str, Any] | None) -> None:
        """Keep the newest checkpoint outside the database too (after commit only)."""
        if doc is None or self.witness is None:
            return
        from aisec.core.home import write_private

        with self._witness_lock:  # threads finish commits out of order; never go back
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
        with self.store.read() as conn:
            rows = conn.execute(
                "SELECT seq, time, actor, action, target, outcome, details, prev_hash, hash"
                " FROM audit_events ORDER BY seq DESC LIMIT ?",
                (max(n, 0),),
            ).fetchall()
        return [self._event(r) for r in reversed(rows)]

    def count(self) -> int:
        with self.store.read() as conn:
            return int(conn.execute("SELECT count(*) FROM audit_events").fetchone()[0])

    @staticmethod
    def _event(row: Sequence[Any]) -> AuditEvent:
        seq, time, actor, action, target, outcome, details, prev_hash, digest = row
        return AuditEvent(
            seq=seq,
            time=time,
            actor=actor,
            action=action,
            target=target,
            outcome=outcome,
            details=json.loads(details),
            prev_hash=prev_hash,
            hash=digest,
        )

    def _rows(self) -> Iterator[Sequence[Any]]:
        """Every event in order, a page at a time within one snapshot (bounded memory)."""
        with self.store.read() as conn:
            rows = conn.execute(
                "SELECT seq, time, actor, action, target, outcome, details, prev_hash, hash"
                " FROM audit_events ORDER BY seq LIMIT ?",
                (_PAGE,),
            ).fetchall()
            while rows:
                yield from rows
                if len(rows) < _PAGE:
                    return
                rows = conn.execute(
                    "SELECT seq, time, actor, action, target, outcome, details, prev_hash, hash"
                    " FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?",
                    (rows[-1][0], _PAGE),
                ).fetchall()

    def verify(self) -> list[Finding]:
        """Findings for every break, first bad sequence number first; [] when intact."""
        findings: list[Finding] = []
        expected_seq, prev, hashes = 1, GENESIS, {}
        for row in self._rows():
            seq, time, actor, action, target, outcome, raw_details, prev_hash, digest = row
            seq = int(seq)
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
            if prev_hash != prev:
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
                details = json.loads(raw_details)
            except ValueError:
                details = raw_details
            fields = {
                "seq": seq,
                "time": time,
                "actor": actor,
                "action": action,
                "target": target,
                "outcome": outcome,
                "details": details,
                "prev_hash": prev_hash,
            }
            if not hmac.compare_digest(self._hash(fields), digest):
                findings.append(
                    _finding(
                        "audit-event-altered",
                        "Audit event altered or forged",
                        seq,
                        f"event {seq} does not match its keyed hash",
                        "Restore the log from a backup; an event was edited or forged.",
                    )
                )
            hashes[seq] = digest
            prev, expected_seq = digest, seq + 1
        last_seq = expected_seq - 1
        for f in self._verify_checkpoints(hashes, last_seq):
            if f not in findings:  # the witness repeats the newest database checkpoint
                findings.append(f)
        findings.sort(key=lambda f: int((f.location.pointer or "/events/0").rsplit("/", 1)[1]))
        return findings

    def _verify_checkpoints(self, hashes: dict[int, str], last_seq: int) -> list[Finding]:
        out: list[Finding] = []
        with self.store.read() as conn:
            rows = [
                tuple(r)
                for r in conn.execute(
                    "SELECT seq, hash, time, key_id, signature FROM audit_checkpoints ORDER BY id"
                ).fetchall()
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
