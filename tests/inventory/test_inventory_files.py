"""The walk (.gitignore, --exclude, venvs, fsspec URLs), model files, data sets, MCP
configs, prompt files, secrets, and the JSON shape."""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
import struct
from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from aisec.inventory import ASSET_KINDS, Asset, Inventory, inventory, to_json


def _kind(inv: Inventory, kind: str) -> list[Asset]:
    return [a for a in inv.assets if a.kind == kind]


class _Reduce:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned",))


def _safetensors() -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    return struct.pack("<Q", len(header)) + header + b"\x00" * 8


def test_json_shape_is_the_documented_one(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import openai\nopenai.OpenAI()\n")
    doc = to_json(inventory(tmp_path))
    assert set(doc) == {"root", "assets", "findings", "summary", "skipped"}
    assert doc["assets"] == [
        {
            "kind": "llm_call",
            "path": "app.py",
            "line": 2,
            "name": "openai.OpenAI",
            "details": {
                "sdk": "openai",
                "call": "openai.OpenAI",
                "category": "llm",
                "constructs": True,
            },
        }
    ]
    assert set(doc["summary"]["assets"]) == set(ASSET_KINDS)
    assert doc["summary"]["files"] == 1
    json.dumps(doc)  # JSON-ready all the way down


def test_malicious_pickle_is_a_model_with_the_scanner_findings(tmp_path: Path) -> None:
    (tmp_path / "weights.bin").write_bytes(pickle.dumps(_Reduce(), protocol=2))
    inv = inventory(tmp_path)
    (model,) = _kind(inv, "model_file")
    assert model.details["format"] == "pickle"
    assert model.details["verdict"] == "malicious"
    assert model.details["signature"] == "unsigned"
    assert len(model.details["sha256"]) == 64
    rules = {f.rule_id for f in inv.findings}
    assert {"pickle-dangerous-call", "inventory-model-unsigned"} <= rules


def test_model_found_by_content_whatever_its_name(tmp_path: Path) -> None:
    (tmp_path / "notes.txt.bak").write_bytes(_safetensors())
    (tmp_path / "model.safetensors").write_text("not a model, just text")
    inv = inventory(tmp_path)
    assert [(m.path, m.details["format"]) for m in _kind(inv, "model_file")] == [
        ("notes.txt.bak", "safetensors")
    ]


def test_signature_beside_model_is_reported_unverified(tmp_path: Path) -> None:
    (tmp_path / "m.safetensors").write_bytes(_safetensors())
    (tmp_path / "m.safetensors.sig").write_text("{}")
    inv = inventory(tmp_path)
    (model,) = _kind(inv, "model_file")
    assert model.details["signature"] == "signed (unverified)"
    assert model.details["verdict"] == "clean"
    assert "inventory-model-unsigned" not in {f.rule_id for f in inv.findings}


def test_no_scan_lists_models_without_a_verdict(tmp_path: Path) -> None:
    (tmp_path / "m.pkl").write_bytes(pickle.dumps(_Reduce(), protocol=2))
    inv = inventory(tmp_path, scan_models=False)
    assert _kind(inv, "model_file")[0].details["verdict"] == "not scanned"


def test_datasets_with_schema_summaries(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("id,text,label\n1,hi,0\n")
    (tmp_path / "chat.jsonl").write_text('{"prompt": "a", "completion": "b"}\n')
    table = pa.table({"x": [1, 2, 3], "y": ["a", "b", "c"]})
    pq.write_table(table, tmp_path / "t.parquet")
    feather.write_feather(table, tmp_path / "t.arrow")
    con = sqlite3.connect(tmp_path / "app.db")
    con.execute("CREATE TABLE users (id INTEGER, email TEXT)")
    con.commit()
    con.close()
    hf = tmp_path / "hf_ds"
    hf.mkdir()
    (hf / "dataset_info.json").write_text(json.dumps({"features": {"text": {}, "label": {}}}))
    (hf / "state.json").write_text("{}")
    feather.write_feather(table, hf / "data-00000-of-00001.arrow")
    inv = inventory(tmp_path)
    got = {a.path: a.details for a in _kind(inv, "dataset")}
    assert got["train.csv"]["columns"] == ["id", "text", "label"]
    assert got["chat.jsonl"]["columns"] == ["prompt", "completion"]
    assert got["t.parquet"]["rows"] == 3
    assert got["t.parquet"]["columns"] == ["x", "y"]
    assert got["t.arrow"]["columns"] == ["x", "y"]
    assert got["app.db"]["tables"] == {"users": ["id", "email"]}
    assert got["hf_ds"]["format"] == "huggingface-datasets"
    assert got["hf_ds"]["columns"] == ["text", "label"]
    assert got["hf_ds"]["shards"] == 1
    assert "hf_ds/data-00000-of-00001.arrow" not in got  # a shard of hf_ds, not its own


def test_corrupt_parquet_footer_is_said_not_crashed(tmp_path: Path) -> None:
    (tmp_path / "bad.parquet").write_bytes(b"PAR1" + b"\xff" * 64 + b"\xff\xff\xff\x7fPAR1")
    (dataset,) = _kind(inventory(tmp_path), "dataset")
    assert "schema_error" in dataset.details


def test_mcp_config_unpinned_and_pinned_servers(tmp_path: Path) -> None:
    cfg = {
        "mcpServers": {
            "fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem"]},
            "git": {"command": "uvx", "args": ["mcp-server-git==0.6.2"]},
            "pinned": {"command": "npx", "args": ["-y", "@scope/server@1.2.3"]},
            "fetch": {"command": "uvx", "args": ["mcp-server-fetch"]},
            "remote": {"url": "https://mcp.example.com/sse"},
        }
    }
    cursor = tmp_path / ".cursor"
    cursor.mkdir()
    (cursor / "mcp.json").write_text(json.dumps(cfg, indent=2))
    inv = inventory(tmp_path)
    pinned = {a.name: a.details["pinned"] for a in _kind(inv, "mcp_server")}
    assert pinned == {"fs": False, "git": True, "pinned": True, "fetch": False, "remote": True}
    unpinned = [f.evidence for f in inv.findings if f.rule_id == "inventory-mcp-unpinned"]
    assert len(unpinned) == 2


