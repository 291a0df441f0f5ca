"""Classifiers under test: scikit-learn, PyTorch (TorchScript or a module) and ONNX.

A pickled or joblib model is code: it is read into memory once, judged by aisec's own
scanner on those bytes (``aisec.artifacts.scan_bytes``), and unpickled from the same
bytes only when the verdict is ``clean``; anything else is refused with the scanner's
reasons. TorchScript archives get the same treatment. ONNX is preferred: it is loaded by
onnxruntime, which runs no Python.

Every classifier gives class probabilities and the per-sample cross-entropy loss; those
with gradients (scikit-learn linear models and MLPs, PyTorch) also give the gradient of
the loss with respect to the input, which FGSM and PGD need. ONNX models get a central
finite-difference gradient (at most 1,024 input features).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from aisec.core.errors import InputError

__all__ = [
    "Classifier",
    "ModelRefusedError",
    "OnnxClassifier",
    "SklearnClassifier",
    "TorchClassifier",
    "load_model",
    "wrap",
]

MAX_MODEL_BYTES = 2 * 1024**3
MAX_FD_FEATURES = 1024
_PICKLES = (".pkl", ".pickle", ".joblib", ".sav")
_TORCH = (".pt", ".pth", ".ts", ".torchscript")

Array = NDArray[np.float64]


class ModelRefusedError(InputError):
    """The model file did not pass aisec's scan, so it was not loaded."""


class Classifier(Protocol):
    kind: str
    n_classes: int
    differentiable: bool

    def proba(self, x: NDArray[np.floating[Any]]) -> Array: ...

    def loss_gradient(self, x: NDArray[np.floating[Any]], y: NDArray[np.int64]) -> Array: ...


def _xent(p: Array, y: NDArray[np.int64]) -> Array:
    return -np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1.0))


def losses(model: Classifier, x: NDArray[np.floating[Any]], y: NDArray[np.int64]) -> Array:
    """Per-sample cross-entropy of ``model`` on (x, y), from log-probabilities where the
    model has them (probabilities of 1.0 would make every confident record tie at 0)."""
    log_proba = getattr(model, "log_proba", None)
    if log_proba is None:
        return _xent(model.proba(x), y)
    lp: Array = log_proba(x)
    out: Array = -lp[np.arange(len(y)), y]
    return out


def _log_softmax(z: Array) -> Array:
    z = z - z.max(axis=1, keepdims=True)
    out: Array = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return out


def _softmax(z: Array) -> Array:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: Array = e / e.sum(axis=1, keepdims=True)
    return out


def _onehot(y: NDArray[np.int64], k: int) -> Array:
    out = np.zeros((len(y), k))
    out[np.arange(len(y)), y] = 1.0
    return out


_ACTS: dict[str, tuple[Callable[[Array], Array], Callable[[Array], Array]]] = {
    "relu": (lambda z: np.maximum(z, 0), lambda a: (a > 0).astype(np.float64)),
    "tanh": (np.tanh, lambda a: 1 - a * a),
    "logistic": (lambda z: 1 / (1 + np.exp(-z)), lambda a: a * (1 - a)),
    "identity": (lambda z: z, np.ones_like),
}


