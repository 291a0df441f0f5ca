"""Supply chain: dependency manifests (unpinned, unhashed, direct URL and VCS dependencies),
known vulnerabilities from a local OSV export through pip-audit's service interface, and
Dockerfiles (unpinned base images, ``curl | sh``, running as root).

Nothing is installed, resolved or fetched: manifests are parsed as text, and without an
OSV export the result says plainly that vulnerabilities were not checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aisec.supplychain._audit import VulnerabilityAudit, audit_vulnerabilities
from aisec.supplychain._dockerfile import DockerfileAudit, Image, audit_dockerfile
from aisec.supplychain._manifests import (
    LOCK_FORMATS,
    Dependency,
    Manifest,
    manifest_findings,
    parse_manifest,
)
from aisec.supplychain._osv import OsvDatabase

if TYPE_CHECKING:
    from aisec.supplychain._osv_service import LocalOsvService

__all__ = [
    "LOCK_FORMATS",
    "Dependency",
    "DockerfileAudit",
    "Image",
    "LocalOsvService",
    "Manifest",
    "OsvDatabase",
    "VulnerabilityAudit",
    "audit_dockerfile",
    "audit_vulnerabilities",
    "manifest_findings",
    "parse_manifest",
]


def __getattr__(name: str) -> Any:
    # pip-audit (and requests under it) loads only for the offline vulnerability service
    if name == "LocalOsvService":
        from aisec.supplychain._osv_service import LocalOsvService

        return LocalOsvService
    raise AttributeError(f"module 'aisec.supplychain' has no attribute {name!r}")
