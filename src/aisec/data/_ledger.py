"""The data provenance ledger: signed records of data sets, approval and quarantine.

A record holds a data set's content digest (the Merkle tree of :mod:`._merkle`), its
source, the transformation that made it, its parent record, who recorded it and when. The
record is authenticated with the keyring: an AES-GCM tag (Tink AEAD, key
:data:`LEDGER_KEY`) over its canonical JSON, made as the encryption of an empty message
with that JSON as associated data; editing any field in the store makes the tag fail.
Approval and quarantine are a second, separately tagged state with a sequence number.

Fail closed: a record or state whose tag fails counts as quarantined for every gate that
asks (:func:`dataset_quarantined`, :func:`quarantine_of`), and so does a record whose
ancestor is quarantined (data made from poisoned data is poisoned). Limit: the ledger alone
cannot tell a restored older state (a database rolled back to before a quarantine) from
the current one; the audit log, which records every quarantine and is witnessed outside the
database, can (``aisec audit verify``).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aisec.core.errors import CryptoError, InputError
from aisec.core.findings import Finding, Location
from aisec.data._merkle import Change, Tree, compare, digest_data, tree_from_json

if TYPE_CHECKING:
    from aisec.core.crypto import Keyring
    from aisec.core.store import Connection, Store

__all__ = [
    "LEDGER_KEY",
    "NOT_IN_LEDGER",
    "DataRecord",
    "LineageNode",
    "QuarantineRecord",
    "VerifyReport",
    "approve",
    "dataset_quarantined",
    "derived_datasets",
    "get_record",
    "lineage",
    "quarantine",
    "quarantine_of",
    "record",
    "release",
    "training_data_quarantines",
    "verify",
]

LEDGER_KEY = "data-ledger"
NOT_IN_LEDGER = "not in the data ledger"  # the reason given for an unknown id
_RECORD_AD = "aisec-data-record-v1"
_STATE_AD = "aisec-data-state-v1"
_MAX_TEXT = 4096  # characters of source, transform and reason
_MAX_DEPTH = 1000  # ancestors followed; also the most descendants listed
_COLUMNS = (
    "id, parent, uri, digest, tree, source, transform, actor, created, signature, "
    "approved_by, approved_at, quarantined_by, quarantined_at, quarantine_reason, "
    "state_seq, state_signature"
)


@dataclass(frozen=True, slots=True)
class DataRecord:
    """A data set in the ledger. ``authentic`` is False when the record's or its state's
    signature failed (it was edited outside aisec, or its key is gone)."""

    id: str
    parent: str | None
    uri: str
    digest: str
    tree: Tree
    source: str
    transform: str
    actor: str
    created: str
    approved_by: str | None
    approved_at: str | None
    quarantined_by: str | None
    quarantined_at: str | None
    quarantine_reason: str | None
    authentic: bool = True
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "parent": self.parent,
            "uri": self.uri,
            "digest": self.digest,
            "files": len(self.tree.files),
            "source": self.source,
            "transform": self.transform,
            "actor": self.actor,
            "created": self.created,
            "approved_by": self.approved_by,
            "approved_at": self.approved_at,
            "quarantined": self.quarantined_at is not None,
            "quarantined_by": self.quarantined_by,
            "quarantined_at": self.quarantined_at,
            "quarantine_reason": self.quarantine_reason,
            "signature": "valid" if self.authentic else "INVALID",
            "problem": self.problem,
        }


@dataclass(frozen=True, slots=True)
class QuarantineRecord:
    """Why a data set may not be used: ``dataset_id`` is the quarantined record (the one
    asked about, or an ancestor of it: ``inherited`` is then True)."""

    dataset_id: str
    reason: str
    actor: str | None
    time: str | None
    inherited: bool = False

    def finding(self, asset: str) -> Finding:
        """The ``data-quarantined`` finding for a gate refusing ``asset`` because of it."""
        via = f" (made from {self.dataset_id})" if self.inherited else ""
        return _finding("data-quarantined", self.dataset_id, None, f"{self.reason}{via}", asset)


@dataclass(frozen=True, slots=True)
class LineageNode:
    """A record and the records made from it (only the path to the asked record above it)."""

    record: DataRecord
    children: list[LineageNode] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {**self.record.to_json(), "children": [c.to_json() for c in self.children]}


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What :func:`verify` found: the record, and every file or leaf that changed."""

    record: DataRecord
    changes: list[Change]

    @property
    def intact(self) -> bool:
        return self.record.authentic and not self.changes

    def findings(self) -> list[Finding]:
        """``data-record-forged`` for a record that fails its signature check (its digest
        cannot be trusted either), then ``data-content-changed`` for each changed file,
        row group or chunk."""
        rec = self.record
        out = []
        if not rec.authentic:
            out.append(_finding("data-record-forged", rec.id, None, str(rec.problem)))
        for change in self.changes:
            where = change.path if change.leaf is None else f"{change.path}: {change.leaf}"
            out.append(
                _finding("data-content-changed", rec.id, where, f"{change.what}: {change.detail}")
            )
        return out


