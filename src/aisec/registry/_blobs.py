"""The content-addressed blob store, reached through fsspec (a folder, S3, GCS).

A blob is named by the SHA-256 of its plaintext: ``ROOT/sha256/ab/abcd….`` (plain) or
``….aisec`` (encrypted with a keyring key; the digest is the stream's associated data, so
a blob moved under another name fails authentication). A blob is written to
``ROOT/incoming/<random>`` while its digest is checked and only then moved to its name, so a
failed or interrupted upload never leaves a blob under a name its bytes do not have.
Every read re-hashes the plaintext against the name it was asked for.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from aisec.core.errors import ConfigError, InputError, UpstreamError
from aisec.registry._errors import IntegrityError
from aisec.registry._files import CHUNK

if TYPE_CHECKING:
    from aisec.core.crypto import Keyring

__all__ = ["BlobStore"]

_MAX_SMALL = 16 << 20  # signature bundles and other small blobs read into memory
_AAD = b"aisec-registry-blob:sha256:"


class _Hashing:
    """A binary stream wrapper that hashes and counts what passes through it."""

    def __init__(self, inner: Any, tick: Callable[[int], None] | None = None) -> None:
        self._inner = inner
        self._tick = tick
        self.sha = hashlib.sha256()
        self.count = 0

    def _seen(self, data: Any) -> None:
        self.sha.update(data)
        self.count += len(data)
        if self._tick is not None:
            self._tick(len(data))

    def read(self, n: int = -1) -> bytes:
        data: bytes = self._inner.read(n)
        self._seen(data)
        return data

    def write(self, data: Any) -> int:
        self._inner.write(data)
        self._seen(data)
        return len(data)


def _aad(digest: str) -> bytes:
    return _AAD + digest.encode()


def _copy(src: Any, dst: Any) -> None:
    while chunk := src.read(CHUNK):
        dst.write(chunk)


class BlobStore:
    """Blobs under ``url`` (an fsspec URL or a local folder)."""

    def __init__(
        self,
        url: str,
        *,
        endpoint_url: str | None = None,
        keyring: Callable[[], Keyring] | None = None,
    ) -> None:
        import fsspec

        self.url = url
        options: dict[str, Any] = {}
        scheme = url.split("://", 1)[0].lower() if "://" in url else "file"
        if endpoint_url:
            if scheme not in ("s3", "s3a", "gs", "gcs"):
                raise ConfigError(
                    f"registry.endpoint_url: only for s3:// or gs:// blob stores, not {url}"
                )
            options["endpoint_url"] = endpoint_url
        if scheme in ("s3", "s3a"):
            options["skip_instance_cache"] = True
        try:
            fs, root = fsspec.core.url_to_fs(url, **options)
        except (ImportError, ValueError) as exc:
            raise ConfigError(
                f"registry.blob_store: cannot use {url}: {exc} (S3 needs: pip install "
                "'aisec[s3]'; GCS: 'aisec[gcs]')"
            ) from None
        self._fs: Any = fs
        self._root = str(root).rstrip("/")
        self._keyring = keyring
        self.local = scheme == "file"
        if self.local:
            Path(self._root).mkdir(mode=0o700, parents=True, exist_ok=True)

    def _name(self, digest: str, encrypted: bool) -> str:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise IntegrityError(f"registry: {digest!r} is not a SHA-256 digest")
        return f"{self._root}/sha256/{digest[:2]}/{digest}" + (".aisec" if encrypted else "")

    def has(self, digest: str, encrypted: bool) -> bool:
        try:
            return bool(self._fs.exists(self._name(digest, encrypted)))
        except OSError as exc:
            raise UpstreamError(f"registry: blob store {self.url}: {exc}") from None

    def _upload(
        self,
        src: BinaryIO,
        digest: str,
        encrypt_key: str | None,
        what: str,
        tick: Callable[[int], None] | None,
    ) -> None:
        tmp = f"{self._root}/incoming/{secrets.token_hex(16)}"
        reader = _Hashing(src, tick)
        try:
            if self.local:
                self._fs.makedirs(f"{self._root}/incoming", exist_ok=True)
            with self._fs.open(tmp, "wb") as out:
                if encrypt_key is None:
                    _copy(reader, out)
                else:
                    ring = self._ring()
                    ring.encrypt_stream(cast(BinaryIO, reader), out, encrypt_key, _aad(digest))
            if reader.sha.hexdigest() != digest:
                raise InputError(
                    f"{what}: changed while it was being pushed (its SHA-256 is no longer "
                    f"{digest[:12]}…); push again when nothing writes to the model"
                )
            final = self._name(digest, encrypt_key is not None)
            if self.local:
                self._fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
            self._fs.mv(tmp, final)
        except OSError as exc:
            self._discard(tmp)
            raise UpstreamError(f"registry: cannot write to blob store {self.url}: {exc}") from None
        except BaseException:
            self._discard(tmp)
            raise

    def _discard(self, tmp: str) -> None:
        with suppress(OSError):  # FileNotFoundError included: it never got there
            self._fs.rm(tmp)

    def put_file(
        self,
        path: Path,
        digest: str,
        encrypt_key: str | None = None,
        tick: Callable[[int], None] | None = None,
    ) -> bool:
        """Store ``path`` as blob ``digest`` (checked while reading); False when it was
        there already."""
        if self.has(digest, encrypt_key is not None):
            if tick is not None:
                tick(path.stat().st_size)
            return False
        try:
            with path.open("rb") as src:
                self._upload(src, digest, encrypt_key, str(path), tick)
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror})") from None
        return True

    def put_bytes(self, data: bytes, encrypt_key: str | None = None) -> str:
        """Store a small blob; its digest."""
        import io

        digest = hashlib.sha256(data).hexdigest()
        if not self.has(digest, encrypt_key is not None):
            self._upload(io.BytesIO(data), digest, encrypt_key, "blob", None)
        return digest

    def fetch(
        self,
        digest: str,
        size: int | None,
        encrypted: bool,
        dest: BinaryIO,
        what: str,
        tick: Callable[[int], None] | None = None,
    ) -> None:
        """Write blob ``digest``'s plaintext to ``dest``; IntegrityError (naming ``what``)
        when it is missing or its bytes are not the ones registered (``size``: also check
        the length, where it was recorded)."""
        name = self._name(digest, encrypted)
        writer = _Hashing(dest, tick)
        from aisec.core.errors import CryptoError

        try:
            with self._fs.open(name, "rb") as src:
                if encrypted:
                    self._ring().decrypt_stream(src, cast(BinaryIO, writer), _aad(digest))
                else:
                    _copy(src, writer)
        except FileNotFoundError:
            raise IntegrityError(
                f"registry: {what}: blob sha256:{digest[:12]}… is missing from {self.url}"
            ) from None
        except CryptoError as exc:
            raise IntegrityError(
                f"registry: {what}: blob sha256:{digest[:12]}… does not decrypt: {exc.message}"
            ) from None
        except OSError as exc:
            raise UpstreamError(f"registry: cannot read blob store {self.url}: {exc}") from None
        got = writer.sha.hexdigest()
        if got != digest or (size is not None and writer.count != size):
            raise IntegrityError(
                f"registry: {what}: blob sha256:{digest[:12]}… in {self.url} was changed "
                f"(it now holds {writer.count:,} bytes with SHA-256 {got[:12]}…); the "
                "registered bytes are gone from the blob store"
            )

    def read_small(self, digest: str, encrypted: bool, what: str) -> bytes:
        """A small blob's verified bytes (a signature bundle)."""
        import io

        # The size of a small blob is not recorded (the digest binds its bytes): bound the
        # read by what the store says before reading it into memory.
        try:
            size = int(self._fs.info(self._name(digest, encrypted)).get("size") or 0)
        except FileNotFoundError:
            size = 0  # fetch names the missing blob
        except OSError as exc:
            raise UpstreamError(f"registry: cannot read blob store {self.url}: {exc}") from None
        if size > _MAX_SMALL:
            raise IntegrityError(f"registry: {what}: blob is {size:,} bytes, expected a small one")
        buf = io.BytesIO()
        self.fetch(digest, None, encrypted, buf, what)
        return buf.getvalue()

    def _ring(self) -> Keyring:
        if self._keyring is None:
            raise ConfigError("registry: encrypted blobs need the keyring")
        return self._keyring()
