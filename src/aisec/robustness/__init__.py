"""Adversarial robustness and privacy tests of classical models."""

from aisec.robustness._data import Dataset, load_data
from aisec.robustness._dp import DPResult, DPUnavailableError, dp_train, unsupported_layers
from aisec.robustness._evasion import ATTACKS, EvasionResult, evasion_curve
from aisec.robustness._findings import (
    TESTED_RULES,
    evasion_findings,
    membership_findings,
    tested_finding,
)
from aisec.robustness._membership import AttackResult, MembershipResult, membership_inference
from aisec.robustness._models import Classifier, ModelRefusedError, load_model, losses, wrap

__all__ = [
    "ATTACKS",
    "TESTED_RULES",
    "AttackResult",
    "Classifier",
    "DPResult",
    "DPUnavailableError",
    "Dataset",
    "EvasionResult",
    "MembershipResult",
    "ModelRefusedError",
    "dp_train",
    "evasion_curve",
    "evasion_findings",
    "load_data",
    "load_model",
    "losses",
    "membership_findings",
    "membership_inference",
    "tested_finding",
    "unsupported_layers",
    "wrap",
]
