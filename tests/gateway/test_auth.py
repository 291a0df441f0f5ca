"""The API-key half of the auth matrix, model/tool/tenant authorization, and revocation
reaching another worker within 1 s. Each attack technique is its own test and asserts
the exact status and reason code."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aisec.core.policy import GatewayAccessPolicy, parse_policy
from aisec.core.store import open_store
from aisec.gateway import (
    ApiKeyAuthenticator,
    ApiKeyStore,
    GatewayAuthenticator,
    PolicyModelAuthorizer,
    gateway_identity,
)
from aisec.gateway._bearer import UNAUTHORIZED
from aisec.gateway._contract import Caller, GatewayRefusal


def _refusal(
    authn: GatewayAuthenticator | ApiKeyAuthenticator, header: str | None
) -> GatewayRefusal:
    with pytest.raises(GatewayRefusal) as info:
        asyncio.run(authn.authenticate(header))
    return info.value


@pytest.fixture
def keys(db_url: str) -> Iterator[ApiKeyStore]:
    store = ApiKeyStore(open_store(db_url))
    yield store
    store.store.close()


def _authn(keys: ApiKeyStore) -> GatewayAuthenticator:
    return GatewayAuthenticator(ApiKeyAuthenticator(keys))


def test_valid_key_gives_caller_from_the_store(keys: ApiKeyStore) -> None:
    key, stored = keys.create("app1", tenant="acme", models=["gpt-4o"], rpm=7, tpm=70)
    caller = asyncio.run(_authn(keys).authenticate(f"Bearer {key}"))
    assert caller == Caller(
        principal="app1",
        tenant="acme",
        key_prefix=stored.prefix,
        auth_method="api_key",
        models=frozenset({"gpt-4o"}),
        rpm=7,
        tpm=70,
    )


def test_no_key_is_refused(keys: ApiKeyStore) -> None:
    for header in (None, "", "   "):
        r = _refusal(_authn(keys), header)
        assert (r.status, r.code, r.message) == (401, "credentials_missing", UNAUTHORIZED)


def test_non_bearer_scheme_is_refused(keys: ApiKeyStore) -> None:
    key, _ = keys.create("app1")
    for header in (f"Basic {key}", key, f"Bearer {key} extra", "Bearer", f"Bearer\t{key}"):
        r = _refusal(_authn(keys), header)
        assert (r.status, r.code) == (401, "credentials_malformed"), header


def test_oversized_authorization_header_is_refused(keys: ApiKeyStore) -> None:
    r = _refusal(_authn(keys), "Bearer aisec_" + "a" * 100_000)
    assert (r.status, r.code) == (401, "credentials_malformed")


def test_malformed_key_is_refused(keys: ApiKeyStore) -> None:
    key, _ = keys.create("app1")
    for bad in (key[:-1], key + "A", key.replace("aisec_", "aisec_X"), "aisec_", "aisec_zz_zz"):
        r = _refusal(_authn(keys), f"Bearer {bad}")
        assert (r.status, r.code, r.message) == (401, "key_malformed", UNAUTHORIZED), bad


def test_bad_key_wrong_secret_is_refused(keys: ApiKeyStore) -> None:
    key, _ = keys.create("app1")
    flipped = key[:-1] + ("A" if key[-1] != "A" else "B")
    r = _refusal(_authn(keys), f"Bearer {flipped}")
    assert (r.status, r.code, r.message) == (401, "key_invalid", UNAUTHORIZED)


def test_unknown_prefix_is_refused_like_a_wrong_secret(keys: ApiKeyStore) -> None:
    key, stored = keys.create("app1")
    forged = key.replace(stored.prefix, "0123456789ab")
    r = _refusal(_authn(keys), f"Bearer {forged}")
    assert (r.status, r.code, r.message) == (401, "key_invalid", UNAUTHORIZED)


def test_revoked_key_is_refused(keys: ApiKeyStore) -> None:
    key, stored = keys.create("app1")
    keys.revoke(stored.prefix)
    r = _refusal(_authn(keys), f"Bearer {key}")
    assert (r.status, r.code, r.message) == (401, "key_revoked", UNAUTHORIZED)


def test_expired_key_is_refused(keys: ApiKeyStore) -> None:
    past = datetime.now(UTC) - timedelta(days=2)
    key, _ = keys.create("app1", expires=past + timedelta(days=1), now=past)
    r = _refusal(_authn(keys), f"Bearer {key}")
    assert (r.status, r.code, r.message) == (401, "key_expired", UNAUTHORIZED)


def test_key_made_under_another_hash_key_is_a_clear_503(
    keys: ApiKeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replica configured with a different hash key must say so, not call every key bad."""
    import base64
    import os

    key, _ = keys.create("app1")
    monkeypatch.setenv("AISEC_APIKEY_HASH_KEY", base64.b64encode(os.urandom(32)).decode())
    other = ApiKeyStore(keys.store)
    r = _refusal(_authn(other), f"Bearer {key}")
    assert (r.status, r.code) == (503, "auth_misconfigured")