def _finding(
    rule_id: str, record_id: str, where: str | None, evidence: str, asset: str | None = None
) -> Finding:
    from aisec.core.rules import lookup

    return lookup(rule_id).finding(
        asset or f"data record {record_id}", evidence=evidence, location=Location(path=where)
    )


# -- signing ---------------------------------------------------------------------------


def _canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _record_fields(row: Sequence[Any]) -> dict[str, Any]:
    keys = ("id", "parent", "uri", "digest", "tree", "source", "transform", "actor", "created")
    return dict(zip(keys, row[:9], strict=True))


def _state_fields(row: Sequence[Any]) -> dict[str, Any]:
    return {
        "id": row[0],
        "digest": row[3],
        "approved_by": row[10],
        "approved_at": row[11],
        "quarantined_by": row[12],
        "quarantined_at": row[13],
        "quarantine_reason": row[14],
        "state_seq": int(row[15]),
    }


class _Signer:
    """Tags and checks ledger entries with the keyring's ``data-ledger`` AEAD key."""

    def __init__(self, ring: Keyring) -> None:
        self._ring = ring
        self._deciphers: dict[str, Any] = {}

    def sign(self, column: str, fields: dict[str, Any]) -> str:
        try:
            cipher = self._ring.field_cipher(LEDGER_KEY, column)
        except CryptoError as exc:
            if not exc.message.startswith("no key named"):
                raise
            self._create_key()
            cipher = self._ring.field_cipher(LEDGER_KEY, column)
        tag = cipher.bound_function()(b"", _canonical(fields))
        return base64.b64encode(tag).decode()

    def check(self, column: str, fields: dict[str, Any], signature: str) -> str | None:
        """None if the tag authenticates ``fields``; else why not."""
        try:
            tag = base64.b64decode(signature, validate=True)
        except ValueError:
            return "its signature is not base64"
        decipher = self._deciphers.get(column)
        if decipher is None:
            decipher = self._deciphers[column] = self._ring.field_decipher(column)
        try:
            decipher.decrypt(tag, _canonical(fields))
        except CryptoError as exc:
            if "failed authentication" in exc.message:
                return "it was altered after it was signed"
            return exc.message
        return None

    def _create_key(self) -> None:
        """Create the ledger key on first use (needs ``keys.create``: an admin's first
        record, or ``aisec keys create data-ledger``)."""
        from aisec.core.errors import AuthorizationError

        try:
            self._ring.create_key(LEDGER_KEY, "aead")
        except AuthorizationError as exc:
            raise AuthorizationError(
                f"data: the ledger key {LEDGER_KEY!r} does not exist yet and {exc.message}; "
                f"ask an admin to run: aisec keys create {LEDGER_KEY}"
            ) from None
        except CryptoError as exc:
            if "already exists" not in exc.message:  # else: created meanwhile
                raise


