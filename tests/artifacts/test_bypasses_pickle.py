"""One named test per known pickle/container attack or scanner bypass (fickling's model).

Each test builds the malicious sample from scratch (``corpus.py``), scans it, asserts the
exact rule that fires and the verdict, and asserts that nothing ran (no canary file).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from corpus import CANARY, MALICIOUS, SUSPICIOUS, Builder

from aisec.artifacts import scan_path
from aisec.core.frameworks import lookup


def _check(build: Builder, rule: str, verdict: str, tmp_path: Path) -> None:
    path = build(tmp_path)
    report = scan_path(path)
    rules = {f.rule_id for f in report.findings}
    assert rule in rules, f"{rule} not in {sorted(rules)}"
    assert report.files[0].path == str(path)
    assert report.files[0].verdict == verdict
    for finding in report.findings:
        for ref in finding.frameworks:
            assert lookup(ref).id  # every framework id exists in the catalog
    assert not (Path.cwd() / CANARY).exists(), "a sample was executed"
    assert not (tmp_path / CANARY).exists(), "a sample was executed"


def _make(build: Builder, rule: str, verdict: str) -> Callable[[Path], None]:
    def test(tmp_path: Path) -> None:
        _check(build, rule, verdict, tmp_path)

    test.__doc__ = f"{build.__name__}: expects {rule} and verdict {verdict}"
    return test


for _name, _build, _rule in MALICIOUS:
    globals()[f"test_{_name}"] = _make(_build, _rule, "malicious")
for _name, _build, _rule in SUSPICIOUS:
    globals()[f"test_{_name}"] = _make(_build, _rule, "suspicious")


def test_every_technique_has_a_test() -> None:
    names = [n for n, _, _ in MALICIOUS + SUSPICIOUS]
    assert len(names) == len(set(names))
    assert all(f"test_{n}" in globals() for n in names)


@pytest.mark.parametrize("protocol", range(6))
def test_call_chain_is_reported_not_just_the_import(protocol: int, tmp_path: Path) -> None:
    from corpus import os_system_proto

    path = tmp_path / "p.pkl"
    path.write_bytes(os_system_proto(protocol))
    (finding,) = [f for f in scan_path(path).findings if f.rule_id == "pickle-dangerous-call"]
    assert "system(" in finding.evidence and "touch" in finding.evidence


def _module_pid_call(module: str, name: str) -> bytes:
    """Legacy torch.save's ``('module', cls, file, source)`` persistent id, NEWOBJ'd with
    ``('x',)``: torch's loader returns ``cls`` for it."""
    from corpus import MARK, PROTO2, STOP, TUPLE1, g0, u

    pid = MARK + u("module") + g0(module, name) + u("f.py") + u("class C: pass") + b"t"
    return PROTO2 + pid + b"Q" + u("x") + TUPLE1 + b"\x81" + STOP


@pytest.mark.parametrize(
    ("module", "name", "verdict", "rule"),
    [
        ("os", "system", "malicious", "pickle-dangerous-call"),
        ("mycompany.models", "CustomNet", "suspicious", "pickle-unknown-global"),
    ],
)
def test_class_behind_a_module_persistent_id_is_judged_as_that_class(
    module: str, name: str, verdict: str, rule: str, tmp_path: Path
) -> None:
    path = tmp_path / "model.pth"
    path.write_bytes(_module_pid_call(module, name))
    report = scan_path(path)
    assert rule in {f.rule_id for f in report.findings}
    assert report.files[0].verdict == verdict


def test_clean_payload_under_pickle_loads_is_a_nested_loader(tmp_path: Path) -> None:
    from corpus import PROTO4, REDUCE, STOP, TUPLE1, by, sg

    path = tmp_path / "loads.pkl"
    path.write_bytes(PROTO4 + sg("pickle", "loads") + by(b"I1\n.") + TUPLE1 + REDUCE + STOP)
    report = scan_path(path)
    assert {f.rule_id for f in report.findings} == {"pickle-nested-loader"}
    assert report.files[0].verdict == "suspicious"


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("_osx_support", "_read_output"),
        ("_pyrepl.pager", "pipe_pager"),
        ("logging.handlers", "TimedRotatingFileHandler"),
        ("_signal", "raise_signal"),
        ("picklescan.scanner", "scan_pickle_bytes"),
    ],
)
def test_shell_file_and_scanner_tampering_gadgets_are_dangerous(
    module: str, name: str, tmp_path: Path
) -> None:
    from corpus import PROTO4, REDUCE, STOP, TUPLE1, sg, u

    path = tmp_path / "gadget.pkl"
    path.write_bytes(PROTO4 + sg(module, name) + u("x") + TUPLE1 + REDUCE + STOP)
    report = scan_path(path)
    assert "pickle-dangerous-call" in {f.rule_id for f in report.findings}
    assert report.files[0].verdict == "malicious"
