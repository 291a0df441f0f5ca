"""Generate the scanner's pickle allowlist from what the real libraries pickle.

Run in the dev venv (never at runtime):

    PYTHONPATH=src .venv/bin/python benchmarks/scanners/allowlist/generate.py

It saves a broad set of real models with each installed library (the objects of
``tests/artifacts/real_models.py``, plus every scikit-learn estimator that builds and fits
with defaults, every NumPy ufunc in a FunctionTransformer, every default-constructible
``torch.nn`` module and every ``torch.optim`` optimizer) in every format they ship in,
scans each file with aisec while recording every global its pickles import, and writes
``src/aisec/artifacts/pickle/allowlist.json``: the names grouped by library, with the
library versions they came from.

Only names under the libraries' own top-level packages are listed. A name the scanner
judges dangerous is never listed (the dangerous-name policy comes first anyway); it is
printed for review. Standard-library names are printed, not listed: those belong in the
hand-kept base set in ``pickle/_policy.py``, each on its own merits.
"""

from __future__ import annotations

import argparse
import json
import pickle
import platform
import sys
import tempfile
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "src" / "aisec" / "artifacts" / "pickle" / "allowlist.json"
sys.path.insert(0, str(ROOT / "tests" / "artifacts"))
sys.path.insert(0, str(ROOT / "src"))

# top-level package -> the distribution whose version is recorded
LIBRARIES = {
    "numpy": "numpy",
    "scipy": "scipy",
    "sklearn": "scikit-learn",
    "pandas": "pandas",
    "pyarrow": "pyarrow",
    "torch": "torch",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "catboost": "catboost",
    "joblib": "joblib",
}


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _extra_sklearn() -> dict[str, object]:
    """Every estimator scikit-learn lists that builds with defaults, fitted when it can be."""
    import numpy as np
    import real_models
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.utils import all_estimators

    x, y = real_models._xy()
    out: dict[str, object] = {}
    for name in sorted(n for n in dir(np) if isinstance(getattr(np, n), np.ufunc)):
        ufunc = getattr(np, name)
        if ufunc.nin == 1:
            out[f"ufunc_{name}"] = FunctionTransformer(ufunc)
    for name, cls in all_estimators():
        try:
            est = cls()
        except TypeError:
            continue  # meta-estimators need an estimator argument
        out[f"unfitted_{name}"] = est
        try:
            fitted = cls().fit(np.abs(x), y)
        except Exception as exc:
            print(f"  not fitted: {name}: {type(exc).__name__}", file=sys.stderr)
            continue
        out[f"fitted_{name}"] = fitted
    return out


def _extra_torch() -> dict[str, object]:
    import torch

    out: dict[str, object] = {}
    for name in sorted(dir(torch.nn)):
        cls = getattr(torch.nn, name)
        if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
            continue
        try:
            out[f"module_{name}"] = cls()
        except (TypeError, ValueError, RuntimeError, AssertionError):
            continue
    params = [torch.nn.Parameter(torch.zeros(2))]
    for name in sorted(dir(torch.optim)):
        cls = getattr(torch.optim, name)
        if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
            continue
        if cls is torch.optim.Optimizer:
            continue
        try:
            opt = cls(params, lr=0.1) if name != "LBFGS" else cls(params)
        except (TypeError, ValueError, RuntimeError):
            continue
        out[f"optim_{name}"] = opt
        out[f"optim_state_{name}"] = opt.state_dict()
    return out


class _Recorder:
    """Wraps the machine's classify_global: every name a walk resolves is kept."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.seen: set[str] = set()

    def __call__(self, module: str, name: str, torchscript: bool = False) -> Any:
        if not torchscript:
            self.seen.add(f"{module}.{name}")
        return self.real(module, name, torchscript)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--quick", action="store_true", help="skip the all-estimators sweep")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    import real_models

    import aisec.artifacts.pickle._vm as vm
    from aisec.artifacts import scan_path
    from aisec.artifacts.pickle._policy import GlobalClass, classify_global

    with tempfile.TemporaryDirectory(prefix="aisec-allowlist-") as tmp:
        folder = Path(tmp)
        objects = real_models.build_objects(folder)
        if not args.quick:
            if "sklearn" in objects:
                objects["sklearn-all"] = _extra_sklearn()
            if "torch" in objects:
                objects["torch-all"] = _extra_torch()
        files = []
        for lib, named in objects.items():
            base = lib.split("-")[0]
            for name, obj in named.items():
                try:
                    pickle.dumps(obj, protocol=2)
                except (TypeError, pickle.PicklingError, AttributeError) as exc:
                    print(f"  not picklable: {lib}/{name}: {exc}", file=sys.stderr)
                    continue
                only = ("pickle2", "pickle4") if lib != base else ()  # the sweeps
                try:
                    files += real_models.write_corpus(folder / "files", {base: {name: obj}}, only)
                except RuntimeError as exc:
                    print(f"  not saved: {exc}", file=sys.stderr)
        recorder = _Recorder(vm.classify_global)
        vm.classify_global = recorder  # type: ignore[assignment]
        try:
            scan_path([f.path for f in files])
        finally:
            vm.classify_global = recorder.real
    print(f"{len(files)} files, {len(recorder.seen)} distinct globals", file=sys.stderr)

    grouped: dict[str, list[str]] = {}
    for full in sorted(recorder.seen):
        module, _, name = full.rpartition(".")
        top = full.split(".")[0]
        verdict = classify_global(module, name)
        if verdict is GlobalClass.DANGEROUS:
            print(f"  dangerous, not listed: {full}", file=sys.stderr)
        elif top not in LIBRARIES:
            if verdict is not GlobalClass.SAFE and top != "mypackage":
                print(f"  outside the libraries, not listed: {full}", file=sys.stderr)
        else:
            grouped.setdefault(top, []).append(full)
    versions = {
        dist: v for top, dist in LIBRARIES.items() if top in grouped and (v := _version(dist))
    }
    data = {
        "generator": "benchmarks/scanners/allowlist/generate.py",
        "python": platform.python_version(),
        "libraries": versions,
        "globals": grouped,
    }
    args.out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {args.out}: {sum(map(len, grouped.values()))} names", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
