"""Real models made by the real libraries, saved in every format they are shipped in, and the
same files with a payload spliced in. Shared by ``test_real_model_corpus.py`` and the
allowlist generator (``benchmarks/scanners/allowlist/generate.py``).

Nothing here loads a file it wrote. Each library is optional: a missing one is skipped.
"""

from __future__ import annotations

import builtins
import bz2
import gzip
import io
import lzma
import os
import pickle
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# -- the user's own package: a full torch.save(model) of a class no list can know ---------
_USER_PACKAGE = {
    "mypackage/__init__.py": "",
    "mypackage/models.py": (
        "import torch\n\n\n"
        "class TinyCNN(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.conv = torch.nn.Conv2d(1, 2, 3)\n"
        "        self.act = torch.nn.ReLU()\n"
        "        self.head = torch.nn.Linear(8, 2)\n\n"
        "    def forward(self, x):\n"
        "        return self.head(self.act(self.conv(x)).flatten(1))\n"
    ),
}


def install_user_package(folder: Path) -> None:
    """Write ``mypackage.models`` (TinyCNN) under ``folder`` and make it importable."""
    for rel, text in _USER_PACKAGE.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


# -- the objects --------------------------------------------------------------------------
def _xy(classes: int = 2, n: int = 60, features: int = 4, seed: int = 0) -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features))
    y = (np.arange(n) % classes).astype(int)
    x[:, 0] += y  # learnable
    return x, y


UFUNCS = ("log1p", "expm1", "sqrt", "exp", "absolute", "log", "square", "tanh")


def sklearn_objects() -> dict[str, object]:
    import numpy as np
    import pandas as pd
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.cluster import KMeans
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.decomposition import PCA
    from sklearn.ensemble import (
        GradientBoostingClassifier,
        HistGradientBoostingRegressor,
        RandomForestClassifier,
    )
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.feature_selection import SelectKBest, f_classif
    from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    x, y = _xy()
    xp = np.abs(x)
    out: dict[str, object] = {}
    for name in UFUNCS:
        out[f"function_transformer_{name}"] = FunctionTransformer(getattr(np, name)).fit(xp)
    out["function_transformer_clip"] = FunctionTransformer(
        np.clip, kw_args={"a_min": 0, "a_max": 1}
    ).fit(x)
    out["transformed_target"] = TransformedTargetRegressor(
        LinearRegression(), func=np.log1p, inverse_func=np.expm1
    ).fit(x, np.abs(x[:, 0]))
    out["pipeline_kbest"] = Pipeline(
        [
            ("scale", StandardScaler()),
            ("kbest", SelectKBest(f_classif, k=2)),
            ("lr", LogisticRegression()),
        ]
    ).fit(x, y)
    out["feature_union"] = FeatureUnion(
        [("pca", PCA(n_components=2)), ("kbest", SelectKBest(f_classif, k=1))]
    ).fit(x, y)
    out["grid_search"] = GridSearchCV(
        DecisionTreeClassifier(random_state=0),
        {"max_depth": [1, 2]},
        cv=StratifiedKFold(3),
    ).fit(x, y)
    out["calibrated_sigmoid"] = CalibratedClassifierCV(LogisticRegression(), cv=3).fit(x, y)
    out["calibrated_isotonic"] = CalibratedClassifierCV(
        LogisticRegression(), method="isotonic", cv=3
    ).fit(x, y)
    out["sgd_hinge"] = SGDClassifier(random_state=0).fit(x, y)
    out["sgd_log"] = SGDClassifier(loss="log_loss", random_state=0).fit(x, y)
    out["random_forest"] = RandomForestClassifier(n_estimators=3, random_state=0).fit(x, y)
    out["gradient_boosting"] = GradientBoostingClassifier(n_estimators=3).fit(x, y)
    out["hist_gradient_boosting"] = HistGradientBoostingRegressor(max_iter=3).fit(x, x[:, 0])
    out["kmeans"] = KMeans(2, n_init=1, random_state=0).fit(x)
    out["knn"] = KNeighborsClassifier(3).fit(x, y)
    out["svc"] = SVC(random_state=0).fit(x, y)
    out["mlp"] = MLPClassifier((4,), max_iter=20, random_state=0).fit(x, y)
    frame = pd.DataFrame({"num": x[:, 0], "cat": ["a", "b", "c"] * 20})
    out["column_transformer"] = ColumnTransformer(
        [("num", StandardScaler(), ["num"]), ("cat", OneHotEncoder(), ["cat"])]
    ).fit(frame)
    out["tfidf"] = TfidfVectorizer().fit(["a model file", "another model", "file of data"])
    return out


