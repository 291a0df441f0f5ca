from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.cli.main import main
from aisec.core.errors import PolicyError
from aisec.core.policy import load_policy, parse_policy, policy_schema

THREE_MISTAKES = """\
version: 1
project: fraud
assets:
  - name: scorer
    kind: modle
    owner: ml-team
  - name: features
    kind: dataset
guard:
  scanners:
    - name: prompt-injection
      mode: blok
"""


def test_three_mistakes_are_all_reported_with_paths(tmp_path: Path) -> None:
    path = tmp_path / "aisec.yaml"
    path.write_text(THREE_MISTAKES)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    errors = info.value.errors
    assert len(errors) == 3
    text = "\n".join(errors)
    assert "assets[0].kind: expected one of" in text and "'modle'" in text
    assert "assets[1].owner: required field is missing" in text
    assert "guard.scanners[0].mode: expected one of off, detect, block, redact, got 'blok'" in text


def test_policy_check_cli_prints_all_errors_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "aisec.yaml"
    path.write_text(THREE_MISTAKES)
    assert main(["policy", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "3 error(s)" in err
    assert sum(line.startswith(f"  {path}: ") for line in err.splitlines()) == 3
    assert "Traceback" not in err


def test_unknown_field_is_an_error() -> None:
    with pytest.raises(PolicyError, match="1 error"):
        parse_policy({"projet": "typo"})


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("project: [unclosed\n")
    with pytest.raises(PolicyError, match="line"):
        load_policy(path)


def test_policy_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"# " + b"x" * (2 << 20))
    with pytest.raises(PolicyError, match="over the"):
        load_policy(path)


def test_yaml_tags_are_not_executed(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("project: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(PolicyError, match="invalid YAML"):
        load_policy(path)


def test_missing_policy_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="file not found"):
        load_policy(tmp_path / "nope.yaml")


def test_valid_policy_checks_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "aisec.yaml"
    path.write_text("project: demo\nassets:\n  - {name: m, kind: model, owner: me}\n")
    assert main(["policy", "check", str(path)]) == 0
    assert "OK" in capsys.readouterr().out


def test_schema_is_valid_json_schema_and_accepts_the_example() -> None:
    import yaml

    from aisec.cli.init import EXAMPLE_POLICY

    schema = json.loads(policy_schema())
    jsonschema.Draft202012Validator.check_schema(schema)
    example = yaml.safe_load(EXAMPLE_POLICY.format(project="p", user="u"))
    jsonschema.Draft202012Validator(schema).validate(example)
    parse_policy(example)


_yaml_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
_yaml_docs = st.recursive(
    _yaml_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["project", "assets", "name", "kind", "owner", "guard", "x", "keys"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(_yaml_docs)
def test_any_document_gives_a_policy_or_a_policy_error(doc: object) -> None:
    try:
        parse_policy(doc)
    except PolicyError as exc:
        assert exc.errors
        assert all(isinstance(e, str) and e for e in exc.errors)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_loader(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "aisec.yaml"
    path.write_bytes(data)
    try:
        policy = load_policy(path)
    except PolicyError as exc:
        assert str(exc).startswith(f"policy {path}")
    else:
        assert policy.version == 1


def test_active_policy_is_loaded_once_and_reloaded_when_the_file_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import aisec.core.policy as policy_module
    from aisec.core.policy import active_policy

    assert active_policy() is None  # no aisec.yaml in the test's working folder
    path = Path.cwd() / "aisec.yaml"
    path.write_text("project: first\n")
    first = active_policy()
    assert first is not None and first.project == "first"
    calls: list[Path] = []
    real_load = policy_module.load_policy
    monkeypatch.setattr(policy_module, "load_policy", lambda p: calls.append(p) or real_load(p))
    assert active_policy() is first
    assert calls == []
    path.write_text("project: second-version\n")
    assert active_policy().project == "second-version"  # type: ignore[union-attr]
    assert calls == [path]
