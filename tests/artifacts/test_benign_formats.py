"""Real benign files across the non-pickle formats, saved by their own libraries: all clean."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
from _formats_samples import (
    BENIGN_TEMPLATES,
    gguf_benign,
    keras_benign_files,
    onnx_benign_files,
    safetensors_benign_files,
    savedmodel_benign,
)

from aisec.artifacts import scan_path


def test_benign_corpus_is_all_clean(tmp_path: Path) -> None:
    files: list[Path] = []
    files += keras_benign_files(tmp_path)
    files += onnx_benign_files(tmp_path)
    files += safetensors_benign_files(tmp_path)
    data = tmp_path / "dataset.h5"
    with h5py.File(data, "w") as f:
        f.create_dataset("images", data=np.zeros((4, 8, 8), np.uint8), compression="gzip")
        f.create_dataset("labels", data=np.arange(4))
    files.append(data)
    for version in (2, 3):
        p = tmp_path / f"tiny-v{version}.gguf"
        p.write_bytes(gguf_benign(version))
        files.append(p)
    sm = tmp_path / "export" / "saved_model.pb"
    sm.parent.mkdir()
    sm.write_bytes(savedmodel_benign())
    files.append(sm)
    tok = tmp_path / "tokenizer_config.json"
    tok.write_text(json.dumps({"chat_template": BENIGN_TEMPLATES["gemma"], "bos_token": "<bos>"}))
    files.append(tok)
    jinja = tmp_path / "chat_template.jinja"
    jinja.write_text(BENIGN_TEMPLATES["llama31_tools"])
    files.append(jinja)

    report = scan_path(files)
    top = [r for r in report.files if "!/" not in r.path]
    assert len(top) == len(files) >= 12
    formats = {r.format for r in top}
    assert {"keras", "hdf5", "onnx", "safetensors", "gguf", "tf-savedmodel", "json",
            "jinja-template"} <= formats  # fmt: skip
    dirty = [(r.path, r.verdict, [f.rule_id for f in r.findings], r.error) for r in report.files
             if r.verdict != "clean"]  # fmt: skip
    assert dirty == []
