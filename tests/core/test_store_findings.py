"""Findings of redteam / robustness runs in the store, read back by source and run."""

from __future__ import annotations

from aisec.core.findings import Finding, FrameworkRef, Location, Severity
from aisec.core.store import open_store
from aisec.core.store.findings import read_findings, record_findings


def test_findings_round_trip_by_source_and_run(db_url: str) -> None:
    store = open_store(db_url)
    try:
        first = Finding(
            "redteam-tool-misuse", "Target calls a forbidden tool", Severity.CRITICAL,
            asset="http://127.0.0.1:1/v1 model=m", location=Location(pointer="/families/x"),
            evidence="3/13 attempts succeeded", frameworks=(FrameworkRef("ATLAS", "AML.T0053"),),
            remediation="Enforce a tool allowlist.",
        )  # fmt: skip
        second = Finding("robustness-membership-leak", "leak", Severity.MEDIUM, asset="m.pkl")
        record_findings(store, source="redteam", run_id="r1", findings=[first])
        record_findings(store, source="redteam", run_id="r2", findings=[first, first])
        record_findings(store, source="robustness", run_id="r3", findings=[second])
        assert read_findings(store, source="redteam", run_id="r1") == [first]
        assert len(read_findings(store, source="redteam")) == 3
        assert read_findings(store, source="robustness") == [second]
        assert read_findings(store, source="assess") == []
    finally:
        store.close()
