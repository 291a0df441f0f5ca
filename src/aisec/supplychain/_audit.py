"""Known vulnerabilities of pinned dependencies, from a local OSV export, said plainly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from packaging.utils import canonicalize_name

from aisec.core.findings import Finding
from aisec.supplychain._manifests import Dependency, _finding
from aisec.supplychain._osv import OsvDatabase, version_of

__all__ = ["VulnerabilityAudit", "audit_vulnerabilities"]


@dataclass(slots=True)
class VulnerabilityAudit:
    """Findings for vulnerable dependencies and a plain statement of what was checked."""

    findings: list[Finding] = field(default_factory=list)
    statement: str = ""
    checked: int = 0
    not_checked: int = 0


def audit_vulnerabilities(deps: list[Dependency], db: OsvDatabase | None) -> VulnerabilityAudit:
    """Check pinned dependencies against ``db``; with no database, an info finding and the
    statement say that no vulnerability data was available (never silence)."""
    audit = VulnerabilityAudit()
    if db is None:
        audit.statement = (
            "no vulnerability data: no OSV export given (--osv-db); known vulnerabilities "
            "were not checked"
        )
        where = deps[0].path if deps else ""
        audit.findings.append(
            _finding(
                "supplychain-no-vulnerability-data",
                where,
                None,
                f"{len(deps)} dependencies not checked for known vulnerabilities",
            )
        )
        return audit
    from pip_audit._service import ResolvedDependency, SkippedDependency

    from aisec.supplychain._osv_service import LocalOsvService

    service = LocalOsvService(db)
    seen: set[tuple[str, str]] = set()
    for dep in deps:
        version = version_of(dep.version) if dep.version else None
        if version is None:
            audit.not_checked += 1
            spec: Any = SkippedDependency(name=dep.name, skip_reason="not pinned to one version")
        else:
            spec = ResolvedDependency(name=dep.name, version=version)
        key = (canonicalize_name(dep.name), str(version))
        if version is not None and key in seen:
            continue
        seen.add(key)
        _, vulns = service.query(spec)
        if version is not None:
            audit.checked += 1
        for vuln in vulns:
            fix = ", ".join(str(v) for v in vuln.fix_versions[:3]) or "none published"
            audit.findings.append(
                _finding(
                    "supplychain-vulnerable-dependency",
                    dep.path,
                    dep.line,
                    f"{dep.name} {version}: {vuln.id} (fixed in {fix}): {vuln.description[:90]}",
                )
            )
    audit.statement = (
        f"{audit.checked} pinned dependencies checked against the OSV export {db.source} "
        f"({db.count} records); {audit.not_checked} not pinned to one version, not checked"
    )
    return audit
