"""Dockerfiles, and known vulnerabilities from a tiny local OSV export (pip-audit's service
interface, offline)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.version import Version
from pip_audit._service import ResolvedDependency

from aisec.core.errors import InputError
from aisec.supplychain import (
    LocalOsvService,
    OsvDatabase,
    audit_dockerfile,
    audit_vulnerabilities,
    parse_manifest,
)


def _docker_rules(text: str) -> list[tuple[str, int | None]]:
    return [(f.rule_id, f.location.line) for f in audit_dockerfile("Dockerfile", text).findings]


def test_unpinned_base_images() -> None:
    text = "FROM python\nFROM ubuntu:latest AS build\nFROM python:3.12-slim\n"
    assert _docker_rules(text)[:3] == [
        ("supplychain-docker-unpinned-base", 1),
        ("supplychain-docker-unpinned-base", 2),
        ("supplychain-docker-unpinned-base", 3),
    ]


def test_digest_pinned_base_stage_reference_and_non_root_user_are_clean() -> None:
    digest = "sha256:" + "a" * 64
    text = (
        f"FROM python:3.12-slim@{digest} AS base\n"
        "RUN pip install --require-hashes -r requirements.txt\n"
        "FROM base\n"
        "USER 10001\n"
    )
    audit = audit_dockerfile("Dockerfile", text)
    assert audit.findings == []
    assert [(line, img.digest) for line, img in audit.images] == [(1, digest)]


def test_curl_or_wget_piped_to_a_shell() -> None:
    text = (
        "FROM alpine@sha256:" + "b" * 64 + "\n"
        "RUN apk add curl && \\\n"
        "    curl -fsSL https://get.example.sh | sh\n"
        "RUN wget -qO- https://x.example/install | sudo bash\n"
        "RUN curl -o f.tgz https://x.example/f.tgz\n"
        "USER app\n"
    )
    assert _docker_rules(text) == [
        ("supplychain-docker-pipe-to-shell", 2),
        ("supplychain-docker-pipe-to-shell", 4),
    ]


def test_runs_as_root() -> None:
    digest = "@sha256:" + "c" * 64
    assert _docker_rules(f"FROM debian{digest}\nRUN true\n") == [
        ("supplychain-docker-runs-as-root", 1)
    ]
    assert _docker_rules(f"FROM debian{digest}\nUSER root\n") == [
        ("supplychain-docker-runs-as-root", 1)
    ]
    # a USER in an earlier stage does not carry into the final one
    text = f"FROM debian{digest} AS a\nUSER app\nFROM debian{digest}\n"
    assert _docker_rules(text) == [("supplychain-docker-runs-as-root", 3)]


def _osv_export(folder: Path) -> Path:
    """A tiny OSV export, as osv.dev's PyPI/all.zip unpacks: one JSON record a file."""
    records = [
        {
            "schema_version": "1.6.0",
            "id": "PYSEC-2099-1",
            "aliases": ["CVE-2099-0001"],
            "summary": "Remote code execution in flask session handling",
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": "Flask"},
                    "ranges": [
                        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.2.5"}]}
                    ],
                }
            ],
        },
        {
            "id": "GHSA-xxxx-yyyy-zzzz",
            "summary": "Explicit versions only",
            "affected": [
                {"package": {"ecosystem": "PyPI", "name": "torch"}, "versions": ["2.0.0"]}
            ],
        },
        {
            "id": "GHSA-last-affected",
            "summary": "last_affected range",
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": "requests"},
                    "ranges": [
                        {
                            "type": "ECOSYSTEM",
                            "events": [{"introduced": "2.0"}, {"last_affected": "2.31.0"}],
                        }
                    ],
                }
            ],
        },
        {
            "id": "WITHDRAWN-1",
            "withdrawn": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "numpy"}, "versions": ["1.0"]}],
        },
        {
            "id": "NPM-1",
            "affected": [{"package": {"ecosystem": "npm", "name": "flask"}, "versions": ["2.0.0"]}],
        },
    ]
    folder.mkdir()
    for record in records:
        (folder / f"{record['id']}.json").write_text(json.dumps(record))
    (folder / "broken.json").write_text("{not json")
    return folder


def test_osv_ranges_versions_withdrawn_and_ecosystem(tmp_path: Path) -> None:
    service = LocalOsvService(OsvDatabase.load(_osv_export(tmp_path / "osv")))

    def ids(name: str, version: str) -> list[str]:
        _, vulns = service.query(ResolvedDependency(name=name, version=Version(version)))
        return [v.id for v in vulns]

    assert ids("flask", "2.0.0") == ["PYSEC-2099-1"]
    assert ids("flask", "2.2.5") == []
    assert ids("torch", "2.0.0") == ["GHSA-xxxx-yyyy-zzzz"]
    assert ids("torch", "2.0.1") == []
    assert ids("requests", "2.31.0") == ["GHSA-last-affected"]
    assert ids("requests", "2.32.0") == []
    assert ids("requests", "1.9") == []
    assert ids("numpy", "1.0") == []


def test_audit_finds_vulnerable_pins_and_says_what_was_not_checked(tmp_path: Path) -> None:
    db = OsvDatabase.load(_osv_export(tmp_path / "osv"))
    manifest = parse_manifest("requirements.txt", "flask==2.0.0\nrequests>=2\ntorch==2.0.1\n")
    assert manifest is not None
    audit = audit_vulnerabilities(manifest.dependencies, db)
    assert [(f.rule_id, f.location.line) for f in audit.findings] == [
        ("supplychain-vulnerable-dependency", 1)
    ]
    assert "PYSEC-2099-1" in audit.findings[0].evidence
    assert "fixed in 2.2.5" in audit.findings[0].evidence
    assert audit.checked == 2
    assert audit.not_checked == 1
    assert "1 not pinned to one version, not checked" in audit.statement


def test_no_vulnerability_data_is_said_plainly() -> None:
    manifest = parse_manifest("requirements.txt", "flask==2.0.0\n")
    assert manifest is not None
    audit = audit_vulnerabilities(manifest.dependencies, None)
    assert [f.rule_id for f in audit.findings] == ["supplychain-no-vulnerability-data"]
    assert audit.statement.startswith("no vulnerability data")


def test_osv_db_that_is_missing_or_empty(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a folder"):
        OsvDatabase.load(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no OSV JSON records"):
        OsvDatabase.load(tmp_path / "empty")


def test_inventory_uses_the_osv_export(tmp_path: Path) -> None:
    from aisec.inventory import inventory

    osv = _osv_export(tmp_path / "osv")
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "requirements.txt").write_text("flask==2.0.0\n")
    inv = inventory(proj, osv_db=osv)
    assert "supplychain-vulnerable-dependency" in {f.rule_id for f in inv.findings}
    assert "checked against the OSV export" in inv.summary["vulnerability_data"]