def test_store_unreachable_fails_closed_with_503(monkeypatch: pytest.MonkeyPatch) -> None:
    import base64
    import os

    monkeypatch.setenv("AISEC_APIKEY_HASH_KEY", base64.b64encode(os.urandom(32)).decode())
    keys = ApiKeyStore(open_store("postgresql://nobody@127.0.0.1:1/none", migrate=False))
    r = _refusal(_authn(keys), "Bearer aisec_0123456789ab_" + "A" * 43)
    assert (r.status, r.code) == (503, "auth_store_unavailable")


def test_hot_path_reads_the_store_once_per_ttl(keys: ApiKeyStore) -> None:
    key, _ = keys.create("app1")
    now = [100.0]
    authn = ApiKeyAuthenticator(keys, clock=lambda: now[0])

    async def go() -> None:
        for _ in range(50):
            await authn.authenticate(f"Bearer {key}")
        now[0] += 0.6  # past the TTL: the row is read again
        await authn.authenticate(f"Bearer {key}")

    asyncio.run(go())
    assert authn.store_reads == 2


def test_revocation_on_one_handle_reaches_another_worker_within_1s(db_url: str) -> None:
    """Two store handles (two workers): one revokes, the other refuses within 1 s."""
    keys_a = ApiKeyStore(open_store(db_url))
    keys_b = ApiKeyStore(open_store(db_url), keys_a.hash_key)
    try:
        key, stored = keys_a.create("app1")
        worker_b = ApiKeyAuthenticator(keys_b)

        async def go() -> float:
            await worker_b.authenticate(f"Bearer {key}")  # cached as valid on worker B
            keys_a.revoke(stored.prefix)
            revoked_at = time.monotonic()
            deadline = revoked_at + 5.0
            while time.monotonic() < deadline:
                try:
                    await worker_b.authenticate(f"Bearer {key}")
                except GatewayRefusal as exc:
                    assert exc.code == "key_revoked"
                    return time.monotonic() - revoked_at
                await asyncio.sleep(0.01)  # a polling step, not a wait for the result
            raise AssertionError("revoked key still accepted after 5 s")

        assert asyncio.run(go()) <= 1.0
    finally:
        keys_a.store.close()
        keys_b.store.close()


def test_last_used_is_recorded(keys: ApiKeyStore) -> None:
    key, stored = keys.create("app1")
    authn = ApiKeyAuthenticator(keys)

    async def go() -> None:
        await authn.authenticate(f"Bearer {key}")
        await asyncio.gather(*authn._tasks)

    asyncio.run(go())
    row = keys.get(stored.prefix)
    assert row is not None and row.last_used is not None


# --- authorization -----------------------------------------------------------------------

_POLICY = """
gateway_auth:
  default_models: ["public-*"]
  default_tools: [search]
  principals:
    - {name: app1, models: ["gpt-4o", "llama3*"], tools: [search, calc]}
  tenants:
    - {name: acme, models: ["gpt-*", "llama3*"], tools: [search]}
    - {name: globex, models: ["llama3*"]}
"""


