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
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from aisec.core.errors import PolicyError, ScanError
from aisec.core.findings import Finding, FrameworkRef, Severity
from aisec.guard._scanner import Direction, ScanContext, Scanner, ScanResult

__all__ = ["TransformerInjectionScanner"]

_ATTACK_WORDS = ("injection", "jailbreak", "malicious", "unsafe", "attack")
_OPTIONS = frozenset({"model_path", "max_length", "max_windows", "label", "threads"})


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
        self.max_length = int(options.get("max_length", 512))
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
        so = ort.SessionOptions()
        so.intra_op_num_threads = int(options.get("threads", 1))
        so.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(
                str(model_file), sess_options=so, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ScanError(f"transformer_injection: cannot load {model_file}: {exc}") from None
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

    def scan(self, text: str, ctx: ScanContext) -> ScanResult:
        score = self.probability(text)
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
