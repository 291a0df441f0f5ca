"""Catalog of OWASP LLM/Agentic Top 10, MITRE ATLAS, Google SAIF, CoSAI, NIST AI and Microsoft
AI Security Risk Assessment entries.

The data is ``frameworks.json`` shipped in this package (copied from the project's shared
framework file); lookups are by :class:`~aisec.core.findings.FrameworkRef`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from aisec.core.errors import InputError

if TYPE_CHECKING:  # only the type: findings imports this module to name its titles
    from aisec.core.findings import FrameworkRef

__all__ = ["FRAMEWORKS", "Entry", "entries", "lookup"]

# Framework name used in FrameworkRef -> sections of frameworks.json it draws from.
FRAMEWORKS: dict[str, tuple[str, ...]] = {
    "OWASP-LLM": ("owasp_llm_top10_2025",),
    "OWASP-AGENTIC": ("owasp_agentic_top10_2026",),
    "ATLAS": ("mitre_atlas_techniques_selected", "mitre_atlas_tactics", "mitre_atlas_mitigations"),
    "SAIF": (
        "google_saif_risks",
        "google_saif_controls",
        "google_saif_core_elements",
        "google_saif_controls_original",
    ),
    "COSAI": ("cosai_risk_map_risks_all",),
    "NIST-AI-RMF": ("nist_ai_rmf_1_0",),
    "NIST-AML": ("nist_ai_100_2_e2025", "nist_ai_100_2_e2025_sections"),
    # Microsoft "AI Security Risk Assessment" v4.1.4: its numbered assessment sections.
    "MS-AIRA": ("microsoft_ai_security_risk_assessment",),
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One catalog entry."""

    framework: str
    id: str
    title: str


@cache
def _catalog() -> dict[tuple[str, str], Entry]:
    text = resources.files(__package__).joinpath("frameworks.json").read_text("utf-8")
    raw = json.loads(text)
    out: dict[tuple[str, str], Entry] = {}
    for framework, sections in FRAMEWORKS.items():
        for section in sections:
            for item in raw.get(section, []):
                key = (framework, str(item["id"]))
                out.setdefault(key, Entry(framework, str(item["id"]), str(item["title"])))
    return out


def lookup(ref: FrameworkRef) -> Entry:
    """Resolve ``ref``; ``OWASP-LLM:LLM01`` is accepted for ``OWASP-LLM:LLM01:2025``."""
    catalog = _catalog()
    entry = catalog.get((ref.framework, ref.id))
    if entry is None and ref.framework in ("OWASP-LLM", "OWASP-AGENTIC") and ":" not in ref.id:
        year = "2025" if ref.framework == "OWASP-LLM" else "2026"
        entry = catalog.get((ref.framework, f"{ref.id}:{year}"))
    if entry is None:
        if ref.framework not in FRAMEWORKS:
            raise InputError(
                f"unknown framework {ref.framework!r} in {ref}: expected one of "
                + ", ".join(FRAMEWORKS)
            )
        raise InputError(f"unknown {ref.framework} id {ref.id!r}")
    return entry


def entries(framework: str | None = None) -> list[Entry]:
    """All entries, or those of one framework."""
    return [e for e in _catalog().values() if framework is None or e.framework == framework]
