"""Data contracts: the model's validation, where a contract is found, and bad patterns."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from aisec.core.errors import InputError, PolicyError
from aisec.core.policy import DataContract, parse_policy, policy_schema
from aisec.data._check import check_data
from aisec.data._contract import contract_yaml, load_contract


def test_min_above_max_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("columns:\n  age: {type: int, min: 10, max: 5}\n")
    with pytest.raises(PolicyError) as err:
        load_contract(str(path))
    assert "columns.age" in " ".join(err.value.errors)


def test_label_must_be_a_named_column() -> None:
    with pytest.raises(ValueError, match="label column 'y'"):
        DataContract.model_validate({"columns": {"x": {"type": "int"}}, "label": "y"})


def test_label_distribution_must_sum_to_one() -> None:
    with pytest.raises(ValueError, match="summing to 1"):
        DataContract.model_validate({"label_distribution": {"a": 0.5, "b": 0.2}})


def test_unknown_field_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("columns:\n  age: {type: int, maximum: 5}\n")
    with pytest.raises(PolicyError):
        load_contract(str(path))


def test_contracts_are_part_of_the_policy_schema() -> None:
    schema = json.loads(policy_schema())
    assert "DataContract" in schema["$defs"] and "Thresholds" in schema["$defs"]


def test_policy_contract_found_by_name_and_by_path(tmp_path: Path) -> None:
    (Path.cwd() / "c.yaml").write_text("columns:\n  a: {type: int}\n")
    Path("aisec.yaml").write_text(
        "data:\n  contracts:\n"
        "    - {name: inline, path: 'x*.csv', columns: {b: {type: str}}}\n"
        "    - {name: filed, file: c.yaml}\n"
    )
    assert list(load_contract("inline").columns) == ["b"]
    assert list(load_contract("filed").columns) == ["a"]
    assert load_contract("", "x1.csv").name == "inline"
    with pytest.raises(InputError, match="contracts there: inline, filed"):
        load_contract("other")


def test_a_file_contract_holds_nothing_else() -> None:
    with pytest.raises(PolicyError):
        parse_policy(
            {"data": {"contracts": [{"file": "c.yaml", "columns": {"a": {"type": "int"}}}]}}
        )


def test_invalid_pattern_names_the_column(tmp_path: Path) -> None:
    pl.DataFrame({"zip": ["12345", "x"]}).write_parquet(tmp_path / "d.parquet")
    contract = DataContract.model_validate({"columns": {"zip": {"type": "str", "pattern": "(["}}})
    with pytest.raises(InputError, match=r"columns\.zip\.pattern"):
        check_data(tmp_path / "d.parquet", contract)


def test_pattern_violations_are_rows(tmp_path: Path) -> None:
    pl.DataFrame({"zip": ["12345", "1234x", None, "99999"]}).write_parquet(tmp_path / "d.parquet")
    contract = DataContract.model_validate(
        {"columns": {"zip": {"type": "str", "pattern": "^[0-9]{5}$"}}}
    )
    found = [
        f
        for f in check_data(tmp_path / "d.parquet", contract).findings
        if f.rule_id == "data-pattern-violation"
    ]
    assert found and found[0].location.rows == (1,)


def test_unknown_category_rows(tmp_path: Path) -> None:
    pl.DataFrame({"c": ["a", "b", "zz", "a"]}).write_csv(tmp_path / "d.csv")
    contract = DataContract.model_validate(
        {"columns": {"c": {"type": "str", "categories": ["a", "b"]}}}
    )
    found = [
        f
        for f in check_data(tmp_path / "d.csv", contract).findings
        if f.rule_id == "data-unknown-category"
    ]
    assert found and found[0].location.rows == (2,)
    assert "zz" not in found[0].evidence


def test_contract_yaml_round_trips(tmp_path: Path) -> None:
    contract = DataContract.model_validate(
        {
            "name": "n",
            "columns": {"a": {"type": "int", "min": 0}},
            "thresholds": {"feature_ks": 0.2},
        }
    )
    path = tmp_path / "c.yaml"
    path.write_text(contract_yaml(contract))
    assert load_contract(str(path)) == contract
