"""Append-only, hash-chained audit log with signed checkpoints.

Each event is ``{seq, time, actor, action, target, outcome, details, prev_hash, hash}``.
``hash`` is HMAC-SHA256 over the canonical JSON of the other fields, keyed by a key
derived from the Ed25519 audit key in ``$AISEC_HOME``: someone who can write the database
but cannot read that key cannot forge, insert, reorder or append events unnoticed.
Every ``CHECKPOINT_EVERY`` events (and on demand) the head ``(seq, hash)`` is signed with
Ed25519 and stored.

Every commit (one event, or a batch from :meth:`AuditLog.append_many`) also appends the new
head ``(seq, hash)``, MACed under a key derived from the audit key, to one or more *witness*
files outside the database (:mod:`aisec.core.witness`):
by default ``$AISEC_HOME/audit-<db>.witness``, plus the external paths in
``AISEC_AUDIT_WITNESS``. :meth:`AuditLog.verify_report` compares the database's head with
each witness's newest line, so removing events from the end, wiping the log or restoring
an older copy of the database is caught; restoring the database *and* the local witness
together is caught only by an external witness the database's writer cannot rewrite.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aisec.core.errors import ConfigError, InputError
from aisec.core.findings import Finding, FrameworkRef, Location, Severity
from aisec.core.store import Connection, Store
from aisec.core.witness import Witness, WitnessUnreadableError, configured_witnesses, witness_line

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    from aisec.core.identity import Principal

__all__ = [
    "CHECKPOINT_EVERY",
    "AuditEvent",
    "AuditKey",
    "AuditLog",
    "VerifyReport",
    "WitnessState",
    "default_log",
    "record",
    "set_redactor",
]

CHECKPOINT_EVERY = 100
GENESIS = "0" * 64
OUTCOMES = ("ok", "denied", "error")
DetailValue = str | int | float | bool | None
# what append_many takes: (actor, action, target, outcome, details)
EventInput = tuple[str, str, str, str, Mapping[str, Any] | None]

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
_WITNESS_INFO = b"aisec audit witness v1"


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
        self.witness_key = _hkdf_sha256(self._seed, _WITNESS_INFO)

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
    _redacted_keys.clear()
    _clean_values.clear()
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


_redacted_keys: dict[str, tuple[str, bool]] = {}  # detail key -> (redacted, secret-ish)
_MAX_REDACTED_KEYS = 4096


def _redact_key(key: str) -> tuple[str, bool]:
    """``_redact(key)`` and whether it names a secret, remembered: detail keys are a
    program's field names, the same on every event (the gateway's are ~25 a request, each
    a scan by the redactor and a match of ``_SECRETISH``)."""
    done = _redacted_keys.get(key)
    if done is None:
        redacted = _encodable(_redact(key))
        done = (redacted, _SECRETISH.search(redacted) is not None)
        if len(_redacted_keys) < _MAX_REDACTED_KEYS and redacted != _REDACTION_FAILED:
            _redacted_keys[key] = done
    return done


_clean_values: set[tuple[str, str]] = set()  # short (key, value) pairs the redactor left alone
_MAX_CLEAN_VALUES = 4096
_MAX_CLEAN_VALUE_CHARS = 64


def _redact_detail(key: str, value: str) -> str:
    """``value`` with secrets removed. Short values a program repeats on every event (a
    route, a model, a decision) are scanned once: a pair the redactor returned unchanged is
    remembered (only such pairs: nothing it found or withheld is kept)."""
    if (key, value) in _clean_values:
        return value
    # The key goes along as context ("pwd=hunter22"): detectors of assigned secrets need it.
    redacted = _redact(f"{key}={value}")
    prefix = f"{key}="
    out = redacted[len(prefix) :] if redacted.startswith(prefix) else "[redacted]"
    if out == value and len(value) <= _MAX_CLEAN_VALUE_CHARS:
        if len(_clean_values) >= _MAX_CLEAN_VALUES:
            _clean_values.clear()  # bounded; the pairs that repeat come straight back
        _clean_values.add((key, value))
    return out


def _clean_details(details: Mapping[str, Any] | None) -> dict[str, DetailValue]:
    out: dict[str, DetailValue] = {}
    for raw_key, value in (details or {}).items():
        if not isinstance(raw_key, str) or not raw_key:
            raise InputError("audit: detail keys must be non-empty strings")
        key, secretish = _redact_key(raw_key)
        if secretish and not isinstance(value, float | bool | None):
            # invariant: no secrets in audit events. A float, a bool or null carries no
            # credential (the secrets scanner's score, "score.output.secrets", is one),
            # while text and integers (a PIN, a numeric token) under such a key may.
            out[key] = "[redacted]"
        elif isinstance(value, str):
            out[key] = _redact_detail(key, _encodable(value))
        elif value is None or isinstance(value, int | float | bool):
            out[key] = value
        else:
            raise InputError(f"audit: detail {key!r} must be a string, number, bool or null")
    if _size_bound(out) > _MAX_DETAILS_BYTES and len(_canonical(out)) > _MAX_DETAILS_BYTES:
        raise InputError(f"audit: details are over {_MAX_DETAILS_BYTES} bytes")
    return out


def _size_bound(details: Mapping[str, DetailValue]) -> int:
    """An upper bound of ``len(_canonical(details))`` without encoding it: a character
    takes at most 6 bytes (``\\u001f``; UTF-8 needs at most 4), a float or a bool at most
    24, an int one byte per digit; each pair adds its quotes, colon and comma."""
    total = 2
    for key, value in details.items():
        total += 6 * len(key) + 4
        if isinstance(value, str):
            total += 6 * len(value) + 2
        elif isinstance(value, int) and not isinstance(value, bool):
            total += value.bit_length() // 3 + 2  # decimal digits of |value|, and a sign
        else:
            total += 24  # null, true, false, a float's repr (or inf/nan)
    return total


def _event_fields(
    actor: str, action: str, target: str, outcome: str, details: Mapping[str, Any] | None
) -> dict[str, Any]:
    """An event's checked and redacted fields (no seq, time or chain yet)."""
    if outcome not in OUTCOMES:
        choices = ", ".join(OUTCOMES)
        raise InputError(f"audit: outcome must be one of {choices}, got {outcome!r}")
    return {
        "actor": _check_field("actor", actor, 200),
        "action": _check_field("action", action, 200),
        "target": _redact(_check_field("target", target, 1000)),
        "outcome": outcome,
        "details": _clean_details(details),
    }


