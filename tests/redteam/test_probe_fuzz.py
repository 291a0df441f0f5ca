"""Probe files of random and truncated content: a probe list or a clean InputError, never
another exception or a hang."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aisec.core.errors import InputError
from aisec.redteam import load_probes

VALID = (Path(__file__).resolve().parents[2] / "src/aisec/redteam/probes/tools.yaml").read_text()


def _load(name: str, content: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / name).write_text(content, encoding="utf-8")
        try:
            probes = load_probes(None, [Path(tmp)])
        except InputError:
            return
        assert all(p.family and p.id and p.turns for p in probes)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_random_yaml_and_jsonl_fail_cleanly(text: str) -> None:
    _load("x.yaml", text)
    _load("x.jsonl", text)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=len(VALID)))
def test_truncated_probe_files_fail_cleanly(cut: int) -> None:
    _load("x.yaml", VALID[:cut].replace("family: tool_misuse", "family: mine"))
