"""``aisec privacy dp-train``: a DP-trained model, its epsilon, and the model attacked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "AISEC_HOME": str(tmp_path / "home")}
    return subprocess.run(
        [sys.executable, "-m", "aisec", *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_dp_train_reports_epsilon_and_writes_a_model_the_other_commands_load(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 6)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    np.savez(tmp_path / "d.npz", X=x, y=y)
    model = tmp_path / "dp.pt"
    done = _cli(
        tmp_path, "privacy", "dp-train", str(tmp_path / "d.npz"), "--out", str(model),
        "--hidden", "16", "--epochs", "5", "--target-epsilon", "2", "--format", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert 0 < doc["epsilon"] <= 2.0 and doc["delta"] == 1e-5
    assert doc["train_accuracy"] > 0.7
    attacked = _cli(
        tmp_path, "robustness", "evasion", str(model), str(tmp_path / "d.npz"),
        "--eps", "0,0.5", "--format", "json", "--no-store",
    )  # fmt: skip
    assert attacked.returncode == 0, attacked.stderr
    assert json.loads(attacked.stdout)["clean_accuracy"] == doc["train_accuracy"]


def test_both_noise_settings_is_a_usage_error(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", X=np.zeros((4, 2)), y=np.array([0, 1, 0, 1]))
    done = _cli(
        tmp_path, "privacy", "dp-train", str(tmp_path / "d.npz"), "--out",
        str(tmp_path / "m.pt"), "--target-epsilon", "1", "--noise-multiplier", "1",
    )  # fmt: skip
    assert done.returncode == 2 and "not both" in done.stderr
