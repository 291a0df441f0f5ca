"""Secrets: one test per credential kind, benign look-alikes, masked evidence, fuzzing."""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisec.core.frameworks import lookup
from aisec.guard._scanner import SCANNERS, Direction, ScanContext
from aisec.guard._secrets import SecretsScanner, find_secrets, shannon_entropy

# Built at run time so this file holds no string a secret scanner would flag.
RND = random.Random(1234)


def rand(alphabet: str, n: int) -> str:
    return "".join(RND.choice(alphabet) for _ in range(n))


ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"

AWS_ID = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
AWS_SECRET = rand(B64, 40)
GH = "ghp_" + rand(ALNUM, 36)
GH_PAT = "github_pat_" + rand(ALNUM + "_", 82)
GITLAB = "glpat-" + rand(ALNUM + "-_", 20)
SLACK = "xoxb-" + rand(string.digits, 12) + "-" + rand(string.digits, 12) + "-" + rand(ALNUM, 24)
SLACK_HOOK = (
    "https://hooks.slack.com/services/T"
    + rand("ABCDEF0123", 8)
    + "/B"
    + rand("ABCDEF0123", 8)
    + "/"
    + rand(ALNUM, 24)
)
STRIPE = "sk_live_" + rand(ALNUM, 24)
GOOGLE = "AIza" + rand(ALNUM + "-_", 35)
OPENAI = "sk-proj-" + rand(ALNUM, 48)
OPENAI_OLD = "sk-" + rand(ALNUM, 48)
ANTHROPIC = "sk-ant-api03-" + rand(ALNUM + "-_", 93)
HF = "hf_" + rand(string.ascii_letters, 34)
JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ." + rand(
    ALNUM + "-_", 43
)
PEM = "-----BEGIN RSA PRIVATE KEY-----\n" + rand(B64, 64) + "\n-----END RSA PRIVATE KEY-----"
PEM_OPENSSH = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + rand(B64, 70)
PW = rand(ALNUM, 14)
HEX = "0123456789abcdef"
AZURE = rand(ALNUM + "+/", 86) + "=="
SENDGRID = "SG." + rand(ALNUM, 22) + "." + rand(ALNUM + "-_", 43)
TWILIO = "SK" + rand(HEX, 32)
NPM = "npm_" + rand(ALNUM, 36)
PYPI = "pypi-AgEIcHlwaS5vcmc" + rand(ALNUM, 60)
VAULT = "hvs." + rand(ALNUM, 90)
DATABRICKS = "dapi" + rand(HEX, 32)
DO = "dop_v1_" + rand(HEX, 64)
SHOPIFY = "shpat_" + rand(HEX, 32)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        (f"export AWS_ACCESS_KEY_ID={AWS_ID}", "aws_access_key_id", AWS_ID),
        (f"aws_secret_access_key = {AWS_SECRET}", "aws_secret_access_key", AWS_SECRET),
        (f'"AWS_SECRET": "{AWS_SECRET}"', "aws_secret_access_key", AWS_SECRET),
        (f"token {GH}", "github_token", GH),
        (f"pat={GH_PAT}", "github_token", GH_PAT),
        (f"CI uses {GITLAB} for pushes", "gitlab_token", GITLAB),
        (f"slack {SLACK}", "slack_token", SLACK),
        (f"post to {SLACK_HOOK}", "slack_token", SLACK_HOOK),
        (f"stripe.api_key = '{STRIPE}'", "stripe_key", STRIPE),
        (f"maps key {GOOGLE}", "google_api_key", GOOGLE),
        (f"OPENAI_API_KEY={OPENAI}", "openai_key", OPENAI),
        (f"key: {OPENAI_OLD}", "openai_key", OPENAI_OLD),
        (f"ANTHROPIC_API_KEY={ANTHROPIC}", "anthropic_key", ANTHROPIC),
        (f"HF {HF}", "huggingface_token", HF),
        (f"Cookie: session={JWT}", "jwt", JWT),
        (f"here you go:\n{PEM}\n", "private_key", PEM),
        (f"{PEM_OPENSSH}", "private_key", "-----BEGIN OPENSSH PRIVATE KEY-----"),
        (f"DATABASE_URL=postgres://app:{PW}@db.internal:5432/app", "connection_string", PW),
        (f"mongodb+srv://root:{PW}@cluster0.abcd.mongodb.net/test", "connection_string", PW),
        (f"REDIS_URL=redis://:{PW}@cache:6379/0", "connection_string", PW),
        (f"url=jdbc:postgresql://app:{PW}@db:5432/x", "connection_string", PW),
        (f"AMQP=amqps://svc:{PW}@mq.internal/vhost", "connection_string", PW),
        (f"clone https://deploy:{PW}@git.example.com/repo.git", "basic_auth_url", PW),
        (f'api_key = "{rand(ALNUM, 32)}"', "high_entropy_assignment", None),
        (f'{{"client_secret": "{rand(ALNUM, 24)}"}}', "high_entropy_assignment", None),
        (f"SECRET_KEY={rand(string.hexdigits.lower()[:16], 40)}", "high_entropy_assignment", None),
        (f"password: {PW}", "password_assignment", PW),
        (
            f"DefaultEndpointsProtocol=https;AccountName=x;AccountKey={AZURE};",
            "azure_storage_key",
            AZURE,
        ),
        (f"SENDGRID={SENDGRID}", "sendgrid_key", SENDGRID),
        (f"twilio {TWILIO}", "twilio_key", TWILIO),
        (f"//registry.npmjs.org/:_authToken={NPM}", "npm_token", NPM),
        (f"password = {PYPI}", "pypi_token", PYPI),
        (f"VAULT_TOKEN={VAULT}", "vault_token", VAULT),
        (f"host=x token {DATABRICKS}", "databricks_token", DATABRICKS),
        (f"do {DO}", "digitalocean_token", DO),
        (f"X-Shopify-Access-Token: {SHOPIFY}", "shopify_token", SHOPIFY),
        (f"Authorization: Bearer {rand(ALNUM, 40)}", "bearer_token", None),
    ],
)
def test_detects(text: str, kind: str, value: str | None) -> None:
    found = [(m.kind, text[m.start : m.end]) for m in find_secrets(text)]
    assert [k for k, _ in found] == [kind]
    if value is not None:
        assert found[0][1].startswith(value)


