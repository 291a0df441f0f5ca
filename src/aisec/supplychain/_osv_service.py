"""pip-audit's vulnerability service, answered from a local OSV export (no network)."""

from __future__ import annotations

from packaging.version import Version
from pip_audit._service import Dependency as AuditDependency
from pip_audit._service import ResolvedDependency, VulnerabilityResult, VulnerabilityService

from aisec.supplychain._osv import OsvDatabase, affects

__all__ = ["LocalOsvService"]


class LocalOsvService(VulnerabilityService):  # type: ignore[misc]
    """pip-audit's vulnerability service, answered from a local OSV export."""

    def __init__(self, db: OsvDatabase) -> None:
        self.db = db

    def query(self, spec: AuditDependency) -> tuple[AuditDependency, list[VulnerabilityResult]]:
        if spec.is_skipped():
            return spec, []
        assert isinstance(spec, ResolvedDependency)  # noqa: S101 (narrowing, as pip-audit)
        name = spec.canonical_name
        results: list[VulnerabilityResult] = []
        for record in self.db.records(name):
            if record.get("withdrawn"):
                continue
            hit, fixes = False, list[Version]()
            for affected in record.get("affected") or ():
                if isinstance(affected, dict):
                    one, more = affects(affected, name, spec.version)
                    hit, fixes = hit or one, fixes + more
            if hit:
                summary = str(record.get("summary") or record.get("details") or "N/A")
                results.append(
                    VulnerabilityResult.create(
                        ids=[record["id"], *[str(a) for a in record.get("aliases") or ()]],
                        description=summary.replace("\n", " ")[:300],
                        fix_versions=fixes,
                        published=self._parse_rfc3339(record.get("published")),
                    )
                )
        return spec, results
