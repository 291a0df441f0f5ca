"""Known vulnerabilities, offline: a local OSV export, read and matched as OSV defines.

osv.dev publishes each ecosystem as a zip of OSV JSON records (``PyPI/all.zip``); unpacked,
that folder is the ``--osv-db``. :func:`affects` evaluates a record's affected ranges and
versions as the OSV schema defines them; ``_osv_service.LocalOsvService`` serves them
through pip-audit's ``VulnerabilityService`` interface, so nothing goes to the network.
pip-audit loads only when an export is given.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from aisec.core.errors import InputError

__all__ = ["OsvDatabase", "affects", "version_of"]

_MAX_RECORDS = 1_000_000
_MAX_RECORD_BYTES = 4 << 20


class OsvDatabase:
    """The PyPI records of an unpacked OSV export, indexed by canonical package name."""

    def __init__(self, records: dict[str, list[dict[str, Any]]], source: str, count: int) -> None:
        self._by_name = records
        self.source = source
        self.count = count

    @classmethod
    def load(cls, folder: Path) -> OsvDatabase:
        """Read every ``*.json`` under ``folder`` (records of other ecosystems are ignored).
        Raises InputError when the folder is missing or holds no OSV record at all."""
        if not folder.is_dir():
            raise InputError(f"--osv-db {folder}: not a folder (unzip osv.dev's PyPI/all.zip)")
        by_name: dict[str, list[dict[str, Any]]] = {}
        count = 0
        for dirpath, _dirs, files in os.walk(folder):
            for name in files:
                if not name.endswith(".json"):
                    continue
                count += 1
                if count > _MAX_RECORDS:
                    raise InputError(f"--osv-db {folder}: more than {_MAX_RECORDS} records")
                record = _read_record(Path(dirpath) / name)
                if record is None:
                    continue
                for pkg in _pypi_packages(record):
                    by_name.setdefault(pkg, []).append(record)
        if count == 0:
            raise InputError(f"--osv-db {folder}: no OSV JSON records in it")
        return cls(by_name, str(folder), count)

    def records(self, name: str) -> list[dict[str, Any]]:
        return self._by_name.get(canonicalize_name(name), [])


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        if path.stat().st_size > _MAX_RECORD_BYTES:
            return None
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("id"), str) else None


def _pypi_packages(record: dict[str, Any]) -> Iterable[str]:
    for affected in record.get("affected") or ():
        pkg = affected.get("package") if isinstance(affected, dict) else None
        if isinstance(pkg, dict) and pkg.get("ecosystem") == "PyPI" and pkg.get("name"):
            yield canonicalize_name(str(pkg["name"]))


def version_of(text: Any) -> Version | None:
    """A PEP 440 version, or None for text that is not one."""
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def _in_range(version: Version, events: list[dict[str, Any]]) -> bool:
    """The OSV range algorithm: walk events in version order, toggling affected."""
    keyed: list[tuple[Version, int, str]] = []
    order = {"introduced": 0, "fixed": 1, "last_affected": 2, "limit": 3}
    for event in events:
        for kind, value in event.items():
            if kind not in order:
                continue
            v = Version("0") if (kind == "introduced" and value == "0") else version_of(value)
            if v is not None:
                keyed.append((v, order[kind], kind))
    affected = False
    for v, _, kind in sorted(keyed):
        if kind == "introduced" and version >= v:
            affected = True
        elif (kind == "fixed" and version >= v) or (kind == "last_affected" and version > v):
            affected = False
        elif kind == "limit" and version >= v:
            break
    return affected


def affects(affected: dict[str, Any], name: str, version: Version) -> tuple[bool, list[Version]]:
    pkg = affected.get("package") or {}
    if pkg.get("ecosystem") != "PyPI" or canonicalize_name(str(pkg.get("name"))) != name:
        return False, []
    hit = any(version_of(v) == version for v in affected.get("versions") or ())
    fixes: list[Version] = []
    for rng in affected.get("ranges") or ():
        if not isinstance(rng, dict) or rng.get("type") not in {"ECOSYSTEM", "SEMVER"}:
            continue
        events = [e for e in rng.get("events") or () if isinstance(e, dict)]
        hit = hit or _in_range(version, events)
        fixes += [v for e in events if (v := version_of(e.get("fixed"))) is not None]
    return hit, sorted(fixes)
