"""The promotion gate: the checks a version must pass to enter a stage.

Each check returns the problems it found (one short line each); the signature check needs
the version's files on disk and is run by the registry, which materialises them.
"""

from __future__ import annotations

from aisec.core.policy import GatePolicy
from aisec.registry._catalog import ModelVersion

__all__ = ["scan_problems", "signature_presence_problems", "training_data_problems"]

_ORDER = ("clean", "suspicious", "error", "malicious")


def scan_problems(version: ModelVersion, gate: GatePolicy) -> list[str]:
    """The scan verdict at push is above ``gate.max_verdict``."""
    verdict = version.scan_verdict
    rank = _ORDER.index(verdict) if verdict in _ORDER else len(_ORDER)  # unknown: worst
    if rank <= _ORDER.index(gate.max_verdict):
        return []
    rules = version.scan_summary.get("rules") or []
    why = f" ({', '.join(str(r) for r in rules[:5])})" if rules else ""
    return [f"scan verdict is {verdict}{why}; the gate allows at most {gate.max_verdict}"]


def signature_presence_problems(version: ModelVersion, gate: GatePolicy) -> list[str]:
    """The gate wants a signature and the version has none (verifying one is the registry's
    part: it needs the files)."""
    if gate.require_signature and version.signature_blob is None:
        return ["unsigned: the gate requires a signature by a trusted key (signing.trusted_keys)"]
    return []


def training_data_problems(version: ModelVersion) -> list[str]:
    """A problem for each data set the version is recorded as trained on (its lineage,
    ``training_data``) that the data ledger refuses: quarantined, made from a quarantined
    set, failing its signature check, or not in the ledger at all (fail closed)."""
    if not version.training_data:
        return []
    from aisec.data import training_data_quarantines

    out = []
    for dataset, q in training_data_quarantines(version.training_data).items():
        if q is None:
            continue
        via = f" (made from {q.dataset_id})" if q.inherited else ""
        out.append(f"trained on data set {dataset}{via}, which is refused: {q.reason}"[:500])
    return out