@pytest.mark.parametrize(
    "text",
    [
        "commit 3f786850e387550fdab836ed7e6dc881de23001b merged",
        "uuid 123e4567-e89b-12d3-a456-426614174000",
        "version 2.31.0-rc1 and build 20241127.1",
        "timestamp 2024-01-15T13:45:12.123456Z",
        "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "order number 4111-2222-3333-4444",
        "pip install scikit-learn; import sklearn",
        "the token count was 4096 and max_tokens=2048",
        "api_key = os.environ['OPENAI_API_KEY']",
        "api_key = YOUR_API_KEY_HERE",
        "password: <your password>",
        "postgres://user:${DB_PASSWORD}@db:5432/app",
        "postgres://db.example.com:5432/app",
        "https://example.com/path?token=",
        "What is a good password policy? How do I rotate an API key?",
        "secret: the cake is a lie",
        "Remember the password is required.",
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        "https://user@example.com/x",
        "AWS docs use AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "password = hashlib.sha256(pw.encode()).hexdigest()",
        "api_key = config.values['primary']",
        "token = request.headers.get('X-Token')",
    ],
)
def test_benign_not_flagged(text: str) -> None:
    assert find_secrets(text) == []


def test_evidence_is_masked_and_frameworks_resolve() -> None:
    assert SCANNERS["secrets"] is SecretsScanner
    text = f"use {GH} and postgres://u:{PW}@h/db"
    result = SecretsScanner().scan(text, ScanContext(direction=Direction.OUTPUT))
    assert result.score >= 0.9
    assert len(result.findings) == 2
    for f in result.findings:
        assert GH not in f.evidence and PW not in f.evidence
        assert GH[8:] not in f.evidence
        assert "model output" in f.title
        for ref in f.frameworks:
            assert lookup(ref)
    assert (
        result.redacted_text
        == "use <SECRET:github_token> and postgres://u:<SECRET:connection_string>@h/db"
    )


def test_entropy_values() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == 2.0


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.printable, max_size=400))
def test_random_text_never_crashes(text: str) -> None:
    for m in find_secrets(text):
        assert 0 <= m.start < m.end <= len(text)


def test_pathological_inputs_finish() -> None:
    samples = [
        "-----BEGIN RSA PRIVATE KEY-----" + "A" * 50000,
        "api_key=" * 3000,
        "aws " * 5000 + "secret",
        "postgres://" + ":" * 10000 + "@",
        "eyJ" + "a" * 20000 + ".eyJ",
        "sk-" * 10000,
    ]
    for s in samples:
        assert isinstance(find_secrets(s), list)


def test_repeated_fragments_stay_linear() -> None:
    for fragment in ("api_key=", "token: ", "bearer ", "-----BEGIN RSA PRIVATE KEY-----", "://"):
        text = fragment * (32_000 // len(fragment))
        assert isinstance(find_secrets(text), list)


def test_offsets_survive_letters_that_grow_when_lowered() -> None:
    text = "\u0130stanbul office: api_key = " + "Zx8vN2qLp0RtY7wKe4Jb"
    found = find_secrets(text)
    assert [(m.kind, text[m.start : m.end]) for m in found] == [
        ("high_entropy_assignment", "Zx8vN2qLp0RtY7wKe4Jb")
    ]


def test_spelled_out_key_in_output_is_caught() -> None:
    spelled = " ".join(GH)
    result = SecretsScanner().scan(f"sure: {spelled}", ScanContext(direction=Direction.OUTPUT))
    assert [f.rule_id for f in result.findings] == ["guard-secrets-github-token"]
    assert result.score >= 0.9
    assert GH not in result.findings[0].evidence


def test_fullwidth_key_in_output_is_caught() -> None:
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in AWS_ID)
    result = SecretsScanner().scan(f"key {wide}", ScanContext(direction=Direction.OUTPUT))
    assert [f.rule_id for f in result.findings] == ["guard-secrets-aws-access-key-id"]


def test_spelled_out_prose_is_not_a_secret() -> None:
    text = "the letters a b c d e f g h i j k l m n o p are the first sixteen"
    assert SecretsScanner().scan(text, ScanContext(direction=Direction.OUTPUT)).findings == ()


def test_disguised_key_is_redacted_in_place() -> None:
    spelled = " ".join(GH)
    result = SecretsScanner().scan(f"sure: {spelled} done", ScanContext(direction=Direction.OUTPUT))
    assert result.redacted_text == "sure: <SECRET:github_token> done"
