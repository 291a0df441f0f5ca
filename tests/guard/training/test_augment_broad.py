"""The compositional train-only families of ``_augment_broad`` (issue 17, second pass)."""

from __future__ import annotations

import json
from pathlib import Path

from aisec.guard._normalise import normalise
from aisec.guard.training._augment_broad import generate_broad

_POOL = [
    "The museum reopens in spring after a two-year renovation of its east wing.",
    "Rainfall this year was well above average, and farmers expect a good harvest.",
]


def test_broad_families_are_reproducible() -> None:
    rows = generate_broad(5, _POOL, 300)
    assert [(e.text, e.label, e.source) for e in rows] == [
        (e.text, e.label, e.source) for e in generate_broad(5, _POOL, 300)
    ]


def test_broad_families_have_the_labels_their_names_say() -> None:
    rows = generate_broad(7, _POOL, 600)
    by_source: dict[str, set[int]] = {}
    for e in rows:
        by_source.setdefault(e.source, set()).add(e.label)
    for family in ("gap_broad_extract", "gap_broad_code_inject"):
        assert by_source[family] == {1}
    for family in (
        "gen_gap_broad_ai",
        "gen_gap_broad_work",
        "gen_gap_broad_errand",
        "gen_gap_broad_instruct",
        "gen_gap_broad_role",
    ):
        assert by_source[family] == {0}
    languages = {s.rsplit("_", 1)[-1] for s in by_source if s.startswith("gen_gap_broad_lang_")}
    assert {"de", "fr", "vi", "ja", "zh", "ko"} <= languages


def test_broad_texts_are_not_the_dev_suites() -> None:
    suite = Path(__file__).resolve().parents[3] / "benchmarks" / "guard" / "devsuite"
    dev: set[str] = set()
    for path in suite.glob("*.jsonl"):
        dev |= {
            normalise(json.loads(line)["text"]).folded
            for line in path.read_text().splitlines()
            if line
        }
    rows = generate_broad(1337, _POOL, 1500)
    assert not {normalise(e.text).folded for e in rows} & dev


def test_instruction_prompts_quote_only_the_benign_pool() -> None:
    rows = [e for e in generate_broad(3, _POOL, 200) if e.source == "gen_gap_broad_instruct"]
    assert rows
    assert all(any(p in e.text for p in _POOL) for e in rows)