def xgboost_objects() -> dict[str, object]:
    import xgboost as xgb

    x, y = _xy()
    return {
        "classifier": xgb.XGBClassifier(n_estimators=3, max_depth=2).fit(x, y),
        "regressor": xgb.XGBRegressor(n_estimators=3, max_depth=2).fit(x, x[:, 1]),
        "booster": xgb.train({"max_depth": 2}, xgb.DMatrix(x, label=y), num_boost_round=3),
    }


def lightgbm_objects() -> dict[str, object]:
    import lightgbm as lgb

    x, y = _xy(n=80)
    quiet = {"n_estimators": 3, "min_child_samples": 5, "verbose": -1}
    return {
        "classifier": lgb.LGBMClassifier(**quiet).fit(x, y),
        "regressor": lgb.LGBMRegressor(**quiet).fit(x, x[:, 1]),
        "booster": lgb.train(
            {"verbose": -1, "min_data_in_leaf": 5}, lgb.Dataset(x, label=y), num_boost_round=3
        ),
    }


def catboost_objects() -> dict[str, object]:
    import catboost

    x, y = _xy()
    opts = {"iterations": 3, "depth": 2, "verbose": False, "allow_writing_files": False}
    return {
        "classifier": catboost.CatBoostClassifier(**opts).fit(x, y),
        "regressor": catboost.CatBoostRegressor(**opts).fit(x, x[:, 1]),
    }


def pandas_objects() -> dict[str, object]:
    import numpy as np
    import pandas as pd

    n = 6
    frame = pd.DataFrame(
        {
            "i": np.arange(n),
            "f": np.linspace(0, 1, n),
            "s": list("abcdef"),
            "cat": pd.Categorical(list("xyxyxy")),
            "when": pd.date_range("2026-01-01", periods=n, tz="UTC"),
            "naive": pd.date_range("2026-01-01", periods=n),
            "delta": pd.to_timedelta(np.arange(n), unit="s"),
            "nullable": pd.array([1, None, 3, 4, None, 6], dtype="Int64"),
            "flag": pd.array([True, False, None, True, True, False], dtype="boolean"),
            "py_str": pd.array(list("uvwxyz"), dtype="string[python]"),
        }
    )
    out: dict[str, object] = {
        "dataframe": frame,
        "series": pd.Series(np.arange(4.0), index=list("abcd"), name="s"),
        "range_index": pd.RangeIndex(5),
        "index": pd.Index(["a", "b"]),
        "multi_index": pd.MultiIndex.from_product([[1, 2], ["a", "b"]]),
        "datetime_index": pd.date_range("2026-01-01", periods=3, freq="D"),
        "categorical": pd.Categorical(["a", "b", "a"], ordered=True),
        "period_index": pd.period_range("2026-01", periods=3, freq="M"),
        "interval_index": pd.interval_range(0, 3),
        "frame_multiindex": pd.DataFrame(
            {"v": [1.0, 2.0, 3.0, 4.0]}, index=pd.MultiIndex.from_product([[1, 2], ["a", "b"]])
        ),
    }
    try:
        import pyarrow  # noqa: F401

        out["arrow_strings"] = pd.DataFrame(
            {"s": pd.array(["a", "b", None], dtype="string[pyarrow]")}
        )
        out["arrow_ints"] = pd.Series(pd.array([1, 2, None], dtype="int64[pyarrow]"))
    except ImportError:
        pass
    return out