def _check(signer: _Signer, row: Sequence[Any]) -> DataRecord:
    problem = signer.check(_RECORD_AD, _record_fields(row), str(row[9]))
    if problem is not None:
        problem = f"record {row[0]}: signature check failed: {problem}"
    else:
        state = signer.check(_STATE_AD, _state_fields(row), str(row[16]))
        if state is not None:
            problem = f"record {row[0]}: approval/quarantine state: signature failed: {state}"
    try:
        tree = tree_from_json(json.loads(row[4]))
    except (ValueError, KeyError, TypeError):
        tree = Tree(files=(), root="")
        problem = problem or f"record {row[0]}: its digest tree is unreadable"
    return DataRecord(
        id=str(row[0]),
        parent=row[1],
        uri=str(row[2]),
        digest=str(row[3]),
        tree=tree,
        source=str(row[5]),
        transform=str(row[6]),
        actor=str(row[7]),
        created=str(row[8]),
        approved_by=row[10],
        approved_at=row[11],
        quarantined_by=row[12],
        quarantined_at=row[13],
        quarantine_reason=row[14],
        authentic=problem is None,
        problem=problem,
    )


# -- plumbing --------------------------------------------------------------------------


@contextmanager
def _ledger() -> Iterator[tuple[Store, _Signer]]:
    from aisec.core.crypto import Keyring
    from aisec.core.home import ensure_home
    from aisec.core.store import open_store

    ensure_home()
    store = open_store()
    try:
        with Keyring.open(store=store) as ring:
            yield store, _Signer(ring)
    finally:
        store.close()


def _row(conn: Connection, record_id: str) -> Sequence[Any]:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM data_records WHERE id = ?",  # noqa: S608 - fixed columns
        (record_id,),
    ).fetchone()
    if row is None:
        raise InputError(
            f"data: no data record {record_id!r} (ids are printed by: aisec data record)"
        )
    return tuple(row)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _text(name: str, value: str) -> str:
    if len(value) > _MAX_TEXT:
        raise InputError(f"data: {name} is longer than {_MAX_TEXT} characters")
    return value


def _audit(action: str, target: str, actor: Any, details: dict[str, Any]) -> None:
    from aisec.core.audit import record as audit

    audit(action, target, details=details, actor=actor)


# -- the API ---------------------------------------------------------------------------


def record(
    data: str,
    *,
    source: str,
    transform: str,
    parent: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> DataRecord:
    """Record data set ``data`` (a file or folder, local path or fsspec URL) in the ledger.

    Needs ``data.record``; audited. ``progress`` is called with the bytes hashed.
    """
    from aisec.core.authz import authorize

    principal = authorize("data.record")
    _text("source", source)
    _text("transform", transform)
    tree = digest_data(data, progress)
    record_id = "ds-" + secrets.token_hex(8)
    created = _now()
    tree_json = json.dumps(tree.to_json(), sort_keys=True, separators=(",", ":"))
    row: list[Any] = [
        record_id,
        parent,
        data,
        tree.root,
        tree_json,
        source,
        transform,
        principal.name,
        created,
    ]
    with _ledger() as (store, signer):
        if parent is not None:
            with store.read() as conn:
                parent_record = _check(signer, _row(conn, parent))
            if not parent_record.authentic:
                raise CryptoError(f"data: parent {parent}: {parent_record.problem}")
        signature = signer.sign(_RECORD_AD, _record_fields(row))
        state_row = [*row, signature, None, None, None, None, None, 0]
        state = signer.sign(_STATE_AD, _state_fields(state_row))
        with store.write() as conn:
            conn.execute(
                f"INSERT INTO data_records ({_COLUMNS}) VALUES "  # noqa: S608 - fixed columns
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*state_row, state),
            )
        # Checking a tag is audited (keys.use): never inside a write transaction.
        with store.read() as conn:
            stored_row = _row(conn, record_id)
        stored = _check(signer, stored_row)
    _audit(
        "data.record",
        record_id,
        principal,
        {"digest": tree.root, "files": len(tree.files), "parent": parent},
    )
    return stored


def get_record(record_id: str) -> DataRecord:
    """The record ``record_id``, with its signatures checked (``authentic``)."""
    from aisec.core.authz import authorize

    authorize("data.read")
    with _ledger() as (store, signer), store.read() as conn:
        return _check(signer, _row(conn, record_id))


