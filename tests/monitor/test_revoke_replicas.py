"""Acceptance 3 (issue 18): ``revoke-principal`` run with the CLI while two real ``aisec up``
replicas share one PostgreSQL store and one Redis: the next request with each of the
principal's keys is refused by both replicas within 1 s. The gateway's own fixtures
(``tests/gateway/conftest.py``: the upstream, the replicas, the CLI helpers) are reused."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path

import httpx

_spec = importlib.util.spec_from_file_location(
    "gateway_fixtures", Path(__file__).resolve().parents[1] / "gateway" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
gw = sys.modules.get("gateway_fixtures") or importlib.util.module_from_spec(_spec)
if "gateway_fixtures" not in sys.modules:
    sys.modules["gateway_fixtures"] = gw  # dataclasses look their module up there
    _spec.loader.exec_module(gw)
upstream = gw.upstream  # the fixtures, by name
redis_url = gw.redis_url

BODY = {"model": "echo", "messages": [{"role": "user", "content": "Hello"}]}


def _post(url: str, key: str, text: str = "Hello") -> httpx.Response:
    body = {**BODY, "messages": [{"role": "user", "content": text}]}
    return httpx.post(
        url + "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}
    )


def test_revoke_principal_is_refused_by_both_replicas_within_1s(
    tmp_path: Path, redis_url: str, postgres_url: str, upstream: object
) -> None:
    env = gw.cli_env(tmp_path, AISEC_REDIS_URL=redis_url, AISEC_DATABASE_URL=postgres_url)
    with gw.aisec_up(env, 2, upstream.url) as replicas:  # type: ignore[attr-defined]
        urls = replicas.urls
        keys = [gw.cli_key(env, principal="app1")[0] for _ in range(2)]
        other, _ = gw.cli_key(env, principal="app2")
        for url in urls:
            for i, key in enumerate([*keys, other]):
                resp = _post(url, key, f"Hello {i}")
                assert resp.status_code == 200, resp.text
        out = gw.aisec_cli(
            env, "playbook", "run", "revoke-principal", "--param", "principal=app1", "-f", "json"
        )
        revoked_at = time.monotonic()
        result = json.loads(out)
        assert result["status"] == "done"
        assert len(result["steps"][0]["result"]["revoked"]) == 2
        refused: dict[tuple[str, str], float] = {}
        pending = [(u, k) for u in urls for k in keys]
        while pending and time.monotonic() - revoked_at < 1.0:
            for pair in list(pending):
                resp = _post(*pair)
                if resp.status_code == 401:
                    assert resp.json()["error"]["code"] == "key_revoked"
                    refused[pair] = time.monotonic() - revoked_at
                    pending.remove(pair)
        assert pending == [], f"not refused within 1 s: {pending}; refused: {refused}"
        for url in urls:  # the other principal is untouched
            assert _post(url, other).status_code == 200
        # the replicas' audit events reach the monitor through PostgreSQL, prompt digests
        # included (and never the prompt)
        run = json.loads(gw.aisec_cli(env, "monitor", "run", "-f", "json"))
        assert run["events"] >= 12
        from aisec.core.store import open_store

        with open_store(postgres_url).read() as conn:
            rows = conn.execute(
                "SELECT details FROM audit_events WHERE action = 'gateway.request'"
            ).fetchall()
        fps = {json.loads(r[0]).get("prompt_fp") for r in rows}
        assert len(fps - {None}) >= 3
        assert not any("Hello 1" in r[0] for r in rows)


def test_revoke_principal_refuses_its_jwts_on_both_replicas_within_1s(
    tmp_path: Path, redis_url: str, postgres_url: str, upstream: object
) -> None:
    """The JWT half: tokens the identity provider signed for the principal before the run
    are refused by both replicas within 1 s (the deny list, by subject, in PostgreSQL);
    another subject's token and a token issued after the denial are served."""
    jwks = gw.JwksServer()
    try:
        jwt_section = {"jwks_url": jwks.url, "issuer": gw.ISSUER, "audience": [gw.AUDIENCE]}
        policy = gw.policy_file(tmp_path, {"gateway_auth": {"jwt": jwt_section}})
        env = gw.cli_env(tmp_path, AISEC_REDIS_URL=redis_url, AISEC_DATABASE_URL=postgres_url)
        with gw.aisec_up(env, 2, upstream.url, "--policy", policy) as replicas:  # type: ignore[attr-defined]
            urls = replicas.urls
            tokens = [gw.jwt_token(gw.jwt_claims(sub="app1", jti=f"t{i}")) for i in range(2)]
            other = gw.jwt_token(gw.jwt_claims(sub="app2"))
            for url in urls:
                for i, token in enumerate([*tokens, other]):
                    resp = _post(url, token, f"Hello {i}")
                    assert resp.status_code == 200, resp.text
            out = gw.aisec_cli(
                env, "playbook", "run", "revoke-principal", "--param", "principal=app1",
                "-f", "json",
            )  # fmt: skip
            revoked_at = time.monotonic()
            result = json.loads(out)
            assert result["status"] == "done"
            assert result["steps"][0]["result"]["tokens"]["already"] is False
            refused: dict[tuple[str, str], float] = {}
            pending = [(u, t) for u in urls for t in tokens]
            while pending and time.monotonic() - revoked_at < 1.0:
                for pair in list(pending):
                    resp = _post(*pair)
                    if resp.status_code == 401:
                        assert resp.json()["error"]["code"] == "token_revoked"
                        refused[pair] = time.monotonic() - revoked_at
                        pending.remove(pair)
            assert pending == [], f"not refused within 1 s: {len(pending)}; refused: {refused}"
            denied = json.loads(gw.aisec_cli(env, "access", "token", "list", "-f", "json"))
            assert [(d["kind"], d["value"]) for d in denied] == [("subject", "app1")]
            from datetime import datetime

            not_before = int(datetime.fromisoformat(denied[0]["not_before"]).timestamp())
            fresh = gw.jwt_token(gw.jwt_claims(sub="app1", iat=not_before))
            for url in urls:
                assert _post(url, other).status_code == 200  # another subject: untouched
                assert _post(url, fresh).status_code == 200  # issued after the denial
    finally:
        jwks.close()
