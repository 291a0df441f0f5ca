"""Posture: the threat model, its evaluation against an inventory, the posture report
(HTML, Markdown, JSON) and the AI-BOM (CycloneDX 1.6).

    from aisec.posture import assess, render_html
    report = assess("path/to/project")
    Path("report.html").write_text(render_html(report))

Posture reads an inventory (``aisec.inventory``) and evidence (the policy, the keyring);
it never imports another stage's internals.
"""

from __future__ import annotations

from aisec.posture._aibom import AibomError, build_aibom, validate_aibom
from aisec.posture._assess import assess, assess_inventory
from aisec.posture._evaluate import (
    SCORED_FRAMEWORKS,
    STATUSES,
    ControlResult,
    evaluate,
    framework_scores,
)
from aisec.posture._evidence import Evidence, KeyState, gather_evidence
from aisec.posture._history import changes_since_last, record_run
from aisec.posture._model import (
    Control,
    Threat,
    ThreatModel,
    ThreatModelError,
    load_threat_model,
    parse_threat_model,
)
from aisec.posture._report import STAGES, Assessment, Changes, render_html, render_markdown

__all__ = [
    "SCORED_FRAMEWORKS",
    "STAGES",
    "STATUSES",
    "AibomError",
    "Assessment",
    "Changes",
    "Control",
    "ControlResult",
    "Evidence",
    "KeyState",
    "Threat",
    "ThreatModel",
    "ThreatModelError",
    "assess",
    "assess_inventory",
    "build_aibom",
    "changes_since_last",
    "evaluate",
    "framework_scores",
    "gather_evidence",
    "load_threat_model",
    "parse_threat_model",
    "record_run",
    "render_html",
    "render_markdown",
    "validate_aibom",
]
