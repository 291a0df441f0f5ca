"""The JWT half of the auth matrix over real HTTP: the gateway app with the real identity
layer under uvicorn on loopback, its JWKS served by another real HTTP server on loopback.
Each forgery is refused with 401 in OpenAI's error shape and its own reason code, and
nothing refused reaches the upstream."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from conftest import (
    AUDIENCE,
    ISSUER,
    OTHER_RSA_KEY,
    RSA_KEY,
    JwksServer,
    Live,
    b64,
    jwk,
    jwt_claims,
    jwt_token,
)


@pytest.fixture
def live(make_live: Callable[..., Live], jwks: JwksServer) -> Live:
    jwt_section = {
        "jwks_url": jwks.url,
        "issuer": ISSUER,
        "audience": [AUDIENCE],
        "algorithms": ["RS256", "ES256"],
        "tenant_claim": "org",
        "roles_claim": "roles",
        "jwks_refresh_min_s": 0,  # an unknown kid refetches the JWKS (once per token here)
    }
    return make_live({"gateway_auth": {"jwt": jwt_section}})


def _refused(live: Live, token: str, code: str) -> None:
    resp = live.chat("echo", f"Bearer {token}")
    assert resp.status_code == 401, resp.text
    error = resp.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["code"], error["type"]) == (code, "authentication_error")
    assert live.upstream.bodies == []


def _unsigned(alg: str, claims: dict[str, Any], signature: bytes = b"") -> str:
    header = b64(json.dumps({"alg": alg, "typ": "JWT", "kid": "k1"}).encode())
    return f"{header}.{b64(json.dumps(claims).encode())}.{b64(signature)}"


def test_valid_jwt_is_served_over_http(live: Live) -> None:
    resp = live.chat("echo", f"Bearer {jwt_token()}")
    assert resp.status_code == 200, resp.text
    assert len(live.upstream.bodies) == 1


def test_jwt_wrong_audience_is_refused_over_http(live: Live) -> None:
    _refused(live, jwt_token(jwt_claims(aud="another-api")), "token_audience")


def test_jwt_wrong_issuer_is_refused_over_http(live: Live) -> None:
    _refused(live, jwt_token(jwt_claims(iss="https://evil.test/")), "token_issuer")


def test_jwt_expired_is_refused_over_http(live: Live) -> None:
    now = int(time.time())
    _refused(live, jwt_token(jwt_claims(iat=now - 7200, exp=now - 3600)), "token_expired")


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_jwt_alg_none_is_refused_over_http(live: Live, alg: str) -> None:
    _refused(live, _unsigned(alg, jwt_claims()), "token_alg_not_allowed")


def test_jwt_hs256_signed_with_rsa_public_key_is_refused_over_http(
    live: Live, jwks: JwksServer
) -> None:
    """Key confusion: the IdP's public key (PEM, or the JWK as served) as an HMAC secret."""
    pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    served = httpx.get(jwks.url).json()["keys"][0]
    for secret in (pem, json.dumps(served).encode()):
        header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
        payload = b64(json.dumps(jwt_claims()).encode())
        sig = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        _refused(live, f"{header}.{payload}.{b64(sig)}", "token_alg_not_allowed")


def test_jwt_kid_not_in_jwks_is_refused_after_one_refetch_over_http(
    live: Live, jwks: JwksServer
) -> None:
    assert live.chat("echo", f"Bearer {jwt_token()}").status_code == 200
    assert jwks.hits == 1
    live.upstream.bodies.clear()
    _refused(live, jwt_token(key=OTHER_RSA_KEY, kid="not-published"), "token_kid_unknown")
    assert jwks.hits == 2  # the unknown kid made the gateway refetch the JWKS, once


def test_jwt_under_a_kid_published_after_start_is_accepted_over_http(
    live: Live, jwks: JwksServer
) -> None:
    assert live.chat("echo", f"Bearer {jwt_token()}").status_code == 200
    jwks.doc["keys"].append(jwk(OTHER_RSA_KEY, "k2", alg="RS256"))  # the IdP rotates
    resp = live.chat("echo", f"Bearer {jwt_token(key=OTHER_RSA_KEY, kid='k2')}")
    assert resp.status_code == 200, resp.text
    assert jwks.hits == 2


def test_jwt_signed_by_another_key_under_a_known_kid_is_refused_over_http(live: Live) -> None:
    _refused(live, jwt_token(key=OTHER_RSA_KEY), "token_signature")


def test_lone_surrogate_in_a_token_claim_is_refused_over_http(live: Live) -> None:
    """Half a surrogate pair in a signed token's `sub` (PyJWT's json.loads keeps a "\\ud800"
    escape) has no UTF-8 form: the store could not look it up (503 for that token) and the
    audit log could not store it. It is an invalid claim: 401, and the gateway goes on."""
    _refused(live, jwt_token(jwt_claims(sub="eve\ud800")), "token_principal_claim")
    _refused(live, jwt_token(jwt_claims(org="acme\udc00")), "token_tenant_claim")
    assert live.chat("echo", f"Bearer {jwt_token()}").status_code == 200
