"""Tink registration and the few proto-level operations Tink's Python API lacks."""

from __future__ import annotations

import functools
from typing import Any

import tink
from tink import aead, daead, secret_key_access, signature, streaming_aead
from tink.proto import aes_gcm_pb2, common_pb2, ecdsa_pb2, tink_pb2

from aisec.core.errors import CryptoError


@functools.cache
def register() -> None:
    """Register the Tink primitives aisec uses (idempotent)."""
    aead.register()
    daead.register()
    streaming_aead.register()
    signature.register()


def aead_from_raw_key(raw: bytes) -> aead.Aead:
    """A Tink AES-256-GCM AEAD over 32 given bytes (the master key); RAW output prefix."""
    register()
    if len(raw) != 32:
        raise CryptoError(f"master key: expected 32 bytes, got {len(raw)}")
    key = aes_gcm_pb2.AesGcmKey(version=0, key_value=raw)
    keyset = tink_pb2.Keyset(primary_key_id=1)
    entry = keyset.key.add()
    entry.key_data.type_url = "type.googleapis.com/google.crypto.tink.AesGcmKey"
    entry.key_data.value = key.SerializeToString()
    entry.key_data.key_material_type = tink_pb2.KeyData.SYMMETRIC
    entry.status = tink_pb2.ENABLED
    entry.key_id = 1
    entry.output_prefix_type = tink_pb2.RAW
    handle = tink.proto_keyset_format.parse(keyset.SerializeToString(), secret_key_access.TOKEN)
    primitive: aead.Aead = handle.primitive(aead.Aead)
    return primitive


def to_proto(handle: tink.KeysetHandle) -> Any:
    """The keyset proto of ``handle`` (secret material; never leaves the process)."""
    data = tink.proto_keyset_format.serialize(handle, secret_key_access.TOKEN)
    keyset = tink_pb2.Keyset()
    keyset.ParseFromString(data)
    return keyset


def from_proto(keyset: Any) -> tink.KeysetHandle:
    return tink.proto_keyset_format.parse(keyset.SerializeToString(), secret_key_access.TOKEN)


def add_primary(handle: tink.KeysetHandle, template: Any) -> tuple[tink.KeysetHandle, int]:
    """A new handle with one fresh key from ``template`` made primary; returns its key id."""
    keyset = to_proto(handle)
    fresh = to_proto(tink.new_keyset_handle(template))
    used = {k.key_id for k in keyset.key}
    new_key = fresh.key[0]
    while new_key.key_id in used:  # Tink ids are random 32-bit; a clash is rare but possible
        new_key = to_proto(tink.new_keyset_handle(template)).key[0]
    keyset.key.append(new_key)
    keyset.primary_key_id = new_key.key_id
    return from_proto(keyset), int(new_key.key_id)


def set_status(handle: tink.KeysetHandle, key_id: int, enabled: bool) -> tink.KeysetHandle:
    keyset = to_proto(handle)
    for key in keyset.key:
        if key.key_id == key_id:
            key.status = tink_pb2.ENABLED if enabled else tink_pb2.DISABLED
    return from_proto(keyset)


def primary_key_id(handle: tink.KeysetHandle) -> int:
    return int(handle.keyset_info().primary_key_id)


def ecdsa_p256_template() -> Any:
    """ECDSA P-256 / SHA-256 with DER signatures and no Tink prefix: the signatures
    pyca/cryptography, OpenSSL and the OpenSSF model_signing library make and check."""
    template = tink_pb2.KeyTemplate()
    template.CopyFrom(signature.signature_key_templates.ECDSA_P256)
    template.output_prefix_type = tink_pb2.RAW
    return template


def public_points(handle: tink.KeysetHandle) -> dict[int, tuple[bool, int, int]]:
    """Tink key id -> (enabled, x, y) of each ECDSA key of a signing keyset."""
    data = tink.proto_keyset_format.serialize_without_secret(handle.public_keyset_handle())
    keyset = tink_pb2.Keyset()
    keyset.ParseFromString(data)
    out: dict[int, tuple[bool, int, int]] = {}
    for key in keyset.key:
        point = ecdsa_pb2.EcdsaPublicKey()
        point.ParseFromString(key.key_data.value)
        if point.params.curve != common_pb2.NIST_P256:  # aisec makes no other curve
            raise CryptoError(f"signing key id {key.key_id}: not a P-256 key")
        enabled = key.status == tink_pb2.ENABLED
        out[int(key.key_id)] = (
            enabled,
            int.from_bytes(point.x, "big"),
            int.from_bytes(point.y, "big"),
        )
    return out
