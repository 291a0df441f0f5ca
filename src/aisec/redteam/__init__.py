"""Red teaming of LLM endpoints: probe an OpenAI-compatible target the way attackers do.

    from aisec.redteam import RunConfig, run, build_report
    report = build_report(run(RunConfig(target="http://127.0.0.1:8700/v1", api_key=key)))
    for fam in report.families:
        print(fam.family, fam.asr, fam.ci)

The probe library is data (``probes/*.yaml`` in this package, more from folders); the
detectors need no LLM judge (canary, planted PII, marker, forbidden tool call, refusal
absent), and an optional judge model can confirm jailbreaks. ``aisec.redteam.testing``
holds a scripted loopback target for tests and benchmarks.
"""

from aisec.redteam._detectors import DEFAULT_SYSTEM_PROMPT, Planted, plant, refused
from aisec.redteam._probes import FAMILIES, MUTATIONS, Probe, expand, load_probes
from aisec.redteam._report import FamilyResult, Report, build_report, render_html, wilson
from aisec.redteam._runner import Attempt, RunConfig, RunResult, messages_for, plan, run

__all__ = [
    "DEFAULT_SYSTEM_PROMPT",
    "FAMILIES",
    "MUTATIONS",
    "Attempt",
    "FamilyResult",
    "Planted",
    "Probe",
    "Report",
    "RunConfig",
    "RunResult",
    "build_report",
    "expand",
    "load_probes",
    "messages_for",
    "plan",
    "plant",
    "refused",
    "render_html",
    "run",
    "wilson",
]
