"""The posture report: one :class:`Assessment` rendered as JSON, Markdown or a
self-contained HTML page (inline CSS and SVG, no script, nothing fetched to view it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from aisec.core.errors import InputError
from aisec.core.findings import Finding, FrameworkRef, Severity
from aisec.posture._chart import SEVERITY_COLOURS, stage_chart
from aisec.posture._evaluate import STATUSES, ControlResult, InventoryLike, where
from aisec.posture._model import ThreatModel

if TYPE_CHECKING:
    from jinja2 import Template

__all__ = ["STAGES", "Assessment", "Changes", "render_html", "render_markdown", "stage_of"]

STAGES = ("build", "supply chain", "data", "model artifacts", "inference", "operations")
_SOURCE_STAGE = {
    "artifacts": "model artifacts",
    "guard": "inference",
    "core": "operations",
    "supplychain": "supply chain",
    "inventory": "build",
    "data": "data",
}
_MAX_DETAIL = 200
MAX_ASSET_ROWS = 2000  # inventory rows in the HTML and Markdown reports (JSON has them all)
MAX_FINDINGS = 2000  # findings written out in full in the HTML report


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed since the previous run of the same tree (None: no earlier run)."""

    previous_run: str | None = None
    previous_time: str | None = None
    new: tuple[Finding, ...] = ()
    fixed: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class Assessment:
    """Everything one ``aisec assess`` found: inventory, control statuses, findings,
    scores per framework, and the change since the last run."""

    root: str
    run_id: str
    created: str
    model: ThreatModel
    inventory: InventoryLike
    results: tuple[ControlResult, ...]
    findings: tuple[Finding, ...]
    scores: Mapping[str, Mapping[str, Any]]
    changes: Changes = field(default_factory=Changes)
    policy_files: tuple[str, ...] = ()

    def stage_counts(self) -> dict[str, dict[Severity, int]]:
        counts: dict[str, dict[Severity, int]] = {s: {} for s in STAGES}
        for f in self.findings:
            stage = stage_of(f, self.model)
            counts.setdefault(stage, {})
            counts[stage][f.severity] = counts[stage].get(f.severity, 0) + 1
        return counts

    def matrix(self) -> dict[str, dict[str, str | None]]:
        """Asset class x threat category -> the worst status of the controls that protect
        that class against that category (None: no control applies); classes the tree
        lacks are left out."""
        present = {self.model.class_of(a.kind) for a in self.inventory.assets}
        out: dict[str, dict[str, str | None]] = {}
        for name, (_, kinds) in self.model.asset_classes.items():
            if name not in present:
                continue
            row: dict[str, str | None] = dict.fromkeys(self.model.categories)
            for r in self.results:
                if not set(r.control.kinds) & set(kinds):
                    continue
                for tid in r.control.threats:
                    cat = self.model.threat(tid).category
                    row[cat] = _worse(row[cat], r.status)
            out[name] = row
        return out

    def status_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for r in self.results:
            counts[r.status] += 1
        return counts

    def severity_counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in reversed(Severity)}
        for f in self.findings:
            counts[f.severity.value] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """The assessment's JSON shape (documented in docs/assess.md); findings apart."""
        inv = self.inventory
        return {
            "root": self.root,
            "run_id": self.run_id,
            "created": self.created,
            "policy_files": list(self.policy_files),
            "scores": {k: dict(v) for k, v in self.scores.items()},
            "controls": [_control_dict(r, self.model) for r in self.results],
            "control_status": self.status_counts(),
            "matrix": self.matrix(),
            "stages": {
                stage: {s.value: n for s, n in c.items()}
                for stage, c in self.stage_counts().items()
            },
            "inventory": {
                "assets": [
                    {
                        "kind": a.kind,
                        "path": a.path,
                        "line": a.line,
                        "name": a.name,
                        "details": dict(a.details),
                    }
                    for a in inv.assets
                ],
                "skipped": [{"path": s.path, "reason": s.reason} for s in inv.skipped],
                "summary": dict(inv.summary),
            },
            "changes": {
                "previous_run": self.changes.previous_run,
                "previous_time": self.changes.previous_time,
                "new": [f.to_dict() for f in self.changes.new],
                "fixed": [f.to_dict() for f in self.changes.fixed],
            },
        }


