"""The threat model as data: asset classes, threats, controls (``threat_model.json``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from aisec.core.errors import AisecError, ExitCode, InputError
from aisec.core.findings import FrameworkRef

__all__ = [
    "EVIDENCE_KINDS",
    "Control",
    "Threat",
    "ThreatModel",
    "ThreatModelError",
    "load_threat_model",
    "parse_threat_model",
]

# Evidence a control's status can be decided from (see docs/assess.md).
EVIDENCE_KINDS = (
    "scanned",
    "signed",
    "robustness",
    "privacy_testing",
    "gateway_auth",
    "data_contract",
    "keys_rotated",
    "guard_route",
    "prompt_leak_guard",
    "no_secrets",
    "inventory_clean",
    "guard_tools",
)
_SCOPES = ("asset", "project")
_ONLY = ("system_prompt", "generative")  # asset filters a control may name
_MAX_BYTES = 1 << 20
_MAX_ITEMS = 10_000


class ThreatModelError(AisecError):
    """A threat-model file is malformed."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True, slots=True)
class Threat:
    """One threat to some asset kinds, in one of the threat categories."""

    id: str
    category: str
    title: str
    kinds: tuple[str, ...]
    frameworks: tuple[FrameworkRef, ...]


@dataclass(frozen=True, slots=True)
class Control:
    """A required control: which asset kinds need it and what evidence decides its status.

    ``rule`` (with ``scope`` asset or project) is the finding reported when it is not in
    place; controls without one are judged from findings other checks already report.
    """

    id: str
    title: str
    kinds: tuple[str, ...]
    threats: tuple[str, ...]
    evidence: str
    stage: str
    frameworks: tuple[FrameworkRef, ...]
    rule: str | None = None
    scope: str = "asset"
    only: str | None = None


@dataclass(frozen=True, slots=True)
class ThreatModel:
    """Asset classes (name -> title, kinds), threat categories, threats and controls."""

    asset_classes: Mapping[str, tuple[str, tuple[str, ...]]]
    categories: Mapping[str, str]
    threats: tuple[Threat, ...]
    controls: tuple[Control, ...]

    def threat(self, threat_id: str) -> Threat:
        return next(t for t in self.threats if t.id == threat_id)

    def class_of(self, kind: str) -> str:
        """The asset class an inventory kind belongs to ("other" if none)."""
        return next((n for n, (_, kinds) in self.asset_classes.items() if kind in kinds), "other")


