"""API keys: format and entropy, keyed-hash storage, list/revoke, role checks and audit,
on SQLite and PostgreSQL, through the library and through ``aisec access apikey``."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aisec.cli.main import main
from aisec.core.audit import default_log
from aisec.core.errors import AuthorizationError, ConfigError, InputError
from aisec.core.store import open_store
from aisec.gateway import ApiKeyStore, create_key, list_keys, parse_expiry, revoke_key

KEY_RE = re.compile(r"aisec_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


def _raw_rows(url: str) -> list[tuple[object, ...]]:
    store = open_store(url)
    try:
        with store.read() as conn:
            return [tuple(r) for r in conn.execute("SELECT * FROM api_keys").fetchall()]
    finally:
        store.close()


def test_key_format_has_256_bit_secret_and_public_prefix(db_url: str) -> None:
    keys = ApiKeyStore(open_store(db_url))
    key, stored = keys.create("app1")
    m = KEY_RE.fullmatch(key)
    assert m is not None
    assert m.group(1) == stored.prefix
    # 43 base64url characters carry 258 bits; token_urlsafe(32) draws 256 of them.
    assert len(m.group(2)) == 43
    other, _ = keys.create("app1")
    assert other != key
    keys.store.close()


def test_store_keeps_only_a_keyed_hash_never_the_key(db_url: str, aisec_home: Path) -> None:
    keys = ApiKeyStore(open_store(db_url))
    key, stored = keys.create("app1", tenant="acme", models=["gpt-4o-mini"], rpm=5, tpm=100)
    keys.store.close()
    prefix, secret = KEY_RE.fullmatch(key).groups()  # type: ignore[union-attr]
    dump = json.dumps([[str(c) for c in row] for row in _raw_rows(db_url)])
    assert secret not in dump
    assert key not in dump
    # Not a bare SHA-256 of the key (an offline guess test would need only the database) …
    assert hashlib.sha256(key.encode()).hexdigest() not in dump
    assert hashlib.sha256(secret.encode()).hexdigest() not in dump
    # … but HMAC-SHA256 under the hash key kept outside the database (0600).
    hash_key_file = aisec_home / "apikey.key"
    assert stat.S_IMODE(hash_key_file.stat().st_mode) == 0o600
    expected = hmac.new(
        hash_key_file.read_bytes(),
        f"aisec-apikey-v1\x00{prefix}\x00{secret}".encode(),
        hashlib.sha256,
    ).hexdigest()
    assert stored.key_hash == expected
    assert expected in dump


def test_hash_key_from_environment_is_shared_by_replicas(
    db_url: str, monkeypatch: pytest.MonkeyPatch, aisec_home: Path
) -> None:
    import base64
    import os

    monkeypatch.setenv("AISEC_APIKEY_HASH_KEY", base64.b64encode(os.urandom(32)).decode())
    keys = ApiKeyStore(open_store(db_url))
    _, stored = keys.create("app1")
    keys.store.close()
    assert not (aisec_home / "apikey.key").exists()
    assert stored.hash_key_id == ApiKeyStore(open_store(db_url)).hash_key.key_id


def test_short_hash_key_in_environment_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, aisec_home: Path
) -> None:
    monkeypatch.setenv("AISEC_APIKEY_HASH_KEY", "c2hvcnQ=")
    keys = ApiKeyStore(open_store(f"sqlite:///{aisec_home / 'a.db'}"))
    with pytest.raises(ConfigError, match="32 or more"):
        keys.create("app1")
    keys.store.close()


def test_list_and_revoke_round_trip(db_url: str) -> None:
    keys = ApiKeyStore(open_store(db_url))
    now = datetime.now(UTC)
    _, a = keys.create("app1", models=["m1", "m2*"], rpm=10, expires=now + timedelta(days=1))
    _, b = keys.create("app2", tenant="acme")
    listed = {k.prefix: k for k in keys.list()}
    assert set(listed) == {a.prefix, b.prefix}
    assert listed[a.prefix].models == frozenset({"m1", "m2*"})
    assert listed[a.prefix].rpm == 10
    assert listed[b.prefix].tenant == "acme"
    assert [k.prefix for k in keys.list("app2")] == [b.prefix]
    revoked, changed = keys.revoke(a.prefix)
    assert changed
    assert revoked.state(datetime.now(UTC)) == "revoked"
    assert keys.revoke(a.prefix)[1] is False  # idempotent, and says so
    with pytest.raises(InputError, match="no API key"):
        keys.revoke("0" * 12)
    keys.store.close()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"principal": ""},
        {"principal": "evil\nname"},
        {"principal": "x" * 201},
        {"principal": "ok", "tenant": "bad tenant"},
        {"principal": "ok", "models": ["\x1b[31m"]},
        {"principal": "ok", "rpm": 0},
        {"principal": "ok", "tpm": -5},
    ],
)
def test_bad_key_fields_are_clear_input_errors(aisec_home: Path, kwargs: dict[str, object]) -> None:
    keys = ApiKeyStore(open_store(f"sqlite:///{aisec_home / 'a.db'}"))
    principal = str(kwargs.pop("principal"))
    with pytest.raises(InputError):
        keys.create(principal, **kwargs)  # type: ignore[arg-type]
    keys.store.close()


def test_expiry_parsing() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_expiry("30d", now) == now + timedelta(days=30)
    assert parse_expiry("12h", now) == now + timedelta(hours=12)
    assert parse_expiry("2027-01-31", now) == datetime(2027, 1, 31, tzinfo=UTC)
    for bad in ("0d", "soon", "2020-01-01", "-3d", "30 d"):
        with pytest.raises(InputError):
            parse_expiry(bad, now)


def _policy(tmp: Path, role: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A trusted policy (named by AISEC_POLICY) in which the OS user may act as alice."""
    from aisec.core.identity import os_user

    path = tmp / "trusted-aisec.yaml"
    path.write_text(
        "access:\n  principals:\n"
        f"    - {{name: alice, roles: [{role}]}}\n"
        f"    - {{name: {os_user()}, roles: [admin], may_act_as: [alice]}}\n",
        "utf-8",
    )
    monkeypatch.setenv("AISEC_POLICY", str(path))


