"""``aisec data check``: each poisoning of a clean sample is reported by its own rule, with the
poisoned rows, and a clean sample against a clean baseline reports nothing.

The baseline and the contract come from one clean sample (seed 1); every test checks a
fresh clean sample (seed 2) with one poison applied.
"""

from __future__ import annotations

from pathlib import Path

import _poison_gen as gen
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.core.findings import Finding, Severity
from aisec.core.frameworks import lookup as lookup_framework
from aisec.core.policy import DataContract
from aisec.core.rules import lookup
from aisec.data import _detectors
from aisec.data._check import _repeats, check_data, profile_data
from aisec.data._contract import infer_contract
from aisec.data._profile import Profile

FLIPS = _detectors._function("aisec.data._label_flips", "label_flip_suspects") is not None
TRIGGERS = _detectors._function("aisec.data._triggers", "trigger_candidates") is not None
QUARANTINE = _detectors._function("aisec.data", "quarantine_of") is not None
needs_flips = pytest.mark.skipif(not FLIPS, reason="label-flip detector (data-ledger) not merged")
needs_triggers = pytest.mark.skipif(
    not TRIGGERS, reason="trigger detector (data-ledger) not merged"
)


class Kit:
    """A baseline, its contract, and a folder to write checked samples in."""

    def __init__(self, folder: Path, clean: pl.DataFrame, **roles: object) -> None:
        self.folder = folder
        base = folder / "baseline.parquet"
        clean.write_parquet(base)
        self.contract: DataContract = infer_contract(base, **roles)  # type: ignore[arg-type]
        self.baseline: Profile = profile_data(
            base, label=self.contract.label, source_column=self.contract.source
        )

    def check(self, frame: pl.DataFrame, name: str = "batch") -> list[Finding]:
        path = self.folder / f"{name}.parquet"
        frame.write_parquet(path)
        found = check_data(path, self.contract, baseline=self.baseline).findings
        # until the provenance work is merged, the check says which detector it lacks
        return [f for f in found if f.rule_id != "data-check-incomplete"]


