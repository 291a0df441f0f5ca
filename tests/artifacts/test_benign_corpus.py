"""Real model files written by torch (CPU), numpy, scikit-learn and joblib must be clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import BENIGN

from aisec.artifacts import scan_path


def test_at_least_25_real_files_from_this_part(benign_dir: Path) -> None:
    files = [p for p in benign_dir.iterdir() if p.is_file()]
    assert len(files) >= 25
    assert len(BENIGN) >= 25


def test_every_benign_file_is_clean(benign_dir: Path) -> None:
    report = scan_path(benign_dir, recursive=True)
    dirty = [
        (r.path, r.verdict, [f.rule_id for f in r.findings], r.error)
        for r in report.files
        if r.verdict != "clean"
    ]
    assert dirty == []
    top = [r for r in report.files if "!/" not in r.path]
    assert len(top) >= len(BENIGN)  # some builders write companion files


@pytest.mark.parametrize(
    ("suffix", "fmt"),
    [
        ("sd.pt", "pytorch"),
        ("legacy_sd.pt", "pytorch-legacy"),
        ("scripted.pt", "torchscript"),
        ("w.npy", "npy"),
        ("objects.npy", "npy-object"),
        ("w.npz", "npz"),
        ("sk_logreg_p0.pkl", "pickle"),
        ("jl_forest.joblib", "joblib"),
        ("jl_logreg.joblib.zlib", "zlib"),
        ("jl_pca.joblib.xz", "xz"),
    ],
)
def test_format_detected_by_content(benign_dir: Path, suffix: str, fmt: str) -> None:
    report = scan_path(benign_dir / suffix)
    assert report.files[0].format == fmt
    assert report.files[0].verdict == "clean"


def test_compressed_joblib_member_is_judged_as_joblib(benign_dir: Path) -> None:
    report = scan_path(benign_dir / "jl_knn.joblib.gzip")
    assert [r.format for r in report.files] == ["gzip", "joblib"]
