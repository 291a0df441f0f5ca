"""Supply chain: dependency manifests (unpinned, unhashed, direct URL and VCS dependencies),
known vulnerabilities from a local OSV export through pip-audit's service interface, and
Dockerfiles (unpinned base images, ``curl | sh``, running as root).

Nothing is installed, resolved or fetched: manifests are parsed as text, and without an
OSV export the result says plainly that vulnerabilities were not checked.
"""

from __future__ import annotations

from aisec.supplychain._dockerfile import DockerfileAudit, Image, audit_dockerfile
from aisec.supplychain._manifests import (
    LOCK_FORMATS,
    Dependency,
    Manifest,
    manifest_findings,
    parse_manifest,
)
from aisec.supplychain._osv import (
    LocalOsvService,
    OsvDatabase,
    VulnerabilityAudit,
    audit_vulnerabilities,
)

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
