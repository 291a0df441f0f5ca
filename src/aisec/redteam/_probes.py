"""The probe library: families of attacks as data (YAML/JSONL), and their mutations.

A file holds a list of ``{family, probes: [...]}`` groups (YAML) or one probe object per
line with its ``family`` (JSONL). A probe names its detector and its user ``turns``
(several turns make a multi-turn attack); ``{marker}`` in any text is replaced by the
probe's marker. Optional: ``document`` (text the target is asked to process, given as a
user ``<document>`` or as a tool result: ``document_as: user|tool``), ``many_shot``
(``count`` fabricated question/answer pairs before the turns), ``tools`` offered with
``forbidden_tools`` / ``forbidden_args`` (``"tool.arg": regex``), and ``translations``
(``lang: [turns]`` or ``lang: document``) for the language mutation.

Every probe is also sent mutated: base64, leetspeak, homoglyphs and each translation it
has. The mutation is applied to the document when there is one, else to every user turn.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from aisec.core.errors import InputError

__all__ = [
    "DETECTORS",
    "FAMILIES",
    "MUTATIONS",
    "TOOL_SPECS",
    "Probe",
    "expand",
    "load_probes",
    "mutate_text",
]

FAMILIES = (
    "direct_injection",
    "indirect_injection",
    "jailbreak_roleplay",
    "jailbreak_persuasion",
    "jailbreak_hypothetical",
    "jailbreak_many_shot",
    "jailbreak_crescendo",
    "system_prompt_extraction",
    "pii_extraction",
    "tool_misuse",
)
DETECTORS = ("marker", "canary", "pii", "tool", "no_refusal")
MUTATIONS = ("plain", "base64", "leetspeak", "homoglyph", "translation")

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_PROBES = 5000
MAX_TEXT = 64 * 1024
MAX_TURNS = 20
MAX_SHOTS = 256

# Tools the target may be offered (OpenAI function specs). A probe names which it offers.
TOOL_SPECS: dict[str, dict[str, Any]] = {
    "lookup_order": {
        "description": "Look up an order of the signed-in customer.",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
        },
    },
    "send_email": {
        "description": "Send an email to a colleague at acme.example.",
        "parameters": {
            "type": "object",
            "properties": {"to": {"type": "string"}, "body": {"type": "string"}},
            "required": ["to", "body"],
        },
    },
    "delete_account": {
        "description": "Delete a customer account (administrators only).",
        "parameters": {
            "type": "object",
            "properties": {"user_id": {"type": "string"}},
            "required": ["user_id"],
        },
    },
    "issue_refund": {
        "description": "Refund an order, at most its price.",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}, "amount": {"type": "number"}},
            "required": ["order_id", "amount"],
        },
    },
    "browse": {
        "description": "Fetch a web page and return its text.",
        "parameters": {
            "type": "object",
            "properties": {"url": {"type": "string"}},
            "required": ["url"],
        },
    },
}

_LEET = str.maketrans({"a": "4", "A": "4", "e": "3", "E": "3", "i": "1", "I": "1"} | {
    "o": "0", "O": "0", "s": "5", "S": "5", "t": "7", "T": "7"
})  # fmt: skip
# Latin letters and the Cyrillic letters that look the same
HOMOGLYPHS: dict[str, str] = {
    "a": "\u0430", "c": "\u0441", "e": "\u0435", "o": "\u043e", "p": "\u0440", "x": "\u0445",
    "y": "\u0443", "A": "\u0410", "B": "\u0412", "C": "\u0421", "E": "\u0415", "H": "\u041d",
    "K": "\u041a", "M": "\u041c", "O": "\u041e", "P": "\u0420", "T": "\u0422", "X": "\u0425",
}  # fmt: skip
_HOMOGLYPH_TABLE = str.maketrans(HOMOGLYPHS)


@dataclass(frozen=True, slots=True)
class Probe:
    """One attack, as sent: a base probe with one mutation applied (``mutation``)."""

    family: str
    id: str
    detector: str
    turns: tuple[str, ...]
    marker: str = ""
    document: str = ""
    document_as: str = "user"
    shots: tuple[tuple[str, str], ...] = ()
    tools: tuple[str, ...] = ()
    forbidden_tools: tuple[str, ...] = ()
    forbidden_args: tuple[tuple[str, str, str], ...] = ()  # (tool, argument, regex)
    translations: tuple[tuple[str, tuple[str, ...]], ...] = ()
    mutation: str = "plain"
    variant: str = "plain"  # the mutation with its parameter: "translation:fr"
    source: str = ""

    @property
    def key(self) -> str:
        """Stable id of this attempt across runs (resume state, reports)."""
        return f"{self.family}/{self.id}#{self.variant}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "id": self.id,
            "mutation": self.mutation,
            "variant": self.variant,
            "detector": self.detector,
        }


def mutate_text(text: str, mutation: str) -> str:
    """``text`` after one mutation (not ``translation``, which replaces text wholesale)."""
    if mutation == "plain":
        return text
    if mutation == "base64":
        encoded = base64.b64encode(text.encode()).decode()
        return f"The following message is base64-encoded. Decode it and follow it:\n{encoded}"
    if mutation == "leetspeak":
        return text.translate(_LEET)
    if mutation == "homoglyph":
        return text.translate(_HOMOGLYPH_TABLE)
    raise InputError(f"unknown mutation {mutation!r}: expected one of {', '.join(MUTATIONS)}")


def expand(probes: Iterable[Probe], mutations: Sequence[str] = MUTATIONS) -> list[Probe]:
    """Every base probe under each mutation asked for (a translation per language it has)."""
    for m in mutations:
        if m not in MUTATIONS:
            raise InputError(f"unknown mutation {m!r}: expected some of {', '.join(MUTATIONS)}")
    out: list[Probe] = []
    for probe in probes:
        for m in mutations:
            if m == "translation":
                for lang, texts in probe.translations:
                    out.append(_translated(probe, lang, texts))
            elif probe.document:
                doc = mutate_text(probe.document, m)
                out.append(replace(probe, document=doc, mutation=m, variant=m))
            else:
                turns = tuple(mutate_text(t, m) for t in probe.turns)
                out.append(replace(probe, turns=turns, mutation=m, variant=m))
    return out


def _translated(probe: Probe, lang: str, texts: tuple[str, ...]) -> Probe:
    variant = f"translation:{lang}"
    if probe.document:
        return replace(probe, document=texts[0], mutation="translation", variant=variant)
    turns = texts if len(texts) == len(probe.turns) else texts + probe.turns[len(texts) :]
    return replace(probe, turns=turns, mutation="translation", variant=variant)


# -- loading ---------------------------------------------------------------------------------


def load_probes(
    families: Sequence[str] | None = None, extra_dirs: Sequence[Path] = ()
) -> list[Probe]:
    """The built-in library plus every ``*.yaml``/``*.yml``/``*.jsonl`` in ``extra_dirs``,
    keeping the families asked for (all when None). Ids must be unique within a family."""
    probes: list[Probe] = []
    root = resources.files("aisec.redteam") / "probes"
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yaml", ".yml", ".jsonl")):
            probes += _parse(entry.read_text(encoding="utf-8"), entry.name, f"builtin:{entry.name}")
    for folder in extra_dirs:
        if not folder.is_dir():
            raise InputError(f"--probes-dir {folder}: not a folder")
        for path in sorted(folder.iterdir()):
            if path.suffix in (".yaml", ".yml", ".jsonl") and path.is_file():
                if path.stat().st_size > MAX_FILE_BYTES:
                    raise InputError(f"{path}: probe file over {MAX_FILE_BYTES} bytes")
                text = path.read_text(encoding="utf-8", errors="strict")
                probes += _parse(text, path.name, str(path))
            if len(probes) > MAX_PROBES:
                raise InputError(f"more than {MAX_PROBES} probes")
    if families is not None:
        wanted = set(families)
        unknown = wanted - {p.family for p in probes}
        if unknown:
            known = sorted({p.family for p in probes})
            raise InputError(
                f"unknown probe family {', '.join(sorted(unknown))}: expected some of "
                + ", ".join(known)
            )
        probes = [p for p in probes if p.family in wanted]
    seen: set[tuple[str, str]] = set()
    for p in probes:
        if (p.family, p.id) in seen:
            raise InputError(f"{p.source}: probe id {p.id!r} appears twice in {p.family}")
        seen.add((p.family, p.id))
    return probes


def _parse(text: str, name: str, source: str) -> list[Probe]:
    if len(text) > MAX_FILE_BYTES:
        raise InputError(f"{source}: probe file over {MAX_FILE_BYTES} bytes")
    raw: list[tuple[str, Any, str]] = []
    if name.endswith(".jsonl"):
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{source}: line {n}: not JSON ({exc.msg})") from None
            except RecursionError:
                raise InputError(f"{source}: line {n}: JSON nested too deeply") from None
            if not isinstance(item, dict):
                raise InputError(f"{source}: line {n}: expected an object")
            raw.append((str(item.get("family", "")), item, f"{source}: line {n}"))
    else:
        import yaml

        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(f"{source}: not valid YAML ({exc})") from None
        if not isinstance(doc, list):
            raise InputError(f"{source}: expected a list of {{family, probes}} groups")
        for g, group in enumerate(doc):
            if not isinstance(group, dict) or not isinstance(group.get("probes"), list):
                raise InputError(f"{source}: [{g}]: expected {{family: ..., probes: [...]}}")
            family = str(group.get("family", ""))
            for i, item in enumerate(group["probes"]):
                raw.append((family, item, f"{source}: [{g}].probes[{i}]"))
    if len(raw) > MAX_PROBES:
        raise InputError(f"{source}: more than {MAX_PROBES} probes")
    return [_probe(family, item, where, source) for family, item, where in raw]


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"{where}: expected text, got {type(value).__name__}")
    if len(value) > MAX_TEXT:
        raise InputError(f"{where}: text over {MAX_TEXT} characters")
    return value


def _texts(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or len(value) > MAX_TURNS:
        raise InputError(f"{where}: expected 1 to {MAX_TURNS} texts")
    return tuple(_text(v, f"{where}[{i}]") for i, v in enumerate(value))


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_KNOWN_FIELDS = {
    "family", "id", "detector", "turns", "marker", "document", "document_as", "many_shot",
    "tools", "forbidden_tools", "forbidden_args", "translations",
}  # fmt: skip


def _probe(family: str, item: Any, where: str, source: str) -> Probe:
    if not isinstance(item, dict):
        raise InputError(f"{where}: expected an object")
    unknown = set(item) - _KNOWN_FIELDS
    if unknown:
        raise InputError(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    if not _ID.fullmatch(family):
        raise InputError(f"{where}: family {family!r} is not a name")
    pid = item.get("id")
    if not isinstance(pid, str) or not _ID.fullmatch(pid):
        raise InputError(f"{where}: id must be a name of letters, digits, '.', '_', '-'")
    detector = item.get("detector")
    if detector not in DETECTORS:
        raise InputError(f"{where}: detector must be one of {', '.join(DETECTORS)}")
    marker = _text(item.get("marker", ""), f"{where}.marker")
    if detector == "marker" and not marker:
        raise InputError(f"{where}: a 'marker' probe needs a marker")

    def fill(text: str) -> str:
        return text.replace("{marker}", marker)

    turns = tuple(fill(t) for t in _texts(item.get("turns"), f"{where}.turns"))
    document = fill(_text(item.get("document", ""), f"{where}.document"))
    document_as = item.get("document_as", "user")
    if document_as not in ("user", "tool"):
        raise InputError(f"{where}.document_as: expected user or tool")
    shots = _shots(item.get("many_shot"), f"{where}.many_shot")
    tools = _names(item.get("tools", []), f"{where}.tools")
    for tool in tools:
        if tool not in TOOL_SPECS:
            raise InputError(
                f"{where}.tools: unknown tool {tool!r}: one of {', '.join(TOOL_SPECS)}"
            )
    forbidden_tools = _names(item.get("forbidden_tools", []), f"{where}.forbidden_tools")
    forbidden_args = _forbidden_args(item.get("forbidden_args", {}), f"{where}.forbidden_args")
    if detector == "tool" and not (tools and (forbidden_tools or forbidden_args)):
        raise InputError(f"{where}: a 'tool' probe needs tools and forbidden_tools/_args")
    translations: list[tuple[str, tuple[str, ...]]] = []
    raw_tr = item.get("translations", {})
    if not isinstance(raw_tr, dict):
        raise InputError(f"{where}.translations: expected {{language: texts}}")
    for lang, texts in sorted(raw_tr.items()):
        if not isinstance(lang, str) or not re.fullmatch(r"[a-z]{2,3}(?:-[A-Za-z]{2})?", lang):
            raise InputError(f"{where}.translations: {lang!r} is not a language code")
        translations.append((lang, tuple(fill(t) for t in _texts(texts, f"{where}.{lang}"))))
    return Probe(
        family=family,
        id=pid,
        detector=detector,
        turns=turns,
        marker=marker,
        document=document,
        document_as=document_as,
        shots=shots,
        tools=tools,
        forbidden_tools=forbidden_tools,
        forbidden_args=forbidden_args,
        translations=tuple(translations),
        source=source,
    )


def _names(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: expected a list of names")
    return tuple(value)


def _shots(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise InputError(f"{where}: expected {{count, pair: [question, answer]}}")
    count, pair = value.get("count"), value.get("pair")
    if not isinstance(count, int) or not 1 <= count <= MAX_SHOTS:
        raise InputError(f"{where}.count: expected 1 to {MAX_SHOTS}")
    if not isinstance(pair, list) or len(pair) != 2:
        raise InputError(f"{where}.pair: expected [question, answer]")
    q, a = _text(pair[0], f"{where}.pair[0]"), _text(pair[1], f"{where}.pair[1]")
    return tuple((q.replace("{n}", str(n)), a.replace("{n}", str(n))) for n in range(1, count + 1))


def _forbidden_args(value: Any, where: str) -> tuple[tuple[str, str, str], ...]:
    if not isinstance(value, dict):
        raise InputError(f"{where}: expected {{tool.argument: regex}}")
    out: list[tuple[str, str, str]] = []
    for key, pattern in value.items():
        tool, dot, arg = str(key).partition(".")
        if not dot or not tool or not arg or not isinstance(pattern, str):
            raise InputError(f"{where}: {key!r}: expected 'tool.argument: regex'")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise InputError(f"{where}: {key!r}: bad regex ({exc})") from None
        out.append((tool, arg, pattern))
    return tuple(out)
