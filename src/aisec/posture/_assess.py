"""``assess``: inventory a tree, judge the threat model's controls, record the run."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from aisec.core.findings import Finding
from aisec.posture._evaluate import InventoryLike, evaluate, framework_scores
from aisec.posture._evidence import Evidence, gather_evidence
from aisec.posture._history import changes_since_last, record_run
from aisec.posture._model import ThreatModel, load_threat_model
from aisec.posture._redaction import Redactor, default_redactor, scrubbed
from aisec.posture._report import Assessment, Changes

if TYPE_CHECKING:
    from aisec.core.store import Store

__all__ = ["assess", "assess_inventory"]


def assess_inventory(
    inv: InventoryLike,
    evidence: Evidence,
    *,
    model: ThreatModel | None = None,
    store: Store | None = None,
    run_id: str | None = None,
    redact: Redactor | None = None,
) -> Assessment:
    """Judge ``inv`` against the threat model; with a ``store``, compare with the tree's
    last recorded run and record this one. Asset details and evidence pass ``redact``
    (default: the guard's secret redactor) before anything is stored or returned."""
    model = model or load_threat_model()
    inv = scrubbed(inv, redact or default_redactor())
    results, own = evaluate(model, inv, evidence)
    findings: list[Finding] = [*inv.findings, *own]
    scores = framework_scores(model, results)
    run_id = run_id or uuid.uuid4().hex
    now = datetime.now(UTC)
    changes = Changes()
    if store is not None:
        changes = changes_since_last(store, inv.root, findings)
        summary = {
            "findings": len(findings),
            "assets": len(inv.assets),
            "scores": {fw: s["score"] for fw, s in scores.items()},
        }
        record_run(
            store,
            root=inv.root,
            run_id=run_id,
            findings=findings,
            assets=inv.assets,
            summary=summary,
            now=now,
        )
    return Assessment(
        root=inv.root,
        run_id=run_id,
        created=now.isoformat(timespec="seconds"),
        model=model,
        inventory=inv,
        results=tuple(results),
        findings=tuple(findings),
        scores=scores,
        changes=changes,
        policy_files=evidence.policy_files,
    )


def assess(
    root: str | Path,
    *,
    exclude: Sequence[str] = (),
    osv_db: Path | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    store: Store | None = None,
    model: ThreatModel | None = None,
    redact: Redactor | None = None,
) -> Assessment:
    """Inventory ``root`` (a folder or an fsspec URL), judge it and, with a ``store``,
    record it. Needs the ``scan.run`` permission; the run is an audit event."""
    from aisec.core.audit import record
    from aisec.core.authz import authorize
    from aisec.inventory import inventory

    authorize("scan.run")
    local = "://" not in str(root)
    if local:  # one key per tree in the store, wherever the command runs from
        root = Path(root).resolve()
    inv = inventory(root, exclude=exclude, osv_db=osv_db, progress=progress)
    evidence = gather_evidence(Path(root) if local else None, store=store)
    result = assess_inventory(inv, evidence, model=model, store=store, redact=redact)
    record(
        "posture.assess",
        str(root)[:500],
        details={
            "run_id": result.run_id,
            "assets": len(inv.assets),
            "findings": len(result.findings),
            **result.severity_counts(),
        },
    )
    return result