def _change_state(
    record_id: str,
    permission: str,
    change: Callable[[DataRecord, str], dict[str, Any]],
    details: dict[str, Any],
) -> DataRecord:
    """Apply ``change`` (new state fields, or raise) to a record and re-sign its state."""
    from aisec.core.authz import authorize

    principal = authorize(permission)
    names = ("approved_by", "approved_at", "quarantined_by", "quarantined_at", "quarantine_reason")
    with _ledger() as (store, signer):
        # Tags are made and checked outside the write transaction (each is audited), and
        # the write goes through only if nobody changed the state in between.
        with store.read() as conn:
            row = list(_row(conn, record_id))
        seq = int(row[15])
        updates = change(_check(signer, row), principal.name)
        for i, name in enumerate(names, start=10):
            if name in updates:
                row[i] = updates[name]
        row[15] = seq + 1
        row[16] = signer.sign(_STATE_AD, _state_fields(row))
        with store.write() as conn:
            if int(_row(conn, record_id)[15]) != seq:
                raise InputError(f"data: {record_id} changed meanwhile; run the command again")
            conn.execute(
                "UPDATE data_records SET approved_by = ?, approved_at = ?, quarantined_by = ?,"
                " quarantined_at = ?, quarantine_reason = ?, state_seq = ?, state_signature = ?"
                " WHERE id = ?",
                (*row[10:17], record_id),
            )
        updated = _check(signer, row)
    _audit(permission, record_id, principal, details)
    return updated


def approve(record_id: str) -> DataRecord:
    """Approve a recorded data set for use. Needs ``data.approve``; audited. Refused for a
    record that fails its signature check or is quarantined."""

    def change(current: DataRecord, actor: str) -> dict[str, Any]:
        if not current.authentic:
            raise CryptoError(f"data: cannot approve: {current.problem}")
        if current.quarantined_at is not None:
            raise InputError(
                f"data: {record_id} is quarantined ({current.quarantine_reason}); release it "
                f"first: aisec data release {record_id}"
            )
        return {"approved_by": actor, "approved_at": _now()}

    return _change_state(record_id, "data.approve", change, {})


def quarantine(record_id: str, reason: str) -> DataRecord:
    """Quarantine a data set: every gate that asks refuses it and the data made from it.
    Needs ``data.quarantine``; audited. Allowed even on a record whose signature fails."""
    _text("reason", reason)
    if not reason.strip():
        raise InputError("data: a quarantine needs a reason (--reason)")

    def change(current: DataRecord, actor: str) -> dict[str, Any]:
        return {"quarantined_by": actor, "quarantined_at": _now(), "quarantine_reason": reason}

    return _change_state(
        record_id, "data.quarantine", change, {"op": "quarantine", "reason": reason[:200]}
    )


def release(record_id: str) -> DataRecord:
    """Lift a quarantine. Needs ``data.quarantine``; audited. Refused for a record whose
    signature fails (it stays quarantined)."""

    def change(current: DataRecord, actor: str) -> dict[str, Any]:
        if not current.authentic:
            raise CryptoError(f"data: cannot release: {current.problem}")
        if current.quarantined_at is None:
            raise InputError(f"data: {record_id} is not quarantined")
        return {"quarantined_by": None, "quarantined_at": None, "quarantine_reason": None}

    return _change_state(record_id, "data.quarantine", change, {"op": "release"})


def lineage(record_id: str) -> LineageNode:
    """The lineage of a record: its ancestors down to it, then everything made from it."""
    from aisec.core.authz import authorize

    authorize("data.read")
    with _ledger() as (store, signer), store.read() as conn:
        chain = [_check(signer, _row(conn, record_id))]
        while chain[-1].parent is not None and len(chain) < _MAX_DEPTH:
            chain.append(_check(signer, _row(conn, chain[-1].parent)))
        node = LineageNode(chain[0], _descendants(conn, signer, record_id))
        for ancestor in chain[1:]:
            node = LineageNode(ancestor, [node])
        return node


def _descendants(conn: Connection, signer: _Signer, record_id: str) -> list[LineageNode]:
    budget = [_MAX_DEPTH]

    def walk(parent: str, seen: frozenset[str]) -> list[LineageNode]:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM data_records WHERE parent = ? ORDER BY created, id",  # noqa: S608
            (parent,),
        ).fetchall()
        out = []
        for row in rows:
            if budget[0] <= 0 or row[0] in seen:
                break
            budget[0] -= 1
            out.append(LineageNode(_check(signer, row), walk(row[0], seen | {row[0]})))
        return out

    return walk(record_id, frozenset({record_id}))