def test_mcp_server_credentials_in_args_and_urls_never_shown(tmp_path: Path) -> None:
    # MCP configs pass tokens and database URLs as server arguments; the inventory's JSON,
    # table and store must show where they are, never their values
    token = "ghp_" + "1234567890abcdefghijklmnopqrstuvwxyzAB"
    cfg = {
        "mcpServers": {
            "github": {"command": "npx", "args": ["-y", "@mcp/server-github", "--token", token]},
            "db": {
                "command": "uvx",
                "args": ["mcp-pg", "postgresql://admin:Sup3rS3cret@db:5432/x"],
            },
            "k": {
                "command": "node",
                "args": ["s.js", "--api-key=plainvalue123", "--password", "pw"],
            },
            "remote": {"url": "https://bob:hunter2hunter2@mcp.example.com/sse"},
        }
    }
    (tmp_path / "mcp.json").write_text(json.dumps(cfg))
    inv = inventory(tmp_path)
    shown = json.dumps(to_json(inv))
    for secret in (token, "Sup3rS3cret", "plainvalue123", '"pw"', "hunter2hunter2"):
        assert secret not in shown
    servers = {a.name: a.details for a in _kind(inv, "mcp_server")}
    assert servers["github"]["args"] == ["-y", "@mcp/server-github", "--token", "<redacted>"]
    assert servers["k"]["args"] == ["s.js", "--api-key=<redacted>", "--password", "<redacted>"]
    assert "db:5432/x" in servers["db"]["args"][1]  # the rest stays readable
    assert servers["remote"]["url"].endswith("@mcp.example.com/sse")


def test_prompt_files(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "system.md").write_text("You are a bot.")
    (tmp_path / "qa.prompt").write_text("Answer: {{q}}")
    (tmp_path / "README.md").write_text("not a prompt")
    inv = inventory(tmp_path)
    assert [(p.path, p.details["system"]) for p in _kind(inv, "prompt")] == [
        ("prompts/system.md", True),
        ("qa.prompt", False),
    ]


