"""``aisec robustness`` as a user runs it."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression

from aisec.core.store import open_store
from aisec.core.store.findings import read_findings
from aisec.robustness import Dataset

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "AISEC_HOME": str(tmp_path / "home")}
    return subprocess.run(
        [sys.executable, "-m", "aisec", "robustness", *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_evasion_json_is_the_documented_shape_and_findings_are_stored(
    tmp_path: Path, digits: tuple[LogisticRegression, Dataset]
) -> None:
    model, data = digits
    joblib.dump(model, tmp_path / "m.joblib")
    np.savez(tmp_path / "d.npz", X=data.X, y=data.y)
    done = _cli(
        tmp_path, "evasion", str(tmp_path / "m.joblib"), str(tmp_path / "d.npz"),
        "--attack", "pgd", "--eps", "0,0.1", "--clip", "0,1", "--format", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert list(doc) == ["attack", "clean_accuracy", "points"]
    assert doc["attack"] == "pgd" and doc["clean_accuracy"] > 0.9
    assert [p["eps"] for p in doc["points"]] == [0.0, 0.1]
    assert doc["points"][1]["accuracy"] < doc["clean_accuracy"] - 0.1
    store = open_store(f"sqlite:///{tmp_path / 'home' / 'aisec.db'}")
    try:
        stored = read_findings(store, source="robustness")
    finally:
        store.close()
    assert [f.rule_id for f in stored] == [
        "robustness-evasion-accuracy-drop",
        "robustness-evasion-tested",  # the record posture reads, by the file's SHA-256
    ]
    assert stored[1].asset.startswith("sha256:")
    assert (stored[1].location.path or "").endswith("m.joblib")
    tail = subprocess.run(
        [sys.executable, "-m", "aisec", "audit", "tail", "--format", "json"],
        env={**os.environ, "PYTHONPATH": SRC, "AISEC_HOME": str(tmp_path / "home")},
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert '"robustness.evasion"' in tail.stdout


def test_a_pickle_that_fails_the_scan_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "m.pkl").write_bytes(b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR.")
    np.savez(tmp_path / "d.npz", X=np.zeros((2, 2)), y=np.zeros(2))
    done = _cli(tmp_path, "evasion", str(tmp_path / "m.pkl"), str(tmp_path / "d.npz"))
    assert done.returncode == 2
    assert "refusing to load it" in done.stderr
    assert not marker.exists()


def test_membership_json(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 30)).astype(np.float32)
    y = rng.integers(0, 2, 400)  # random labels: whatever it learns is memorised
    model = LogisticRegression(C=1e6, max_iter=5000).fit(x[:40], y[:40])
    (tmp_path / "m.pkl").write_bytes(pickle.dumps(model))
    np.savez(tmp_path / "train.npz", X=x[:40], y=y[:40])
    np.savez(tmp_path / "hold.npz", X=x[40:], y=y[40:])
    done = _cli(
        tmp_path, "membership", str(tmp_path / "m.pkl"), str(tmp_path / "train.npz"),
        str(tmp_path / "hold.npz"), "--format", "json", "--no-store",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert [a["attack"] for a in doc["attacks"]] == ["loss_threshold", "shadow"]
    assert doc["members"] == doc["non_members"] == 40
    assert doc["attacks"][0]["auc"] > 0.6


def _assess_controls(tmp_path: Path, folder: Path) -> dict[str, dict[str, object]]:
    env = {**os.environ, "PYTHONPATH": SRC, "AISEC_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, "-m", "aisec", "assess", str(folder), "--format", "json",
         "--fail-on", "never"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return {c["id"]: c for c in json.loads(done.stdout)["controls"]}


def test_posture_judges_robustness_and_privacy_by_the_tested_file_content(
    tmp_path: Path, digits: tuple[LogisticRegression, Dataset]
) -> None:
    model, data = digits
    folder = tmp_path / "app"
    folder.mkdir()
    joblib.dump(model, folder / "m.joblib")
    np.savez(tmp_path / "d.npz", X=data.X, y=data.y)
    before = _assess_controls(tmp_path, folder)
    assert before["C-ROBUSTNESS"]["status"] == "unknown"
    # a budget too small to move the accuracy: tested, nothing raised -> in place
    done = _cli(tmp_path, "evasion", str(folder / "m.joblib"), str(tmp_path / "d.npz"),
                "--attack", "fgsm", "--eps", "0,0.001", "--clip", "0,1", "--quiet")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _assess_controls(tmp_path, folder)["C-ROBUSTNESS"]["status"] == "in place"
    # the same file failing a stronger test later -> missing, naming the rule
    done = _cli(tmp_path, "evasion", str(folder / "m.joblib"), str(tmp_path / "d.npz"),
                "--attack", "pgd", "--eps", "0,0.1", "--clip", "0,1", "--quiet")  # fmt: skip
    assert done.returncode == 0, done.stderr
    after = _assess_controls(tmp_path, folder)["C-ROBUSTNESS"]
    assert after["status"] == "missing"
    assert "robustness-evasion-accuracy-drop" in json.dumps(after["evidence"])
    assert after["failing"]
    # a changed file (other bytes, same name) is not the tested model: unknown again
    joblib.dump(LogisticRegression(C=0.5, max_iter=1000).fit(data.X, data.y), folder / "m.joblib")
    assert _assess_controls(tmp_path, folder)["C-ROBUSTNESS"]["status"] == "unknown"
    assert _assess_controls(tmp_path, folder)["C-PRIVACY"]["status"] == "unknown"
