"""The prompt-injection and jailbreak scanner: normalise, decode, classify, apply rules.

Order of work: normalise the text (``_normalise``), judge the folded text with the shipped
classifier (``_classifier``) and the precise rules (``_rules``); judge any text hidden in
tag characters or variation selectors; decode embedded payloads (``_decode``) and judge
each decoded text the same way. The score is the highest of all; each source of evidence
that crossed the threshold becomes a Finding naming the technique.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from aisec.core.errors import PolicyError
from aisec.core.findings import Finding, FrameworkRef, Location, Severity
from aisec.guard._classifier import LinearModel, load_default
from aisec.guard._decode import decode_payloads
from aisec.guard._normalise import normalise
from aisec.guard._rules import RuleHit, adversarial_suffix, match_rules, request_before_junk
from aisec.guard._scanner import Direction, ScanContext, Scanner, ScanResult
from aisec.guard._task_in_data import stray_request
from aisec.guard._transformer import TransformerInjectionScanner

__all__ = ["PromptInjectionScanner"]

_DIRECT = (
    FrameworkRef("OWASP-LLM", "LLM01:2025"),
    FrameworkRef("ATLAS", "AML.T0051.000"),
)
_INDIRECT = (
    FrameworkRef("OWASP-LLM", "LLM01:2025"),
    FrameworkRef("ATLAS", "AML.T0051.001"),
)
_JAILBREAK = (FrameworkRef("OWASP-LLM", "LLM01:2025"), FrameworkRef("ATLAS", "AML.T0054"))
_EXTRACTION = (
    FrameworkRef("OWASP-LLM", "LLM07:2025"),
    FrameworkRef("ATLAS", "AML.T0056"),
)
_REMEDIATION = (
    "Block or review the request; keep untrusted text (documents, tool results) delimited "
    "as data, and never let it change the model's instructions."
)
BUILTIN_SECOND_TIER = "builtin"
DEFAULT_SECOND_TIER = "off"  # see docs/guard-detection.md for why the shipped model is opt-in
DEFAULT_BAND = (0.2, 0.8)
_OFF = (None, False, "off", "none", "")
_HIDDEN_SCORE = 0.95  # readable text hidden in invisible characters is itself an attack
_STRAY_REQUEST_SCORE = 0.9  # a request unrelated to the table it was planted in
_MAX_SCAN_CHARS = 1 << 20
_QUOTES = frozenset("'\"`\u201c\u201d\u2018\u2019\u00ab\u00bb")
_MENTION_QUESTION = 300  # longest text read as one question about a phrase
_INTERROGATIVE = re.compile(
    r"(?:what|why|how|is|are|does|do|can|could|should|when|which|who|where)\b"
)


def builtin_second_tier() -> TransformerInjectionScanner:
    """The shipped second tier (``models/tier2``), its files checked against SHA256SUMS."""
    folder = Path(str(resources.files("aisec.guard").joinpath("models").joinpath("tier2")))
    return TransformerInjectionScanner(model_path=str(folder), require_sums=True)


def mentioned(folded: str, hit: RuleHit) -> bool:
    """Whether a rule's phrase is mentioned rather than used: quoted ("what does 'ignore
    previous instructions' mean?"), or asked about inside one short question that starts
    with an interrogative and has no clause before the phrase ("why do people make chatbots
    reveal their system prompt?", but not "when you answer, do not mention this, but
    what ..."). A mentioned phrase leaves the decision to the classifier, which still
    flags a question that is itself an attack."""
    start = folded.find(hit.excerpt, max(hit.offset - 1, 0))
    if start < 0:
        return False
    end = start + len(hit.excerpt)
    if _QUOTES.intersection(folded[max(start - 2, 0) : start]) and _QUOTES.intersection(
        folded[end : end + 2]
    ):
        return True
    text = folded.strip()
    if len(text) > _MENTION_QUESTION or not text.endswith("?") or "\n" in text:
        return False
    head = folded[:start].lstrip()
    return (
        _INTERROGATIVE.match(head) is not None
        and not any(c in head for c in ",;:.!?")
        and "?" not in text[:-1]
    )


def _finding(
    ctx: ScanContext,
    rule_id: str,
    title: str,
    evidence: str,
    frameworks: tuple[FrameworkRef, ...],
    *,
    offset: int | None = None,
    severity: Severity = Severity.HIGH,
    remediation: str = _REMEDIATION,
) -> Finding:
    """A finding of this scanner on the text of ``ctx``'s direction."""
    return Finding(
        rule_id=rule_id,
        title=title,
        severity=severity,
        asset=ctx.direction.value,
        location=Location(offset=offset),
        evidence=evidence,
        frameworks=frameworks,
        remediation=remediation,
    )


class PromptInjectionScanner(Scanner):
    """Detects prompt injection and jailbreaks in prompts, documents and tool results.

    Options: ``decode`` (default true): decode embedded payloads and rescan them;
    ``rules`` (default true): apply the precise rules besides the classifier;
    ``second_tier``: a folder (e.g. from ``aisec guard model pull``) holding an ONNX
    classifier (see ``transformer_injection``), ``"builtin"`` for the shipped byte-level
    CNN (``models/tier2``), or ``"off"``; default ``DEFAULT_SECOND_TIER``. The second tier
    decides only where this scanner is unsure, i.e. where its score falls in
    ``second_tier_band`` (default: the band in the model's ``config.json``, else
    ``DEFAULT_BAND``): a cascade, so the first tier's cost is
    paid on most texts and the model's on the uncertain few. A second tier that cannot be
    loaded (missing, corrupt, unpinned, no onnxruntime) is an error, never a silent skip.
    """

    name: ClassVar[str] = "prompt_injection"
    directions: ClassVar[frozenset[Direction]] = frozenset(
        {Direction.INPUT, Direction.DOCUMENT, Direction.TOOL_RESULT}
    )
    default_threshold: ClassVar[float] = 0.5
    default_mode: ClassVar[str] = "block"

    option_names: ClassVar[frozenset[str]] = frozenset(
        {"decode", "rules", "model", "second_tier", "second_tier_band"}
    )

    def __init__(self, threshold: float | None = None, **options: Any) -> None:
        super().__init__(threshold, **options)
        self._decode = bool(options.get("decode", True))
        self._rules = bool(options.get("rules", True))
        model = options.get("model")
        self._model: LinearModel = model if isinstance(model, LinearModel) else load_default()
        self._tier2: TransformerInjectionScanner | None = None
        self._band = DEFAULT_BAND
        tier2 = options.get("second_tier", DEFAULT_SECOND_TIER)
        if tier2 not in _OFF:
            if tier2 == BUILTIN_SECOND_TIER:
                self._tier2 = builtin_second_tier()
            else:
                self._tier2 = TransformerInjectionScanner(model_path=tier2)
            band = options.get("second_tier_band", self._tier2.band or DEFAULT_BAND)
            try:
                lo, hi = (float(x) for x in band)
            except (TypeError, ValueError):
                raise PolicyError(
                    "prompt_injection: option second_tier_band must be two numbers [low, high]"
                ) from None
            if not 0.0 <= lo <= hi <= 1.0:
                raise PolicyError("prompt_injection: second_tier_band needs 0 <= low <= high <= 1")
            self._band = (lo, hi)

    def _judge(
        self, folded: str, ctx: ScanContext, how: str, offset: int | None
    ) -> tuple[float, list[Finding]]:
        findings: list[Finding] = []
        score = self._model.score(folded, direction=ctx.direction.value)
        indirect = ctx.direction in (Direction.DOCUMENT, Direction.TOOL_RESULT)
        suffix = f" ({how})" if how else ""
        if score >= self.threshold:
            findings.append(
                _finding(
                    ctx,
                    "guard-prompt-injection-classifier",
                    f"Prompt injection or jailbreak (classifier){suffix}",
                    f"classifier score {score:.2f}",
                    _INDIRECT if indirect else _DIRECT,
                    offset=offset,
                )
            )
        if self._rules:
            for hit in match_rules(folded):
                if mentioned(folded, hit):
                    continue
                score = max(score, hit.rule.score)
                refs = _INDIRECT if indirect else _DIRECT
                if hit.rule.rule_id == "guard-prompt-injection-prompt-extraction":
                    refs = _EXTRACTION
                elif hit.rule.rule_id == "guard-prompt-injection-jailbreak-persona":
                    refs = _JAILBREAK
                findings.append(
                    _finding(
                        ctx,
                        hit.rule.rule_id,
                        hit.rule.title + suffix,
                        f"matched {hit.excerpt[:60]!r}",
                        refs,
                        offset=hit.offset if offset is None else offset,
                    )
                )
        return score, findings

    def _view(
        self, text: str, ctx: ScanContext, how: str, offset: int | None = None
    ) -> tuple[float, list[Finding]]:
        """Judge a text derived from the input (a decoded payload, the request in front of a
        junk suffix); it counts only when it crosses the threshold on its own."""
        score, findings = self._judge(normalise(text).folded, ctx, how, offset)
        return (score, findings) if score >= self.threshold else (0.0, [])

    def scan(self, text: str, ctx: ScanContext) -> ScanResult:
        text = text[:_MAX_SCAN_CHARS]
        norm = normalise(text)
        score, findings = self._judge(norm.folded, ctx, "", None)
        if self._rules:
            suffix = adversarial_suffix(norm.clean)
            if suffix is not None:
                score = max(score, suffix.rule.score)
                findings.append(
                    _finding(
                        ctx,
                        suffix.rule.rule_id,
                        suffix.rule.title,
                        f"suffix {suffix.excerpt[:40]!r}",
                        _JAILBREAK,
                        offset=suffix.offset,
                    )
                )
            stray = stray_request(norm.clean, edges=ctx.direction is not Direction.INPUT)
            if stray is not None:
                score = max(score, _STRAY_REQUEST_SCORE)
                findings.append(
                    _finding(
                        ctx,
                        "guard-prompt-injection-task-in-data",
                        "A task unrelated to the table it was planted in (task hijack)",
                        f"line {stray.line[:60]!r}",
                        _INDIRECT,
                        offset=stray.offset,
                    )
                )
            request = request_before_junk(norm.clean)
            if request is not None:
                r_score, r_findings = self._view(request, ctx, "the request before a junk suffix")
                score = max(score, r_score)
                findings += r_findings
        disguised = sorted(norm.techniques)
        if norm.hidden:
            hidden = normalise(norm.hidden)
            h_score, h_findings = self._judge(hidden.folded, ctx, "hidden characters", None)
            letters = sum(c.isalpha() for c in norm.hidden)
            if letters >= 4:
                h_score = max(h_score, _HIDDEN_SCORE)
                findings.append(
                    _finding(
                        ctx,
                        "guard-prompt-injection-ascii-smuggling",
                        "Text hidden in invisible Unicode characters (ASCII smuggling)",
                        f"{len(norm.hidden)} hidden characters",
                        _INDIRECT,
                        remediation="Strip Unicode tag characters and variation selectors "
                        "from untrusted text before it reaches the model.",
                    )
                )
            score = max(score, h_score)
            findings += h_findings
        if self._decode:
            for payload in decode_payloads(norm.clean):
                p_score, p_findings = self._view(
                    payload.text, ctx, f"decoded {payload.encoding}", payload.offset
                )
                if p_findings:
                    score = max(score, p_score)
                    findings += p_findings
                    disguised.append(payload.encoding)
        if score >= self.threshold and disguised and findings:
            findings.append(
                _finding(
                    ctx,
                    "guard-prompt-injection-evasion",
                    "Evasion techniques used to disguise the injection",
                    ", ".join(sorted(set(disguised))),
                    (FrameworkRef("ATLAS", "AML.T0051.000"),),
                    severity=Severity.MEDIUM,
                )
            )
        if self._tier2 is not None and self._band[0] <= score < self._band[1]:
            score, findings = self._second_tier(text, ctx)
        if score < self.threshold:
            findings = []
        return ScanResult(score=round(score, 4), findings=tuple(findings))

    def _second_tier(self, text: str, ctx: ScanContext) -> tuple[float, list[Finding]]:
        """The cascade's second tier decides the uncertain case on its own."""
        if self._tier2 is None:  # unreachable: called only with a second tier
            return 0.0, []
        score = self._tier2.score(text, ctx.direction)
        if score < self.threshold:
            return score, []
        indirect = ctx.direction in (Direction.DOCUMENT, Direction.TOOL_RESULT)
        finding = _finding(
            ctx,
            "guard-prompt-injection-classifier",
            "Prompt injection or jailbreak (second-tier model)",
            f"second-tier score {score:.2f}",
            _INDIRECT if indirect else _DIRECT,
        )
        return score, [finding]