def _authz(extra: str = "") -> PolicyModelAuthorizer:
    import yaml

    policy = parse_policy(yaml.safe_load(_POLICY + extra))
    return PolicyModelAuthorizer(policy.gateway_auth)


def _denied(authz: PolicyModelAuthorizer, caller: Caller, model: str) -> GatewayRefusal:
    with pytest.raises(GatewayRefusal) as info:
        authz.authorize_model(caller, model)
    assert info.value.status == 403
    return info.value


def test_allowed_model_passes() -> None:
    authz = _authz()
    authz.authorize_model(Caller("app1", tenant="acme"), "gpt-4o")
    authz.authorize_model(Caller("app1", tenant="globex"), "llama3-70b")
    authz.authorize_model(Caller("someone-else"), "public-mini")


def test_wrong_model_for_principal_is_refused() -> None:
    assert (
        _denied(_authz(), Caller("app1", tenant="acme"), "gpt-4o-mini").code == "model_not_allowed"
    )


def test_principal_without_rule_gets_only_default_models() -> None:
    assert _denied(_authz(), Caller("unknown-app"), "gpt-4o").code == "model_not_allowed"


def test_wrong_model_for_key_is_refused() -> None:
    caller = Caller("app1", tenant="acme", models=frozenset({"llama3*"}))
    _authz().authorize_model(caller, "llama3-8b")
    assert _denied(_authz(), caller, "gpt-4o").code == "model_not_allowed_for_key"


def test_wrong_tenant_for_model_is_refused() -> None:
    # app1 may use gpt-4o, but its key's tenant (globex) may not.
    assert (
        _denied(_authz(), Caller("app1", tenant="globex"), "gpt-4o").code
        == "model_not_allowed_for_tenant"
    )


def test_unknown_tenant_is_refused() -> None:
    assert (
        _denied(_authz(), Caller("app1", tenant="initech"), "gpt-4o").code == "tenant_not_allowed"
    )


def test_missing_tenant_is_refused_when_policy_requires_one() -> None:
    authz = _authz("  require_tenant: true\n")
    assert _denied(authz, Caller("app1"), "gpt-4o").code == "tenant_required"


def test_glob_metacharacters_in_requested_model_do_not_widen_access() -> None:
    authz = _authz()
    for model in ("*", "gpt-4o*", "llama3*\nx", "[gl]pt-4o-mini", ""):
        assert _denied(authz, Caller("app1", tenant="acme"), model).code == "model_not_allowed"


def test_empty_default_models_denies_everything_unlisted() -> None:
    authz = PolicyModelAuthorizer(GatewayAccessPolicy(default_models=[]))
    assert _denied(authz, Caller("anyone"), "gpt-4o").code == "model_not_allowed"


def test_tools_are_authorized_per_principal_and_tenant() -> None:
    authz = _authz()
    authz.authorize_tools(Caller("app1", tenant="acme"), ["search"])
    with pytest.raises(GatewayRefusal) as info:
        authz.authorize_tools(Caller("app1", tenant="acme"), ["search", "calc"])
    assert (info.value.status, info.value.code) == (403, "tool_not_allowed_for_tenant")
    with pytest.raises(GatewayRefusal) as info:
        authz.authorize_tools(Caller("app1"), ["shell"])
    assert (info.value.status, info.value.code) == (403, "tool_not_allowed")


def test_gateway_identity_wires_policy_roles_into_callers(aisec_home: Path) -> None:
    import yaml

    policy = parse_policy(
        yaml.safe_load(_POLICY + "access:\n  principals:\n    - {name: app1, roles: [service]}\n")
    )
    store = open_store(f"sqlite:///{aisec_home / 'a.db'}")
    try:
        ident = gateway_identity(policy, store, redis_url="")
        key, _ = ApiKeyStore(store).create("app1", tenant="acme")

        async def go() -> Caller:
            caller = await ident.authenticator.authenticate(f"Bearer {key}")
            ident.authorizer.authorize_model(caller, "gpt-4o")
            await ident.limiter.admit(caller, 10)
            return caller

        assert asyncio.run(go()).roles == ("service",)
        assert ident.authenticator.jwt is None
    finally:
        store.close()