class SklearnClassifier:
    """A fitted scikit-learn classifier; labels are indices into its ``classes_``."""

    kind = "sklearn"

    def __init__(self, model: Any) -> None:
        if not hasattr(model, "predict_proba") or not hasattr(model, "classes_"):
            raise InputError(
                f"{type(model).__name__}: a fitted scikit-learn classifier with predict_proba "
                "is needed"
            )
        self.model = model
        self.classes = np.asarray(model.classes_)
        self.n_classes = len(self.classes)
        name = type(model).__name__
        self._linear = hasattr(model, "coef_") and name in (
            "LogisticRegression",
            "LogisticRegressionCV",
            "SGDClassifier",
        )
        self._mlp = name == "MLPClassifier"
        self.differentiable = self._linear or self._mlp

    def labels(self, y: NDArray[Any]) -> NDArray[np.int64]:
        """Map raw labels to indices of ``classes_`` (unknown labels are an error)."""
        index = np.searchsorted(self.classes, y)
        index = np.clip(index, 0, len(self.classes) - 1)
        if not np.all(self.classes[index] == y):
            raise InputError("the data holds labels the model does not know")
        return index.astype(np.int64)

    def proba(self, x: NDArray[np.floating[Any]]) -> Array:
        return np.asarray(self.model.predict_proba(x), dtype=np.float64)

    def log_proba(self, x: NDArray[np.floating[Any]]) -> Array:
        if self._linear and hasattr(self.model, "decision_function"):
            z = np.asarray(self.model.decision_function(x), dtype=np.float64)
            if z.ndim == 1:  # binary: the logit of class 1
                z = np.column_stack([np.zeros_like(z), z])
            if type(self.model).__name__ != "SGDClassifier":
                return _log_softmax(z)
        if self._mlp:
            logits = self._mlp_forward(np.asarray(x, dtype=np.float64))[-1]
            if logits.shape[1] == 1:
                logits = np.column_stack([np.zeros(len(logits)), logits[:, 0]])
            return _log_softmax(logits)
        return np.log(np.clip(self.proba(x), 1e-300, 1.0))

    def loss_gradient(self, x: NDArray[np.floating[Any]], y: NDArray[np.int64]) -> Array:
        if self._linear:
            p = self.proba(x)
            w = np.asarray(self.model.coef_, dtype=np.float64)
            if w.shape[0] == 1:  # binary: one weight row for class 1
                grad: Array = (p[:, 1] - (y == 1))[:, None] * w[0][None, :]
                return grad
            out: Array = (p - _onehot(y, self.n_classes)) @ w
            return out
        if self._mlp:
            return self._mlp_gradient(np.asarray(x, dtype=np.float64), y)
        raise InputError(
            f"{type(self.model).__name__} has no input gradient: use --attack hopskipjump"
        )

    def _mlp_forward(self, x: Array) -> list[Array]:
        m = self.model
        f = _ACTS[m.activation][0]
        layers = [x]
        for i, (w, b) in enumerate(zip(m.coefs_, m.intercepts_, strict=True)):
            z = layers[-1] @ w + b
            layers.append(z if i == len(m.coefs_) - 1 else f(z))
        return layers

    def _mlp_gradient(self, x: Array, y: NDArray[np.int64]) -> Array:
        m = self.model
        acts = _ACTS
        df = acts[m.activation][1]
        layers = self._mlp_forward(x)
        logits = layers[-1]
        if logits.shape[1] == 1:  # binary: logistic output
            p1 = 1 / (1 + np.exp(-logits[:, 0]))
            delta = (p1 - (y == 1))[:, None]
        else:
            delta = _softmax(logits) - _onehot(y, self.n_classes)
        for i in range(len(m.coefs_) - 1, -1, -1):
            delta = delta @ m.coefs_[i].T
            if i > 0:
                delta = delta * df(layers[i])
        out: Array = np.asarray(delta, dtype=np.float64)
        return out


class TorchClassifier:
    """A PyTorch module returning logits; gradients by autograd."""

    kind = "pytorch"
    differentiable = True

    def __init__(self, module: Any, n_classes: int | None = None) -> None:
        import torch

        self.module = module.eval()
        self._torch = torch
        self.n_classes = n_classes or 0

    def _logits(self, x: NDArray[np.floating[Any]], grad: bool = False) -> Any:
        t = self._torch.as_tensor(np.asarray(x, dtype=np.float32))
        if grad:
            t.requires_grad_(True)
        return t, self.module(t)

    def proba(self, x: NDArray[np.floating[Any]]) -> Array:
        with self._torch.no_grad():
            _, logits = self._logits(x)
            p = self._torch.softmax(logits, dim=1).double().numpy()
        self.n_classes = p.shape[1]
        out: Array = p
        return out

    def log_proba(self, x: NDArray[np.floating[Any]]) -> Array:
        with self._torch.no_grad():
            _, logits = self._logits(x)
            out: Array = self._torch.log_softmax(logits.double(), dim=1).numpy()
        return out

    def loss_gradient(self, x: NDArray[np.floating[Any]], y: NDArray[np.int64]) -> Array:
        torch = self._torch
        t, logits = self._logits(x, grad=True)
        loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor(y), reduction="sum")
        (g,) = torch.autograd.grad(loss, t)
        out: Array = g.double().numpy()
        return out


