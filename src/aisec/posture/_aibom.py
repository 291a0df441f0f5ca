"""The AI-BOM: a CycloneDX 1.6 document of the models, data sets, dependencies and LLM
services an inventory found, built with cyclonedx-python-lib and checked against the 1.6
JSON schema before it is handed out."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aisec import __version__
from aisec.core.errors import AisecError, ExitCode, InputError
from aisec.posture._evaluate import AssetLike, InventoryLike, is_generative

if TYPE_CHECKING:
    from cyclonedx.model import Property
    from cyclonedx.model.component import Component

__all__ = ["AibomError", "build_aibom", "validate_aibom"]

_SHA256 = re.compile(r"^(?:sha256:)?([0-9a-f]{64})$")
_MODEL_CARD_FIELDS = ("format", "size", "sha256", "digest", "signature", "verdict")


class AibomError(AisecError):
    """The AI-BOM does not validate against the CycloneDX 1.6 schema (a bug in aisec)."""

    exit_code = ExitCode.INTERNAL


def _props(details: Mapping[str, Any], prefix: str = "aisec:") -> list[Property]:
    from cyclonedx.model import Property

    return [
        Property(name=f"{prefix}{k}", value=str(v))
        for k, v in sorted(details.items())
        if isinstance(v, str | int | float | bool) and str(v)
    ]


def _sha256(details: Mapping[str, Any]) -> str | None:
    for key in ("sha256", "digest"):
        value = details.get(key)
        if isinstance(value, str):
            m = _SHA256.match(value.lower())
            if m:
                return m.group(1)
    return None


def _artifact(a: AssetLike, ref: str) -> Component:
    from cyclonedx.model import HashAlgorithm, HashType
    from cyclonedx.model.component import Component, ComponentType

    digest = _sha256(a.details)
    kind = ComponentType.MACHINE_LEARNING_MODEL if a.kind == "model_file" else ComponentType.DATA
    return Component(
        name=a.name or a.path,
        type=kind,
        bom_ref=ref,
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=digest)] if digest else None,
        properties=[*_props({"kind": a.kind, "path": a.path}), *_props(a.details, "aisec:detail:")],
    )


_MAX_MANIFEST = 4 << 20


def _dependencies(a: AssetLike, root: Path | None) -> Iterable[tuple[str, str | None]]:
    """(name, pinned version or None) of each dependency the manifest at ``a`` declares,
    read again from the tree (local trees only; a manifest that cannot be read adds none)."""
    from aisec.supplychain import parse_manifest

    if root is None:
        return
    path = root / a.path
    try:
        if path.stat().st_size > _MAX_MANIFEST:
            return
        manifest = parse_manifest(a.path, path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, InputError):
        return
    if manifest is not None:
        for dep in manifest.dependencies:
            yield dep.name, dep.version


def _library(name: str, version: str | None, manifest: str) -> Component:
    from cyclonedx.model.component import Component, ComponentType
    from packageurl import PackageURL

    norm = re.sub(r"[-_.]+", "-", name).lower()
    return Component(
        name=norm,
        type=ComponentType.LIBRARY,
        version=version,
        bom_ref=f"pkg:{norm}@{version or 'unpinned'}",
        purl=PackageURL(type="pypi", name=norm, version=version),
        properties=_props({"manifest": manifest, "pinned": version is not None}),
    )


def _services(calls: Sequence[AssetLike]) -> list[Any]:
    from cyclonedx.model import XsUri
    from cyclonedx.model.contact import OrganizationalEntity
    from cyclonedx.model.service import Service

    by_provider: dict[str, list[AssetLike]] = {}
    for a in calls:
        provider = next(
            (
                str(a.details[k])
                for k in ("provider", "sdk", "library", "module")
                if isinstance(a.details.get(k), str) and a.details[k]
            ),
            a.name.split(".")[0] or "unknown",
        )
        by_provider.setdefault(provider, []).append(a)
    out = []
    for provider, uses in sorted(by_provider.items()):
        models = sorted(
            {str(u.details["model"]) for u in uses if isinstance(u.details.get("model"), str)}
        )
        urls = sorted(
            {
                str(u.details[k])
                for u in uses
                for k in ("base_url", "endpoint")
                if isinstance(u.details.get(k), str)
                and str(u.details[k]).startswith(("http://", "https://"))
            }
        )
        props = _props({"call_sites": len(uses), "models": ", ".join(models)})
        props += _props(
            {f"call_site.{i}": f"{u.path}:{u.line or 0}" for i, u in enumerate(uses[:50])}
        )
        out.append(
            Service(
                name=provider,
                bom_ref=f"service:{provider}",
                provider=OrganizationalEntity(name=provider),
                endpoints=[XsUri(u) for u in urls] or None,
                properties=props,
            )
        )
    return out


def build_aibom(
    inv: InventoryLike, project: str = "project", root: Path | None = None
) -> dict[str, Any]:
    """The CycloneDX 1.6 AI-BOM of ``inv`` as a JSON object (validated; AibomError if not).

    ``root`` (a local tree) lets dependencies be listed from the manifests themselves.
    """
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6

    bom = Bom()
    app = Component(name=project, type=ComponentType.APPLICATION, bom_ref="project")
    bom.metadata.component = app
    refs: list[Component] = []
    cards: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    for i, a in enumerate(inv.assets):
        if a.kind in ("model_file", "dataset", "vector_store"):
            ref = f"{a.kind}:{i}:{a.path}"
            comp = _artifact(a, ref)
            bom.components.add(comp)
            refs.append(comp)
            if a.kind == "model_file":
                cards[ref] = {
                    "properties": [
                        {"name": k, "value": str(a.details[k])}
                        for k in _MODEL_CARD_FIELDS
                        if k in a.details and isinstance(a.details[k], str | int | float | bool)
                    ]
                }
        elif a.kind == "dependency_manifest":
            for name, version in _dependencies(a, root):
                lib = _library(name, version, a.path)
                if str(lib.bom_ref) in seen:
                    continue
                seen.add(str(lib.bom_ref))
                bom.components.add(lib)
                refs.append(lib)
    # LLM providers the code calls; classic ML libraries (sklearn, torch) are not services
    for service in _services([a for a in inv.assets if a.kind == "llm_call" and is_generative(a)]):
        bom.services.add(service)
    bom.register_dependency(app, refs)
    doc: dict[str, Any] = json.loads(JsonV1Dot6(bom).output_as_string())
    doc["metadata"]["tools"] = {
        "components": [{"type": "application", "name": "aisec", "version": __version__}]
    }
    for comp in doc.get("components", []):
        card = cards.get(comp.get("bom-ref", ""))
        if card is not None:  # the library has no model card type yet; the schema has one
            comp["modelCard"] = card
    validate_aibom(doc)
    return doc


def validate_aibom(doc: Mapping[str, Any]) -> None:
    """Raise AibomError unless ``doc`` validates against the CycloneDX 1.6 JSON schema."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc))
    if error is not None:
        raise AibomError(f"AI-BOM does not validate against CycloneDX 1.6: {error}")