def test_secret_reported_by_place_and_type_never_value(tmp_path: Path) -> None:
    value = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z" * 2
    (tmp_path / "settings.yaml").write_text(f"openai:\n  api_key: {value}\n")
    nb = {"cells": [{"cell_type": "code", "source": f"KEY = '{value}'"}]}
    (tmp_path / "nb.ipynb").write_text(json.dumps(nb))
    inv = inventory(tmp_path)
    secrets = _kind(inv, "secret")
    assert sorted((s.path, s.line) for s in secrets) == [("nb.ipynb", 1), ("settings.yaml", 2)]
    dumped = json.dumps(to_json(inv))
    assert value not in dumped
    assert value[:12] not in dumped


def test_gitignore_exclude_venv_and_git_are_honoured(tmp_path: Path) -> None:
    code = "import openai\nopenai.OpenAI()\n"
    for rel in (
        "keep.py",
        "ignored.py",
        "build/x.py",
        "sub/local.py",
        "sub/kept.py",
        "tests/t.py",
        ".git/hooks/h.py",
        "env/lib/y.py",
    ):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code)
    (tmp_path / ".gitignore").write_text("ignored.py\nbuild/\n")
    (tmp_path / "sub" / ".gitignore").write_text("local.py\n")
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    inv = inventory(tmp_path, exclude=["tests/"])
    assert sorted({a.path for a in inv.assets}) == ["keep.py", "sub/kept.py"]


def test_fsspec_url(tmp_path: Path) -> None:
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe("/bucket/proj/app.py", b"from openai import OpenAI\nOpenAI()\n")
    fs.pipe("/bucket/proj/m.pkl", pickle.dumps(_Reduce(), protocol=2))
    fs.pipe("/bucket/proj/.gitignore", b"skip/\n")
    fs.pipe("/bucket/proj/skip/app.py", b"from openai import OpenAI\nOpenAI()\n")
    try:
        inv = inventory("memory://bucket/proj")
    finally:
        fs.rm("/bucket", recursive=True)
    assert [(a.kind, a.path) for a in inv.assets] == [
        ("llm_call", "app.py"),
        ("model_file", "m.pkl"),
    ]
    assert _kind(inv, "model_file")[0].details["verdict"] == "malicious"


def test_progress_is_called_with_totals(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"f{i}.py").write_text("x = 1\n")
    seen: list[tuple[int, int | None]] = []
    inventory(tmp_path, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (5, 5)


def test_missing_root_is_an_input_error(tmp_path: Path) -> None:
    from aisec.core.errors import InputError

    with pytest.raises(InputError, match="cannot read"):
        inventory(tmp_path / "nope")


def test_large_trees_are_analysed_in_processes_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aisec.inventory import _run

    for i in range(12):
        (tmp_path / f"m{i}.py").write_text(f"import openai\nopenai.OpenAI()  # {i}\n")
    (tmp_path / "requirements.txt").write_text("openai>=1\n")
    (tmp_path / "hf").mkdir()
    (tmp_path / "hf" / "dataset_info.json").write_text('{"features": {"t": {}}}')
    inline = to_json(inventory(tmp_path))
    monkeypatch.setattr(_run, "_PARALLEL_FROM", 2)
    monkeypatch.setattr(_run, "_CHUNK", 5)
    seen: list[tuple[int, int | None]] = []
    pooled = to_json(inventory(tmp_path, progress=lambda d, t: seen.append((d, t))))
    assert pooled == inline
    assert seen[-1] == (14, 14)


_PARENT = os.getpid()
_REAL_CHUNK = None


def _dying_chunk(root: str, refs: list[object], scan_models: bool) -> object:
    """A worker that dies as if killed; in the parent it is the real analysis."""
    if os.getpid() != _PARENT:
        os._exit(1)
    assert _REAL_CHUNK is not None
    return _REAL_CHUNK(root, refs, scan_models)


def test_a_worker_that_dies_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    global _REAL_CHUNK
    from aisec.inventory import _run

    for i in range(6):
        (tmp_path / f"m{i}.py").write_text("import openai\nopenai.OpenAI()\n")
    _REAL_CHUNK = _run._analyse_chunk
    monkeypatch.setattr(_run, "_analyse_chunk", _dying_chunk)
    monkeypatch.setattr(_run, "_PARALLEL_FROM", 2)
    monkeypatch.setattr(_run, "_CHUNK", 2)
    inv = inventory(tmp_path)
    assert sorted(a.path for a in inv.assets) == [f"m{i}.py" for i in range(6)]