def _strs(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise ThreatModelError(f"{where}: expected a list of strings")
    return tuple(raw)


def _refs(raw: Any, where: str) -> tuple[FrameworkRef, ...]:
    from aisec.core.frameworks import lookup

    refs = []
    for text in _strs(raw, where):
        try:
            ref = FrameworkRef.parse(text)
            lookup(ref)
        except InputError as exc:
            raise ThreatModelError(f"{where}: {exc.message}") from None
        refs.append(ref)
    return tuple(refs)


def _field(item: Any, name: str, where: str) -> Any:
    if not isinstance(item, dict):
        raise ThreatModelError(f"{where}: expected an object")
    if name not in item:
        raise ThreatModelError(f"{where}: field {name!r} is missing")
    return item[name]


def _text(item: Any, name: str, where: str, default: str | None = None) -> str:
    value = _field(item, name, where) if default is None or name in item else default
    if not isinstance(value, str) or not value:
        raise ThreatModelError(f"{where}.{name}: expected a non-empty string")
    return value


def _optional(item: Mapping[str, Any], name: str, where: str) -> str | None:
    value = item.get(name)
    if value is not None and not isinstance(value, str):
        raise ThreatModelError(f"{where}.{name}: expected a string")
    return value


def _list(item: Any, name: str, where: str) -> list[Any]:
    value = _field(item, name, where)
    if not isinstance(value, list):
        raise ThreatModelError(f"{where}.{name}: expected a list")
    if len(value) > _MAX_ITEMS:
        raise ThreatModelError(f"{where}.{name}: more than {_MAX_ITEMS} items")
    return value


def parse_threat_model(data: Any, source: str = "threat model") -> ThreatModel:
    """Check and build a :class:`ThreatModel` from its JSON data (every reference resolves)."""
    if not isinstance(data, dict):
        raise ThreatModelError(f"{source}: expected a JSON object")
    classes_raw = _field(data, "asset_classes", source)
    cats = _field(data, "threat_categories", source)
    if not isinstance(classes_raw, dict) or not isinstance(cats, dict):
        raise ThreatModelError(f"{source}: asset_classes and threat_categories must be objects")
    classes = {
        str(name): (
            _text(c, "title", f"{source}: asset_classes.{name}"),
            _strs(_field(c, "kinds", f"{source}: asset_classes.{name}"), f"asset_classes.{name}"),
        )
        for name, c in classes_raw.items()
    }
    if not all(isinstance(v, str) for v in cats.values()):
        raise ThreatModelError(f"{source}: threat_categories: expected names -> titles")
    kinds = {k for _, ks in classes.values() for k in ks}
    threats = []
    for i, t in enumerate(_list(data, "threats", source)):
        where = f"{source}: threats[{i}]"
        threat = Threat(
            id=_text(t, "id", where),
            category=_text(t, "category", where),
            title=_text(t, "title", where),
            kinds=_strs(_field(t, "kinds", where), f"{where}.kinds"),
            frameworks=_refs(_field(t, "frameworks", where), f"{where}.frameworks"),
        )
        if threat.category not in cats:
            raise ThreatModelError(f"{where}: unknown category {threat.category!r}")
        if not set(threat.kinds) <= kinds:
            raise ThreatModelError(f"{where}: unknown asset kinds {set(threat.kinds) - kinds}")
        threats.append(threat)
    ids = {t.id for t in threats}
    controls = []
    for i, c in enumerate(_list(data, "controls", source)):
        where = f"{source}: controls[{i}]"
        control = Control(
            id=_text(c, "id", where),
            title=_text(c, "title", where),
            kinds=_strs(_field(c, "kinds", where), f"{where}.kinds"),
            threats=_strs(_field(c, "threats", where), f"{where}.threats"),
            evidence=_text(c, "evidence", where),
            stage=_text(c, "stage", where),
            frameworks=_refs(_field(c, "frameworks", where), f"{where}.frameworks"),
            rule=_optional(c, "rule", where),
            scope=_text(c, "scope", where, default="asset"),
            only=_optional(c, "only", where),
        )
        if control.evidence not in EVIDENCE_KINDS:
            raise ThreatModelError(
                f"{where}: unknown evidence {control.evidence!r}; expected one of "
                + ", ".join(EVIDENCE_KINDS)
            )
        if not set(control.threats) <= ids:
            raise ThreatModelError(f"{where}: unknown threats {set(control.threats) - ids}")
        if not set(control.kinds) <= kinds:
            raise ThreatModelError(f"{where}: unknown asset kinds {set(control.kinds) - kinds}")
        if control.only is not None and control.only not in _ONLY:
            raise ThreatModelError(f"{where}: only must be one of {', '.join(_ONLY)}")
        if control.scope not in _SCOPES:
            raise ThreatModelError(f"{where}: scope must be asset or project")
        if control.rule is not None:
            from aisec.core.rules import lookup

            try:
                lookup(control.rule)
            except InputError as exc:
                raise ThreatModelError(f"{where}.rule: {exc.message}") from None
        controls.append(control)
    return ThreatModel(
        classes, {str(k): str(v) for k, v in cats.items()}, tuple(threats), tuple(controls)
    )


@cache
def _packaged() -> ThreatModel:
    text = resources.files(__package__).joinpath("threat_model.json").read_text("utf-8")
    return parse_threat_model(json.loads(text), "threat_model.json")


def load_threat_model(path: Path | None = None) -> ThreatModel:
    """The packaged threat model, or one from ``path`` (same format, checked the same way)."""
    if path is None:
        return _packaged()
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise ThreatModelError(f"{path}: larger than {_MAX_BYTES} bytes")
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ThreatModelError(f"{path}: cannot read: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ThreatModelError(f"{path}: not a JSON threat model: {exc}") from None
    return parse_threat_model(data, str(path))
