"""The AI-BOM validates against the CycloneDX 1.6 schema (acceptance 3) and lists models
(with model-card fields), data, dependencies and LLM services."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from posture_samples import MakeInv, asset

from aisec.posture import AibomError, build_aibom, validate_aibom

DIGEST = "4b7b567f1f5c4f6d3c701663574251b5349d302b22eef5b74c4558cb38d211e8"


def _bom(make_inv: MakeInv, tmp_path: Path) -> dict:  # type: ignore[type-arg]
    (tmp_path / "requirements.txt").write_text("openai==1.40.0\nchromadb\n", encoding="utf-8")
    inv = make_inv(
        [
            asset(
                "model_file",
                "models/embedder.safetensors",
                "embedder.safetensors",
                format="safetensors",
                size=120,
                sha256=DIGEST,
                signature="unsigned",
                verdict="clean",
            ),
            asset("dataset", "data/faq.csv", "faq.csv", format="csv", rows=10),
            asset("vector_store", "app/rag.py", "chromadb.PersistentClient", line=3),
            asset("dependency_manifest", "requirements.txt", format="requirements"),
            asset(
                "llm_call",
                "app/rag.py",
                "openai.OpenAI",
                line=4,
                provider="openai",
                model="gpt-4o-mini",
            ),
            asset(
                "llm_call",
                "app/rag.py",
                "openai.chat",
                line=9,
                provider="openai",
                base_url="https://api.openai.com/v1",
            ),
            asset("llm_call", "train.py", "sklearn.svm.SVC", line=2, sdk="sklearn", category="ml"),
        ],
        root=str(tmp_path),
    )
    return build_aibom(inv, "rag-app", tmp_path)


def test_aibom_validates_against_cyclonedx_1_6(make_inv: MakeInv, tmp_path: Path) -> None:
    doc = _bom(make_inv, tmp_path)
    assert doc["specVersion"] == "1.6" and doc["bomFormat"] == "CycloneDX"
    validate_aibom(doc)  # raises when it does not validate
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc)) is None


def test_models_data_dependencies_and_services(make_inv: MakeInv, tmp_path: Path) -> None:
    doc = _bom(make_inv, tmp_path)
    by_type: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for comp in doc["components"]:
        by_type.setdefault(comp["type"], []).append(comp)
    (model,) = by_type["machine-learning-model"]
    assert model["hashes"] == [{"alg": "SHA-256", "content": DIGEST}]
    card = {p["name"]: p["value"] for p in model["modelCard"]["properties"]}
    assert card == {
        "format": "safetensors",
        "size": "120",
        "sha256": DIGEST,
        "signature": "unsigned",
        "verdict": "clean",
    }
    assert {c["name"] for c in by_type["data"]} == {"faq.csv", "chromadb.PersistentClient"}
    libs = {c["name"]: c.get("version") for c in by_type["library"]}
    assert libs == {"openai": "1.40.0", "chromadb": None}
    assert {c["purl"] for c in by_type["library"]} == {
        "pkg:pypi/openai@1.40.0",
        "pkg:pypi/chromadb",
    }
    (service,) = doc["services"]  # sklearn is a library call, not a service
    assert service["name"] == "openai"
    assert service["endpoints"] == ["https://api.openai.com/v1"]
    graph = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    assert len(graph["project"]) == 5  # the model, two data components, two libraries


def test_an_invalid_bom_is_refused() -> None:
    with pytest.raises(AibomError, match=r"CycloneDX 1\.6"):
        validate_aibom(
            {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "robot"}]}
        )
