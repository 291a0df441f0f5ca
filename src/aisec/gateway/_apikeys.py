"""Gateway API keys: make, hash, store, list and revoke them.

A key reads ``aisec_<prefix>_<secret>``: the prefix (12 hex digits) is public and names the
key in lists, audit events and metrics; the secret is 32 bytes from :mod:`secrets` (256
bits, base64url). The store keeps only the prefix and HMAC-SHA256 of the whole key under
the *API-key hash key*, so a copy of the database alone lets no one test guesses offline.

The hash key comes from ``AISEC_APIKEY_HASH_KEY`` (base64 of 32 or more bytes; every
replica of a deployment must share it), else from ``$AISEC_HOME/apikey.key`` (32 random
bytes, 0600), made on first use. Each row records which hash key made it
(``hash_key_id``), so a replica with the wrong key fails with a clear configuration
error instead of refusing every caller as if their keys were bad.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aisec.core.errors import ConfigError, InputError

if TYPE_CHECKING:
    from aisec.core.store import Connection, Store

__all__ = [
    "ApiKey",
    "ApiKeyStore",
    "HashKey",
    "create_key",
    "list_keys",
    "load_hash_key",
    "parse_api_key",
    "parse_expiry",
    "revoke_key",
]

ENV_HASH_KEY = "AISEC_APIKEY_HASH_KEY"
HASH_KEY_FILE = "apikey.key"
KEY_SCHEME = "aisec"
_PREFIX_HEX = 12  # 48 bits: names a key; not secret
_SECRET_BYTES = 32  # 256 bits from secrets.token_urlsafe
_SECRET_CHARS = 43  # base64url of 32 bytes, unpadded
_KEY_RE = re.compile(r"aisec_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")
_PREFIX_RE = re.compile(r"[0-9a-f]{12}")
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@:/+-]{0,199}")
_MODEL_RE = re.compile(r"[A-Za-z0-9*][A-Za-z0-9._@:/+*-]{0,199}")
_DURATION_RE = re.compile(r"(\d{1,6})([mhdwy])")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
_MAX_LIMIT = 1_000_000_000
_COLUMNS = (
    "prefix, key_hash, hash_key_id, principal, tenant, models, rpm, tpm, created, expires, "
    "revoked, last_used"
)
_INSERT = f"INSERT INTO api_keys ({_COLUMNS}) VALUES ({', '.join('?' * 12)})"  # noqa: S608


@dataclass(frozen=True, slots=True)
class HashKey:
    """The secret that keys the API-key hashes, and its public id."""

    secret: bytes
    key_id: str

    def digest(self, prefix: str, secret: str) -> str:
        msg = f"aisec-apikey-v1\x00{prefix}\x00{secret}".encode()
        return hmac.new(self.secret, msg, hashlib.sha256).hexdigest()

    @classmethod
    def from_secret(cls, secret: bytes) -> HashKey:
        key_id = hmac.new(secret, b"aisec-apikey-key-id", hashlib.sha256).hexdigest()[:16]
        return cls(secret, key_id)


def load_hash_key(create: bool = True) -> HashKey:
    """The API-key hash key: ``AISEC_APIKEY_HASH_KEY``, else ``$AISEC_HOME/apikey.key``."""
    env = os.environ.get(ENV_HASH_KEY)
    if env:
        try:
            raw = base64.b64decode(env.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError(f"{ENV_HASH_KEY} is not valid base64") from None
        if len(raw) < 32:
            raise ConfigError(f"{ENV_HASH_KEY} decodes to {len(raw)} bytes; give 32 or more")
        return HashKey.from_secret(raw)
    from aisec.core.home import aisec_home, ensure_home

    path = (ensure_home() if create else aisec_home()) / HASH_KEY_FILE
    if create:
        try:  # O_EXCL: two processes racing to make it must not end up with two keys
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        except OSError as exc:
            raise ConfigError(f"cannot create {path}: {exc.strerror}") from None
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
                fh.flush()
                os.fsync(fh.fileno())
    try:
        with path.open("rb") as fh:
            raw = fh.read(65)
    except FileNotFoundError:
        raise ConfigError(
            f"no API-key hash key: set {ENV_HASH_KEY} or create a key first "
            "(aisec access apikey create)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    if len(raw) != 32:
        raise ConfigError(f"{path} holds {len(raw)} bytes; expected 32 (file damaged?)")
    return HashKey.from_secret(raw)


def parse_api_key(token: str) -> tuple[str, str] | None:
    """(prefix, secret) of a well-formed key, else None."""
    m = _KEY_RE.fullmatch(token)
    return (m.group(1), m.group(2)) if m else None


def parse_expiry(text: str, now: datetime | None = None) -> datetime:
    """``30d``, ``12h``, ``90m``, ``2w``, ``1y`` from now, or an ISO 8601 date/time (UTC
    unless it says otherwise)."""
    now = now or datetime.now(UTC)
    text = text.strip()
    m = _DURATION_RE.fullmatch(text)
    if m:
        amount = int(m.group(1))
        if amount == 0:
            raise InputError(f"--expires {text!r}: must be in the future")
        try:
            return now + timedelta(seconds=amount * _UNITS[m.group(2)])
        except OverflowError:
            raise InputError(f"--expires {text!r}: too far in the future") from None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"--expires {text!r}: expected a duration like 30d, 12h, 90m, 2w, 1y or an ISO "
            "date like 2027-01-31"
        ) from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if when <= now:
        raise InputError(f"--expires {text!r}: must be in the future")
    return when


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One stored API key (its hash, never the key)."""

    prefix: str
    key_hash: str
    hash_key_id: str
    principal: str
    tenant: str | None
    models: frozenset[str] | None
    rpm: int | None
    tpm: int | None
    created: datetime
    expires: datetime | None
    revoked: datetime | None
    last_used: datetime | None

    def state(self, now: datetime) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked is not None:
            return "revoked"
        if self.expires is not None and self.expires <= now:
            return "expired"
        return "active"

    def to_dict(self) -> dict[str, Any]:
        """Everything but the hash, for listings."""

        def iso(t: datetime | None) -> str | None:
            return t.isoformat(timespec="seconds") if t else None

        return {
            "prefix": self.prefix,
            "principal": self.principal,
            "tenant": self.tenant,
            "models": sorted(self.models) if self.models is not None else None,
            "rpm": self.rpm,
            "tpm": self.tpm,
            "created": iso(self.created),
            "expires": iso(self.expires),
            "revoked": iso(self.revoked),
            "last_used": iso(self.last_used),
            "state": self.state(datetime.now(UTC)),
        }