@pytest.fixture(scope="module")
def tab(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    return Kit(tmp_path_factory.mktemp("tab"), gen.tabular(1), label="label", source="source")


@pytest.fixture(scope="module")
def txt(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    return Kit(
        tmp_path_factory.mktemp("txt"), gen.text(1), label="label", text=["review"], source="source"
    )


def _rule(findings: list[Finding], rule: str) -> Finding:
    hits = [f for f in findings if f.rule_id == rule]
    assert hits, f"{rule} not reported; got {[(f.rule_id, f.evidence) for f in findings]}"
    return hits[0]


def _rows(finding: Finding) -> set[int]:
    assert finding.location.rows is not None
    return set(finding.location.rows)


def test_clean_tabular_sample_against_clean_baseline_reports_nothing(tab: Kit) -> None:
    assert tab.check(gen.tabular(2)) == []


def test_clean_text_sample_against_clean_baseline_reports_nothing(txt: Kit) -> None:
    assert txt.check(gen.text(2)) == []


def test_inferred_contract_names_roles_and_constraints(tab: Kit, txt: Kit) -> None:
    cols = tab.contract.columns
    assert cols["id"].unique and not cols["age"].nullable
    assert cols["country"].categories == sorted(gen.COUNTRIES)
    assert cols["age"].min is not None and cols["age"].min <= 18
    assert txt.contract.text == ["review"] and txt.contract.label == "label"


def test_null_spike(tab: Kit) -> None:
    frame, rows = gen.null_spike(gen.tabular(2), "income")
    finding = _rule(tab.check(frame), "data-null-spike")
    assert _rows(finding) == set(rows.tolist())
    assert finding.location.pointer == "income"


def test_range_violation(tab: Kit) -> None:
    frame, rows = gen.out_of_range(gen.tabular(2))
    finding = _rule(tab.check(frame), "data-out-of-range")
    assert _rows(finding) == set(rows.tolist())
    assert "999" not in finding.evidence  # row ids, never the values


def test_exact_duplicate_injection(tab: Kit) -> None:
    frame, rows = gen.duplicate(gen.tabular(2))
    finding = _rule(tab.check(frame), "data-duplicate-injection")
    assert _rows(finding) == set(rows.tolist())
    assert _rows(_rule(tab.check(frame), "data-not-unique")) == set(rows.tolist())


def test_near_duplicate_injection_in_text(txt: Kit) -> None:
    frame, rows = gen.duplicate(gen.text(2), near=True)
    finding = _rule(txt.check(frame), "data-near-duplicate-injection")
    found = _rows(finding)
    assert len(found & set(rows.tolist())) >= 0.9 * len(rows)
    assert len(found - set(rows.tolist())) <= 0.01 * len(rows)


def test_category_drift(tab: Kit) -> None:
    finding = _rule(tab.check(gen.category_drift(gen.tabular(2))), "data-feature-drift")
    assert finding.location.pointer == "country"
    assert "PSI" in finding.evidence


def test_numeric_feature_drift(tab: Kit) -> None:
    frame = gen.tabular(2).with_columns(pl.col("score") + 0.5)
    finding = _rule(tab.check(frame), "data-feature-drift")
    assert finding.location.pointer == "score" and "KS" in finding.evidence


def test_new_dominant_source(tab: Kit) -> None:
    frame, rows = gen.new_source(gen.tabular(2))
    finding = _rule(tab.check(frame), "data-source-shift")
    assert _rows(finding) == set(rows.tolist())


def test_label_distribution_drift(tab: Kit) -> None:
    frame = gen.tabular(2)
    yes = frame.filter(pl.col("label") == "yes")
    drifted = pl.concat([frame, yes, yes])
    finding = _rule(tab.check(drifted), "data-label-drift")
    assert "chi-square" in finding.evidence and "JS" in finding.evidence


def test_pii_in_a_forbidden_column(txt: Kit) -> None:
    frame, rows = gen.pii_in_text(gen.text(2))
    finding = _rule(txt.check(frame), "data-pii-forbidden")
    assert _rows(finding) == set(rows.tolist())
    assert "@" not in finding.evidence and "customer" not in finding.evidence


def test_schema_drift_missing_and_new_columns(tab: Kit) -> None:
    frame = gen.tabular(2).drop("score").with_columns(pl.lit(1).alias("extra"))
    evidence = [f.evidence for f in tab.check(frame) if f.rule_id == "data-schema-drift"]
    assert any("'score'" in e and "missing" in e for e in evidence)
    assert any("'extra'" in e and "new column" in e for e in evidence)


def test_type_change_is_schema_drift(tab: Kit) -> None:
    frame = gen.tabular(2).with_columns(pl.col("age").cast(pl.String))
    finding = _rule(tab.check(frame), "data-schema-drift")
    assert "'age'" in finding.evidence and "type str" in finding.evidence


@needs_flips
@pytest.mark.parametrize("kind", ["tabular", "text"])
def test_flipped_labels(kind: str, tab: Kit, txt: Kit) -> None:
    kit, frame = (tab, gen.tabular(2)) if kind == "tabular" else (txt, gen.text(2))
    poisoned, rows = gen.flip_labels(frame)
    finding = _rule(kit.check(poisoned), "data-label-flip-suspect")
    found = _rows(finding)
    assert len(found & set(rows.tolist())) >= 0.5 * len(rows)


@needs_triggers
def test_backdoor_trigger_phrase(txt: Kit) -> None:
    frame, rows = gen.plant_trigger(gen.text(2))
    finding = _rule(txt.check(frame), "data-backdoor-trigger")
    assert set(rows.tolist()) <= _rows(finding)


def test_detector_missing_is_reported_not_silent(tab: Kit, tmp_path: Path) -> None:
    path = tmp_path / "b.parquet"
    gen.tabular(2).write_parquet(path)
    found = check_data(path, tab.contract, baseline=tab.baseline).findings
    missing = [f for f in found if f.rule_id == "data-check-incomplete"]
    assert (not missing) == (FLIPS and QUARANTINE)
    assert all(f.severity is Severity.HIGH for f in missing)


def test_every_rule_maps_to_poisoning_frameworks(txt: Kit, tab: Kit) -> None:
    frame, _ = gen.duplicate(gen.text(2), near=True)
    findings = txt.check(frame) + tab.check(gen.out_of_range(gen.tabular(2))[0])
    for f in findings:
        assert {str(r) for r in f.frameworks} >= {
            "ATLAS:AML.T0020",
            "ATLAS:AML.T0059",
            "OWASP-LLM:LLM04:2025",
        }
        assert lookup(f.rule_id).source == "data"
        for ref in f.frameworks:
            assert lookup_framework(ref).title


def test_rows_listed_are_capped_and_said(tab: Kit, tmp_path: Path) -> None:
    frame, rows = gen.null_spike(gen.tabular(2), "income", share=0.5)
    path = tmp_path / "n.parquet"
    frame.write_parquet(path)
    capped = tab.contract.model_copy(
        update={"thresholds": tab.contract.thresholds.model_copy(update={"max_rows_listed": 10})}
    )
    finding = _rule(
        list(check_data(path, capped, baseline=tab.baseline).findings), "data-null-spike"
    )
    assert finding.location.rows == tuple(rows[:10].tolist())
    assert f"first 10 of {len(rows)} rows listed" in finding.evidence


def test_sampled_detectors_say_so(txt: Kit, tmp_path: Path) -> None:
    path = tmp_path / "s.parquet"
    gen.text(2).write_parquet(path)
    small = txt.contract.model_copy(
        update={"thresholds": txt.contract.thresholds.model_copy(update={"sample_rows": 1000})}
    )
    found = check_data(path, small, baseline=txt.baseline).findings
    sampled = _rule(list(found), "data-check-sampled")
    assert "first 1000 of 3000 rows" in sampled.evidence


def test_public_check_is_audited_and_gates(tab: Kit, tmp_path: Path) -> None:
    import aisec.data
    from aisec.core.audit import default_log

    frame, _ = gen.out_of_range(gen.tabular(2))
    path = tmp_path / "gate.parquet"
    frame.write_parquet(path)
    result = aisec.data.check(path, tab.contract, baseline=tab.baseline)
    assert not result.passed(Severity.MEDIUM)
    events = [e for e in default_log().tail(50) if e.action == "data.check"]
    assert events and events[-1].details["rows"] == 3000
    assert "data-out-of-range" in str(events[-1].details["rules"])


def test_row_indexes_are_zero_based_in_file_order(tab: Kit, tmp_path: Path) -> None:
    frame = gen.tabular(2)
    ages = frame.get_column("age").to_numpy().copy()
    ages[[0, 2999]] = -5
    finding = _rule(tab.check(frame.with_columns(pl.Series("age", ages))), "data-out-of-range")
    assert finding.location.rows == (0, 2999)
    assert np.asarray(finding.location.rows).dtype.kind == "i"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 6), max_size=30), max_size=4))
def test_repeats_match_a_scan_in_file_order(parts: list[list[int]]) -> None:
    """The sort-based duplicate search names exactly the entries equal to an earlier one."""
    hashes = [np.asarray(p, dtype=np.uint64) for p in parts]
    seen: set[int] = set()
    want: list[int] = []
    for i, value in enumerate(v for p in parts for v in p):
        if value in seen:
            want.append(i)
        seen.add(value)
    assert _repeats(hashes).tolist() == want


def test_rows_across_parquet_row_groups_keep_file_order(tab: Kit, tmp_path: Path) -> None:
    """A Parquet file of several row groups (read one at a time, the next prefetched) gives
    the same row indexes as one frame: violations in the first, a middle and the last group."""
    frame = gen.tabular(2)
    ages = frame.get_column("age").to_numpy().copy()
    ages[[1, 1234, 2998]] = -5
    path = tmp_path / "groups.parquet"
    frame.with_columns(pl.Series("age", ages)).write_parquet(path, row_group_size=500)
    result = check_data(path, tab.contract, baseline=tab.baseline)
    assert _rule(list(result.findings), "data-out-of-range").location.rows == (1, 1234, 2998)
    assert result.rows == frame.height
