"""Findings from robustness results, with the thresholds that raise them.

* ``robustness-evasion-accuracy-drop``: at some tested eps the accuracy under attack is
  at least 10 points below the clean accuracy (the smallest such eps is named).
* ``robustness-membership-leak``: an attack's advantage is at least 0.1, its ROC AUC at
  least 0.6, or its TPR at 1% FPR at least 5% (5x chance).
* ``robustness-evasion-tested`` / ``robustness-membership-tested`` (info): the record that
  a test ran on the model file with this SHA-256 (its asset is ``sha256:<hex>``), stored
  with the run's other findings so posture can judge C-ROBUSTNESS / C-PRIVACY by content.
"""

from __future__ import annotations

from aisec.core.findings import Finding, Location
from aisec.core.rules import lookup
from aisec.robustness._evasion import EvasionResult
from aisec.robustness._membership import MembershipResult

__all__ = ["TESTED_RULES", "evasion_findings", "membership_findings", "tested_finding"]

EVASION_DROP = 0.10
MIA_ADVANTAGE = 0.10
MIA_AUC = 0.60
MIA_TPR_AT_1PCT = 0.05

# The test kind -> the rule that records a run of it on a model file.
TESTED_RULES = {
    "evasion": "robustness-evasion-tested",
    "membership": "robustness-membership-tested",
}


def tested_finding(kind: str, sha256: str, path: str, summary: str) -> Finding:
    """The record that a ``kind`` test ran on the model file with digest ``sha256``."""
    return lookup(TESTED_RULES[kind]).finding(
        "sha256:" + sha256, location=Location(path=path[:1000]), evidence=summary[:1000]
    )


def evasion_findings(result: EvasionResult, asset: str) -> list[Finding]:
    broken = [
        (e, a) for e, a in result.points if e > 0 and a <= result.clean_accuracy - EVASION_DROP
    ]
    if not broken:
        return []
    eps, acc = min(broken)
    curve = ", ".join(f"eps {e:g}: {a:.3f}" for e, a in result.points)
    evidence = (
        f"{result.attack}: accuracy {result.clean_accuracy:.3f} clean, {acc:.3f} at "
        f"eps {eps:g} (L-inf, {result.samples} samples); {curve}"
    )
    return [lookup("robustness-evasion-accuracy-drop").finding(asset[:1000], evidence=evidence)]


def membership_findings(result: MembershipResult, asset: str) -> list[Finding]:
    leaking = [
        a
        for a in result.attacks
        if a.advantage >= MIA_ADVANTAGE or a.auc >= MIA_AUC or a.tpr_at_1pct_fpr >= MIA_TPR_AT_1PCT
    ]
    if not leaking:
        return []
    parts = "; ".join(
        f"{a.name}: AUC {a.auc:.3f}, advantage {a.advantage:.3f}, TPR {a.tpr_at_1pct_fpr:.3f} "
        f"at 1% FPR" for a in leaking
    )  # fmt: skip
    evidence = f"{result.members} members vs {result.non_members} non-members; {parts}"
    return [lookup("robustness-membership-leak").finding(asset[:1000], evidence=evidence)]
