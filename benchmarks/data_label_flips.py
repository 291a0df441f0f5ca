"""Label-flip detection: aisec's confident-learning suspects vs cleanlab's find_label_issues.

    /work/main/.venv/bin/python benchmarks/data_label_flips.py [--rows 10000] [--seeds 3]

For each seed, a tabular set (scikit-learn make_classification, three classes) and a text
set (four synthetic topics), both from ``tests/data/flip_sets.py``, get 3% of their labels
flipped. aisec's out-of-fold predicted probabilities (the model ``label_flip_suspects``
uses: extra trees for tables, naive Bayes on TF-IDF for text, 5 folds) are computed once
and handed to both sides: aisec's selection, and cleanlab's ``find_label_issues`` (default
``filter_by="prune_by_noise_rate"``) run in its own venv (``/work/peers/cleanlab``; cleanlab
is AGPL, never a dependency: ``python3.11 -m venv /work/peers/cleanlab &&
/work/peers/cleanlab/bin/pip install cleanlab scikit-learn``). Precision and recall of the
flagged rows against the flipped rows; medians over seeds. The end-to-end time of
``label_flip_suspects`` (model included) is printed too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "data"))
PEER = Path("/work/peers/cleanlab/bin/python")

_CLEANLAB = """
import json, sys, time
import numpy as np
from cleanlab.filter import find_label_issues
probs = np.load(sys.argv[1]); labels = np.load(sys.argv[2])
start = time.perf_counter()
issues = find_label_issues(labels, probs, return_indices_ranked_by="self_confidence")
print(json.dumps({"rows": [int(i) for i in issues], "s": time.perf_counter() - start}))
"""


def _cleanlab(probs: np.ndarray, labels: np.ndarray) -> tuple[set[int], float]:
    with tempfile.TemporaryDirectory() as tmp:
        p, y = Path(tmp) / "p.npy", Path(tmp) / "y.npy"
        np.save(p, probs)
        np.save(y, labels)
        out = subprocess.run(
            [str(PEER), "-c", _CLEANLAB, str(p), str(y)],
            check=True,
            capture_output=True,
            text=True,
        )
    result = json.loads(out.stdout)
    return set(result["rows"]), float(result["s"])


def _one(kind: str, rows: int, seed: int) -> dict[str, float]:
    from flip_sets import flip, precision_recall, tabular, text

    import aisec.data._label_flips as lf
    from aisec.data import label_flip_suspects

    clean, _ = tabular(rows, seed) if kind == "tabular" else text(rows, seed)
    poisoned, truth = flip(clean, 0.03, seed + 100)
    features = [c for c in poisoned.columns if c != "label"] if kind == "tabular" else []
    texts = ["text"] if kind == "text" else []

    start = time.perf_counter()
    suspects = label_flip_suspects(poisoned, label="label", features=features, text=texts)
    end_to_end = time.perf_counter() - start

    classes, y = np.unique(poisoned["label"].to_numpy().astype(str), return_inverse=True)
    design = lf._design(poisoned, features, texts)
    probs = lf._out_of_fold(design, y, bool(texts), 0)
    start = time.perf_counter()
    ours = {s.row for s in lf._suspects(probs, y, classes, np.arange(len(y)), None)}
    ours_s = time.perf_counter() - start
    theirs, theirs_s = _cleanlab(probs, y)

    p_a, r_a = precision_recall(ours, truth)
    p_c, r_c = precision_recall(theirs, truth)
    p_e, r_e = precision_recall({s.row for s in suspects}, truth)
    return {
        "aisec_p": p_a,
        "aisec_r": r_a,
        "aisec_n": len(ours),
        "aisec_select_s": ours_s,
        "cleanlab_p": p_c,
        "cleanlab_r": r_c,
        "cleanlab_n": len(theirs),
        "cleanlab_select_s": theirs_s,
        "e2e_p": p_e,
        "e2e_r": r_e,
        "e2e_s": end_to_end,
        "flipped": len(truth),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    if not PEER.exists():
        sys.exit(f"cleanlab's venv is missing: {PEER} (see this script's docstring)")
    print(f"rows {args.rows}, 3% flipped, seeds 0..{args.seeds - 1}; medians over seeds\n")
    header = (
        "| data | flipped | aisec P | aisec R | aisec flagged | cleanlab P | cleanlab R "
        "| cleanlab flagged | aisec select ms | cleanlab select ms | aisec end-to-end s |"
    )
    print(header)
    print("|---" * 11 + "|")
    for kind in ("tabular", "text"):
        runs = [_one(kind, args.rows, seed) for seed in range(args.seeds)]

        def med(key: str, runs: list[dict[str, float]] = runs) -> float:
            return statistics.median(r[key] for r in runs)

        print(
            f"| {kind} | {med('flipped'):.0f} | {med('aisec_p'):.3f} | {med('aisec_r'):.3f} "
            f"| {med('aisec_n'):.0f} | {med('cleanlab_p'):.3f} | {med('cleanlab_r'):.3f} "
            f"| {med('cleanlab_n'):.0f} | {med('aisec_select_s') * 1000:.1f} "
            f"| {med('cleanlab_select_s') * 1000:.1f} | {med('e2e_s'):.1f} |"
        )
        print(
            f"  end-to-end label_flip_suspects: P {med('e2e_p'):.3f} R {med('e2e_r'):.3f}",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
