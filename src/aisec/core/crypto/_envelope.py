"""The aisec encrypted-file format: a small header, then a Tink streaming AEAD ciphertext.

Layout (all integers big-endian)::

    magic "AISECENC" | format u8 = 1 | flags u8 | file id 16 B      <- stable part
    name length u8 | key name | key version u32 | wrapped length u32 | wrapped data key

The data key is a fresh Tink AES256_GCM_HKDF_1MB streaming keyset per file, stored as a
Tink encrypted keyset under the named key (the KEK). Binding:

* payload: streaming AEAD with associated data = stable part + caller AAD (+ file name
  when the file-name flag is set). It excludes the key part, so a rewrap that only
  replaces the key part leaves every payload byte valid and unchanged.
* key part: the KEK's AEAD with associated data = stable part + key name + version, so a
  changed name, version or file id, or a data key moved from another file, fails to unwrap.
"""

from __future__ import annotations

import io
import secrets
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

import tink
from tink import aead, streaming_aead

from aisec.core.crypto._model import NAME_RE
from aisec.core.crypto._tink import register
from aisec.core.errors import CryptoError

MAGIC = b"AISECENC"
FORMAT = 1
FLAG_AAD = 0x01  # the caller gave associated data
FLAG_NAME = 0x02  # the file name is bound
_KNOWN_FLAGS = FLAG_AAD | FLAG_NAME
_MAX_WRAPPED = 4096
_MAX_NAME = 64
COPY_CHUNK = 1 << 16  # measured fastest through Tink's Python stream wrapper
DEK_TEMPLATE = streaming_aead.streaming_aead_key_templates.AES256_GCM_HKDF_1MB
SEGMENT_SIZE = 1 << 20


class _Borrowed(io.RawIOBase):
    """A view of a caller's stream that Tink may close without closing the caller's file."""

    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self._inner = inner

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        readinto = getattr(self._inner, "readinto", None)
        if readinto is not None:  # straight into Tink's buffer, no intermediate bytes
            return int(readinto(buffer) or 0)
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def write(self, data: Any) -> int:
        self._inner.write(data)
        return len(data)


@dataclass(frozen=True, slots=True)
class Header:
    flags: int
    file_id: bytes
    key_name: str
    version: int
    wrapped: bytes

    @property
    def stable(self) -> bytes:
        return MAGIC + bytes((FORMAT, self.flags)) + self.file_id

    @property
    def wrap_ad(self) -> bytes:
        name = self.key_name.encode()
        return self.stable + bytes((len(name),)) + name + struct.pack(">I", self.version)

    def encode(self) -> bytes:
        name = self.key_name.encode()
        return (
            self.stable
            + bytes((len(name),))
            + name
            + struct.pack(">II", self.version, len(self.wrapped))
            + self.wrapped
        )

    def with_key(self, key_name: str, version: int, wrapped: bytes) -> Header:
        return Header(self.flags, self.file_id, key_name, version, wrapped)


def _borrow(stream: BinaryIO) -> BinaryIO:
    return cast(BinaryIO, _Borrowed(stream))


def _payload_ad(header: Header, aad: bytes, bound_name: str | None) -> bytes:
    name = (bound_name or "").encode()
    return header.stable + struct.pack(">Q", len(aad)) + aad + struct.pack(">Q", len(name)) + name


def _read_exact(src: BinaryIO, n: int, what: str) -> bytes:
    data = src.read(n)
    if len(data) != n:
        raise CryptoError(f"not an aisec encrypted file, or truncated in the header ({what})")
    return data