def test_creating_a_key_needs_apikey_manage_and_denial_is_audited(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _policy(Path.cwd(), "auditor", monkeypatch)
    monkeypatch.setenv("AISEC_PRINCIPAL", "alice")
    with pytest.raises(AuthorizationError, match=r"apikey\.manage"):
        create_key("app1")
    with pytest.raises(AuthorizationError, match=r"apikey\.manage"):
        revoke_key("0" * 12)
    with pytest.raises(AuthorizationError, match=r"apikey\.manage"):
        list_keys()
    events = default_log().tail(10)
    assert [(e.action, e.outcome, e.actor) for e in events] == [
        ("access.denied", "denied", "alice"),
    ] * 3


def test_create_and_revoke_are_audited_without_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    _policy(Path.cwd(), "admin", monkeypatch)
    monkeypatch.setenv("AISEC_PRINCIPAL", "alice")
    key, stored = create_key("app1", tenant="acme", models=["gpt-4o"], rpm=3)
    revoke_key(stored.prefix)
    events = default_log().tail(10)
    assert [(e.action, e.target, e.actor) for e in events] == [
        ("apikey.create", stored.prefix, "alice"),
        ("apikey.revoke", stored.prefix, "alice"),
    ]
    assert events[0].details["principal"] == "app1"
    assert events[0].details["models"] == "gpt-4o"
    secret = key[len("aisec_") + 13 :]  # the secret may itself hold "_"
    assert all(secret not in json.dumps(e.to_dict()) for e in events)
    assert not default_log().verify()


def test_cli_create_prints_the_key_once_then_list_and_revoke(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rc, out, err = _run(
        capsys,
        "access", "apikey", "create", "--principal", "app1", "--tenant", "acme",
        "--models", "gpt-4o-mini, llama3*", "--rpm", "60", "--tpm", "1000", "--expires", "30d",
    )  # fmt: skip
    assert rc == 0, err
    key = out.strip()
    m = KEY_RE.fullmatch(key)
    assert m is not None
    assert "shown only now" in err
    rc, out, _ = _run(capsys, "access", "apikey", "list", "--format", "json")
    assert rc == 0
    [row] = json.loads(out)
    assert row["prefix"] == m.group(1)
    assert row["models"] == ["gpt-4o-mini", "llama3*"]
    assert (row["rpm"], row["tpm"], row["tenant"], row["state"]) == (60, 1000, "acme", "active")
    assert key not in out and m.group(2) not in out
    rc, out, _ = _run(capsys, "access", "apikey", "list")
    assert rc == 0 and m.group(1) in out and m.group(2) not in out
    rc, out, _ = _run(capsys, "access", "apikey", "revoke", m.group(1))
    assert rc == 0 and "revoked" in out
    rc, out, _ = _run(capsys, "access", "apikey", "list", "--format", "json")
    assert json.loads(out)[0]["state"] == "revoked"


def test_cli_bad_input_is_exit_2_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = _run(capsys, "access", "apikey", "create", "--principal", "a b")
    assert rc == 2 and "Traceback" not in err and "principal" in err
    rc, _, err = _run(capsys, "access", "apikey", "create", "--principal", "a", "--expires", "x")
    assert rc == 2 and "--expires" in err
    rc, _, err = _run(capsys, "access", "apikey", "revoke", "../../etc")
    assert rc == 2 and "not an API-key prefix" in err


def test_migration_matches_the_table_model(db_url: str) -> None:
    """Migration 0003 creates exactly the table ``ApiKeyRow`` describes."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from aisec.core.store import Base

    store = open_store(db_url)
    try:
        with store.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        store.close()
    assert [d for d in diffs if "api_keys" in repr(d)] == []