def test_burst_at_cache_expiry_reads_the_store_once(keys: ApiKeyStore) -> None:
    key, _ = keys.create("app1")
    authn = ApiKeyAuthenticator(keys)

    async def go() -> list[Caller]:
        return list(await asyncio.gather(*(authn.authenticate(f"Bearer {key}") for _ in range(50))))

    callers = asyncio.run(go())
    assert {c.principal for c in callers} == {"app1"}
    assert authn.store_reads == 1


def test_unusable_hash_key_fails_closed_with_503(
    keys: ApiKeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, _ = keys.create("app1")
    monkeypatch.setenv("AISEC_APIKEY_HASH_KEY", "not base64!")
    r = _refusal(_authn(ApiKeyStore(keys.store)), f"Bearer {key}")
    assert (r.status, r.code) == (503, "auth_misconfigured")


def test_corrupt_key_row_fails_closed_with_503(keys: ApiKeyStore) -> None:
    key, stored = keys.create("app1", models=["m"])
    with keys.store.write() as conn:
        conn.execute(
            "UPDATE api_keys SET models = ? WHERE prefix = ?", ("{not json", stored.prefix)
        )
    r = _refusal(_authn(keys), f"Bearer {key}")
    assert (r.status, r.code) == (503, "auth_store_unavailable")


_WORKER = """
import asyncio, sys, time
from aisec.core.store import open_store
from aisec.gateway import ApiKeyAuthenticator, ApiKeyStore
from aisec.gateway._contract import GatewayRefusal

url, key = sys.argv[1], sys.argv[2]
authn = ApiKeyAuthenticator(ApiKeyStore(open_store(url)))

async def main():
    await authn.authenticate("Bearer " + key)  # accepted and cached
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            await authn.authenticate("Bearer " + key)
        except GatewayRefusal as exc:
            return f"{time.time()} {exc.code}"
        await asyncio.sleep(0.005)  # a polling step
    return "never"

print(asyncio.run(main()))
"""


def test_revocation_reaches_another_process_within_1s(db_url: str) -> None:
    """A second worker process with a warm cache refuses a key revoked by the first."""
    import subprocess
    import sys

    import aisec

    keys = ApiKeyStore(open_store(db_url))
    try:
        key, stored = keys.create("app1")
        env = dict(os.environ, PYTHONPATH=str(Path(aisec.__file__).resolve().parents[1]))
        proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER, db_url, key],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            keys.revoke(stored.prefix)
            revoked_at = time.time()
            out, _ = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        refused_at, code = out.split()
        assert code == "key_revoked"
        assert float(refused_at) - revoked_at <= 1.0
    finally:
        keys.store.close()


def test_any_authorization_header_is_a_caller_or_a_401_never_a_crash(
    aisec_home: Path,
) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    store = open_store(f"sqlite:///{aisec_home / 'fuzz.db'}")
    keys = ApiKeyStore(store)
    key, _ = keys.create("app1")
    authn = _authn(keys)
    header = st.one_of(
        st.none(),
        st.text(max_size=200),
        st.text(max_size=80).map(lambda t: f"Bearer {t}"),
        st.text(alphabet="aisec_0123456789abcdefABCDEF-", max_size=80).map(
            lambda t: f"Bearer aisec_{t}"
        ),
        st.integers(0, len(key)).map(lambda i: f"Bearer {key[:i]}"),
    )

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(header)
    def check(value: str | None) -> None:
        try:
            caller = asyncio.run(authn.authenticate(value))
        except GatewayRefusal as exc:
            assert (exc.status, exc.message) == (401, UNAUTHORIZED)
        else:
            assert value == f"Bearer {key}" and caller.principal == "app1"

    try:
        check()
    finally:
        store.close()
