"""The keyring: the one door to keys. Metadata in the store, key material in keyset files.

Each named key is a Tink keyset under ``$AISEC_HOME/keys/NAME.tink`` (0600), encrypted by
its backend's AEAD with the key name as associated data. Versions are the keyset's keys;
the store maps each version to its Tink key id and state. Rotation adds a new primary,
so older ciphertexts still decrypt; disabling marks a version DISABLED in the keyset and
the store, and decryption under it then fails with a message that says so.

Changing a keyset is write-ahead, so a crash at any point leaves a usable key: under a
per-key file lock the new keyset is written beside the old one (``NAME.tink.next``), the
store's transaction commits, then the new file replaces the old. Whoever next opens the
key and finds a ``.next`` file left by a crash finishes the swap if the store committed
(the file matches the store) and deletes it otherwise.
"""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

import tink
from tink import aead, daead, signature

from aisec.core.crypto import _envelope, _tink
from aisec.core.crypto._access import guarded
from aisec.core.crypto._atomic import atomic_output, check_in_out
from aisec.core.crypto._backends import backend_class, backend_for
from aisec.core.crypto._catalog import SELECT_KEY, list_key_infos, to_info
from aisec.core.crypto._files import read_private
from aisec.core.crypto._model import (
    DISABLED,
    ENABLED,
    NAME_RE,
    PURPOSES,
    KeyInfo,
)
from aisec.core.crypto._progress import counting
from aisec.core.errors import ConfigError, CryptoError, InputError
from aisec.core.home import ensure_home, write_private
from aisec.core.policy import KeysPolicy
from aisec.core.store import Connection, Store, open_store

_TEMPLATES = {
    "aead": aead.aead_key_templates.AES256_GCM,
    "deterministic": daead.deterministic_aead_key_templates.AES256_SIV,
    # A streaming key is the KEK of per-file streaming data keys, so it is an AEAD keyset.
    "streaming": aead.aead_key_templates.AES256_GCM,
    "signing": _tink.ecdsa_p256_template(),
}
_STREAM_PURPOSES = ("streaming", "aead")
# Serialises keyring writes on PostgreSQL (SQLite serialises every write already).
_KEYRING_LOCK = 0x61697365636B6579
_TINK_PREFIX = 5  # Tink output prefix: 0x01 + 4-byte key id