class OnnxClassifier:
    """An ONNX model run by onnxruntime; its first output is probabilities or logits."""

    kind = "onnx"

    def __init__(self, data: bytes) -> None:
        import onnxruntime as ort

        try:
            self._session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise InputError(f"onnxruntime cannot load the model: {str(exc)[:300]}") from None
        self._input = self._session.get_inputs()[0].name
        self._output = self._session.get_outputs()[0].name
        shape = self._session.get_inputs()[0].shape
        features = 1
        for dim in shape[1:]:
            features *= dim if isinstance(dim, int) else 1
        self.differentiable = features <= MAX_FD_FEATURES
        self.n_classes = 0

    def proba(self, x: NDArray[np.floating[Any]]) -> Array:
        out = self._session.run([self._output], {self._input: np.asarray(x, dtype=np.float32)})
        z = np.asarray(out[0], dtype=np.float64)
        if z.ndim != 2:
            raise InputError("the ONNX model's first output is not (batch, classes)")
        self.n_classes = z.shape[1]
        rows = z.sum(axis=1)
        if np.all(z >= 0) and np.allclose(rows, 1.0, atol=1e-3):
            return z
        return _softmax(z)

    def loss_gradient(self, x: NDArray[np.floating[Any]], y: NDArray[np.int64]) -> Array:
        if not self.differentiable:
            raise InputError(
                f"ONNX model with over {MAX_FD_FEATURES} input features: use --attack hopskipjump"
            )
        x = np.asarray(x, dtype=np.float64)
        flat = x.reshape(len(x), -1)
        h = 1e-3
        grad = np.zeros_like(flat)
        for j in range(flat.shape[1]):
            up, down = flat.copy(), flat.copy()
            up[:, j] += h
            down[:, j] -= h
            lu = _xent(self.proba(up.reshape(x.shape)), y)
            ld = _xent(self.proba(down.reshape(x.shape)), y)
            grad[:, j] = (lu - ld) / (2 * h)
        out: Array = grad.reshape(x.shape)
        return out


def wrap(model: Any) -> Classifier:
    """A :class:`Classifier` for an in-memory scikit-learn estimator or torch module."""
    if isinstance(model, SklearnClassifier | TorchClassifier | OnnxClassifier):
        return model
    try:
        import torch

        if isinstance(model, torch.nn.Module | torch.jit.ScriptModule):
            return TorchClassifier(model)
    except ImportError:
        pass
    return SklearnClassifier(model)


def load_model(path: Path) -> Classifier:
    """Load a model file for testing: ONNX directly; pickles/joblib and TorchScript only
    after aisec's scanner judged the very bytes that are loaded clean."""
    if not path.is_file():
        raise InputError(f"{path}: no such model file")
    if path.stat().st_size > MAX_MODEL_BYTES:
        raise InputError(f"{path}: model file over {MAX_MODEL_BYTES} bytes")
    suffix = path.suffix.lower()
    if suffix not in (".onnx", *_PICKLES, *_TORCH):
        raise InputError(
            f"{path}: expected .onnx, a scikit-learn pickle/joblib ({', '.join(_PICKLES)}) or "
            f"TorchScript ({', '.join(_TORCH)})"
        )
    data = path.read_bytes()
    if suffix == ".onnx":
        return OnnxClassifier(data)
    _require_clean(data, path)
    if suffix in _TORCH:
        import torch

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # jit.load, torch >= 2.10
                module = torch.jit.load(io.BytesIO(data), map_location="cpu")  # type: ignore[no-untyped-call]
        except (RuntimeError, ValueError) as exc:
            raise InputError(f"{path}: not a TorchScript archive ({str(exc)[:200]})") from None
        return TorchClassifier(module)
    import joblib  # type: ignore[import-untyped]

    try:
        model = joblib.load(io.BytesIO(data))
    except (ValueError, EOFError, ImportError, AttributeError) as exc:
        raise InputError(f"{path}: cannot load ({str(exc)[:200]})") from None
    return SklearnClassifier(model)


def _require_clean(data: bytes, path: Path) -> None:
    from aisec.artifacts import Verdict, scan_bytes

    report = scan_bytes(data, path.name)
    verdicts = [f.verdict for f in report.files]
    worst = max(verdicts) if verdicts else Verdict.ERROR
    if worst != Verdict.CLEAN:
        rules = sorted({f.rule_id for f in report.findings})[:5]
        raise ModelRefusedError(
            f"{path}: aisec scan judged it {worst.value} ({', '.join(rules) or 'no details'}); "
            "refusing to load it. Export the model to ONNX, or scan it with `aisec scan` to "
            "see why."
        )