def torch_objects() -> dict[str, object]:
    import torch
    from mypackage.models import TinyCNN  # type: ignore[import-not-found]

    torch.manual_seed(0)
    cnn = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3),
        torch.nn.BatchNorm2d(2),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Dropout(0.1),
        torch.nn.Flatten(),
        torch.nn.Linear(8, 4),
        torch.nn.Sigmoid(),
    )
    text = torch.nn.ModuleList(
        [
            torch.nn.Embedding(10, 8),
            torch.nn.LayerNorm(8),
            torch.nn.GELU(),
            torch.nn.LSTM(8, 8, batch_first=True),
            torch.nn.GRU(8, 8),
            torch.nn.MultiheadAttention(8, 2),
            torch.nn.Tanh(),
            torch.nn.Softmax(dim=-1),
            torch.nn.LeakyReLU(),
            torch.nn.SiLU(),
        ]
    )
    # TransformerEncoderLayer keeps torch.nn.functional.relu as its activation
    encoder = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16), num_layers=1
    )
    user = TinyCNN()
    adam = torch.optim.Adam(cnn.parameters(), lr=1e-3)
    cnn(torch.zeros(2, 1, 6, 6)).sum().backward()
    adam.step()
    sgd = torch.optim.SGD(cnn.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(sgd, 2)
    return {
        "cnn_module": cnn,
        "text_module": text,
        "encoder_module": encoder,
        "user_tinycnn_module": user,
        "cnn_state_dict": cnn.state_dict(),
        "user_state_dict": user.state_dict(),
        "adam_state_dict": adam.state_dict(),
        "adam_optimizer": adam,
        "sgd_scheduler_state": sched.state_dict(),
        "checkpoint": {
            "epoch": 3,
            "model": cnn.state_dict(),
            "optimizer": adam.state_dict(),
            "half": torch.zeros(2, dtype=torch.float16),
            "bf16": torch.ones(2, dtype=torch.bfloat16),
            "size": torch.Size([2, 3]),
        },
    }


def numpy_objects() -> dict[str, object]:
    import numpy as np

    return {
        "float_array": np.arange(12, dtype=np.float32).reshape(3, 4),
        "int_array": np.arange(5),
        "object_array": np.array([1, "a", None, 2.5], dtype=object),
        "structured_list_descr": np.zeros(3, dtype=[("x", "<f4"), ("y", "<i8")]),
        "structured_nested": np.zeros(2, dtype=[("p", [("a", "<f8"), ("b", "u1", (2,))])]),
        "structured_object": np.array([(1, "a")], dtype=[("n", "<i4"), ("o", "O")]),
        "datetime_array": np.array(["2026-01-01"], dtype="datetime64[D]"),
        "scalar_dict": {"f": np.float64(1.5), "i": np.int32(2), "b": np.bool_(True)},
        "masked": np.ma.masked_array([1.0, 2.0], mask=[False, True]),
        "rng": np.random.default_rng(0),
        "random_state": np.random.RandomState(0),
    }


LIBRARIES: dict[str, Callable[[], dict[str, object]]] = {
    "sklearn": sklearn_objects,
    "xgboost": xgboost_objects,
    "lightgbm": lightgbm_objects,
    "catboost": catboost_objects,
    "pandas": pandas_objects,
    "torch": torch_objects,
    "numpy": numpy_objects,
}


def build_objects(folder: Path) -> dict[str, dict[str, object]]:
    """Every library's objects that can be built here: {library: {name: object}}."""
    install_user_package(folder)
    out: dict[str, dict[str, object]] = {}
    for lib, build in LIBRARIES.items():
        try:
            out[lib] = build()
        except ImportError:
            continue
    return out


# -- the formats --------------------------------------------------------------------------
JOBLIB_COMPRESSORS = ("zlib", "gzip", "bz2", "lzma", "xz", "lz4")


def _formats(lib: str, name: str) -> list[str]:
    fmts = [f"pickle{p}" for p in range(6)] + ["joblib"]
    fmts += [f"joblib-{c}" for c in JOBLIB_COMPRESSORS] + ["cloudpickle"]
    if lib == "sklearn":
        fmts.append("skops")
    if lib == "torch":
        fmts += ["torch-zip", "torch-legacy"]
    if lib == "pandas":
        fmts += ["pandas-to_pickle", "pandas-to_pickle-gzip"]
    if lib == "numpy" and name.endswith(("array", "descr", "nested", "object")):
        fmts.append("npy")
    return fmts


def save(obj: object, path: Path, fmt: str) -> None:
    """Write ``obj`` to ``path`` as ``fmt`` with the library that ships that format."""
    if fmt.startswith("pickle"):
        path.write_bytes(pickle.dumps(obj, protocol=int(fmt[-1])))
    elif fmt == "joblib":
        import joblib

        joblib.dump(obj, path)
    elif fmt.startswith("joblib-"):
        import joblib

        joblib.dump(obj, path, compress=(fmt.split("-", 1)[1], 3))
    elif fmt == "cloudpickle":
        import cloudpickle

        path.write_bytes(cloudpickle.dumps(obj))
    elif fmt == "skops":
        import skops.io

        skops.io.dump(obj, path)
    elif fmt in ("torch-zip", "torch-legacy"):
        import torch

        torch.save(obj, path, _use_new_zipfile_serialization=fmt == "torch-zip")
    elif fmt == "pandas-to_pickle":
        obj.to_pickle(path)  # type: ignore[attr-defined]
    elif fmt == "pandas-to_pickle-gzip":
        obj.to_pickle(path, compression="gzip")  # type: ignore[attr-defined]
    elif fmt == "npy":
        import numpy as np

        with path.open("wb") as fh:  # a path not ending in .npy would get the suffix added
            np.save(fh, obj, allow_pickle=True)
    else:
        raise ValueError(fmt)


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    library: str
    name: str
    fmt: str


def write_corpus(
    folder: Path, objects: dict[str, dict[str, object]], only: tuple[str, ...] = ()
) -> list[CorpusFile]:
    """Save every object in every format that fits it (or in ``only`` those); pairs a
    library refuses (skops, protocol 0/1 of some types) are skipped."""
    folder.mkdir(parents=True, exist_ok=True)
    files: list[CorpusFile] = []
    for lib, named in objects.items():
        for name, obj in named.items():
            for fmt in only or _formats(lib, name):
                if fmt.startswith("pandas") and not hasattr(obj, "to_pickle"):
                    continue
                path = folder / f"{lib}__{name}__{fmt}.bin"
                try:
                    save(obj, path, fmt)
                except (TypeError, ValueError, AttributeError, pickle.PicklingError) as exc:
                    # e.g. skops refuses a type it does not know, protocol 0 a slotted class
                    path.unlink(missing_ok=True)
                    if fmt in ("skops", "pickle0", "pickle1"):
                        continue
                    raise RuntimeError(f"{lib}/{name} as {fmt}: {exc}") from exc
                files.append(CorpusFile(path, lib, name, fmt))
    return files


# -- payloads -----------------------------------------------------------------------------
_MARK = "aisec-probe"
PAYLOADS: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]] = {
    "os.system": (os.system, (f"echo {_MARK}",)),
    "subprocess.check_output": (subprocess.check_output, (["echo", _MARK],)),
    "builtins.exec": (builtins.exec, (f"print('{_MARK}')",)),
    "builtins.eval": (builtins.eval, (f"print('{_MARK}')",)),
}