_SEVERITY_OF_STATUS = {"in place": 0, "unknown": 1, "partial": 2, "missing": 3}


def _worse(a: str | None, b: str) -> str:
    return b if a is None or _SEVERITY_OF_STATUS[b] > _SEVERITY_OF_STATUS[a] else a


def _control_dict(r: ControlResult, model: ThreatModel) -> dict[str, Any]:
    c = r.control
    return {
        "id": c.id,
        "title": c.title,
        "status": r.status,
        "assets": r.assets,
        "evidence": r.evidence,
        "stage": c.stage,
        "kinds": list(c.kinds),
        "threats": [
            {"id": t, "category": model.threat(t).category, "title": model.threat(t).title}
            for t in c.threats
        ],
        "frameworks": [str(ref) for ref in c.frameworks],
        "rule": c.rule,
        "failing": [where(a) for a in r.failing],
    }


def stage_of(finding: Finding, model: ThreatModel) -> str:
    """The lifecycle stage a finding belongs to: a posture rule's control stage, else the
    stage of the package whose rule it is."""
    for control in model.controls:
        if control.rule == finding.rule_id:
            return control.stage
    from aisec.core.rules import UnknownRuleError, lookup

    try:
        source = lookup(finding.rule_id).source
    except UnknownRuleError:
        source = finding.rule_id.split("-", 1)[0]
    return _SOURCE_STAGE.get(source, "build")


def _details(details: Mapping[str, Any]) -> str:
    text = ", ".join(
        f"{k}={v}" for k, v in details.items() if isinstance(v, str | int | float | bool)
    )
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


@cache
def _template() -> Template:
    from jinja2 import Environment, StrictUndefined

    # Our own template; every value from the scanned tree is data, escaped by autoescape.
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True)
    env.filters["details"] = _details
    env.filters["where"] = where
    text = resources.files(__package__).joinpath("report.html.j2").read_text("utf-8")
    return env.from_string(text)


def _sorted(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.severity.rank, f.rule_id, str(f.location)))


def _titles(refs: Iterable[FrameworkRef]) -> dict[str, str]:
    """Catalog titles of ``refs`` by their text ("" for one the catalog lacks)."""
    from aisec.core.frameworks import lookup

    out: dict[str, str] = {}
    for ref in refs:
        key = str(ref)
        if key not in out:
            try:
                out[key] = lookup(ref).title
            except InputError:  # a plugin's reference: shown without a title
                out[key] = ""
    return out


def render_html(a: Assessment) -> str:
    """The report as one self-contained HTML page (the first MAX_FINDINGS findings, most
    severe first, and MAX_ASSET_ROWS assets; counts and chart cover everything)."""
    from markupsafe import Markup

    findings = _sorted(a.findings)
    refs = [r for f in findings[:MAX_FINDINGS] for r in f.frameworks]
    refs += [r for res in a.results for r in res.control.frameworks]
    return _template().render(
        a=a,
        scores={fw: dict(v) for fw, v in a.scores.items()},
        findings=findings[:MAX_FINDINGS],
        total_findings=len(findings),
        severities=a.severity_counts(),
        statuses=a.status_counts(),
        colours={s.value: c for s, c in SEVERITY_COLOURS.items()},
        chart=Markup(stage_chart(a.stage_counts())),  # noqa: S704 - built from fixed labels
        titles=_titles(refs),
        categories=a.model.categories,
        classes={n: t for n, (t, _) in a.model.asset_classes.items()},
        max_rows=MAX_ASSET_ROWS,
        threat=a.model.threat,
    )


# Only mid-line text is escaped (every value follows a prefix or sits in a table cell), so
# the line-start markers (#, -, +, digits) need no escape.
_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_{}[]<>()|~"} | {"\n": " ", "\r": " "})


