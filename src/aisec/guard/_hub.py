"""``aisec guard model pull``: a sequence-classification model from the Hugging Face hub,
pinned by commit and by file hashes, in the hub's own cache layout.

The layout is the one ``huggingface_hub`` uses, so a model already in a user's cache is
found without the network::

    <cache>/models--<org>--<name>/blobs/<sha256>
    <cache>/models--<org>--<name>/snapshots/<revision>/<file>  -> ../../blobs/<sha256>

Pinning fails closed: the revision must be a full 40-hex commit, every file needs its
SHA-256, and a file whose bytes do not match (in the cache or downloaded) is refused and
never linked into the snapshot. Downloads go to ``<endpoint>/<repo>/resolve/<revision>/
<file>`` (the hub's URL scheme) with a size limit, into a temporary file in ``blobs/``.
The snapshot folder is what ``transformer_injection``'s ``model_path`` takes.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from aisec.core.errors import InputError, UpstreamError

__all__ = ["DEFAULT_FILES", "HUB_ENDPOINT", "PulledModel", "default_cache", "pull"]

HUB_ENDPOINT = "https://huggingface.co"
DEFAULT_FILES = ("config.json", "tokenizer.json", "model.onnx")
MAX_FILE_BYTES = 4 << 30
_REVISION = re.compile(r"[0-9a-f]{40}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
_REPO = re.compile(f"{_PART}/{_PART}")
_FILE = re.compile(r"[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+){0,3}")
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class PulledModel:
    repo_id: str
    revision: str
    path: Path  # the snapshot folder
    files: dict[str, str]  # file -> sha256
    downloaded: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "repo_id": self.repo_id,
            "revision": self.revision,
            "path": str(self.path),
            "files": dict(self.files),
            "downloaded": list(self.downloaded),
        }


def default_cache() -> Path:
    """``HF_HUB_CACHE``, else ``HF_HOME/hub``, else ``~/.cache/huggingface/hub``."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    return Path.home() / ".cache" / "huggingface" / "hub"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check(repo_id: str, revision: str, files: Sequence[str], pins: Mapping[str, str]) -> None:
    if not _REPO.fullmatch(repo_id) or ".." in repo_id:
        raise InputError(f"model pull: {repo_id!r} is not a hub repository id (org/name)")
    if not _REVISION.fullmatch(revision):
        raise InputError(
            "model pull: --revision must be a full 40-hex commit (a branch or tag can move)"
        )
    for name in files:
        if not _FILE.fullmatch(name) or ".." in PurePosixPath(name).parts:
            raise InputError(f"model pull: bad file name {name!r}")
        pin = pins.get(name)
        if pin is None:
            raise InputError(f"model pull: no --sha256 pin for {name} (every file is pinned)")
        if not _SHA256.fullmatch(pin):
            raise InputError(f"model pull: the pin for {name} is not a 64-hex SHA-256")
    extra = sorted(set(pins) - set(files))
    if extra:
        raise InputError(f"model pull: pins for files not pulled: {', '.join(extra)}")


def _link(snapshot_file: Path, blob: Path) -> None:
    snapshot_file.parent.mkdir(parents=True, exist_ok=True)
    if snapshot_file.is_symlink() or snapshot_file.exists():
        snapshot_file.unlink()
    try:
        snapshot_file.symlink_to(os.path.relpath(blob, snapshot_file.parent))
    except OSError:  # no symlinks here (some Windows setups): a copy, as the hub does
        snapshot_file.write_bytes(blob.read_bytes())


def _download(url: str, blobs: Path, pin: str, timeout: float) -> Path:
    import httpx

    blobs.mkdir(parents=True, exist_ok=True)
    tmp = blobs / f".{pin}.incomplete"
    digest = hashlib.sha256()
    size = 0
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as resp:
            if resp.status_code != 200:
                raise UpstreamError(f"model pull: {url}: HTTP {resp.status_code}")
            with tmp.open("wb") as fh:
                for chunk in resp.iter_bytes(_CHUNK):
                    size += len(chunk)
                    if size > MAX_FILE_BYTES:
                        raise UpstreamError(
                            f"model pull: {url}: larger than {MAX_FILE_BYTES} bytes"
                        )
                    digest.update(chunk)
                    fh.write(chunk)
    except httpx.HTTPError as exc:
        tmp.unlink(missing_ok=True)
        raise UpstreamError(f"model pull: cannot fetch {url}: {exc}") from None
    except UpstreamError:
        tmp.unlink(missing_ok=True)
        raise
    if digest.hexdigest() != pin:
        tmp.unlink(missing_ok=True)
        raise UpstreamError(
            f"model pull: {url}: SHA-256 {digest.hexdigest()} does not match the pin {pin}"
        )
    blob = blobs / pin
    tmp.replace(blob)
    return blob


def pull(
    repo_id: str,
    revision: str,
    pins: Mapping[str, str],
    *,
    files: Sequence[str] = DEFAULT_FILES,
    cache: Path | None = None,
    endpoint: str | None = HUB_ENDPOINT,
    timeout: float = 60.0,
) -> PulledModel:
    """Make ``files`` of ``repo_id`` at ``revision`` present and verified in the cache.

    A file already in the snapshot is verified against its pin (a mismatch is an error,
    never silently replaced); a missing one is downloaded from ``endpoint`` (None: offline,
    a missing file is an error)."""
    pins = {k: v.lower() for k, v in pins.items()}
    _check(repo_id, revision, files, pins)
    root = (cache or default_cache()) / ("models--" + repo_id.replace("/", "--"))
    snapshot = root / "snapshots" / revision
    blobs = root / "blobs"
    downloaded: list[str] = []
    for name in files:
        target = snapshot / name
        pin = pins[name]
        if target.exists():
            got = _sha256(target)
            if got != pin:
                raise InputError(
                    f"model pull: {target} has SHA-256 {got}, the pin is {pin}: refused "
                    "(remove it to download again)"
                )
            continue
        if endpoint is None:
            raise InputError(f"model pull: {name} is not in the cache ({snapshot}) and offline")
        url = f"{endpoint.rstrip('/')}/{repo_id}/resolve/{revision}/{name}"
        blob = blobs / pin
        if not (blob.is_file() and _sha256(blob) == pin):
            blob = _download(url, blobs, pin, timeout)
            downloaded.append(name)
        _link(target, blob)
    return PulledModel(repo_id, revision, snapshot, {n: pins[n] for n in files}, tuple(downloaded))