class Payload:
    """An object whose unpickling runs ``func(*args)`` (a malicious ``__reduce__``)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __reduce__(self) -> tuple[Any, ...]:
        func, args = PAYLOADS[self.kind]
        return func, args


def with_payload(obj: object, kind: str) -> object:
    """``obj`` carrying a Payload inside its own state where it has one (attribute, attrs,
    state_dict entry), else next to it in a dict."""
    import copy

    probe = Payload(kind)
    try:
        twin = copy.copy(obj)
    except (TypeError, pickle.PicklingError, AttributeError):
        twin = None
    if twin is not None:
        attrs = getattr(twin, "attrs", None)
        if isinstance(attrs, dict):  # pandas: attrs are pickled with the object
            twin.attrs = {**attrs, "probe": probe}  # type: ignore[attr-defined]
            return twin
        if isinstance(twin, dict):
            twin["probe"] = probe
            return twin
        try:
            twin.probe = probe  # type: ignore[attr-defined]
        except (AttributeError, TypeError):
            twin = None
    if twin is not None and b"aisec-probe" in _dumps_or_empty(twin):
        return twin
    return {"model": obj, "probe": probe}


def _dumps_or_empty(obj: object) -> bytes:
    try:
        return pickle.dumps(obj, protocol=4)
    except (TypeError, pickle.PicklingError, AttributeError, ValueError):
        return b""


def payload_kind(index: int) -> str:
    return list(PAYLOADS)[index % len(PAYLOADS)]


def splice_code(kind: str) -> bytes:
    """Protocol-0 opcodes that call the payload and drop its result (valid in any stream)."""
    module, name = kind.rsplit(".", 1)
    arg = PAYLOADS[kind][1][0]
    if isinstance(arg, list):
        arg_ops = b"(l" + b"".join(b"S'" + a.encode() + b"'\na" for a in arg)
    else:
        arg_ops = b"S'" + arg.replace("'", "\\'").encode() + b"'\n"
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n(" + arg_ops + b"tR0"


_COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "joblib-zlib": zlib.compress,
    "joblib-gzip": gzip.compress,
    "joblib-bz2": bz2.compress,
    "joblib-lzma": lambda b: lzma.compress(b, format=lzma.FORMAT_ALONE),
    "joblib-xz": lzma.compress,
}


def _decompress(fmt: str, data: bytes) -> bytes:
    if fmt == "joblib-lz4":
        import lz4.frame

        return bytes(lz4.frame.decompress(data))
    if fmt == "joblib-zlib":
        return zlib.decompress(data)
    if fmt == "joblib-gzip" or fmt == "pandas-to_pickle-gzip":
        return gzip.decompress(data)
    if fmt == "joblib-bz2":
        return bz2.decompress(data)
    return lzma.decompress(data)


def _compress(fmt: str, data: bytes) -> bytes:
    if fmt == "joblib-lz4":
        import lz4.frame

        return bytes(lz4.frame.compress(data))
    if fmt == "pandas-to_pickle-gzip":
        return gzip.compress(data)
    return _COMPRESS[fmt](data)


_RAW_PICKLES = ("pickle", "cloudpickle", "joblib", "pandas-to_pickle")


def splices(file: CorpusFile, kind: str) -> list[tuple[str, bytes]]:
    """(where, bytes): the file with ``kind``'s call spliced into its pickle stream, kept in
    its container (compressed again, rewritten into the torch zip). Before the final STOP
    (the model is loaded, then the call runs), and at the start of the stream where the
    format allows (raw pickles, legacy torch, the object pickle of a .npy); none for skops
    or a plain .npy, which hold no pickle."""
    data = file.path.read_bytes()
    code = splice_code(kind)
    fmt = file.fmt
    if fmt == "skops" or (fmt == "npy" and b"'O'" not in data[:256]):
        return []
    if fmt == "npy":
        width = 2 if data[6] == 1 else 4
        header_end = 8 + width + int.from_bytes(data[8 : 8 + width], "little")
        return [("start", data[:header_end] + code + data[header_end:])]
    if fmt == "torch-legacy":
        return [("start", code + data)]
    if fmt == "torch-zip":
        out = io.BytesIO()
        with zipfile.ZipFile(file.path) as src, zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                body = src.read(info)
                if info.filename.endswith("/data.pkl"):
                    body = _before_stop(body, code)
                dst.writestr(info, body)
        return [("before STOP", out.getvalue())]
    if fmt.startswith("joblib-") or fmt == "pandas-to_pickle-gzip":
        inner = _decompress(fmt, data)
        return [("before STOP", _compress(fmt, _before_stop(inner, code)))]
    if fmt.startswith(_RAW_PICKLES):
        return [("start", code + data), ("before STOP", _before_stop(data, code))]
    raise ValueError(fmt)


def _before_stop(stream: bytes, code: bytes) -> bytes:
    if not stream.endswith(b"."):
        raise ValueError("not a single pickle stream ending in STOP")
    return stream[:-1] + code + b"."


def payload_objects(
    objects: dict[str, dict[str, object]],
) -> Iterator[tuple[str, str, str, object]]:
    """(library, name, payload kind, object carrying it) for every object."""
    index = 0
    for lib, named in objects.items():
        for name, obj in named.items():
            kind = payload_kind(index)
            index += 1
            yield lib, name, kind, with_payload(obj, kind)
