"""Hydra ``_target_`` entries of YAML/JSON configs: the callables a loader will call.

``hydra.utils.instantiate`` imports the dotted path in ``_target_`` and calls it with the
sibling keys as arguments (``_args_`` positional, ``_partial_`` only wraps the same call),
so a config is code. NeMo restores every ``.nemo`` checkpoint this way from its
``model_config.yaml`` (CVE-2025-23304: any importable callable runs), and its older
``from_config_dict`` path imports ``target`` / ``cls`` values the same way.

Targets are judged with the pickle import policy: a dangerous callable is critical. A
``_target_`` outside the namespaces that real NeMo / PyTorch configs use is an unknown
import (medium, like an unknown pickle global), and one built by interpolation cannot be
judged before it resolves. ``target`` and ``cls`` are common key names with other
meanings, so only dangerous values are reported under them.
"""

from __future__ import annotations

from aisec.artifacts._format_findings import format_finding
from aisec.artifacts.pickle import GlobalClass, classify_global
from aisec.core.findings import Finding, Severity

__all__ = ["TARGET_POINTER_ENDS", "hydra_target_finding", "yaml_tag_finding"]

# JSON pointer endings of the keys whose string value names a callable: a key that holds
# "/" or "~" is escaped in the pointer, so a match is exactly the last key.
TARGET_POINTER_ENDS = ("/_target_", "/target", "/cls")

# Top-level packages whose callables real NeMo, Lightning and Hugging Face configs name
# (the dangerous ones inside them, ``torch.load``, ``torch.hub``..., are judged first).
_ML_NAMESPACES = frozenset(
    (
        "nemo",
        "torch",
        "torchaudio",
        "torchvision",
        "torchmetrics",
        "pytorch_lightning",
        "lightning",
        "lightning_fabric",
        "megatron",
        "apex",
        "transformer_engine",
        "transformers",
        "omegaconf",
        "lhotse",
    )
)
_MAX_TARGET = 512
# HyperPyYAML (SpeechBrain's hyperparams.yaml): tags that import a dotted path and call it
# (!new: constructs, !apply: / !applyref: call, !name: binds a partial) or import a module
_CALLING_TAGS = frozenset(("new", "name", "apply", "applyref", "module"))
# PyYAML's own Python tags (!!python/object/apply:os.system), which yaml.unsafe_load, and
# yaml.load before PyYAML 5.1, construct
_PYYAML_TAG = "tag:yaml.org,2002:python/"
_PYYAML_CALLING = frozenset(("object/apply", "object/new", "object", "name", "module"))
_TAG_NAMESPACES = _ML_NAMESPACES | {"speechbrain", "hyperpyyaml", "numpy", "sentencepiece"}
_REMEDIATION = (
    "Do not load this model or config: loading it imports and calls the named callable. "
    "Only restore NeMo/Hydra configs whose _target_ entries name the framework's own classes."
)


def _classify(target: str) -> GlobalClass:
    """The pickle policy's judgement of ``module.name``, the last dot splitting the two.

    Hydra imports the first part and walks the rest as attributes (importing submodules
    on the way), as a pickle global's dotted module path does, so the policy's checks on
    module paths (``nemo.utils.os.system``, dunder escapes) apply as they stand.
    """
    module, dot, name = target.rpartition(".")
    if not dot or not module or not name:
        return GlobalClass.UNKNOWN
    return classify_global(module, name)


def _judge(target: str, namespaces: frozenset[str]) -> Severity | None:
    """Critical for a dangerous callable, None for a safe one or one inside ``namespaces``
    (the frameworks whose own classes configs name), medium for any other import."""
    kind = _classify(target)
    if kind is GlobalClass.DANGEROUS:
        return Severity.CRITICAL
    if kind is GlobalClass.SAFE or target.partition(".")[0] in namespaces:
        return None
    return Severity.MEDIUM


def hydra_target_finding(pointer: str, value: str, path: str) -> Finding | None:
    """The finding for a string at ``pointer`` (one of :data:`TARGET_POINTER_ENDS`)."""
    target = value.strip()[:_MAX_TARGET]
    if not target:
        return None
    hydra_key = pointer.endswith("/_target_")
    if "${" in target:
        if not hydra_key:
            return None
        return format_finding(
            "config-hydra-target-dynamic",
            "Config instantiates a callable whose name is built when the config loads",
            Severity.MEDIUM,
            path,
            f"{pointer} = {target}",
            _REMEDIATION,
            pointer=pointer,
        )
    severity = _judge(target, _ML_NAMESPACES)
    if severity is None or (severity is Severity.MEDIUM and not hydra_key):
        return None  # target/cls are common key names: only dangerous values are reported
    dangerous = severity is Severity.CRITICAL
    return format_finding(
        "config-hydra-target-dangerous" if dangerous else "config-hydra-target-unknown",
        "Config instantiates a callable that runs commands, code or file access"
        if dangerous
        else "Config instantiates a callable outside the usual ML frameworks",
        severity,
        path,
        f"{pointer} = {target}",
        _REMEDIATION,
        pointer=pointer,
    )


def yaml_tag_finding(tag: str, line: int, path: str) -> Finding | None:
    """The finding for a YAML tag that names a callable: ``!apply:os.system`` (HyperPyYAML
    calls it when SpeechBrain loads the file) or ``!!python/object/apply:os.system``
    (PyYAML's unsafe loaders); None for tags that name none."""
    if tag.startswith(_PYYAML_TAG):
        shown = "!!python/" + tag.removeprefix(_PYYAML_TAG)  # as the file spells it
        kind, colon, target = tag.removeprefix(_PYYAML_TAG).partition(":")
        calls = kind in _PYYAML_CALLING
    else:
        shown = tag
        kind, colon, target = tag.removeprefix("!").partition(":")
        calls = kind in _CALLING_TAGS
    target = target.strip()[:_MAX_TARGET]
    if not colon or not calls or not target:
        return None
    evidence = f"line {line}: {shown[: _MAX_TARGET + 16]}"
    remediation = (
        "Do not load this file with HyperPyYAML / SpeechBrain or a PyYAML unsafe loader: "
        "loading it imports and calls the tagged callable. Only use files whose tags name the "
        "framework's own classes, and yaml.safe_load elsewhere."
    )
    severity = _judge(target, _TAG_NAMESPACES)
    if severity is None:
        return None
    dangerous = severity is Severity.CRITICAL
    return format_finding(
        "config-yaml-tag-dangerous" if dangerous else "config-yaml-tag-unknown",
        "YAML tag makes the loader call a callable that runs commands, code or file access"
        if dangerous
        else "YAML tag makes the loader call a callable outside the usual ML frameworks",
        severity,
        path,
        evidence,
        remediation,
    )
