"""Loading models under test: a pickle is unpickled only after aisec's scanner judged those
very bytes clean; TorchScript and ONNX models are attacked like scikit-learn ones."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import joblib
import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper
from sklearn.linear_model import LogisticRegression

from aisec.core.errors import InputError
from aisec.robustness import Dataset, ModelRefusedError, evasion_curve, load_model, wrap


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(ModelRefusedError, match=r"judged it malicious.*refusing to load"):
        load_model(path)
    assert not marker.exists()


def test_joblib_model_is_loaded_after_a_clean_scan(
    tmp_path: Path, digits: tuple[LogisticRegression, Dataset]
) -> None:
    model, data = digits
    path = tmp_path / "lr.joblib"
    joblib.dump(model, path)
    loaded = load_model(path)
    assert np.allclose(loaded.proba(data.X[:5]), model.predict_proba(data.X[:5]))


def test_truncated_pickle_is_refused(
    tmp_path: Path, digits: tuple[LogisticRegression, Dataset]
) -> None:
    path = tmp_path / "lr.pkl"
    path.write_bytes(pickle.dumps(digits[0])[:200])
    with pytest.raises(InputError):
        load_model(path)


def test_torchscript_model_evasion(
    tmp_path: Path, digits: tuple[LogisticRegression, Dataset]
) -> None:
    model, data = digits
    linear = torch.nn.Linear(64, 10)
    with torch.no_grad():  # the same weights as the scikit-learn model
        linear.weight.copy_(torch.tensor(model.coef_, dtype=torch.float32))
        linear.bias.copy_(torch.tensor(model.intercept_, dtype=torch.float32))
    path = tmp_path / "lr.pt"
    torch.jit.save(torch.jit.script(linear), str(path))
    loaded = load_model(path)
    eps = (0.0, 0.05, 0.1)
    ours = evasion_curve(loaded, data.X, data.y, attack="pgd", eps=eps, clip=(0, 1))
    ref = evasion_curve(wrap(model), data.X, data.y, attack="pgd", eps=eps, clip=(0, 1))
    for (_, a), (_, b) in zip(ours.points, ref.points, strict=True):
        assert abs(a - b) <= 2 / len(data.y)


def _onnx_logreg(model: LogisticRegression, path: Path) -> None:
    w = numpy_helper.from_array(model.coef_.T.astype(np.float32), "W")
    b = numpy_helper.from_array(model.intercept_.astype(np.float32), "b")
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "W"], ["z0"]),
            helper.make_node("Add", ["z0", "b"], ["z"]),
            helper.make_node("Softmax", ["z"], ["p"], axis=1),
        ],
        "logreg",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 64])],
        [helper.make_tensor_value_info("p", TensorProto.FLOAT, [None, 10])],
        [w, b],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


def test_onnx_model_evasion_with_finite_difference_gradients(
    tmp_path: Path, digits: tuple[LogisticRegression, Dataset]
) -> None:
    model, data = digits
    path = tmp_path / "lr.onnx"
    _onnx_logreg(model, path)
    loaded = load_model(path)
    sub = Dataset(data.X[:100], data.y[:100])
    eps = (0.0, 0.05, 0.1)
    ours = evasion_curve(loaded, sub.X, sub.y, attack="fgsm", eps=eps, clip=(0, 1))
    ref = evasion_curve(wrap(model), sub.X, sub.y, attack="fgsm", eps=eps, clip=(0, 1))
    for (_, a), (_, b) in zip(ours.points, ref.points, strict=True):
        assert abs(a - b) <= 0.03


def test_onnx_garbage_and_unknown_suffix_are_input_errors(tmp_path: Path) -> None:
    bad = tmp_path / "m.onnx"
    bad.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(InputError, match="onnxruntime cannot load"):
        load_model(bad)
    other = tmp_path / "m.h5"
    other.write_bytes(b"x")
    with pytest.raises(InputError, match=r"expected \.onnx"):
        load_model(other)
