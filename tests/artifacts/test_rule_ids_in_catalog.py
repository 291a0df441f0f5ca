"""Every rule id the artifact scanner emits on the attack corpus is in the rule catalog
(``aisec.core.rules``); the source-level check is ``tests/core/test_rules.py``."""

from __future__ import annotations

from pathlib import Path

from corpus import MALICIOUS, SUSPICIOUS

from aisec.artifacts import scan_path
from aisec.core.rules import all_rules, lookup

CATALOG = {r.id for r in all_rules()}


def test_corpus_rules_are_catalogued() -> None:
    declared = {rule for _, _, rule in [*MALICIOUS, *SUSPICIOUS]}
    assert sorted(declared - CATALOG) == []


def test_scanner_emits_only_catalogued_ids(tmp_path: Path) -> None:
    paths = []
    for i, (_, build, _) in enumerate([*MALICIOUS, *SUSPICIOUS]):
        folder = tmp_path / str(i)
        folder.mkdir()
        paths.append(build(folder))
    report = scan_path(paths)
    emitted = {f.rule_id for result in report.files for f in result.findings}
    assert len(emitted) >= 60, sorted(emitted)  # the corpus reaches most rules
    assert sorted(emitted - CATALOG) == []
    assert {lookup(i).source for i in emitted} == {"artifacts"}