def read_header(src: BinaryIO) -> Header:
    """Parse the header from ``src`` (left positioned at the payload); bounded sizes."""
    magic = src.read(len(MAGIC))
    if magic != MAGIC:
        raise CryptoError("not an aisec encrypted file (bad magic bytes)")
    fmt, flags = _read_exact(src, 2, "format")
    if fmt != FORMAT:
        raise CryptoError(f"unsupported aisec file format version {fmt}; this aisec reads {FORMAT}")
    if flags & ~_KNOWN_FLAGS:
        raise CryptoError(f"unknown header flags {flags:#04x}: altered header or newer format")
    file_id = _read_exact(src, 16, "file id")
    (name_len,) = _read_exact(src, 1, "key name")
    if not 0 < name_len <= _MAX_NAME:
        raise CryptoError("corrupt header: bad key name length")
    try:
        name = _read_exact(src, name_len, "key name").decode("ascii")
    except UnicodeDecodeError:
        raise CryptoError("corrupt header: key name is not ASCII") from None
    if not NAME_RE.match(name):
        raise CryptoError("corrupt header: invalid key name")
    version, wrapped_len = struct.unpack(">II", _read_exact(src, 8, "key version"))
    if not 0 < wrapped_len <= _MAX_WRAPPED:
        raise CryptoError("corrupt header: bad wrapped data key length")
    wrapped = _read_exact(src, wrapped_len, "wrapped data key")
    return Header(flags, file_id, name, version, wrapped)


def wrap_dek(dek: tink.KeysetHandle, kek: aead.Aead, header: Header) -> bytes:
    try:
        wrapped: bytes = tink.proto_keyset_format.serialize_encrypted(dek, kek, header.wrap_ad)
    except tink.TinkError as exc:
        raise CryptoError(f"cannot wrap the data key under {header.key_name!r}: {exc}") from None
    if len(wrapped) > _MAX_WRAPPED:
        raise CryptoError("wrapped data key is larger than the format allows")
    return wrapped


def unwrap_dek(kek: aead.Aead, header: Header) -> tink.KeysetHandle:
    try:
        return tink.proto_keyset_format.parse_encrypted(header.wrapped, kek, header.wrap_ad)
    except tink.TinkError:
        raise CryptoError(
            f"cannot unwrap the data key with key {header.key_name!r} version {header.version}: "
            "the header was altered, or the file was encrypted under other key material"
        ) from None


def new_header(key_name: str, version: int, aad: bytes, bound_name: str | None) -> Header:
    flags = (FLAG_AAD if aad else 0) | (FLAG_NAME if bound_name else 0)
    return Header(flags, secrets.token_bytes(16), key_name, version, b"")


def encrypt_payload(
    src: BinaryIO,
    dst: BinaryIO,
    kek: aead.Aead,
    header: Header,
    aad: bytes = b"",
    bound_name: str | None = None,
) -> int:
    """Write header and ciphertext of ``src`` to ``dst``; returns plaintext bytes read."""
    register()
    dek = tink.new_keyset_handle(DEK_TEMPLATE)
    header = header.with_key(header.key_name, header.version, wrap_dek(dek, kek, header))
    dst.write(header.encode())
    primitive = dek.primitive(streaming_aead.StreamingAead)
    total = 0
    with primitive.new_encrypting_stream(_borrow(dst), _payload_ad(header, aad, bound_name)) as out:
        while chunk := src.read(COPY_CHUNK):
            out.write(chunk)
            total += len(chunk)
    return total


def decrypt_payload(
    src: BinaryIO,
    dst: BinaryIO,
    dek: tink.KeysetHandle,
    header: Header,
    aad: bytes = b"",
    bound_name: str | None = None,
) -> int:
    """Decrypt the payload of ``src`` (positioned after the header) into ``dst``."""
    if header.flags & FLAG_AAD and not aad:
        raise CryptoError("this file was encrypted with associated data: pass the same --aad")
    if aad and not header.flags & FLAG_AAD:
        raise CryptoError("this file was encrypted without associated data: drop --aad")
    if header.flags & FLAG_NAME and not bound_name:
        raise CryptoError("this file is bound to its file name, which is unknown here")
    if not header.flags & FLAG_NAME:
        bound_name = None
    primitive = dek.primitive(streaming_aead.StreamingAead)
    total = 0
    ad = _payload_ad(header, aad, bound_name)
    try:
        with primitive.new_decrypting_stream(_borrow(src), ad) as inp:
            while chunk := inp.read(COPY_CHUNK):
                dst.write(chunk)
                total += len(chunk)
    except tink.TinkError:
        hint = []
        if header.flags & FLAG_AAD:
            hint.append("a different --aad")
        if header.flags & FLAG_NAME:
            hint.append("a renamed file")
        cause = ", ".join(["altered, truncated or reordered data", *hint])
        raise CryptoError(f"the ciphertext failed authentication ({cause})") from None
    return total