def verify(data: str, record_id: str) -> VerifyReport:
    """Compare ``data`` with record ``record_id``: the record's signatures, and every file
    or row group/chunk whose bytes changed since it was recorded. Needs ``data.read``."""
    from aisec.core.authz import authorize

    authorize("data.read")
    current = get_record(record_id)
    changes = compare(current.tree, data) if current.tree.files else []
    return VerifyReport(record=current, changes=changes)


def dataset_quarantined(dataset_id: str) -> QuarantineRecord | None:
    """Why data set ``dataset_id`` may not be used, or None if it may: quarantined itself,
    made from a quarantined data set, or failing its signature check (fail closed).
    Raises :class:`InputError` for an unknown id."""
    from aisec.core.authz import authorize

    authorize("data.read")
    with _ledger() as (store, signer), store.read() as conn:
        return _quarantine_in(conn, signer, dataset_id)


def training_data_quarantines(dataset_ids: Sequence[str]) -> dict[str, QuarantineRecord | None]:
    """Per data set id, why a model trained on it may not be promoted (as
    :func:`dataset_quarantined`), or None. An unknown id maps to a record saying so (fail
    closed). For the registry's promotion gate: it needs no ``data.read`` of the promoter,
    since it tells only whether, and why, the data a model was trained on is refused."""
    out: dict[str, QuarantineRecord | None] = {}
    if not dataset_ids:
        return out
    with _ledger() as (store, signer), store.read() as conn:
        for dataset_id in dataset_ids:
            try:
                out[dataset_id] = _quarantine_in(conn, signer, dataset_id)
            except InputError:
                out[dataset_id] = QuarantineRecord(dataset_id, NOT_IN_LEDGER, None, None, False)
    return out


def derived_datasets(dataset_id: str) -> list[str]:
    """The ids of the records made from ``dataset_id`` (children, their children …), not
    itself. Needs ``data.read``; unknown id: :class:`InputError`."""
    from aisec.core.authz import authorize

    authorize("data.read")
    with _ledger() as (store, signer), store.read() as conn:
        _row(conn, dataset_id)
        out: list[str] = []

        def collect(nodes: list[LineageNode]) -> None:
            for n in nodes:
                out.append(n.record.id)
                collect(n.children)

        collect(_descendants(conn, signer, dataset_id))
    return out


def _quarantine_in(conn: Connection, signer: _Signer, dataset_id: str) -> QuarantineRecord | None:
    current: str | None = dataset_id
    depth = 0
    while current is not None and depth < _MAX_DEPTH:
        rec = _check(signer, _row(conn, current))
        inherited = rec.id != dataset_id
        if not rec.authentic:
            return QuarantineRecord(rec.id, str(rec.problem), None, None, inherited)
        if rec.quarantined_at is not None:
            return QuarantineRecord(
                rec.id,
                str(rec.quarantine_reason),
                rec.quarantined_by,
                rec.quarantined_at,
                inherited,
            )
        current = rec.parent
        depth += 1
    return None


def quarantine_of(path_or_url: str) -> QuarantineRecord | None:
    """The quarantine that covers the data at ``path_or_url`` (found by its content digest,
    so a copy elsewhere is found too), or None when no record with that content is
    quarantined. Data never recorded gives None."""
    from aisec.core.authz import authorize

    authorize("data.read")
    with _ledger() as (store, _signer), store.read() as conn:
        if conn.execute("SELECT 1 FROM data_records LIMIT 1").fetchone() is None:
            return None  # nothing recorded, nothing quarantined: no need to hash the data
    tree = digest_data(path_or_url)
    with _ledger() as (store, signer), store.read() as conn:
        ids = [
            str(r[0])
            for r in conn.execute(
                "SELECT id FROM data_records WHERE digest = ? ORDER BY created, id", (tree.root,)
            ).fetchall()
        ]
        for record_id in ids:
            found = _quarantine_in(conn, signer, record_id)
            if found is not None:
                return found
    return None
