"""The blob store on a local folder and on a real S3 API: a blob is stored under its
name only when its bytes hash to it; every read re-hashes."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest

from aisec.core.errors import ConfigError, InputError
from aisec.registry._blobs import BlobStore
from aisec.registry._errors import IntegrityError


def _store(blob_store: dict[str, Any], tmp_path: Path) -> BlobStore:
    url = blob_store.get("blob_store") or str(tmp_path / "blobs")
    return BlobStore(url, endpoint_url=blob_store.get("endpoint_url"))


def test_put_fetch_and_dedupe(blob_store: dict[str, Any], tmp_path: Path) -> None:
    store = _store(blob_store, tmp_path)
    data = b"weights" * 100_000
    src = tmp_path / "w.bin"
    src.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    assert store.put_file(src, digest) is True
    assert store.put_file(src, digest) is False  # already there: not uploaded again
    out = io.BytesIO()
    store.fetch(digest, len(data), False, out, "w.bin")
    assert out.getvalue() == data


def test_bytes_that_do_not_hash_to_the_name_are_never_stored(
    blob_store: dict[str, Any], tmp_path: Path
) -> None:
    store = _store(blob_store, tmp_path)
    src = tmp_path / "w.bin"
    src.write_bytes(b"what the file holds now")
    claimed = hashlib.sha256(b"what it held when hashed").hexdigest()
    with pytest.raises(InputError, match="changed while it was being pushed"):
        store.put_file(src, claimed)
    assert not store.has(claimed, False)
    assert not store._fs.exists(f"{store._root}/incoming") or not store._fs.ls(
        f"{store._root}/incoming"
    )


def test_a_name_that_is_not_a_digest_is_refused(tmp_path: Path) -> None:
    store = BlobStore(str(tmp_path / "blobs"))
    with pytest.raises(IntegrityError, match="not a SHA-256 digest"):
        store.has("../../etc/passwd", False)


def test_endpoint_url_only_for_object_stores(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="only for s3:// or gs://"):
        BlobStore(str(tmp_path), endpoint_url="http://127.0.0.1:9000")
