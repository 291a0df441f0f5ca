"""Optional backend: a transformer prompt-injection classifier from a local folder (ONNX).

For users who have, say, Llama Prompt Guard 2 or ProtectAI's DeBERTa injection model
exported to ONNX on disk. Nothing is downloaded: the folder must hold ``model.onnx`` and
``tokenizer.json`` (and optionally ``config.json`` with ``id2label``). Needs the ``onnx``
extra (``pip install aisec[onnx]``: onnxruntime and tokenizers).

Policy::

    guard:
      scanners:
        - name: transformer_injection
          mode: block
          options: {model_path: /models/prompt-guard-2-86m-onnx, max_length: 512}

Long texts are scored in windows of ``max_length`` tokens (half overlapping; beyond
``max_windows`` windows, without overlap and then evenly spread, first and last kept); the
highest probability of the injection label wins.

A folder may pin its files: ``SHA256SUMS`` (``<hex>  <file>`` lines, as ``sha256sum``
writes) is checked on load and any mismatch or missing file refuses the model (fail
closed); the shipped second tier (``models/tier2``) must have one. ``config.json`` may
carry an ``aisec`` section with ``max_length``, per-direction decision ``thresholds`` and
the cascade ``band`` the model was tuned for;
``score()`` maps a direction's threshold to 0.5, so a policy threshold keeps its meaning.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from aisec.core.errors import PolicyError, ScanError
from aisec.core.findings import Finding, FrameworkRef, Severity
from aisec.guard._scanner import Direction, ScanContext, Scanner, ScanResult

__all__ = ["TransformerInjectionScanner"]

_ATTACK_WORDS = ("injection", "jailbreak", "malicious", "unsafe", "attack")
_OPTIONS = frozenset(
    {"model_path", "max_length", "max_windows", "label", "threads", "require_sums"}
)
_SUMS = "SHA256SUMS"
_MAX_CONFIG = 1 << 20
# one session per verified model file: the engine is built often (tests, workers) and an
# onnxruntime session costs tens of milliseconds to create
_SESSIONS: dict[tuple[str, str, int], Any] = {}
_LOCK = threading.Lock()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_sums(folder: Path, required: bool) -> dict[str, str]:
    """Check ``folder/SHA256SUMS``; file name -> hash. Any mismatch is a ScanError."""
    sums = folder / _SUMS
    if not sums.is_file():
        if required:
            raise ScanError(f"second tier: {sums} not found (the model files are not pinned)")
        return {}
    pins: dict[str, str] = {}
    try:
        lines = sums.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ScanError(f"transformer_injection: cannot read {sums}: {exc}") from None
    for line in lines:
        if not line.strip():
            continue
        digest, _, name = line.partition("  ")
        name = name.strip()
        if len(digest) != 64 or not name or "/" in name or name.startswith("."):
            raise ScanError(f"transformer_injection: {sums}: malformed line {line[:80]!r}")
        pins[name] = digest.lower()
    for name in ("model.onnx", "tokenizer.json"):
        if required and name not in pins:
            raise ScanError(f"transformer_injection: {sums} does not pin {name}")
    for name, digest in pins.items():
        path = folder / name
        if not path.is_file():
            raise ScanError(f"transformer_injection: {path} (pinned in {_SUMS}) not found")
        if _sha256(path) != digest:
            raise ScanError(
                f"transformer_injection: {path} does not match its SHA-256 in {_SUMS} "
                "(corrupt or altered); refusing to load it"
            )
    return pins


def _aisec_config(config: Path) -> dict[str, Any]:
    """The ``aisec`` section of ``config.json`` (empty when absent)."""
    if not config.is_file():
        return {}
    try:
        data = json.loads(config.read_bytes()[:_MAX_CONFIG])
    except (OSError, ValueError) as exc:
        raise ScanError(f"transformer_injection: cannot read {config}: {exc}") from None
    section = data.get("aisec", {}) if isinstance(data, dict) else {}
    if not isinstance(section, dict):
        raise ScanError(f"transformer_injection: {config}: 'aisec' must be an object")
    return section


def _band(section: dict[str, Any], config: Path) -> tuple[float, float] | None:
    """The cascade band the model was tuned for (``aisec.band``: [low, high]), if any."""
    raw = section.get("band")
    if raw is None:
        return None
    try:
        lo, hi = (float(x) for x in raw)
    except (TypeError, ValueError):
        raise ScanError(
            f"transformer_injection: {config}: aisec.band must be [low, high]"
        ) from None
    if not 0.0 <= lo <= hi <= 1.0:
        raise ScanError(f"transformer_injection: {config}: aisec.band needs 0 <= low <= high <= 1")
    return lo, hi


def _thresholds(section: dict[str, Any], config: Path) -> dict[str, float]:
    raw = section.get("thresholds", {})
    if not isinstance(raw, dict):
        raise ScanError(f"transformer_injection: {config}: aisec.thresholds must be an object")
    out: dict[str, float] = {}
    for key, value in raw.items():
        try:
            cut = float(value)
        except (TypeError, ValueError):
            raise ScanError(
                f"transformer_injection: {config}: threshold {key!r} is not a number"
            ) from None
        if not 0.0 < cut < 1.0:
            raise ScanError(f"transformer_injection: {config}: threshold {key!r} must be in (0, 1)")
        out[str(key)] = cut
    return out


def _attack_labels(config: Path, explicit: Any) -> list[int]:
    """Indices of the output labels that mean 'attack'."""
    if explicit is not None:
        labels = explicit if isinstance(explicit, list) else [explicit]
        try:
            return [int(x) for x in labels]
        except (TypeError, ValueError):
            raise PolicyError("transformer_injection: option label must be an index") from None
    if config.is_file():
        try:
            id2label = json.loads(config.read_text("utf-8")).get("id2label", {})
        except (OSError, ValueError) as exc:
            raise ScanError(f"transformer_injection: cannot read {config}: {exc}") from None
        hits = [
            int(k) for k, v in id2label.items() if any(w in str(v).lower() for w in _ATTACK_WORDS)
        ]
        if hits:
            return sorted(hits)
    return [1]


class TransformerInjectionScanner(Scanner):
    """Prompt-injection scores from a local ONNX transformer classifier.

    Options: ``model_path`` (folder, required), ``max_length`` (tokens per window, 512),
    ``max_windows`` (16), ``label`` (index or indices of the attack class; default from
    ``config.json``'s id2label, else 1), ``threads`` (onnxruntime intra-op threads, 1).
    """

    name: ClassVar[str] = "transformer_injection"
    directions: ClassVar[frozenset[Direction]] = frozenset(
        {Direction.INPUT, Direction.DOCUMENT, Direction.TOOL_RESULT}
    )
    default_mode: ClassVar[str] = "off"  # needs a model on disk

    option_names: ClassVar[frozenset[str]] = _OPTIONS

    def __init__(self, threshold: float | None = None, **options: Any) -> None:
        super().__init__(threshold, **options)
        if "model_path" not in options:
            raise PolicyError("transformer_injection: option model_path (a folder) is required")
        folder = Path(str(options["model_path"])).expanduser()
        model_file, tokenizer_file = folder / "model.onnx", folder / "tokenizer.json"
        for needed in (model_file, tokenizer_file):
            if not needed.is_file():
                raise PolicyError(f"transformer_injection: {needed} not found")
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError:
            raise PolicyError(
                "transformer_injection needs the onnx extra: pip install 'aisec[onnx]'"
            ) from None
        pins = verify_sums(folder, bool(options.get("require_sums", False)))
        section = _aisec_config(folder / "config.json")
        self.thresholds = _thresholds(section, folder / "config.json")
        self.band = _band(section, folder / "config.json")
        self.max_length = int(options.get("max_length", section.get("max_length", 512)))
        self.max_windows = int(options.get("max_windows", 16))
        if not 8 <= self.max_length <= 8192 or not 1 <= self.max_windows <= 64:
            raise PolicyError(
                "transformer_injection: max_length must be 8..8192, max_windows 1..64"
            )
        self.labels = _attack_labels(folder / "config.json", options.get("label"))
        try:
            self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        except Exception as exc:  # tokenizers raises a bare Exception
            raise ScanError(f"transformer_injection: bad tokenizer.json: {exc}") from None
        threads = int(options.get("threads", 1))
        key = (str(model_file.resolve()), pins.get("model.onnx") or _sha256(model_file), threads)
        with _LOCK:
            session = _SESSIONS.get(key)
            if session is None:
                so = ort.SessionOptions()
                so.intra_op_num_threads = threads
                so.inter_op_num_threads = 1
                try:
                    session = ort.InferenceSession(
                        str(model_file), sess_options=so, providers=["CPUExecutionProvider"]
                    )
                except Exception as exc:  # onnxruntime raises its own untyped errors
                    raise ScanError(
                        f"transformer_injection: cannot load {model_file}: {exc}"
                    ) from None
                _SESSIONS[key] = session
        self._session = session
        self._inputs = {i.name for i in self._session.get_inputs()}
        if "input_ids" not in self._inputs:
            raise ScanError(f"transformer_injection: {model_file} has no input_ids input")

    def _windows(self, ids: list[int]) -> list[list[int]]:
        if len(ids) <= self.max_length:
            return [ids]
        step = self.max_length // 2
        starts = list(range(0, len(ids) - step, step))
        if len(starts) > self.max_windows:
            # no overlap, then an even spread that always keeps the first and last window
            starts = list(range(0, len(ids), self.max_length))
            if len(starts) > self.max_windows:
                picks = np.linspace(0, len(starts) - 1, self.max_windows).round().astype(int)
                starts = [starts[i] for i in picks]
        return [ids[s : s + self.max_length] for s in starts]

    def probability(self, text: str) -> float:
        """Probability of the attack label(s) for ``text`` (highest window)."""
        encoding = self._tokenizer.encode(text)
        windows = self._windows(list(encoding.ids)) or [[0]]
        width = max(len(w) for w in windows)
        ids = np.zeros((len(windows), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, window in enumerate(windows):
            ids[row, : len(window)] = window
            mask[row, : len(window)] = 1
        feed: dict[str, npt.NDArray[np.int64]] = {"input_ids": ids}
        if "attention_mask" in self._inputs:
            feed["attention_mask"] = mask
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        logits = np.asarray(self._session.run(None, feed)[0], dtype=np.float64)
        if logits.ndim != 2 or max(self.labels) >= logits.shape[1]:
            raise ScanError(f"transformer_injection: unexpected output shape {logits.shape}")
        z = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return float(probs[:, self.labels].sum(axis=1).max())

    def score(self, text: str, direction: Direction) -> float:
        """The probability, mapped so that the direction's threshold (from ``config.json``)
        sits at 0.5; without one, the probability itself."""
        p = self.probability(text)
        cut = self.thresholds.get(direction.value)
        if cut is None:
            return p
        return 0.5 * p / cut if p < cut else 0.5 + 0.5 * (p - cut) / (1.0 - cut)

    def scan(self, text: str, ctx: ScanContext) -> ScanResult:
        score = self.score(text, ctx.direction)
        if score < self.threshold:
            return ScanResult(score)
        indirect = ctx.direction in (Direction.DOCUMENT, Direction.TOOL_RESULT)
        finding = Finding(
            rule_id="guard-prompt-injection-transformer",
            title="Prompt injection or jailbreak (transformer classifier)",
            severity=Severity.HIGH,
            asset=ctx.direction.value,
            evidence=f"transformer score {score:.2f}",
            frameworks=(
                FrameworkRef("OWASP-LLM", "LLM01:2025"),
                FrameworkRef("ATLAS", "AML.T0051.001" if indirect else "AML.T0051.000"),
            ),
            remediation="Block or review the request; keep untrusted text delimited as data.",
        )
        return ScanResult(score, (finding,))