def _check_field(name: str, value: str, limit: int) -> str:
    if not value or len(value) > limit or any(ord(c) < 32 for c in value):
        raise InputError(f"audit: {name} must be 1-{limit} printable characters, got {value!r}")
    return _encodable(value)


def _encodable(text: str) -> str:
    """``text`` as it can be stored: a lone surrogate (what a JSON ``"\\ud800"`` escape in
    a request decodes to) has no UTF-8 form and would fail the whole write, so it is kept
    visibly as its escape (``\\ud800``)."""
    if text.isascii():
        return text
    try:
        text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode()
    return text


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


@dataclass(frozen=True, slots=True)
class WitnessState:
    """What one witness says about the log: its newest head, or why it says nothing."""

    label: str
    external: bool
    seq: int | None  # newest event the witness saw; None: missing, empty or unreadable
    status: str  # "matches", "behind", "missing", "unreadable", "contradicts"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of :meth:`AuditLog.verify_report`: findings and what was proven."""

    findings: list[Finding]
    events: int
    head_seq: int
    head_hash: str
    witnesses: tuple[WitnessState, ...]

    def statement(self) -> list[str]:
        """Plain lines saying what this verification proves and what it cannot."""
        out: list[str] = []
        for w in self.witnesses:
            if w.status == "matches":
                out.append(f"{w.label}: agrees with the log up to its head (event {w.seq})")
            elif w.status == "behind":
                out.append(
                    f"{w.label}: agrees with the log up to event {w.seq}; events "
                    f"{(w.seq or 0) + 1}-{self.head_seq} were not witnessed (a crash after "
                    "commit, or the witness is new); they are still chained and keyed"
                )
            else:
                out.append(f"{w.label}: {w.status}")
        out.append(
            "proves: no event was altered, forged, inserted, reordered or removed from the "
            "middle (keyed hash chain)"
        )
        seen = [w for w in self.witnesses if w.status in ("matches", "behind")]
        if any(w.status == "contradicts the log" for w in self.witnesses):
            out.append(
                "shows: events were removed from the end or the database was replaced since "
                "a witness saw it (see the findings)"
            )
            return out
        if seen:
            newest = max(w.seq or 0 for w in seen)
            out.append(
                f"proves: no event up to {newest} was removed from the end and the database "
                "was not replaced by an older copy (witnessed heads)"
            )
        else:
            out.append("cannot prove: that no events were removed from the end (no usable witness)")
        if not any(w.external for w in seen):
            out.append(
                "cannot prove: that the database and the local witness were not rolled back "
                "together (both live in AISEC_HOME); set AISEC_AUDIT_WITNESS to an append-only "
                "file the database's writer cannot rewrite"
            )
        return out


