"""Secrets never reach the audit log or the screen, whatever the detail is called.

The audit log used to redact a detail only by its name (``password=…``); a GitHub token in
``--detail note=…`` was stored in clear. The CLI now runs the guard's secret detectors over
audit targets and details (through the ``aisec.core.audit.set_redactor`` hook) and over
finding evidence before any output.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from aisec.cli._output import OutputFormat, emit_findings
from aisec.cli._redact import redact_secrets
from aisec.cli.main import main
from aisec.core import audit
from aisec.core.findings import Finding, Location, Severity
from aisec.guard import might_hold_secret

_RNG = random.Random(20261207)  # fixed: the same tokens every run


def _rand(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


# one real-shaped credential per family the guard knows; none is a vendor's sample value
TOKENS = {
    "github_token": "ghp_" + _rand(36),
    "aws_access_key_id": "AKIA" + _rand(16, string.ascii_uppercase + string.digits),
    "slack_token": "xoxb-" + _rand(12, string.digits) + "-" + _rand(24),
    "stripe_key": "sk_live_" + _rand(24),
    "openai_key": "sk-proj-" + _rand(48),
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0." + _rand(43),
    "huggingface_token": "hf_" + _rand(34, string.ascii_letters),
}


def _stored(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    assert main(["audit", "tail", "-n", "1", "--format", "json"]) == 0
    (event,) = json.loads(capsys.readouterr().out)
    assert isinstance(event, dict)
    return event


@pytest.mark.parametrize("kind", sorted(TOKENS))
def test_audit_detail_with_a_token_under_an_innocent_name_is_redacted(
    kind: str, aisec_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = TOKENS[kind]
    assert might_hold_secret(token)
    rc = main(["audit", "record", "ci.note", "--target", "build-7", "--detail",
               f"note=deploying with {token} today"])  # fmt: skip
    assert rc == 0
    event = _stored(capsys)
    assert event["details"] == {"note": f"deploying with <SECRET:{kind}> today"}
    assert token.encode() not in (aisec_home / "aisec.db").read_bytes()
    assert main(["audit", "verify"]) == 0  # redaction happens before the event is hashed


def test_audit_target_and_detail_key_with_a_token_are_redacted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    token = TOKENS["github_token"]
    assert main(["audit", "record", "x", "--target", f"repo@{token}", "-d", f"{token}=1"]) == 0
    event = _stored(capsys)
    assert event["target"] == "repo@<SECRET:github_token>"
    assert event["details"] == {"<SECRET:github_token>": "[redacted]"}


def test_audit_password_assigned_in_a_detail_value_is_redacted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["audit", "record", "x", "-t", "t", "-d", "pwd=Tr0ub4dor&3x"]) == 0
    event = _stored(capsys)
    assert event["details"] == {"pwd": "<SECRET:password_assignment>"}


def test_audit_database_url_password_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://app:" + _rand(20) + "@db.internal:5432/prod"
    assert main(["audit", "record", "x", "-t", "t", "-d", f"db={url}"]) == 0
    event = _stored(capsys)
    details = event["details"]
    assert isinstance(details, dict) and url.split(":")[2].split("@")[0] not in details["db"]


def test_plain_details_are_stored_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "record", "model.deployed", "-t", "fraud-v7", "-d", "env=prod"]) == 0
    event = _stored(capsys)
    assert event["target"] == "fraud-v7" and event["details"] == {"env": "prod"}


@pytest.fixture
def broken_redactor() -> Iterator[None]:
    def broken(text: str) -> str:
        raise RuntimeError("detector crashed")

    audit.set_redactor(None)
    audit.set_redactor(broken)
    yield
    audit.set_redactor(None)


def test_a_failing_redactor_withholds_the_value(broken_redactor: None) -> None:
    event = audit.record("x", "target", details={"note": "anything at all"}, actor="ci")
    assert event.target == "[withheld: redaction failed]"
    assert event.details == {"[withheld: redaction failed]": "[redacted]"}


def test_a_second_different_redactor_is_refused() -> None:
    from aisec.core.errors import ConfigError

    audit.set_redactor(None)
    audit.set_redactor(redact_secrets)
    with pytest.raises(ConfigError, match="already installed"):
        audit.set_redactor(lambda text: text)
    audit.set_redactor(redact_secrets)  # the same one again is fine


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_finding_evidence_with_a_token_is_redacted_in_every_format(
    fmt: OutputFormat, capsys: pytest.CaptureFixture[str]
) -> None:
    token = TOKENS["aws_access_key_id"]
    finding = Finding(
        rule_id="pickle-string-constant",
        title="string constant",
        severity=Severity.LOW,
        location=Location(path="m.pkl"),
        evidence=f"key={token}",
    )
    emit_findings([finding], fmt, "never", command="scan")
    out = capsys.readouterr().out
    assert token not in out
    assert "<SECRET:aws_access_key_id>" in out
