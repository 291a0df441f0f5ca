"""Real models from the real libraries, in every format they ship in: nothing above info.
The same files with a payload spliced into the stream, or a malicious ``__reduce__`` object
added to the model's own state: every one malicious.

Built once per session (``real_models.py``); a library that is not installed is skipped.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import real_models
from real_models import CorpusFile

from aisec.artifacts import FileResult, scan_path
from aisec.artifacts.pickle._policy import generated_allowlist
from aisec.core.findings import Finding, Severity


@dataclass(frozen=True)
class Scanned:
    file: CorpusFile
    result: FileResult
    findings: tuple[Finding, ...]  # its own and its members'


def _scan(files: list[CorpusFile]) -> list[Scanned]:
    report = scan_path([f.path for f in files])
    by_top: dict[str, list[FileResult]] = {}
    for r in report.files:
        by_top.setdefault(r.path.split("!/")[0], []).append(r)
    out = []
    for f in files:
        entries = by_top[str(f.path)]
        top = next(r for r in entries if r.path == str(f.path))
        out.append(Scanned(f, top, tuple(x for r in entries for x in r.findings)))
    return out


@pytest.fixture(scope="session")
def real_objects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence and deprecation chatter of toy fits
        return real_models.build_objects(tmp_path_factory.mktemp("user-package"))


@pytest.fixture(scope="session")
def benign(
    real_objects: dict[str, dict[str, object]], tmp_path_factory: pytest.TempPathFactory
) -> list[Scanned]:
    files = real_models.write_corpus(tmp_path_factory.mktemp("real"), real_objects)
    return _scan(files)


@pytest.fixture(scope="session")
def with_payloads(
    real_objects: dict[str, dict[str, object]],
    benign: list[Scanned],
    tmp_path_factory: pytest.TempPathFactory,
) -> list[tuple[str, Scanned]]:
    """(how the payload got in, scanned file) for every object and every benign file."""
    folder = tmp_path_factory.mktemp("payloads")
    made: list[tuple[str, CorpusFile]] = []
    for lib, name, kind, obj in real_models.payload_objects(real_objects):
        files = real_models.write_corpus(folder / "objects", {lib: {f"{name}+{kind}": obj}})
        made += [(f"{kind} object in the model's state", f) for f in files if f.fmt != "skops"]
    (folder / "spliced").mkdir()
    for index, item in enumerate(benign):
        kind = real_models.payload_kind(index)
        for where, data in real_models.splices(item.file, kind):
            path = folder / "spliced" / f"{item.file.path.stem}+{kind}+{where[0]}.bin"
            path.write_bytes(data)
            how = f"{kind} REDUCE spliced in, {where}"
            made.append((how, CorpusFile(path, *_meta(item))))
    scanned = _scan([f for _, f in made])
    return [(how, s) for (how, _), s in zip(made, scanned, strict=True)]


def _meta(item: Scanned) -> tuple[str, str, str]:
    return item.file.library, item.file.name, item.file.fmt


def _table(rows: list[tuple[str, str, bool]]) -> str:
    total: Counter[tuple[str, str]] = Counter()
    hit: Counter[tuple[str, str]] = Counter()
    for lib, fmt, flag in rows:
        total[(lib, fmt)] += 1
        hit[(lib, fmt)] += flag
    return "\n".join(
        f"{lib:8} {fmt:24} {hit[k]:4}/{total[k]}" for k in sorted(total) for lib, fmt in [k]
    )


# Files this branch's sniffer does not take for a pickle at all (format "unknown"): a joblib
# file compressed with lz4, and a payload put in front of an uncompressed joblib stream (the
# sniffing walk meets raw array bytes). Both are recognised by the pickle-hardening work
# (commit 0eef58c: lz4 frames; a walk that reaches an import or call before it breaks).
_UNREAD = "format unknown: lz4 joblib and sniffing are pickle-hardening's (0eef58c)"


# -- benign ---------------------------------------------------------------------------------
def test_corpus_covers_every_library_and_format(benign: list[Scanned]) -> None:
    libs = {s.file.library for s in benign}
    fmts = {s.file.fmt for s in benign}
    assert {"sklearn", "xgboost", "lightgbm", "catboost", "pandas", "torch", "numpy"} <= libs
    wanted = {f"pickle{p}" for p in range(6)} | {"joblib", "cloudpickle", "skops", "npy"}
    wanted |= {f"joblib-{c}" for c in real_models.JOBLIB_COMPRESSORS}
    wanted |= {"torch-zip", "torch-legacy", "pandas-to_pickle"}
    assert wanted <= fmts


def test_real_models_are_flagged_at_most_info(benign: list[Scanned]) -> None:
    rows = [
        (s.file.library, s.file.fmt, any(f.severity > Severity.INFO for f in s.findings))
        for s in benign
    ]
    print("\nflagged above info, per library and format:\n" + _table(rows))
    flagged = [
        (s.file.path.name, s.result.format, [(f.rule_id, f.evidence) for f in s.findings])
        for s in benign
        if any(f.severity > Severity.INFO for f in s.findings) or s.result.error
    ]
    assert flagged == []


def test_users_own_class_in_full_torch_save_is_info_with_its_name(benign: list[Scanned]) -> None:
    from aisec.cli._output import exit_code_for

    user = [s for s in benign if s.file.name == "user_tinycnn_module"]
    assert {s.file.fmt for s in user} >= {"torch-zip", "torch-legacy", "pickle2", "pickle4"}
    unread = [s.file.fmt for s in user if s.result.format == "unknown"]
    for s in user:
        if s.result.format == "unknown":
            continue
        (info,) = [f for f in s.findings if f.rule_id == "pickle-unknown-class"]
        assert info.severity is Severity.INFO
        assert "mypackage.models.TinyCNN" in info.evidence
        assert s.result.verdict == "clean"
        assert exit_code_for(s.findings, Severity.MEDIUM) == 0
    if unread:
        pytest.xfail(f"{unread}: {_UNREAD}")


def test_generated_allowlist_covers_what_installed_libraries_pickle(
    benign: list[Scanned],
) -> None:
    """Fails when an installed library (a new version) pickles a name the list lacks: run
    ``benchmarks/scanners/allowlist/generate.py`` and review the diff."""
    _, versions = generated_allowlist()
    tops = {"numpy", "scipy", "sklearn", "pandas", "pyarrow", "torch", "xgboost", "lightgbm"}
    tops |= {"catboost", "joblib"}
    missing = sorted(
        {
            f.evidence.split(" via ")[0].split(": ")[-1]
            for s in benign
            for f in s.findings
            if f.rule_id in ("pickle-unknown-class", "pickle-unknown-global")
            and f.evidence.split(" via ")[0].split(": ")[-1].split(".")[0] in tops
        }
    )
    from importlib import metadata

    installed = {d: metadata.version(d) for d in versions}
    assert missing == [], f"not in allowlist.json (made from {versions}, installed {installed})"


def test_allowlist_data_names_its_library_versions() -> None:
    path = Path(real_models.__file__).parents[2] / "src/aisec/artifacts/pickle/allowlist.json"
    data = json.loads(path.read_text())
    assert data["generator"] == "benchmarks/scanners/allowlist/generate.py"
    assert {"scikit-learn", "numpy", "torch", "pandas"} <= set(data["libraries"])
    names, _ = generated_allowlist()
    assert (
        "numpy.log1p" in names
        and "sklearn.feature_selection._univariate_selection.f_classif" in names
    )


def test_npy_with_list_form_structured_dtype_is_plain_data(benign: list[Scanned]) -> None:
    plain = [s for s in benign if s.file.fmt == "npy" and s.file.name.startswith("structured_")]
    formats = {s.file.name: s.result.format for s in plain}
    assert formats == {
        "structured_list_descr": "npy",
        "structured_nested": "npy",
        "structured_object": "npy-object",  # a real object field: its pickle is judged
    }
    assert all(not s.findings for s in plain)


# -- with payloads --------------------------------------------------------------------------
def test_every_real_model_with_a_payload_is_malicious(
    with_payloads: list[tuple[str, Scanned]],
) -> None:
    rows = [
        (s.file.library, how.split(" ", 1)[1][:24], s.result.verdict == "malicious")
        for how, s in with_payloads
    ]
    print("\npayload files detected (malicious), per library and how:\n" + _table(rows))
    missed = [
        (how, s.file.path.name, s.result.format, s.result.verdict, [f.rule_id for f in s.findings])
        for how, s in with_payloads
        if s.result.verdict != "malicious"
    ]
    assert len(with_payloads) > 1000
    judged_and_missed = [m for m in missed if m[2] != "unknown"]
    assert judged_and_missed == []
    if missed:
        kinds = Counter(
            f"{m[1].split('__')[-1].split('+')[0]} {m[0].split(', ')[-1]}" for m in missed
        )
        pytest.xfail(f"{len(missed)} not recognised as a pickle at all ({dict(kinds)}): {_UNREAD}")


def test_payload_is_named_in_the_findings(with_payloads: list[tuple[str, Scanned]]) -> None:
    for how, s in with_payloads:
        if s.result.format == "unknown":
            continue  # counted by the test above
        kind = how.split(" ", 1)[0]
        rules = {f.rule_id for f in s.findings}
        assert rules & {"pickle-dangerous-call", "pickle-dangerous-global"}, (how, s.file.path)
        name = kind.rsplit(".", 1)[1]
        assert any(name in f.evidence for f in s.findings), (how, s.file.path)
