"""``aisec data contract infer / profile / check`` as a user runs them: JSON that validates
and lists every row, SARIF that validates, escaped tables, exit codes."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import polars as pl
import pytest

from aisec.cli.main import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
import _poison_gen as gen

SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture
def kit(capsys: pytest.CaptureFixture[str]) -> Path:
    """A home, a clean sample's contract and baseline, in the working folder."""
    assert _run(capsys, "init")[0] == 0
    gen.tabular(1).write_csv("clean.csv")
    rc, _, err = _run(
        capsys,
        "data",
        "contract",
        "infer",
        "clean.csv",
        "--label",
        "label",
        "--source",
        "source",
        "-o",
        "contract.yaml",
    )
    assert rc == 0, err
    rc, _, err = _run(
        capsys,
        "data",
        "profile",
        "clean.csv",
        "--label",
        "label",
        "--source",
        "source",
        "--out",
        "baseline.json",
    )
    assert rc == 0, err
    return Path.cwd()


def _check(capsys: pytest.CaptureFixture[str], data: str, *extra: str) -> tuple[int, str]:
    rc, out, err = _run(
        capsys, "data", "check", data, "-c", "contract.yaml", "-b", "baseline.json", *extra
    )
    assert "Traceback" not in err
    return rc, out


def test_json_lists_every_row_and_validates(kit: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame, rows = gen.out_of_range(gen.tabular(2), share=0.05)
    frame.write_parquet("batch.parquet")
    rc, out = _check(capsys, "batch.parquet", "--format", "json", "--fail-on", "medium")
    doc: dict[str, Any] = json.loads(out)
    schema = json.loads(
        (resources.files("aisec.cli") / "schemas" / "findings.schema.json").read_text()
    )
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert rc == 1 and doc["command"] == "data check" and doc["data"]["rows"] == 3000
    hit = next(f for f in doc["findings"] if f["rule_id"] == "data-out-of-range")
    assert hit["location"]["rows"] == rows.tolist() and len(rows) == 150


def test_table_shows_a_sample_of_rows(
    kit: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "240")  # rule ids whole on one line
    frame, _ = gen.out_of_range(gen.tabular(2))
    frame.write_parquet("batch.parquet")
    _, out = _check(capsys, "batch.parquet")
    assert "data-out-of-range" in out and "(+25 more)" in out


def test_sarif_validates_and_carries_rows(kit: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame, rows = gen.null_spike(gen.tabular(2), "income")
    frame.write_parquet("batch.parquet")
    _, out = _check(capsys, "batch.parquet", "--format", "sarif")
    doc = json.loads(out)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(doc)
    result = next(r for r in doc["runs"][0]["results"] if r["ruleId"] == "data-null-spike")
    assert result["properties"]["rows"] == rows.tolist()


def test_column_names_are_shown_not_obeyed(kit: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evil = "[red]x\x1b[2J"
    gen.tabular(2).with_columns(pl.lit(1).alias(evil)).write_parquet("batch.parquet")
    _, out = _check(capsys, "batch.parquet")
    assert "'[red]x\\x1b[2J'" in out.replace("\n", "").replace("│", "").replace(" ", "")
    assert "\x1b" not in out


def test_clean_batch_exits_zero(kit: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gen.tabular(2).write_csv("batch.csv")
    rc, out = _check(capsys, "batch.csv", "--fail-on", "critical")
    assert rc == 0
    assert "data-out-of-range" not in out


def test_contract_by_name_from_the_policy(kit: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("aisec.yaml").write_text(
        "data:\n  contracts:\n    - name: customers\n      path: 'batch*.csv'\n"
        "      file: contract.yaml\n",
        encoding="utf-8",
    )
    frame, _ = gen.out_of_range(gen.tabular(2))
    frame.write_csv("batch1.csv")
    for how in (["-c", "customers"], []):
        rc, out, err = _run(capsys, "data", "check", "batch1.csv", *how, "--fail-on", "medium")
        assert rc == 1 and "data-out-of-range" in out, err


def test_unknown_contract_is_a_usage_error(kit: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gen.tabular(2).write_csv("batch.csv")
    rc, _, err = _run(capsys, "data", "check", "batch.csv", "-c", "nope")
    assert rc == 2 and "no data contract 'nope'" in err


def test_profile_refuses_to_overwrite(kit: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = _run(capsys, "data", "profile", "clean.csv", "--out", "baseline.json")
    assert rc == 2 and "--force" in err