def _check_name(what: str, value: str, pattern: re.Pattern[str] = _NAME_RE) -> str:
    if not pattern.fullmatch(value):
        raise InputError(
            f"{what} {value[:80]!r}: use 1-200 letters, digits and . _ @ : / + - "
            "(starting with a letter or digit)"
        )
    return value


def _check_limit(what: str, value: int | None) -> int | None:
    if value is not None and not 1 <= value <= _MAX_LIMIT:
        raise InputError(f"{what} {value}: must be between 1 and {_MAX_LIMIT}")
    return value


def _row_to_key(row: Sequence[Any]) -> ApiKey:
    from aisec.core.store import Connection

    def when(v: Any) -> datetime | None:
        return None if v is None else Connection.time_value(v)

    models = None if row[5] is None else frozenset(json.loads(row[5]))
    created = Connection.time_value(row[8])
    return ApiKey(
        prefix=row[0],
        key_hash=row[1],
        hash_key_id=row[2],
        principal=row[3],
        tenant=row[4],
        models=models,
        rpm=row[6],
        tpm=row[7],
        created=created,
        expires=when(row[9]),
        revoked=when(row[10]),
        last_used=when(row[11]),
    )


class ApiKeyStore:
    """API keys in the store. These methods neither check roles nor audit: the
    ``create``/``revoke`` functions of the CLI's API (:func:`create_key`,
    :func:`revoke_key`) do both."""

    def __init__(self, store: Store, hash_key: HashKey | None = None) -> None:
        self.store = store
        self._hash_key = hash_key

    @property
    def hash_key(self) -> HashKey:
        if self._hash_key is None:
            self._hash_key = load_hash_key()
        return self._hash_key

    def create(
        self,
        principal: str,
        *,
        tenant: str | None = None,
        models: Sequence[str] | None = None,
        rpm: int | None = None,
        tpm: int | None = None,
        expires: datetime | None = None,
        now: datetime | None = None,
    ) -> tuple[str, ApiKey]:
        """A new key: (the key, shown once, and its stored record)."""
        _check_name("principal", principal)
        if tenant is not None:
            _check_name("tenant", tenant)
        model_set = None
        if models is not None:
            model_set = frozenset(_check_name("model", m, _MODEL_RE) for m in models)
        _check_limit("--rpm", rpm)
        _check_limit("--tpm", tpm)
        now = now or datetime.now(UTC)
        if expires is not None and expires <= now:
            raise InputError("the key would expire before it is created")
        hk = self.hash_key
        models_json = None if model_set is None else json.dumps(sorted(model_set))
        for _ in range(5):  # a prefix collision (1 in 2**48 a pair) is retried
            prefix = secrets.token_hex(_PREFIX_HEX // 2)
            secret = secrets.token_urlsafe(_SECRET_BYTES)
            assert len(secret) == _SECRET_CHARS  # noqa: S101 - token_urlsafe(32) is 43 chars
            with self.store.write() as conn:
                if conn.execute("SELECT 1 FROM api_keys WHERE prefix = ?", (prefix,)).fetchone():
                    continue
                conn.execute(
                    _INSERT,
                    (
                        prefix,
                        hk.digest(prefix, secret),
                        hk.key_id,
                        principal,
                        tenant,
                        models_json,
                        rpm,
                        tpm,
                        conn.time_param(now),
                        None if expires is None else conn.time_param(expires),
                        None,
                        None,
                    ),
                )
                record = self._get(conn, prefix)
            assert record is not None  # noqa: S101 - inserted in this transaction
            return f"{KEY_SCHEME}_{prefix}_{secret}", record
        raise ConfigError("could not find an unused API-key prefix (random source broken?)")

    @staticmethod
    def _get(conn: Connection, prefix: str) -> ApiKey | None:
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM api_keys WHERE prefix = ?",  # noqa: S608 - constant
            (prefix,),
        ).fetchone()
        return None if row is None else _row_to_key(row)

    def get(self, prefix: str) -> ApiKey | None:
        """The key with this public prefix, or None."""
        if not _PREFIX_RE.fullmatch(prefix):
            return None
        with self.store.read() as conn:
            return self._get(conn, prefix)

    def list(self, principal: str | None = None) -> list[ApiKey]:
        """Every key (of ``principal``), oldest first."""
        sql = f"SELECT {_COLUMNS} FROM api_keys"  # noqa: S608 - constant
        params: tuple[str, ...] = ()
        if principal is not None:
            sql += " WHERE principal = ?"
            params = (principal,)
        with self.store.read() as conn:
            rows = conn.execute(sql + " ORDER BY created, prefix", params).fetchall()
        return [_row_to_key(r) for r in rows]

    def revoke(self, prefix: str, now: datetime | None = None) -> tuple[ApiKey, bool]:
        """Revoke the key; (its record, whether this call revoked it)."""
        if not _PREFIX_RE.fullmatch(prefix):
            raise InputError(f"{prefix[:40]!r} is not an API-key prefix (12 hex digits)")
        now = now or datetime.now(UTC)
        with self.store.write() as conn:
            key = self._get(conn, prefix)
            if key is None:
                raise InputError(f"no API key with prefix {prefix}")
            if key.revoked is not None:
                return key, False
            conn.execute(
                "UPDATE api_keys SET revoked = ? WHERE prefix = ?", (conn.time_param(now), prefix)
            )
            revoked = self._get(conn, prefix)
        assert revoked is not None  # noqa: S101 - read in the same transaction
        return revoked, True

    def touch(self, prefix: str, when: datetime) -> None:
        """Record that the key was used at ``when`` (callers throttle this)."""
        with self.store.write() as conn:
            conn.execute(
                "UPDATE api_keys SET last_used = ? WHERE prefix = ?",
                (conn.time_param(when), prefix),
            )


