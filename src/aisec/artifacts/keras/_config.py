"""Keras model configs: Lambda layers, unsafe modules and custom objects, without Keras.

A Keras model is a JSON config that names the classes and functions to build it. Loading
runs whatever it names: a Lambda layer's marshalled bytecode, ``{"module": "os",
"class_name": "function", "config": "system"}`` (CVE-2025-1550), ``keras.utils.get_file``
or ``keras.config.enable_unsafe_deserialization`` inside allowed modules (CVE-2025-8747,
CVE-2025-9906), Lambda layers in legacy ``.h5`` files (CVE-2024-3660, CVE-2025-9905).
``safe_mode`` does not make any of these safe, so they are reported whatever it says.

``analyse_keras_config`` walks a parsed config at any depth (nested models, functional,
sequential, optimizers, losses, metrics); the ``.keras`` archive handler (``_archive``),
the HDF5 handler and the JSON config handler use the analysis.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from aisec.artifacts._base import ArtifactContext
from aisec.artifacts._callables import dangerous_builtin, dangerous_path, is_dangerous_module
from aisec.artifacts._format_findings import format_finding
from aisec.core.errors import ScanError
from aisec.core.findings import Finding, Severity

__all__ = [
    "analyse_keras_config",
    "is_keras_config",
    "keras_json_findings",
    "lambda_code_names",
    "scan_payloads",
]

_MAX_NODES = 2_000_000
_MAX_PAYLOAD_B64 = 512 << 20
_LOOKUP_LAYERS = frozenset(
    {"StringLookup", "IntegerLookup", "TextVectorization", "IndexLookup", "CategoryEncoding"}
)
_GADGETS = ("enable_unsafe_deserialization", "get_file", "load_model", "import_module")
_GADGET_STRING = re.compile(rf"[.>:/ ](?:{'|'.join(_GADGETS)})$")
# How a string _GADGET_STRING matches must end ($ also matches before a final newline):
# a cheap test that spares the regex search for nearly every string of a config.
_GADGET_TAILS = (*_GADGETS, *(g + "\n" for g in _GADGETS))
_MAX_DEPTH = 200
_CONTAINERS = (dict, list)  # a tuple: ``dict | list`` would build a union at every test

# Parts of Keras that fetch files, change global safety switches or load other models.
_KERAS_UNSAFE_SEGMENTS = frozenset({"utils", "saving", "config", "export", "callbacks"})
# Packages that ship Keras layers and register them under their own module path.
_KERAS_PACKAGES = ("keras", "keras_hub", "keras_nlp", "keras_cv", "tf_keras", "tensorflow.keras")
# class_name markers Keras 3 writes for values, not for objects to import.
_VALUE_MARKERS = frozenset(
    {
        "__keras_tensor__",
        "__tuple__",
        "__numpy__",
        "__tensor__",
        "__bytes__",
        "__typespec__",
        "__ellipsis__",
        "__slice__",
        "__lambda__",
        "function",
    }
)
# TFOpLambda/SlicingOpLambda name TensorFlow API functions; these reach files or Python.
_TF_OP_DANGER = re.compile(
    r"^(?:io\.|compat\.v1\.(?:py_func|io\.)|py_function|numpy_function|debugging\.|"
    r"summary\.|data\.|saved_model\.|train\.|raw_ops\.(?:PyFunc|EagerPyFunc|ReadFile|"
    r"WriteFile|MatchingFiles|Save|Restore))"
)
_REMEDIATION_LAMBDA = (
    "Do not load this model. Rebuild it without Lambda layers (write a registered custom "
    "layer whose code you review) and re-export; safe_mode does not protect legacy .h5."
)
_REMEDIATION_MODULE = (
    "Do not load this model: its config imports code outside Keras. Obtain the model from "
    "its publisher, or review and remove the offending config entry."
)
_REMEDIATION_CUSTOM = (
    "Loading needs custom code from outside Keras; review that code and pass it explicitly "
    "with custom_objects, or obtain a model that uses only built-in layers."
)


@dataclass(frozen=True, slots=True)
class KerasIssue:
    """One problem in one config; ``pointer`` is a JSON pointer into the config."""

    rule_id: str
    title: str
    severity: Severity
    evidence: str
    pointer: str
    remediation: str
    payload: bytes | None = None  # embedded bytes a loader deserializes (scan them too)


def is_keras_config(obj: object) -> bool:
    """True when ``obj`` looks like a serialized Keras object (model or layer config)."""
    if not isinstance(obj, dict):
        return False
    if "class_name" in obj and "config" in obj:
        return True
    return "module" in obj and "class_name" in obj and "registered_name" in obj


_KERAS_PREFIXES = tuple(p + "." for p in _KERAS_PACKAGES)


def _module_is_keras(module: str) -> bool:
    return module in _KERAS_PACKAGES or module.startswith(_KERAS_PREFIXES)


def _dangerous(target: str) -> bool:
    """The one policy's judgement of a dotted name a config makes Keras import or call (a
    bare name is a builtin); dunder names are never a layer or a function to build."""
    parts = target.split(".")
    if parts[-1].startswith("__"):
        return True
    if len(parts) == 1:
        return dangerous_builtin(target) or is_dangerous_module(target)
    return dangerous_path(parts) is not None


_MARSHAL_STR = re.compile(rb"[\x5a\x7a\xda\xfa]([\x01-\x40])|[\x61\x41\xe1\xc1\x75\xf5]")


def lambda_code_names(code_b64: str) -> list[str]:
    """Identifiers inside a base64 marshalled code object, read as bytes (never unmarshalled)."""
    try:
        raw = base64.b64decode(code_b64[: 4 << 20], validate=False)
    except (binascii.Error, ValueError):
        return []
    names: list[str] = []
    for m in _MARSHAL_STR.finditer(raw):
        if m.group(1) is not None:
            length = m.group(1)[0]
            start = m.end()
        else:
            start = m.end() + 4
            if start > len(raw):
                continue
            length = int.from_bytes(raw[m.end() : start], "little")
            if length > 256:
                continue
        piece = raw[start : start + length]
        if len(piece) == length and re.fullmatch(rb"[A-Za-z_][A-Za-z0-9_.]{1,63}", piece):
            names.append(piece.decode("ascii"))
    seen: dict[str, None] = dict.fromkeys(names)
    return list(seen)[:64]


def _lambda_evidence(function: object) -> str:
    code = None
    if isinstance(function, dict):
        cfg = function.get("config")
        if isinstance(cfg, dict):
            code = cfg.get("code")
    elif isinstance(function, list | tuple) and function and isinstance(function[0], str):
        code = function[0]
    elif isinstance(function, str):
        code = function
    if not isinstance(code, str):
        return "Lambda layer"
    names = lambda_code_names(code)
    bad = [n for n in names if _dangerous(n)]
    rest = [n for n in names if n not in bad]
    if not bad:
        return f"Lambda bytecode ({len(code)} base64 chars); bytecode names: {', '.join(rest[:12])}"
    shown = f"names dangerous callables: {', '.join(bad[:12])}"
    if rest:  # ``system`` of __import__('os').system is only dangerous next to ``os``
        shown += f"; other names: {', '.join(rest[:12])}"
    return f"Lambda bytecode ({len(code)} base64 chars); {shown}"


def _pointer_part(key: object) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


class _Walker:
    """Visits every dict, list and string of a config depth first, last key first.

    The keys from the root to the node being checked are kept raw in ``path``; the JSON
    pointer is spelled out only for the few nodes that produce an issue.
    """

    def __init__(self) -> None:
        self.issues: list[KerasIssue] = []
        self.count = 0
        self.path: list[object] = []

    def pointer(self, suffix: str = "") -> str:
        """JSON pointer of the node being checked (``/`` for the root), plus ``suffix``."""
        text = "".join(["/" + _pointer_part(key) for key in self.path]) + suffix
        return text or "/"

    def add(
        self, rule: str, title: str, sev: Severity, evidence: str, fix: str, suffix: str = ""
    ) -> None:
        """An issue at the node being checked (``suffix``: a path below it)."""
        self.issues.append(KerasIssue(rule, title, sev, evidence, self.pointer(suffix), fix))

    def walk(self, root: object) -> None:
        self.count += 1
        if isinstance(root, _CONTAINERS):
            self.enter(root, 0)
        elif isinstance(root, str) and len(root) < 512 and root.endswith(_GADGET_TAILS):
            self.check_string(root)

    def enter(self, node: dict[object, object] | list[object], depth: int) -> None:
        """Check a container, then its items; one Python frame per level of nesting."""
        items: Iterator[tuple[object, object]]
        if isinstance(node, dict):
            if "class_name" in node:
                self.check_object(node)
            elif "function_type" in node:
                self.check_legacy_function(node)
            items = reversed(node.items())
        else:
            items = zip(range(len(node) - 1, -1, -1), reversed(node), strict=True)
        depth += 1
        too_deep = depth > _MAX_DEPTH  # for every item counted below
        path = self.path
        count = self.count
        for key, value in items:
            if isinstance(value, str):
                count += 1
                if count > _MAX_NODES or too_deep:
                    raise ScanError("Keras config exceeds the size/depth limit")
                if len(value) < 512 and value.endswith(_GADGET_TAILS):
                    path.append(key)
                    self.check_string(value)
                    path.pop()
            elif isinstance(value, _CONTAINERS):
                count += 1
                if count > _MAX_NODES or too_deep:
                    raise ScanError("Keras config exceeds the size/depth limit")
                path.append(key)
                self.count = count
                self.enter(value, depth)
                count = self.count
                path.pop()
        self.count = count

    def check_object(self, obj: dict[object, object]) -> None:
        class_name = obj.get("class_name")
        module = obj.get("module")
        registered = obj.get("registered_name")
        config = obj.get("config")
        if not isinstance(class_name, str):
            return
        cfg = config if isinstance(config, dict) else {}
        if class_name == "TorchModuleWrapper" or class_name.endswith(">TorchModuleWrapper"):
            self.check_torch_wrapper(cfg)
        if class_name in _LOOKUP_LAYERS:
            self.check_vocabulary(class_name, cfg.get("vocabulary"))
        registered_lambda = isinstance(registered, str) and (
            registered == "Lambda" or registered.endswith(">Lambda")
        )
        if (
            class_name in ("Lambda", "TFOpLambda", "SlicingOpLambda")
            or class_name.endswith(">Lambda")
            or registered_lambda
        ):
            self.check_lambda_layer(class_name, config)
        if class_name == "__lambda__":
            self.add(
                "keras-lambda-bytecode",
                "Keras config carries a serialized Python lambda",
                Severity.CRITICAL,
                _lambda_evidence(obj),
                _REMEDIATION_LAMBDA,
            )
            return
        if class_name == "function" and isinstance(config, str):
            target = f"{module}.{config}" if isinstance(module, str) and module else config
            self.check_reference(target, module if isinstance(module, str) else None, function=True)
            return
        if class_name in _VALUE_MARKERS:
            return
        if isinstance(module, str) and module:
            self.check_reference(f"{module}.{class_name}", module)
        elif "." in class_name or _dangerous(class_name):
            self.check_reference(class_name, None)
        if isinstance(registered, str) and ">" in registered:
            package = registered.split(">", 1)[0]
            if package.lower() not in ("keras", "keras_hub", "keras_nlp", "keras_cv"):
                self.add(
                    "keras-custom-object",
                    "Keras config needs a custom object from outside Keras",
                    Severity.MEDIUM,
                    f"registered_name {registered!r}",
                    _REMEDIATION_CUSTOM,
                )

    def check_torch_wrapper(self, cfg: dict[object, object]) -> None:
        # Keras 3 stores torch.save(module) as base64; from_config torch.loads it (pickle)
        blob = cfg.get("module")
        payload = None
        if isinstance(blob, str):
            try:
                payload = base64.b64decode(blob[:_MAX_PAYLOAD_B64], validate=False)
            except (binascii.Error, ValueError):
                payload = None
        size = len(payload) if payload is not None else 0
        self.issues.append(
            KerasIssue(
                "keras-torch-module-wrapper",
                "Keras TorchModuleWrapper unpickles a PyTorch module when the model loads",
                Severity.MEDIUM,
                f"embedded torch.save payload of {size} bytes (scanned as its own entry)",
                self.pointer(),
                _REMEDIATION_CUSTOM,
                payload,
            )
        )

    def check_vocabulary(self, class_name: str, vocabulary: object) -> None:
        # a string vocabulary is a path Keras reads at load time (tf.io.gfile)
        if not isinstance(vocabulary, str) or not vocabulary:
            return
        normal = vocabulary.replace("\\", "/")
        escapes = (
            normal.startswith(("/", "~"))
            or re.match(r"^[A-Za-z]:", normal) is not None
            or "://" in normal
            or ".." in normal.split("/")
        )
        self.add(
            "keras-file-reference",
            "Keras layer reads a file named in its config when the model loads",
            Severity.HIGH if escapes else Severity.MEDIUM,
            f"{class_name} vocabulary {vocabulary[:120]!r}",
            "Do not load this model: the vocabulary path can read local or remote files. "
            "Re-export with the vocabulary inlined (Keras stores it in assets/).",
        )

    def check_string(self, value: str) -> None:
        """Strings naming Keras gadgets anywhere in a config (CVE-2025-8747/9906 style);
        called for those under 512 characters that end like one (``_GADGET_TAILS``)."""
        if _GADGET_STRING.search(value):
            self.add(
                "keras-unsafe-module",
                "Keras config names a function that fetches files or disables safe mode",
                Severity.HIGH,
                f"string {value[:120]!r}",
                _REMEDIATION_MODULE,
            )

    def check_reference(self, target: str, module: str | None, *, function: bool = False) -> None:
        """``target`` is the dotted name the loader would import (module + class/function);
        ``function``: it is called as a function (classes such as keras.utils.FeatureSpace
        are ordinary serializable layers)."""
        mod = module if module is not None else target.rsplit(".", 1)[0]
        name = target.rsplit(".", 1)[-1]
        if _module_is_keras(mod):
            unsafe_place = function and not _KERAS_UNSAFE_SEGMENTS.isdisjoint(mod.split("."))
            if unsafe_place or name in _GADGETS or _dangerous(target):
                self.add(
                    "keras-unsafe-module",
                    "Keras config calls a Keras function that fetches files or disables safe mode",
                    Severity.HIGH,
                    f"config names {target!r}",
                    _REMEDIATION_MODULE,
                )
        elif _dangerous(target) or is_dangerous_module(mod):
            self.add(
                "keras-unsafe-module",
                "Keras config imports a dangerous module or function",
                Severity.CRITICAL,
                f"config names {target!r}",
                _REMEDIATION_MODULE,
            )
        elif module is not None or "." in target:
            self.add(
                "keras-custom-object",
                "Keras config imports a class or function from outside Keras",
                Severity.MEDIUM,
                f"config names {target!r}",
                _REMEDIATION_CUSTOM,
            )

    def check_lambda_layer(self, class_name: str, config: object) -> None:
        cfg = config if isinstance(config, dict) else {}
        if class_name in ("TFOpLambda", "SlicingOpLambda"):
            function = cfg.get("function")
            if isinstance(function, str) and _TF_OP_DANGER.match(function):
                self.add(
                    "keras-unsafe-module",
                    "Keras TFOpLambda layer calls a TensorFlow file or Python op",
                    Severity.HIGH,
                    f"tf.{function}",
                    _REMEDIATION_MODULE,
                )
            return
        function = cfg.get("function")
        function_type = cfg.get("function_type")
        if function_type == "function" and isinstance(function, str):
            module = cfg.get("module")
            target = f"{module}.{function}" if isinstance(module, str) and module else function
            self.check_reference(target, module if isinstance(module, str) else None, function=True)
        self.add(
            "keras-lambda-layer",
            "Keras Lambda layer runs arbitrary Python when the model loads or runs",
            Severity.CRITICAL,
            _lambda_evidence(function),
            _REMEDIATION_LAMBDA,
        )
        for key in ("output_shape", "mask"):
            value = cfg.get(key)
            if cfg.get(f"{key}_type") == "lambda" and value is not None:
                self.add(
                    "keras-lambda-bytecode",
                    "Keras config carries a serialized Python lambda",
                    Severity.CRITICAL,
                    f"{key}: " + _lambda_evidence(value),
                    _REMEDIATION_LAMBDA,
                    f"/config/{key}",
                )

    def check_legacy_function(self, obj: dict[object, object]) -> None:
        # tf.keras 2 stores {"function": [b64, defaults, closure], "function_type": "lambda"}
        # outside a Lambda layer too (e.g. custom loss wrappers); report it wherever it is.
        if obj.get("function_type") == "lambda" and "function" in obj:
            self.add(
                "keras-lambda-bytecode",
                "Keras config carries a serialized Python lambda",
                Severity.CRITICAL,
                _lambda_evidence(obj.get("function")),
                _REMEDIATION_LAMBDA,
            )


def analyse_keras_config(config: object) -> list[KerasIssue]:
    """Issues in a parsed Keras config (any depth); never imports or builds anything."""
    walker = _Walker()
    walker.walk(config)
    # A Lambda layer seen through its outer layer and its __lambda__ function is one issue.
    lambda_layers = {i.pointer for i in walker.issues if i.rule_id == "keras-lambda-layer"}
    out: list[KerasIssue] = []
    for issue in walker.issues:
        if issue.rule_id == "keras-lambda-bytecode" and any(
            issue.pointer == f"{p}/config" or issue.pointer.startswith(f"{p}/config/function")
            for p in lambda_layers
        ):
            continue
        out.append(issue)
    return out


def keras_issue_findings(issues: list[KerasIssue], path: str, prefix: str = "") -> list[Finding]:
    """Findings for ``issues`` found in the config at ``path`` (``prefix`` before pointers)."""
    return [
        format_finding(
            i.rule_id,
            i.title,
            i.severity,
            path,
            i.evidence,
            i.remediation,
            pointer=prefix + i.pointer,
        )
        for i in issues
    ]


def load_json_bounded(data: bytes, what: str) -> object:
    """Parse JSON text; nesting bombs and bad bytes become a ScanError."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ScanError(f"{what}: JSON nested too deeply to judge") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScanError(f"{what}: invalid JSON ({exc})") from None


def scan_payloads(issues: list[KerasIssue], ctx: ArtifactContext | None) -> None:
    """Hand bytes a loader would deserialize (TorchModuleWrapper pickles) to the dispatcher."""
    if ctx is None or ctx.scan_nested is None:
        return
    for issue in issues:
        if issue.payload:
            ctx.scan_nested(issue.payload, f"torch-module{issue.pointer}", len(issue.payload))


def keras_json_findings(
    data: bytes, path: str, prefix: str = "", ctx: ArtifactContext | None = None
) -> list[Finding]:
    """Findings for a Keras config given as JSON bytes."""
    config = load_json_bounded(data, path)
    issues = analyse_keras_config(config)
    scan_payloads(issues, ctx)
    return keras_issue_findings(issues, path, prefix)
