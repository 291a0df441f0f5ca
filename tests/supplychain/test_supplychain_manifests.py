"""Manifests: requirements, pyproject (PEP 621, Poetry), Pipfile(.lock), poetry.lock, uv.lock;
findings for unpinned, unhashed, direct URL and VCS dependencies."""

from __future__ import annotations

import json

import pytest

from aisec.core.errors import InputError
from aisec.supplychain import Manifest, manifest_findings, parse_manifest


def _parse(path: str, text: str) -> Manifest:
    manifest = parse_manifest(path, text)
    assert manifest is not None
    return manifest


def _rules(manifest: Manifest, locked: bool = False) -> list[tuple[str, int | None]]:
    return [(f.rule_id, f.location.line) for f in manifest_findings(manifest, locked=locked)]


REQUIREMENTS = """\
# a comment
requests>=2.31
flask==3.0.0 \\
    --hash=sha256:aaaa
numpy
-e git+https://github.com/org/lib.git@0123456789abcdef0123456789abcdef01234567#egg=lib
torch @ https://download.pytorch.org/whl/cpu/torch-2.3.0.whl
-r other.txt
--index-url https://pypi.org/simple
git+https://user:hunter2@github.com/org/private.git#egg=private
"""


def test_requirements_file_findings_by_line() -> None:
    manifest = _parse("requirements.txt", REQUIREMENTS)
    deps = {d.name: d for d in manifest.dependencies}
    assert deps["flask"].version == "3.0.0"
    assert deps["flask"].hashes == ("sha256:aaaa",)
    assert deps["lib"].editable and deps["lib"].vcs and deps["lib"].pinned
    assert _rules(manifest) == [
        ("supplychain-unpinned", 2),
        ("supplychain-unpinned", 5),
        ("supplychain-vcs-dependency", 6),
        ("supplychain-direct-url", 7),
        ("supplychain-vcs-dependency", 10),
        ("supplychain-unhashed", 2),
    ]


def test_credentials_in_a_url_never_reach_the_evidence() -> None:
    manifest = _parse("requirements.txt", "pkg @ https://user:hunter2@files.example.com/p.whl\n")
    evidence = " ".join(f.evidence for f in manifest_findings(manifest, locked=False))
    assert "hunter2" not in evidence
    assert "files.example.com" in evidence


def test_fully_hashed_and_pinned_requirements_are_clean() -> None:
    text = "a==1.0 --hash=sha256:11\nb==2.0 --hash=sha256:22\n"
    assert _rules(_parse("requirements-lock.txt", text)) == []


def test_pyproject_pep621_and_optional_and_groups() -> None:
    text = """
[project]
name = "app"
dependencies = ["openai>=1.0", "langchain==0.2.1"]
[project.optional-dependencies]
dev = ["pytest"]
[dependency-groups]
lint = ["ruff==0.5.0"]
"""
    manifest = _parse("pyproject.toml", text)
    assert [d.name for d in manifest.dependencies] == ["openai", "langchain", "pytest", "ruff"]
    assert _rules(manifest) == [("supplychain-unpinned", 4), ("supplychain-unpinned", 6)]
    assert _rules(manifest, locked=True) == []  # a lock file beside it pins them


def test_poetry_dependencies() -> None:
    text = """
[tool.poetry.dependencies]
python = "^3.11"
openai = "^1.30"
torch = "2.3.0"
mylib = { git = "https://github.com/org/mylib.git", branch = "main" }
[tool.poetry.group.dev.dependencies]
pytest = "*"
"""
    manifest = _parse("pyproject.toml", text)
    deps = {d.name: d for d in manifest.dependencies}
    assert set(deps) == {"openai", "torch", "mylib", "pytest"}
    assert deps["torch"].pinned and not deps["openai"].pinned
    assert deps["mylib"].vcs and not deps["mylib"].pinned
    assert [r for r, _ in _rules(manifest)] == [
        "supplychain-unpinned",
        "supplychain-vcs-dependency",
        "supplychain-unpinned",
    ]


def test_pyproject_without_dependencies_is_not_a_manifest() -> None:
    assert parse_manifest("pyproject.toml", "[tool.ruff]\nline-length = 100\n") is None


def test_pipfile_and_pipfile_lock() -> None:
    pipfile = (
        '[packages]\nrequests = "*"\nflask = "==3.0.0"\n'
        '[dev-packages]\npytest = {version = ">=8"}\n'
    )
    manifest = _parse("Pipfile", pipfile)
    assert [(d.name, d.pinned) for d in manifest.dependencies] == [
        ("requests", False),
        ("flask", True),
        ("pytest", False),
    ]
    lock = {
        "default": {"requests": {"version": "==2.32.0", "hashes": ["sha256:ab"]}},
        "develop": {"pytest": {"version": "==8.0.0"}},
    }
    locked = _parse("Pipfile.lock", json.dumps(lock, indent=2))
    assert [(d.name, d.version) for d in locked.dependencies] == [
        ("requests", "2.32.0"),
        ("pytest", "8.0.0"),
    ]
    assert [r for r, _ in _rules(locked)] == ["supplychain-unhashed"]


def test_poetry_lock_and_uv_lock() -> None:
    poetry = """
[[package]]
name = "openai"
version = "1.30.0"
files = [{file = "openai-1.30.0.whl", hash = "sha256:aa"}]

[[package]]
name = "mylib"
version = "0.1.0"
[package.source]
type = "git"
url = "https://github.com/org/mylib.git"
resolved_reference = "0123456789abcdef0123456789abcdef01234567"
"""
    manifest = _parse("poetry.lock", poetry)
    assert [(d.name, d.version, bool(d.hashes)) for d in manifest.dependencies] == [
        ("openai", "1.30.0", True),
        ("mylib", "0.1.0", False),
    ]
    assert [r for r, _ in _rules(manifest)] == ["supplychain-vcs-dependency"]
    uv = """
version = 1
[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "httpx"
version = "0.27.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files/httpx.tar.gz", hash = "sha256:bb" }
"""
    manifest = _parse("uv.lock", uv)
    assert [(d.name, d.version, d.hashes) for d in manifest.dependencies] == [
        ("httpx", "0.27.0", ("sha256:bb",))
    ]
    assert _rules(manifest) == []


def test_malformed_manifests_are_input_errors() -> None:
    with pytest.raises(InputError, match="not valid TOML"):
        parse_manifest("pyproject.toml", "[project\n")
    with pytest.raises(InputError, match="not valid TOML"):  # too deep for tomllib
        parse_manifest("pyproject.toml", "a = " + "[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match="not a valid requirement"):
        parse_manifest("requirements.txt", "this is (not valid\n")
    with pytest.raises(InputError, match="not valid JSON"):
        parse_manifest("Pipfile.lock", "{")
    with pytest.raises(InputError, match="not valid JSON"):  # too deep for json.loads
        parse_manifest("Pipfile.lock", '{"default": ' + "[" * 100_000 + "]" * 100_000 + "}")
