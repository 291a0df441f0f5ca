"""The JWT deny list: a token the identity provider really signed is refused once its
subject (for tokens issued before the denial) or its jti is denied, in the store every
replica reads. JWKS on a real loopback HTTP server, the deny list in a real store."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aisec.core.errors import InputError
from aisec.core.policy import JwtSettings
from aisec.core.store import Store, open_store
from aisec.gateway import GatewayAuthenticator, JwtAuthenticator, TokenDenials
from aisec.gateway._contract import Caller, GatewayRefusal
from conftest import AUDIENCE, ISSUER, JwksServer
from conftest import jwt_claims as _claims
from conftest import jwt_token as _token


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'denials.db'}")
    yield s
    s.close()


def _auth(server: JwksServer, denials: TokenDenials) -> GatewayAuthenticator:
    settings = JwtSettings(jwks_url=server.url, issuer=ISSUER, audience=[AUDIENCE])
    return GatewayAuthenticator(None, JwtAuthenticator(settings, denials=denials))


def _call(authn: GatewayAuthenticator, claims: dict[str, Any]) -> Caller:
    return asyncio.run(authn.authenticate(f"Bearer {_token(claims)}"))


def _refused(authn: GatewayAuthenticator, claims: dict[str, Any]) -> str:
    with pytest.raises(GatewayRefusal) as info:
        _call(authn, claims)
    assert info.value.status == 401
    return info.value.code


def test_revoked_subject_jwt_issued_before_the_denial_is_refused(
    jwks: JwksServer, store: Store
) -> None:
    denials = TokenDenials(store, cache_ttl_s=0)
    authn = _auth(jwks, denials)
    before = _claims(sub="alice@example.com")
    assert _call(authn, before).principal == "alice@example.com"
    entry, changed = denials.deny("subject", "alice@example.com", "tester", "laptop stolen")
    assert changed and entry.not_before > before["iat"]
    assert _refused(authn, before) == "token_revoked"
    # a token issued from the denial's not_before on is the provider's fresh word: accepted
    after = _claims(sub="alice@example.com", iat=entry.not_before)
    assert _call(authn, after).principal == "alice@example.com"
    assert _call(authn, _claims(sub="bob@example.com")).principal == "bob@example.com"


def test_revoked_subject_jwt_without_iat_is_refused(jwks: JwksServer, store: Store) -> None:
    denials = TokenDenials(store, cache_ttl_s=0)
    authn = _auth(jwks, denials)
    denials.deny("subject", "alice@example.com", "tester")
    assert _refused(authn, _claims(sub="alice@example.com", iat=None)) == "token_revoked"


def test_revoked_jti_is_refused_and_other_tokens_of_the_subject_are_not(
    jwks: JwksServer, store: Store
) -> None:
    denials = TokenDenials(store, cache_ttl_s=0)
    authn = _auth(jwks, denials)
    denials.deny("jti", "token-1", "tester")
    assert _refused(authn, _claims(jti="token-1")) == "token_revoked"
    assert _call(authn, _claims(jti="token-2")).principal == "alice@example.com"


def test_denial_made_by_another_replica_is_seen_after_the_cache_ttl(
    jwks: JwksServer, store: Store, tmp_path: Path
) -> None:
    now = [100.0]
    replica = TokenDenials(store, clock=lambda: now[0])  # the default 0.5 s cache
    authn = _auth(jwks, replica)
    claims = _claims(sub="carol@example.com")
    assert _call(authn, claims).principal == "carol@example.com"
    other = open_store(f"sqlite:///{tmp_path / 'denials.db'}")  # another process's view
    TokenDenials(other).deny("subject", "carol@example.com", "tester")
    other.close()
    reads = replica.store_reads
    assert _call(authn, claims).principal == "carol@example.com"  # cached: no read yet
    assert replica.store_reads == reads
    now[0] += 0.5
    assert _refused(authn, claims) == "token_revoked"


def test_a_later_denial_only_moves_not_before_forward(store: Store) -> None:
    from datetime import UTC, datetime, timedelta

    denials = TokenDenials(store)
    t = datetime(2026, 12, 7, 12, 0, 0, 250_000, tzinfo=UTC)
    first, changed = denials.deny("subject", "dave", "tester", now=t)
    assert changed and first.not_before == int(t.timestamp()) + 1
    again, changed = denials.deny("subject", "dave", "tester", now=t - timedelta(hours=1))
    assert not changed and again.not_before == first.not_before
    later, changed = denials.deny("subject", "dave", "tester", now=t + timedelta(hours=1))
    assert changed and later.not_before == first.not_before + 3600


def test_deny_list_store_down_fails_closed_with_503(jwks: JwksServer, tmp_path: Path) -> None:
    s = open_store(f"sqlite:///{tmp_path / 'gone.db'}")
    with s.write() as conn:
        conn.execute("DROP TABLE token_denials")
    authn = _auth(jwks, TokenDenials(s, cache_ttl_s=0))
    with pytest.raises(GatewayRefusal) as info:
        _call(authn, _claims())
    assert (info.value.status, info.value.code) == (503, "auth_store_unavailable")
    s.close()


@pytest.mark.parametrize("value", ["", "x" * 301, "bad\nsubject"])
def test_bad_deny_list_values_are_clear_errors(store: Store, value: str) -> None:
    with pytest.raises(InputError, match="token deny list"):
        TokenDenials(store).deny("subject", value, "tester")


def test_token_deny_cli_denies_lists_and_audits(aisec_home: Path) -> None:
    """``aisec access token deny/list`` in a real child process on the home store."""
    import json
    import os
    import subprocess
    import sys

    import aisec
    from aisec.core.audit import default_log

    env = dict(os.environ, PYTHONPATH=str(Path(aisec.__file__).resolve().parents[1]))

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "aisec", "access", "token", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    done = cli("deny", "--subject", "mallory@example.com", "--reason", "phished")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("denied: subject 'mallory@example.com'")
    again = cli("deny", "--subject", "mallory@example.com")
    assert again.returncode == 0 and "denied: subject" in again.stdout  # idempotent
    assert cli("deny", "--jti", "abc").returncode == 0
    both = cli("deny", "--subject", "x", "--jti", "y")
    assert both.returncode == 2 and "one of them" in both.stderr
    listed = json.loads(cli("list", "--format", "json").stdout)
    assert sorted((d["kind"], d["value"]) for d in listed) == [
        ("jti", "abc"),
        ("subject", "mallory@example.com"),
    ]
    events = [e for e in default_log().tail(20) if e.action == "token.deny"]
    assert [e.target for e in events][:1] == ["subject:mallory@example.com"]