def _insert_version(conn: Connection, name: str, version: int, key_id: int, now: datetime) -> None:
    conn.execute(
        "INSERT INTO key_versions (key_name, version, tink_key_id, created, state)"
        " VALUES (?, ?, ?, ?, ?)",
        (name, version, key_id, conn.time_param(now), ENABLED),
    )


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise InputError(
            f"key name {name!r}: use 1-64 characters a-z, 0-9, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def _now() -> datetime:
    return datetime.now(UTC)


def _step(name: str) -> None:
    """A named point of a keyset change ("keyset-written", "committed", "swapped").

    Does nothing; crash tests replace it to kill the process at that point."""


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class _Loaded:
    info: KeyInfo
    key_ids: dict[int, int]  # version -> Tink key id
    handle: tink.KeysetHandle


class Keyring:
    """Named keys with versions; encrypt/decrypt streams and fields; rotate, disable, rewrap.

    Every method checks the caller's permission (``keys.*``) and writes an audit event.
    Nothing here returns or logs key material.
    """

    def __init__(self, store: Store, policy: KeysPolicy, home: Path) -> None:
        _tink.register()
        self._store = store
        self.policy = policy
        self.home = home
        self._cache: dict[str, _Loaded] = {}
        self._owns_store = False

    @classmethod
    def open(cls, policy: KeysPolicy | None = None, store: Store | None = None) -> Keyring:
        """The keyring of ``$AISEC_HOME`` and the configured store (migrated if needed)."""
        if policy is None:
            from aisec.core.policy import active_policy

            active = active_policy()
            policy = active.keys if active is not None else KeysPolicy()
        home = ensure_home()
        owns = store is None
        ring = cls(store or open_store(), policy, home)
        ring._owns_store = owns
        return ring

    def close(self) -> None:
        self._cache.clear()
        if self._owns_store:
            self._store.close()

    def __enter__(self) -> Keyring:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- files -------------------------------------------------------------------------

    @property
    def keys_dir(self) -> Path:
        folder = self.home / "keys"
        folder.mkdir(mode=0o700, exist_ok=True)
        mode = stat.S_IMODE(folder.stat().st_mode)
        if mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise ConfigError(
                f"key folder {folder}: mode {mode:04o} lets other users replace keysets; "
                f"fix with: chmod 700 {folder}"
            )
        return folder

    def _keyset_path(self, name: str) -> Path:
        return self.keys_dir / f"{check_name(name)}.tink"

    @staticmethod
    def _keyset_ad(name: str) -> bytes:
        return b"aisec-keyset-v1:" + name.encode()

    def _pending_path(self, name: str) -> Path:
        return self.keys_dir / f"{check_name(name)}.tink.next"

    @contextmanager
    def _keyset_lock(self, name: str) -> Iterator[None]:
        """Exclusive per-key lock held from writing ``.next`` until it replaces the keyset
        (threads and processes alike; released by the OS if the holder dies)."""
        fd = os.open(self.keys_dir / f".{check_name(name)}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _write_keyset(self, info_name: str, backend: str, ref: str, handle: Any) -> None:
        """Write the keyset's next version beside the current one (see :meth:`_promote`)."""
        kek = backend_for(self.policy, backend, ref).keyset_aead()
        try:
            data = tink.json_proto_keyset_format.serialize_encrypted(
                handle, kek, self._keyset_ad(info_name)
            )
        except tink.TinkError as exc:
            raise CryptoError(f"key {info_name!r}: cannot encrypt the keyset: {exc}") from None
        write_private(self._pending_path(info_name), data.encode())
        _step("keyset-written")

    def _promote(self, name: str) -> None:
        """After the store committed: the written ``.next`` keyset replaces the current one."""
        _step("committed")
        self._pending_path(name).replace(self._keyset_path(name))
        _fsync_dir(self.keys_dir)
        _step("swapped")

    def _discard_pending(self, name: str) -> None:
        """After a failed (rolled back) change: drop its ``.next`` keyset."""
        self._pending_path(name).unlink(missing_ok=True)

    @contextmanager
    def _change(self, name: str) -> Iterator[Connection]:
        """A keyset change: the key's lock and a store write transaction; the keyset the
        block wrote (:meth:`_write_keyset`) replaces the current one after the commit."""
        with self._keyset_lock(name):
            try:
                with self._store.write(_KEYRING_LOCK) as conn:
                    yield conn
            except BaseException:
                self._discard_pending(name)
                raise
            finally:
                self._cache.pop(name, None)
            if self._pending_path(name).exists():
                self._promote(name)

    def _matches(self, handle: Any, info: KeyInfo, key_ids: dict[int, int]) -> bool:
        present = {int(k.key_id): int(k.status) for k in handle.keyset_info().key_info}
        for v in info.versions:
            status = present.get(key_ids[v.version])
            if status is None or (status == 2) != (v.state == DISABLED):  # 2 = DISABLED
                return False
        return bool(_tink.primary_key_id(handle) == key_ids.get(info.primary_version))

    def _recover(self, name: str, locked: bool) -> None:
        """Finish or undo a keyset change that a crash interrupted (see the module doc)."""
        pending = self._pending_path(name)
        if not pending.exists():
            return
        with nullcontext() if locked else self._keyset_lock(name):
            if not pending.exists():
                return  # another process recovered it while we waited for the lock
            try:
                info, key_ids = self._info(name)
            except CryptoError:
                pending.unlink(missing_ok=True)  # a create that never committed
                return
            handle = self._parse(name, info, read_private(pending, f"keyset of key {name!r}"))
            if self._matches(handle, info, key_ids):
                pending.replace(self._keyset_path(name))  # the store committed: finish
                _fsync_dir(self.keys_dir)
            else:
                pending.unlink()  # the store did not commit: the old keyset stands

    # -- metadata ----------------------------------------------------------------------

    def _info(self, name: str) -> tuple[KeyInfo, dict[int, int]]:
        with self._store.read() as conn:
            row = conn.execute(SELECT_KEY + " WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise CryptoError(
                    f"no key named {name!r}; create it with: aisec keys create {name}"
                )
            vrows = conn.execute(
                "SELECT key_name, version, tink_key_id, created, state FROM key_versions"
                " WHERE key_name = ? ORDER BY version",
                (name,),
            ).fetchall()
        return to_info(row, vrows), {int(v[1]): int(v[2]) for v in vrows}

    def _load(self, name: str, locked: bool = False) -> _Loaded:
        """Metadata and keyset of ``name``, checked against each other.

        ``locked``: the caller holds this key's keyset lock (a change in progress)."""
        check_name(name)
        self._recover(name, locked)
        # Metadata is read on every call (one small query) so that a rotation or a disable
        # done by another process takes effect here at once; the keyset is reused when the
        # metadata has not changed.
        info, key_ids = self._info(name)
        cached = self._cache.get(name)
        if cached is not None and cached.info == info and cached.key_ids == key_ids:
            return cached
        path = self._keyset_path(name)
        handle = self._parse(name, info, read_private(path, f"keyset of key {name!r}"))
        present = {int(k.key_id): int(k.status) for k in handle.keyset_info().key_info}
        for v in info.versions:
            if key_ids[v.version] not in present:
                raise CryptoError(
                    f"key {name!r}: keyset file {path} lacks version {v.version} that the store "
                    "records (an old copy restored?); restore the current keyset file"
                )
            if v.state == DISABLED and present[key_ids[v.version]] != 2:  # 2 = DISABLED
                handle = _tink.set_status(handle, key_ids[v.version], enabled=False)
        if _tink.primary_key_id(handle) != key_ids.get(info.primary_version):
            raise CryptoError(
                f"key {name!r}: the keyset's primary is not version {info.primary_version} as "
                "the store records; the keyset file and the store disagree"
            )
        loaded = _Loaded(info, key_ids, handle)
        self._cache[name] = loaded
        return loaded

    def _parse(self, name: str, info: KeyInfo, data: bytes) -> Any:
        """Decrypt a keyset file's bytes with its backend's KEK."""
        path = self._keyset_path(name)
        kek = backend_for(self.policy, info.backend, info.backend_ref).keyset_aead()
        try:
            handle = tink.json_proto_keyset_format.parse_encrypted(
                data.decode("utf-8", "replace"), kek, self._keyset_ad(name)
            )
        except tink.TinkError:
            what = (
                "the master key (AISEC_MASTER_KEY, passphrase or master.key) is not the one it "
                "was created with"
                if info.backend == "local"
                else f"{info.backend} key {info.backend_ref!r} refused to decrypt it"
            )
            raise CryptoError(
                f"cannot open the keyset of key {name!r}: {what}, or {path} was altered"
            ) from None
        return handle

    # -- key management ------------------------------------------------------------------

    def get(self, name: str) -> KeyInfo:
        """Metadata of key ``name`` (CryptoError if there is none)."""
        return self._info(check_name(name))[0]

    def list_keys(self) -> list[KeyInfo]:
        """All keys, by name."""
        return list_key_infos(self._store)

    def create_key(
        self,
        name: str,
        purpose: str = "aead",
        backend: str | None = None,
        kms_key: str | None = None,
    ) -> KeyInfo:
        """Create key ``name`` with one version. ``kms_key``: the KMS key URI / transit path."""
        check_name(name)
        if purpose not in PURPOSES:
            raise InputError(f"purpose {purpose!r}: expected one of {', '.join(PURPOSES)}")
        backend = backend or self.policy.default_backend
        ref = kms_key or backend_class(backend).default_ref(self.policy, name)
        if backend == "local" and kms_key:
            raise InputError("--kms-key applies to the vault and aws-kms backends only")
        with guarded("keys.create", name, {"purpose": purpose, "backend": backend}) as details:
            path = self._keyset_path(name)
            handle = tink.new_keyset_handle(_TEMPLATES[purpose])
            key_id = _tink.primary_key_id(handle)
            now = _now()
            # The locks serialise creators, so the checks below cannot race.
            with self._change(name) as conn:
                self._recover(name, locked=True)  # a create that crashed before its commit
                if conn.execute("SELECT name FROM keys WHERE name = ?", (name,)).fetchone():
                    raise CryptoError(
                        f"key {name!r} already exists; rotate it with: aisec keys rotate {name}"
                    )
                if path.exists():
                    raise CryptoError(
                        f"key {name!r}: {path} exists but the store has no such key; move the "
                        "file aside (it may be a keyset whose metadata was lost)"
                    )
                conn.execute(
                    "INSERT INTO keys (name, purpose, backend, backend_ref, primary_version,"
                    " created, rotated, state) VALUES (?, ?, ?, ?, 1, ?, NULL, ?)",
                    (name, purpose, backend, ref, conn.time_param(now), ENABLED),
                )
                _insert_version(conn, name, 1, key_id, now)
                self._write_keyset(name, backend, ref, handle)
            details["version"] = 1
        self._cache.pop(name, None)
        return self.get(name)

    def rotate(self, name: str) -> KeyInfo:
        """Add a new primary version; older versions keep decrypting."""
        with guarded("keys.rotate", check_name(name)) as details:
            self._cache.pop(name, None)
            with self._change(name) as conn:
                loaded = self._load(name, locked=True)
                info = loaded.info
                handle, key_id = _tink.add_primary(loaded.handle, _TEMPLATES[info.purpose])
                version = max(v.version for v in info.versions) + 1
                now = _now()
                _insert_version(conn, name, version, key_id, now)
                conn.execute(
                    "UPDATE keys SET primary_version = ?, rotated = ? WHERE name = ?",
                    (version, conn.time_param(now), name),
                )
                self._write_keyset(name, info.backend, info.backend_ref, handle)
            self._cache.pop(name, None)
            details.update({"from_version": info.primary_version, "to_version": version})
        return self.get(name)

    def due_for_rotation(self, now: datetime | None = None) -> list[KeyInfo]:
        """Enabled keys whose last rotation is at least their ``rotation_days`` ago."""
        now = now or _now()
        return [
            k
            for k in self.list_keys()
            if k.state == ENABLED
            and now - k.last_rotation >= timedelta(days=self.policy.rotation_days(k.name))
        ]

    def rotate_due(self, now: datetime | None = None) -> list[KeyInfo]:
        """Rotate every key past its policy ``rotation_days``; returns the rotated keys."""
        return [self.rotate(k.name) for k in self.due_for_rotation(now)]

    def disable_version(self, name: str, version: int) -> KeyInfo:
        """Disable one version: ciphertexts under it no longer decrypt (rewrap them first)."""
        with guarded("keys.disable", check_name(name), {"version": version}):
            self._cache.pop(name, None)
            with self._change(name) as conn:
                loaded = self._load(name, locked=True)
                info = loaded.info
                v = info.version(version)
                if v is None:
                    known = ", ".join(str(x.version) for x in info.versions)
                    raise InputError(f"key {name!r} has no version {version} (versions: {known})")
                if version == info.primary_version:
                    raise CryptoError(
                        f"version {version} is the primary of key {name!r}; rotate it first "
                        f"(aisec keys rotate {name}), then disable the old version"
                    )
                if v.state != DISABLED:
                    handle = _tink.set_status(loaded.handle, loaded.key_ids[version], False)
                    conn.execute(
                        "UPDATE key_versions SET state = ? WHERE key_name = ? AND version = ?",
                        (DISABLED, name, version),
                    )
                    self._write_keyset(name, info.backend, info.backend_ref, handle)
            self._cache.pop(name, None)
        return self.get(name)

    def enable_version(self, name: str, version: int) -> KeyInfo:
        """Enable a disabled version again: data under it decrypts again."""
        with guarded("keys.disable", check_name(name), {"version": version, "op": "enable"}):
            self._cache.pop(name, None)
            with self._change(name) as conn:
                loaded = self._load(name, locked=True)
                v = loaded.info.version(version)
                if v is None:
                    known = ", ".join(str(x.version) for x in loaded.info.versions)
                    raise InputError(f"key {name!r} has no version {version} (versions: {known})")
                if v.state == DISABLED:
                    handle = _tink.set_status(loaded.handle, loaded.key_ids[version], True)
                    conn.execute(
                        "UPDATE key_versions SET state = ? WHERE key_name = ? AND version = ?",
                        (ENABLED, name, version),
                    )
                    info = loaded.info
                    self._write_keyset(name, info.backend, info.backend_ref, handle)
        return self.get(name)

    # -- primitives ------------------------------------------------------------------------

    def _usable(self, name: str, version: int | None = None) -> _Loaded:
        try:
            loaded = self._load(name)
        except CryptoError as exc:
            if exc.message.startswith("no key named"):
                raise CryptoError(
                    f"this ciphertext names key {name!r}, which this keyring does not have"
                    if version is not None
                    else exc.message
                ) from None
            raise
        if loaded.info.state != ENABLED:
            raise CryptoError(f"key {name!r} is {loaded.info.state}")
        if version is not None:
            v = loaded.info.version(version)
            if v is None:
                raise CryptoError(f"key {name!r} has no version {version}")
            if v.state == DISABLED:
                raise CryptoError(
                    f"key {name!r} version {version} is disabled; data under it cannot be "
                    "decrypted (rewrap files before disabling a version)"
                )
        return loaded

    def _kek(self, name: str, version: int | None = None) -> tuple[_Loaded, aead.Aead]:
        loaded = self._usable(name, version)
        if loaded.info.purpose not in _STREAM_PURPOSES:
            raise CryptoError(
                f"key {name!r} has purpose {loaded.info.purpose}; file encryption needs a "
                "streaming or aead key (aisec keys create NAME --purpose streaming)"
            )
        primitive: aead.Aead = loaded.handle.primitive(aead.Aead)
        return loaded, primitive

    # -- signatures ---------------------------------------------------------------------------

    def _signing_key(self, name: str) -> _Loaded:
        loaded = self._usable(name)
        if loaded.info.purpose != "signing":
            raise CryptoError(
                f"key {name!r} has purpose {loaded.info.purpose}; signing needs a signing key "
                f"(aisec keys create {name}-signing --purpose signing)"
            )
        return loaded

    def sign(self, name: str, data: bytes) -> tuple[int, bytes]:
        """Sign ``data`` with the primary version of signing key ``name``.

        ECDSA P-256 over SHA-256, DER-encoded, no Tink prefix. Returns (version, signature);
        the private key never leaves Tink."""
        with guarded("keys.use", check_name(name), {"op": "sign"}) as details:
            loaded = self._signing_key(name)
            details["version"] = loaded.info.primary_version
            signer = loaded.handle.primitive(signature.PublicKeySign)
            return loaded.info.primary_version, bytes(signer.sign(data))

    def public_keys(self, name: str, enabled_only: bool = True) -> dict[int, bytes]:
        """PEM (SubjectPublicKeyInfo) public key of each version of signing key ``name``.

        With ``enabled_only`` (the default) disabled versions are left out, so a signature
        made by a disabled version no longer verifies with ``--key``."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        with guarded("keys.read", check_name(name), {"op": "public"}):
            loaded = self._signing_key(name)
            points = _tink.public_points(loaded.handle)
            out: dict[int, bytes] = {}
            for version, key_id in sorted(loaded.key_ids.items()):
                enabled, x, y = points[key_id]
                if enabled_only and not enabled:
                    continue
                public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
                out[version] = public.public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            return out

    # -- streams and files -------------------------------------------------------------------

    def encrypt_stream(
        self,
        src: BinaryIO,
        dst: BinaryIO,
        key: str,
        aad: bytes = b"",
        bound_name: str | None = None,
    ) -> int:
        """Encrypt ``src`` into ``dst`` under the primary version of ``key``; constant memory.

        ``bound_name`` (a file name) must be given again to decrypt. Returns bytes read.
        """
        with guarded("keys.use", check_name(key), {"op": "encrypt"}) as details:
            loaded, kek = self._kek(key)
            version = loaded.info.primary_version
            header = _envelope.new_header(key, version, aad, bound_name)
            details["version"] = version
            total = _envelope.encrypt_payload(src, dst, kek, header, aad, bound_name)
            details["bytes"] = total
            return total

    def decrypt_stream(
        self, src: BinaryIO, dst: BinaryIO, aad: bytes = b"", bound_name: str | None = None
    ) -> int:
        """Decrypt an aisec file from ``src`` into ``dst``; the header names the key.

        Plaintext reaches ``dst`` segment by segment, each authenticated; a failure in a
        later segment raises after earlier ones were written, so write to a temporary
        file (as :meth:`decrypt_file` does) and keep it only on success.
        """
        header = _envelope.read_header(src)
        with guarded(
            "keys.use", header.key_name, {"op": "decrypt", "version": header.version}
        ) as d:
            _, kek = self._kek(header.key_name, header.version)
            dek = _envelope.unwrap_dek(kek, header)
            total = _envelope.decrypt_payload(src, dst, dek, header, aad, bound_name)
            d["bytes"] = total
            return total

    def encrypt_file(
        self,
        src: Path,
        dst: Path,
        key: str,
        aad: bytes = b"",
        bind_name: bool = False,
        force: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Encrypt file ``src`` to ``dst`` (atomically; nothing at ``dst`` on failure).

        ``progress(n)`` is called after each read of n input bytes."""
        check_in_out(src, dst, force)
        with _open_input(src) as fin, atomic_output(dst) as fout:
            name = dst.name if bind_name else None
            return self.encrypt_stream(counting(fin, progress), fout, key, aad, name)

    def decrypt_file(
        self,
        src: Path,
        dst: Path,
        aad: bytes = b"",
        force: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Decrypt file ``src`` to ``dst`` (atomically; nothing at ``dst`` on failure)."""
        check_in_out(src, dst, force)
        with _open_input(src) as fin, atomic_output(dst) as fout:
            return self.decrypt_stream(counting(fin, progress), fout, aad, src.name)

    def rewrap(self, path: Path) -> tuple[int, int] | None:
        """Re-wrap the data key of file ``path`` under its key's current primary version.

        Only the header changes; payload bytes are copied unchanged. Returns
        (old version, new version), or None when the file is already under the primary.
        """
        with _open_input(path) as fin:
            header = _envelope.read_header(fin)
            offset = fin.tell()
        with guarded("keys.rewrap", header.key_name, {"from_version": header.version}) as d:
            loaded, kek = self._kek(header.key_name, header.version)
            primary = loaded.info.primary_version
            d["to_version"] = primary
            if header.version == primary:
                d["changed"] = False
                return None
            dek = _envelope.unwrap_dek(kek, header)
            new = header.with_key(header.key_name, primary, b"")
            new = new.with_key(header.key_name, primary, _envelope.wrap_dek(dek, kek, new))
            with _open_input(path) as fin, atomic_output(path, mode=_mode(path)) as fout:
                fin.seek(offset)
                fout.write(new.encode())
                while chunk := fin.read(1 << 20):
                    fout.write(chunk)
            d["changed"] = True
            return header.version, primary

    # -- fields --------------------------------------------------------------------------------

    def field_cipher(self, key: str, column: str) -> FieldCipher:
        """An encryptor for cells of ``column``: AES-GCM bound to the column name for an aead
        key, AES-SIV (equal plaintexts give equal ciphertexts, so joins work) for a
        deterministic key. Deterministic cells are not bound to the column name, so they
        join across differently named columns."""
        with guarded("keys.use", check_name(key), {"op": "encrypt-field", "column": column}):
            loaded = self._usable(key)
            purpose = loaded.info.purpose
            if purpose == "deterministic":
                return FieldCipher(loaded.handle.primitive(daead.DeterministicAead), None)
            if purpose == "aead":
                return FieldCipher(None, (loaded.handle.primitive(aead.Aead), column.encode()))
            raise CryptoError(
                f"key {key!r} has purpose {purpose}; field encryption needs an aead key "
                "(random) or a deterministic key (joinable)"
            )

    def field_decipher(self, column: str) -> FieldDecipher:
        """A decryptor for cells of ``column`` that finds each cell's key by its Tink key id."""
        return FieldDecipher(self, column)

    def _key_for_tink_id(self, key_id: int) -> list[str]:
        with self._store.read() as conn:
            rows = conn.execute(
                "SELECT key_name FROM key_versions WHERE tink_key_id = ?", (key_id,)
            ).fetchall()
        return [str(r[0]) for r in rows]

    def encrypt_fields(
        self, values: Iterable[bytes | None], key: str, column: str
    ) -> list[bytes | None]:
        """Encrypt a column's cells (None stays None)."""
        cipher = self.field_cipher(key, column)
        return [None if v is None else cipher.encrypt(v) for v in values]

    def decrypt_fields(self, values: Iterable[bytes | None], column: str) -> list[bytes | None]:
        """Decrypt a column's cells (None stays None)."""
        decipher = self.field_decipher(column)
        return [None if v is None else decipher.decrypt(v) for v in values]


def field_ad(column: str, identity: bytes | None = None) -> bytes:
    """Associated data of a random (aead) cell: its column name, and with ``identity``
    (the encoded values of the row's --bind-to columns) also its row, so a cell moved to
    another row fails to decrypt. Without identity it is the column name alone (the
    format of cells made before rows could be bound)."""
    col = column.encode()
    if identity is None:
        return col
    return b"aisec-field-row-v1\0" + len(col).to_bytes(4, "big") + col + identity


class FieldCipher:
    """Encrypts cells of one column with one key (see :meth:`Keyring.field_cipher`)."""

    __slots__ = ("_column", "_det", "_fn", "_rnd", "deterministic")

    def __init__(
        self, det: daead.DeterministicAead | None, rnd: tuple[aead.Aead, bytes] | None
    ) -> None:
        self.deterministic = det is not None
        self._det = det
        self._rnd = rnd[0] if rnd is not None else None
        self._column = rnd[1].decode() if rnd is not None else ""
        if det is not None:
            self._fn: Callable[[bytes], bytes] = partial(
                det.encrypt_deterministically, associated_data=b""
            )
        elif rnd is not None:
            self._fn = partial(rnd[0].encrypt, associated_data=rnd[1])
        else:
            raise ValueError("FieldCipher needs a deterministic or a random primitive")

    def encrypt(self, value: bytes) -> bytes:
        return self._fn(value)

    def as_function(self) -> Callable[[bytes], bytes]:
        """The encryption as a plain callable (no method call per cell, for bulk loops)."""
        return self._fn

    def bound_function(self) -> Callable[[bytes, bytes | None], bytes]:
        """Encryption of ``(value, row identity)``: a random cell is bound to its row (see
        :func:`field_ad`). A deterministic cell ignores the identity: binding it to its
        row would give equal values different ciphertexts, and it exists to join."""
        rnd = self._rnd
        if rnd is None:
            fn = self._fn
            return lambda value, identity: fn(value)
        column = self._column
        return lambda value, identity: rnd.encrypt(value, field_ad(column, identity))


class FieldDecipher:
    """Decrypts cells of one column; each cell's Tink prefix names the key version."""

    def __init__(self, ring: Keyring, column: str) -> None:
        self._ring = ring
        self._column = column
        self._ad = column.encode()
        self._by_id: dict[int, list[tuple[str, Any]]] = {}

    def _candidates(self, key_id: int) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        for name in self._ring._key_for_tink_id(key_id):
            with guarded("keys.use", name, {"op": "decrypt-field", "column": self._column}):
                loaded = self._ring._load(name)
                version = next((v for v, k in loaded.key_ids.items() if k == key_id), None)
                loaded = self._ring._usable(name, version)
                if loaded.info.purpose == "deterministic":
                    out.append(("det", loaded.handle.primitive(daead.DeterministicAead)))
                elif loaded.info.purpose == "aead":
                    out.append(("rnd", loaded.handle.primitive(aead.Aead)))
        if not out:
            raise CryptoError(
                f"column {self._column!r}: a cell was encrypted under a key this keyring "
                "does not have"
            )
        self._by_id[key_id] = out
        return out

    def decrypt(self, value: bytes, identity: bytes | None = None) -> bytes:
        """Decrypt one cell; ``identity`` is its row's encoded --bind-to values, if bound."""
        if len(value) <= _TINK_PREFIX or value[0] != 1:
            raise CryptoError(f"column {self._column!r}: a cell is not an aisec ciphertext")
        key_id = int.from_bytes(value[1:_TINK_PREFIX], "big")
        for kind, primitive in self._by_id.get(key_id) or self._candidates(key_id):
            try:
                if kind == "det":
                    return bytes(primitive.decrypt_deterministically(value, b""))
                return bytes(primitive.decrypt(value, field_ad(self._column, identity)))
            except tink.TinkError:
                continue
        bound = (
            "moved from another row or column, or the row's --bind-to columns changed"
            if identity is not None
            else "moved from another column, or encrypted with --bind-to: pass the same "
            "--bind-to to decrypt"
        )
        raise CryptoError(
            f"column {self._column!r}: a cell failed authentication (altered, {bound})"
        )


def _open_input(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot open ({exc.strerror})") from None


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)