class AuditLog:
    """The audit log in a store. Safe for many threads and processes at once.

    ``witness`` is the local witness file; ``external`` names further, append-only ones
    (default: none here; :func:`default_log` adds those in ``AISEC_AUDIT_WITNESS``).
    """

    def __init__(
        self,
        store: Store,
        key: AuditKey,
        witness: Path | None = None,
        external: tuple[Path, ...] = (),
    ) -> None:
        self.store = store
        self.key = key
        self.witness = witness
        self.witnesses: tuple[Witness, ...] = (
            *([Witness(witness)] if witness is not None else []),
            *(Witness(p, external=True) for p in external),
        )

    def _hash(self, fields: Mapping[str, Any]) -> str:
        return hmac.new(self.key.mac_key, _canonical(fields), hashlib.sha256).hexdigest()

    def chain_row(self, fields: Mapping[str, Any]) -> tuple[Any, ...]:
        """The ``audit_events`` row of one event (``seq``, ``time``, ``actor``, ``action``,
        ``target``, ``outcome``, ``details``, ``prev_hash``), its keyed hash last: what
        :meth:`append` writes. For tools that write many generated events at once (test
        traces, benchmarks); it checks and redacts nothing."""
        return (
            fields["seq"],
            fields["time"],
            fields["actor"],
            fields["action"],
            fields["target"],
            fields["outcome"],
            _canonical(fields["details"]).decode(),
            fields["prev_hash"],
            self._hash(fields),
        )

    def append(
        self,
        actor: str,
        action: str,
        target: str,
        outcome: str = "ok",
        details: Mapping[str, Any] | None = None,
    ) -> AuditEvent:
        """Append one event; returns it as stored."""
        return self.append_many([(actor, action, target, outcome, details)])[0]

    def append_many(
        self,
        events: Sequence[EventInput],
        on_invalid: Callable[[int, InputError], None] | None = None,
    ) -> list[AuditEvent]:
        """Append ``(actor, action, target, outcome, details)`` events in one transaction,
        in order; returns those stored. An event that is malformed (bad field, details too
        big) raises InputError before anything is written, or, with ``on_invalid``, is
        handed to it with its index and left out. One transaction and one witness line
        (the newest head) for the lot: what a busy writer such as the gateway needs."""
        prepared: list[dict[str, Any]] = []
        for i, (actor, action, target, outcome, details) in enumerate(events):
            try:
                prepared.append(_event_fields(actor, action, target, outcome, details))
            except InputError as exc:
                if on_invalid is None:
                    raise
                on_invalid(i, exc)
        if not prepared:
            return []
        rows: list[tuple[Any, ...]] = []
        with self.store.write(_LOCK_KEY) as conn:
            last = _head(conn)
            seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
            for fields in prepared:
                fields.update(
                    seq=seq,
                    time=datetime.now(UTC).isoformat(timespec="microseconds"),
                    prev_hash=prev,
                )
                row = self.chain_row(fields)
                rows.append(row)
                prev = row[-1]
                seq += 1
            conn.executemany(
                "INSERT INTO audit_events"
                " (seq, time, actor, action, target, outcome, details, prev_hash, hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            for row in rows:
                if row[0] % CHECKPOINT_EVERY == 0:
                    self._write_checkpoint(conn, row[0], row[-1])
        # After the commit, so a witness never names an event that was rolled back; the
        # newest head is all a witness needs (verify compares it with the log's head).
        newest = rows[-1]
        self._witness(newest[0], newest[-1], newest[1])
        return [
            AuditEvent(hash=row[-1], **fields) for row, fields in zip(rows, prepared, strict=True)
        ]

    def _write_checkpoint(self, conn: Connection, seq: int, head: str) -> dict[str, Any]:
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        sig = self.key.sign(_checkpoint_message(seq, head, now))
        conn.execute(
            "INSERT INTO audit_checkpoints (seq, hash, time, key_id, signature)"
            " VALUES (?, ?, ?, ?, ?)",
            (seq, head, now, self.key.key_id, sig),
        )
        return {"seq": seq, "hash": head, "time": now, "key_id": self.key.key_id, "sig": sig}

    def _witness(self, seq: int, head: str, time: str) -> None:
        """Append the new head to every witness; fail loudly (the event is already stored)."""
        if not self.witnesses:
            return
        line = witness_line(self.key.witness_key, seq, head, time)
        for w in self.witnesses:
            try:
                w.append(line)
            except ConfigError as exc:
                raise ConfigError(f"audit event {seq} was stored, but {exc.message}") from None

    def checkpoint(self) -> int:
        """Sign the current head now; returns its sequence number (0 when the log is empty)."""
        with self.store.write(_LOCK_KEY) as conn:
            last = _head(conn)
            if last is None:
                return 0
            doc = self._write_checkpoint(conn, last[0], last[1])
            time = str(
                conn.execute("SELECT time FROM audit_events WHERE seq = ?", (last[0],)).fetchone()[
                    0
                ]
            )
        self._witness(last[0], last[1], time)
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
        return self.verify_report().findings

    def verify_report(
        self, min_events: int | None = None, since: tuple[int, str] | None = None
    ) -> VerifyReport:
        """Verify the chain, the checkpoints and every witness.

        ``min_events``: the log must hold at least this many events. ``since``: the log
        must still hold event ``seq`` with a hash starting with the given hex prefix (a
        head a monitor saw earlier). Either failing is an ``audit-log-shrunk`` finding.
        """
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
        states, witness_findings = self._verify_witnesses(hashes, last_seq)
        findings.extend(witness_findings)
        findings.extend(self._verify_checkpoints(hashes, last_seq))
        findings.extend(_shrink_findings(hashes, last_seq, min_events, since))
        # One finding per rule and event: several witness lines (and the signed
        # checkpoint) often tell of the same removal.
        unique: list[Finding] = []
        seen: set[tuple[str, str | None]] = set()
        for f in findings:
            if (f.rule_id, f.location.pointer) not in seen:
                seen.add((f.rule_id, f.location.pointer))
                unique.append(f)
        unique.sort(key=lambda f: int((f.location.pointer or "/events/0").rsplit("/", 1)[1]))
        return VerifyReport(unique, len(hashes), last_seq, hashes.get(last_seq, GENESIS), states)

    def _verify_witnesses(
        self, hashes: dict[int, str], last_seq: int
    ) -> tuple[tuple[WitnessState, ...], list[Finding]]:
        states: list[WitnessState] = []
        out: list[Finding] = []
        for w in self.witnesses:
            try:
                lines = w.read_lines(self.key.witness_key)
            except WitnessUnreadableError as exc:
                states.append(WitnessState(w.label, w.external, None, f"unreadable: {exc}"))
                out.append(
                    _finding(
                        "audit-witness-invalid",
                        "Audit witness is damaged or forged",
                        None,
                        f"{w.label}: {exc}",
                        "Investigate who changed the witness; compare with a backup.",
                    )
                )
                continue
            if not lines:
                if last_seq == 0:
                    states.append(WitnessState(w.label, w.external, 0, "matches"))
                    continue
                states.append(WitnessState(w.label, w.external, None, "missing"))
                out.append(
                    _finding(
                        "audit-witness-missing",
                        "Audit witness is missing or empty",
                        None,
                        f"{w.label} records nothing, the log holds {last_seq} event(s)",
                        "Restore the witness from a backup and investigate. If it was just "
                        "configured (or the log predates witnesses), start it with: "
                        "aisec audit checkpoint",
                    )
                )
                continue
            newest = max(line.seq for line in lines)
            differs = next(
                (x.seq for x in lines if x.seq <= last_seq and hashes.get(x.seq) != x.hash), None
            )
            if newest > last_seq:
                ends = f"ends at event {last_seq}" if last_seq else "has no events"
                out.append(
                    _finding(
                        "audit-log-truncated",
                        "Audit events removed from the end of the log",
                        last_seq + 1,
                        f"{w.label} saw event {newest}; the log {ends}",
                        "Restore the removed events from a backup and investigate.",
                    )
                )
            if differs is not None:
                out.append(
                    _finding(
                        "audit-log-rolled-back",
                        "Audit log replaced by another copy (rolled back or rebuilt)",
                        differs,
                        f"event {differs} is not the event {w.label} saw",
                        "Restore the log from a trusted backup and investigate.",
                    )
                )
            bad = newest > last_seq or differs is not None
            status = "contradicts the log" if bad else "matches"
            if not bad and newest < last_seq:
                status = "behind"
            states.append(WitnessState(w.label, w.external, newest, status))
        return tuple(states), out

    def _verify_checkpoints(self, hashes: dict[int, str], last_seq: int) -> list[Finding]:
        out: list[Finding] = []
        with self.store.read() as conn:
            rows = [
                tuple(r)
                for r in conn.execute(
                    "SELECT seq, hash, time, key_id, signature FROM audit_checkpoints ORDER BY id"
                ).fetchall()
            ]
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


def _shrink_findings(
    hashes: dict[int, str], last_seq: int, min_events: int | None, since: tuple[int, str] | None
) -> list[Finding]:
    out: list[Finding] = []
    if min_events is not None and len(hashes) < min_events:
        out.append(
            _finding(
                "audit-log-shrunk",
                "Audit log holds fewer events than a monitor saw before",
                last_seq + 1,
                f"the log holds {len(hashes)} event(s); at least {min_events} expected",
                "Restore the removed events from a backup and investigate.",
            )
        )
    if since is not None:
        seq, prefix = since
        have = hashes.get(seq)
        if have is None:
            out.append(
                _finding(
                    "audit-log-shrunk",
                    "Audit log no longer holds an event a monitor saw before",
                    seq,
                    f"event {seq} is not in the log (it ends at {last_seq})",
                    "Restore the removed events from a backup and investigate.",
                )
            )
        elif prefix and not have.startswith(prefix.lower()):
            out.append(
                _finding(
                    "audit-log-rolled-back",
                    "Audit log replaced by another copy (rolled back or rebuilt)",
                    seq,
                    f"event {seq} has hash {have[:16]}, a monitor saw {prefix[:16]}",
                    "Restore the log from a trusted backup and investigate.",
                )
            )
    return out


_DEFAULT: dict[tuple[str, str, str], AuditLog] = {}


def default_log() -> AuditLog:
    """The audit log of the configured store and ``$AISEC_HOME`` (cached per process)."""
    from aisec.core.home import ensure_home
    from aisec.core.store import database_url, open_store

    home = ensure_home()
    url = database_url()
    tag = hashlib.sha256(url.encode()).hexdigest()[:12]
    witnesses = configured_witnesses(home / f"audit-{tag}.witness")
    key = (url, str(home), repr(witnesses))
    log = _DEFAULT.get(key)
    if log is None:
        log = AuditLog(
            open_store(url),
            AuditKey(home / "audit.key"),
            witness=witnesses[0].path,
            external=tuple(w.path for w in witnesses[1:]),
        )
        _DEFAULT[key] = log
    return log


def record(
    action: str,
    target: str,
    outcome: str = "ok",
    details: Mapping[str, Any] | None = None,
    actor: str | Principal | None = None,
) -> AuditEvent:
    """Record one event in the default log; the actor defaults to the current principal.

    A principal claimed with ``AISEC_PRINCIPAL`` is recorded with the OS user who claimed
    it (detail ``claimed_by_os_user``).
    """
    if actor is None:
        from aisec.core.identity import current_principal

        actor = current_principal()
    if isinstance(actor, str):
        return default_log().append(actor, action, target, outcome, details)
    extra = dict(details or {})
    if actor.claimed_by is not None:
        extra["claimed_by_os_user"] = actor.claimed_by
    return default_log().append(actor.name, action, target, outcome, extra)


def reset_default() -> None:
    """Forget cached logs (tests that change AISEC_HOME or the database use this)."""
    for log in _DEFAULT.values():
        log.store.close()
    _DEFAULT.clear()