def md(text: object) -> str:
    """Text from the scanned tree as inert Markdown (no links, HTML, code or table breaks)."""
    return str(text).translate(_MD_SPECIAL)


def render_markdown(a: Assessment) -> str:
    """The report as GitHub-flavoured Markdown."""
    sev = a.severity_counts()
    lines = [
        f"# aisec posture report: {md(a.root)}",
        "",
        f"Run {md(a.run_id)} at {md(a.created)}. "
        + ", ".join(f"{n} {s}" for s, n in sev.items())
        + f" ({len(a.findings)} findings); {len(a.inventory.assets)} assets.",
        "",
        "## Score per framework",
        "",
        "| framework | score | controls | in place | partial | missing | unknown |",
        "|---|---|---|---|---|---|---|",
    ]
    for fw, s in a.scores.items():
        score = "n/a" if s["score"] is None else f"{s['score']}%"
        lines.append(
            f"| {fw} | {score} | {s['controls']} | {s['in place']} | {s['partial']} | "
            f"{s['missing']} | {s['unknown']} |"
        )
    lines += ["", "## Findings by lifecycle stage", "", "| stage | " + " | ".join(sev) + " |"]
    lines.append("|---" * (len(sev) + 1) + "|")
    for stage, counts in a.stage_counts().items():
        cells = " | ".join(str(counts.get(Severity(s), 0)) for s in sev)
        lines.append(f"| {stage} | {cells} |")
    cats = a.model.categories
    lines += [
        "",
        "## Asset classes and threats",
        "",
        "| asset class | " + " | ".join(cats.values()) + " |",
    ]
    lines.append("|---" * (len(cats) + 1) + "|")
    for name, row in a.matrix().items():
        title = a.model.asset_classes[name][0]
        lines.append(f"| {title} | " + " | ".join(row[c] or "-" for c in cats) + " |")
    lines += [
        "",
        "## Threat model",
        "",
        "| control | status | threats | assets | evidence |",
        "|---|---|---|---|---|",
    ]
    for r in a.results:
        threats = ", ".join(
            a.model.categories[a.model.threat(t).category] for t in r.control.threats
        )
        lines.append(
            f"| {r.control.id}: {md(r.control.title)} | **{r.status}** | {md(threats)} | "
            f"{r.assets} | {md(r.evidence)} |"
        )
    lines += ["", "## Inventory", "", "| kind | where | name |", "|---|---|---|"]
    assets = a.inventory.assets
    lines += [f"| {md(x.kind)} | {md(where(x))} | {md(x.name)} |" for x in assets[:MAX_ASSET_ROWS]]
    if len(assets) > MAX_ASSET_ROWS:
        lines += [
            "",
            f"The first {MAX_ASSET_ROWS} of {len(assets)} assets; --format json lists all.",
        ]
    lines += ["", "## Findings", ""]
    for f in _sorted(a.findings):
        lines += [
            f"### {f.severity.value.upper()} {md(f.rule_id)}: {md(f.title)}",
            "",
            f"- where: {md(f.location)}",
            f"- evidence: {md(f.evidence)}",
            f"- frameworks: {md(', '.join(str(r) for r in f.frameworks))}",
            f"- remediation: {md(f.remediation)}",
            "",
        ]
    ch = a.changes
    lines += ["## Since the last run", ""]
    if ch.previous_run is None:
        lines.append("No earlier run of this tree in the store.")
    else:
        lines.append(f"Compared with run {md(ch.previous_run)} ({md(ch.previous_time)}).")
        lines += [f"- new: {md(f.rule_id)} at {md(f.location)}" for f in ch.new]
        lines += [f"- fixed: {md(f.rule_id)} at {md(f.location)}" for f in ch.fixed]
    if a.inventory.skipped:
        lines += ["", "## Skipped", ""]
        lines += [f"- {md(s.path)}: {md(s.reason)}" for s in a.inventory.skipped]
    return "\n".join(lines) + "\n"
