"""The poisoning detectors and the quarantine that ``aisec data check`` calls but does not own.

Label-flip suspects, backdoor-trigger candidates and the quarantine list are built in
``aisec.data._label_flips``, ``aisec.data._triggers`` and ``aisec.data`` (the provenance
work). This module is the one seam between them and the check: each call returns ``None``
when its module is not installed in this build, and the check then says so with a finding
(fail closed) instead of reporting the data set clean.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

__all__ = ["Flip", "Trigger", "label_flips", "quarantine_reason", "triggers"]


@dataclass(frozen=True, slots=True)
class Flip:
    row: int
    given: str
    likely: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Trigger:
    ngram: str
    column: str
    label: str
    rows: tuple[int, ...]
    support: int
    purity: float


def _function(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def label_flips(
    frame: pl.DataFrame,
    *,
    label: str,
    features: Sequence[str],
    text: Sequence[str],
    threshold: float | None,
) -> list[Flip] | None:
    """Rows whose label a cross-validated model confidently disagrees with (None: unavailable)."""
    find = _function("aisec.data._label_flips", "label_flip_suspects")
    if find is None:
        return None
    found = find(frame, label=label, features=features, text=text, threshold=threshold, seed=0)
    return [Flip(int(s.row), str(s.given), str(s.likely), float(s.confidence)) for s in found]


def triggers(
    frame: pl.DataFrame, *, label: str, text: Sequence[str], min_support: int | None
) -> list[Trigger] | None:
    """N-grams with extreme label correlation, and their rows (None: unavailable)."""
    find = _function("aisec.data._triggers", "trigger_candidates")
    if find is None:
        return None
    found = find(frame, label=label, text=text, min_support=min_support)
    return [
        Trigger(
            str(t.ngram),
            str(t.column),
            str(t.label),
            tuple(int(r) for r in t.rows),
            int(t.support),
            float(t.purity),
        )
        for t in found
    ]


def quarantine_reason(location: str) -> tuple[bool, str] | None:
    """(quarantined, why) for the data set's content, or None when no quarantine is built."""
    find = _function("aisec.data", "quarantine_of")
    if find is None:
        return None
    record = find(location)
    if record is None:
        return False, ""
    reason = getattr(record, "reason", "")
    ident = getattr(record, "id", getattr(record, "dataset_id", ""))
    return True, f"data set {ident} quarantined: {reason}".strip()