def _manager() -> str:
    """The current principal's name if it may manage API keys (a denial is audited)."""
    from aisec.core.authz import authorize

    return authorize("apikey.manage").name


def _open_keys() -> ApiKeyStore:
    from aisec.core.store import open_store

    return ApiKeyStore(open_store())


def create_key(
    principal: str,
    *,
    tenant: str | None = None,
    models: Sequence[str] | None = None,
    rpm: int | None = None,
    tpm: int | None = None,
    expires: datetime | None = None,
) -> tuple[str, ApiKey]:
    """Create a key as the current principal (needs ``apikey.manage``; audited)."""
    from aisec.core.audit import record

    actor = _manager()
    keys = _open_keys()
    try:
        key, stored = keys.create(
            principal, tenant=tenant, models=models, rpm=rpm, tpm=tpm, expires=expires
        )
    finally:
        keys.store.close()
    record(
        "apikey.create",
        stored.prefix,
        details={
            "principal": stored.principal,
            "tenant": stored.tenant,
            "models": ",".join(sorted(stored.models)) if stored.models is not None else None,
            "rpm": stored.rpm,
            "tpm": stored.tpm,
            "expires": stored.expires.isoformat(timespec="seconds") if stored.expires else None,
        },
        actor=actor,
    )
    return key, stored


def revoke_key(prefix: str) -> tuple[ApiKey, bool]:
    """Revoke a key as the current principal (needs ``apikey.manage``; audited)."""
    from aisec.core.audit import record

    actor = _manager()
    keys = _open_keys()
    try:
        stored, changed = keys.revoke(prefix)
    finally:
        keys.store.close()
    record(
        "apikey.revoke",
        stored.prefix,
        details={"principal": stored.principal, "already_revoked": not changed},
        actor=actor,
    )
    return stored, changed


def list_keys(principal: str | None = None) -> list[ApiKey]:
    """Every key's record (needs ``apikey.manage``; hashes are never shown)."""
    _manager()
    keys = _open_keys()
    try:
        return keys.list(principal)
    finally:
        keys.store.close()
