"""The JWT half of the auth matrix, against a JWKS served by a real HTTP server on
loopback. Each forgery technique is its own test and asserts the exact reason code."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import RSAAlgorithm

from aisec.core.errors import PolicyError
from aisec.core.policy import JwtSettings, parse_policy
from aisec.gateway import GatewayAuthenticator, JwtAuthenticator
from aisec.gateway._bearer import UNAUTHORIZED
from aisec.gateway._contract import Caller, GatewayRefusal
from conftest import (
    AUDIENCE,
    EC_KEY,
    ISSUER,
    OTHER_RSA_KEY,
    RSA_KEY,
    JwksServer,
)
from conftest import b64 as _b64
from conftest import jwk as _jwk
from conftest import jwt_claims as _claims
from conftest import jwt_token as _token


def _settings(url: str, **overrides: Any) -> JwtSettings:
    fields: dict[str, Any] = {
        "jwks_url": url,
        "issuer": ISSUER,
        "audience": [AUDIENCE],
        "algorithms": ["RS256", "ES256"],
        "leeway_s": 30,
        "tenant_claim": "org",
        "roles_claim": "roles",
        "jwks_refresh_min_s": 3600,  # one refetch per test at most, unless a test says so
    }
    fields.update(overrides)
    return JwtSettings(**fields)


def _auth(server: JwksServer, **overrides: Any) -> GatewayAuthenticator:
    return GatewayAuthenticator(None, JwtAuthenticator(_settings(server.url, **overrides)))


def _refused(authn: GatewayAuthenticator, token: str) -> GatewayRefusal:
    with pytest.raises(GatewayRefusal) as info:
        asyncio.run(authn.authenticate(f"Bearer {token}"))
    return info.value


def _refused_401(authn: GatewayAuthenticator, token: str) -> str:
    r = _refused(authn, token)
    assert (r.status, r.message) == (401, UNAUTHORIZED)
    return r.code


def test_valid_token_gives_principal_tenant_and_roles(jwks: JwksServer) -> None:
    caller = asyncio.run(_auth(jwks).authenticate(f"Bearer {_token()}"))
    assert caller == Caller(
        principal="alice@example.com", roles=("ml-engineer",), tenant="acme", auth_method="jwt"
    )


def test_principal_from_configured_claim(jwks: JwksServer) -> None:
    authn = _auth(jwks, principal_claim="email")
    token = _token(_claims(email="bob@example.com"))
    assert asyncio.run(authn.authenticate(f"Bearer {token}")).principal == "bob@example.com"


def test_es256_token_verifies_with_ec_key(jwks: JwksServer) -> None:
    jwks.doc["keys"].append(_jwk(EC_KEY, "ec1"))
    token = _token(key=EC_KEY, alg="ES256", kid="ec1")
    assert asyncio.run(_auth(jwks).authenticate(f"Bearer {token}")).principal == "alice@example.com"


def test_jwt_wrong_audience_is_refused(jwks: JwksServer) -> None:
    assert _refused_401(_auth(jwks), _token(_claims(aud="another-api"))) == "token_audience"


def test_jwt_wrong_issuer_is_refused(jwks: JwksServer) -> None:
    assert _refused_401(_auth(jwks), _token(_claims(iss="https://evil.test/"))) == "token_issuer"


def test_jwt_expired_is_refused(jwks: JwksServer) -> None:
    now = int(time.time())
    token = _token(_claims(iat=now - 7200, exp=now - 3600))
    assert _refused_401(_auth(jwks), token) == "token_expired"


def test_jwt_expired_within_clock_skew_is_accepted(jwks: JwksServer) -> None:
    now = int(time.time())
    token = _token(_claims(exp=now - 10))
    assert asyncio.run(_auth(jwks).authenticate(f"Bearer {token}")).principal


def test_jwt_not_yet_valid_is_refused(jwks: JwksServer) -> None:
    now = int(time.time())
    assert _refused_401(_auth(jwks), _token(_claims(nbf=now + 3600))) == "token_not_yet_valid"


def test_jwt_without_exp_is_refused(jwks: JwksServer) -> None:
    assert _refused_401(_auth(jwks), _token(_claims(exp=None))) == "token_claim_missing"


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_jwt_alg_none_is_refused(jwks: JwksServer, alg: str) -> None:
    header = _b64(json.dumps({"alg": alg, "typ": "JWT", "kid": "k1"}).encode())
    payload = _b64(json.dumps(_claims()).encode())
    for token in (f"{header}.{payload}.", f"{header}.{payload}.{_b64(b'sig')}"):
        assert _refused_401(_auth(jwks), token) == "token_alg_not_allowed"


def test_jwt_hs256_signed_with_rsa_public_key_is_refused(jwks: JwksServer) -> None:
    """Key confusion: the IdP's public key (PEM or JWK bytes) used as an HMAC secret."""
    pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk_bytes = json.dumps(jwks.doc["keys"][0]).encode()
    for secret in (pem, jwk_bytes):
        for alg, digest in (("HS256", hashlib.sha256), ("HS512", hashlib.sha512)):
            header = _b64(json.dumps({"alg": alg, "typ": "JWT", "kid": "k1"}).encode())
            payload = _b64(json.dumps(_claims()).encode())
            sig = hmac.new(secret, f"{header}.{payload}".encode(), digest).digest()
            token = f"{header}.{payload}.{_b64(sig)}"
            assert _refused_401(_auth(jwks), token) == "token_alg_not_allowed"


def test_policy_cannot_allow_hmac_or_none_algorithms(jwks: JwksServer) -> None:
    for alg in ("HS256", "none"):
        with pytest.raises(PolicyError) as info:
            parse_policy(
                {
                    "gateway_auth": {
                        "jwt": {
                            "jwks_url": jwks.url,
                            "issuer": ISSUER,
                            "audience": AUDIENCE,
                            "algorithms": [alg],
                        }
                    }
                }
            )
        assert any("gateway_auth.jwt.algorithms[0]" in e for e in info.value.errors)


def test_symmetric_key_published_in_jwks_is_never_used(jwks: JwksServer) -> None:
    secret = b"k" * 32
    jwks.doc["keys"].append({"kty": "oct", "kid": "sym", "k": _b64(secret), "alg": "HS256"})
    authn = _auth(jwks)
    token = jwt.encode(_claims(), secret, algorithm="HS256", headers={"kid": "sym"})
    assert _refused_401(authn, token) == "token_alg_not_allowed"
    # Even under an asymmetric alg name, the oct key is not in the key set.
    header = _b64(json.dumps({"alg": "RS256", "kid": "sym"}).encode())
    payload = _b64(json.dumps(_claims()).encode())
    assert _refused_401(authn, f"{header}.{payload}.{_b64(b'x' * 256)}") == "token_kid_unknown"


def test_jwt_kid_not_in_jwks_is_refused_and_refetch_is_rate_limited(jwks: JwksServer) -> None:
    authn = _auth(jwks)
    asyncio.run(authn.authenticate(f"Bearer {_token()}"))
    assert jwks.hits == 1
    for i in range(20):  # forged kids must not make the gateway hammer the IdP
        assert _refused_401(authn, _token(kid=f"forged-{i}")) == "token_kid_unknown"
    assert jwks.hits == 1  # refetched at most once per jwks_refresh_min_s (3600 here)


def test_new_kid_after_key_rotation_is_fetched(jwks: JwksServer) -> None:
    authn = _auth(jwks, jwks_refresh_min_s=0)
    asyncio.run(authn.authenticate(f"Bearer {_token()}"))
    jwks.doc["keys"].append(_jwk(OTHER_RSA_KEY, "k2", alg="RS256"))
    token = _token(key=OTHER_RSA_KEY, kid="k2")
    assert asyncio.run(authn.authenticate(f"Bearer {token}")).principal == "alice@example.com"
    assert jwks.hits == 2


def test_jwt_signed_by_another_key_under_a_known_kid_is_refused(jwks: JwksServer) -> None:
    assert _refused_401(_auth(jwks), _token(key=OTHER_RSA_KEY)) == "token_signature"


def test_embedded_jwk_header_is_ignored(jwks: JwksServer) -> None:
    """CVE-2018-0114 style: the token carries its own key; only the JWKS is trusted."""
    attacker = json.loads(RSAAlgorithm.to_jwk(OTHER_RSA_KEY.public_key()))
    token = _token(key=OTHER_RSA_KEY, jwk=attacker, jku="http://evil.test/jwks.json")
    assert _refused_401(_auth(jwks), token) == "token_signature"


def test_rs256_token_against_ec_key_is_refused(jwks: JwksServer) -> None:
    jwks.doc["keys"].append(_jwk(EC_KEY, "ec1"))
    token = _token(kid="ec1")  # RS256 signature, EC key named
    assert _refused_401(_auth(jwks), token) == "token_alg_key_mismatch"


def test_alg_other_than_the_one_the_jwk_names_is_refused(jwks: JwksServer) -> None:
    authn = _auth(jwks, algorithms=["RS256", "PS256"])
    token = _token(alg="PS256")  # k1's JWK says RS256
    assert _refused_401(authn, token) == "token_alg_key_mismatch"


def test_principal_claim_that_is_not_a_string_is_refused(jwks: JwksServer) -> None:
    authn = _auth(jwks, principal_claim="email")
    for bad in (["a", "b"], 42, "", "bad\nname", "x" * 300):
        assert _refused_401(authn, _token(_claims(email=bad))) == "token_principal_claim"
    # PyJWT itself checks that `sub` is a string.
    assert _refused_401(_auth(jwks), _token(_claims(sub=["a", "b"]))) == "token_invalid"


def test_malformed_tokens_are_refused(jwks: JwksServer) -> None:
    authn = _auth(jwks)
    for token in ("a.b.c", "not-a-jwt", "e30.e30.", "x" * 9000 + ".a.b", "...."):
        r = _refused(authn, token)
        assert r.status == 401 and r.code in {
            "token_malformed",
            "credentials_malformed",
            "token_alg_not_allowed",
        }, token


def test_jwks_unreachable_fails_closed_with_503(jwks: JwksServer) -> None:
    jwks.status = 500
    r = _refused(_auth(jwks), _token())
    assert (r.status, r.code) == (503, "jwks_unavailable")


def test_jwks_outage_after_a_good_fetch_keeps_cached_keys(jwks: JwksServer) -> None:
    authn = _auth(jwks, jwks_cache_s=1, jwks_refresh_min_s=0)
    jwt_auth = authn.jwt
    assert jwt_auth is not None
    clock = [1000.0]
    jwt_auth.jwks._clock = lambda: clock[0]
    asyncio.run(authn.authenticate(f"Bearer {_token()}"))
    jwks.status = 503
    clock[0] += 2  # stale: a refetch is tried, fails, and the cached key still serves
    assert asyncio.run(authn.authenticate(f"Bearer {_token()}")).principal
    assert jwks.hits == 2


def test_jwks_over_plain_http_to_a_remote_host_is_a_policy_error() -> None:
    for url in ("http://idp.example.com/jwks.json", "ftp://idp/jwks", "https:///x"):
        with pytest.raises(PolicyError) as info:
            parse_policy(
                {"gateway_auth": {"jwt": {"jwks_url": url, "issuer": ISSUER, "audience": "a"}}}
            )
        assert any("gateway_auth.jwt.jwks_url" in e for e in info.value.errors), url


def test_long_jwks_outage_drops_the_cached_keys_and_fails_closed(jwks: JwksServer) -> None:
    authn = _auth(jwks, jwks_cache_s=1, jwks_refresh_min_s=0)
    assert authn.jwt is not None
    clock = [1000.0]
    authn.jwt.jwks._clock = lambda: clock[0]
    asyncio.run(authn.authenticate(f"Bearer {_token()}"))
    jwks.status = 503
    clock[0] += 11  # over ten cache periods without a good fetch: the old keys are dropped
    for _ in range(2):
        r = _refused(authn, _token())
        assert (r.status, r.code) == (503, "jwks_unavailable")


@pytest.mark.parametrize(
    "body",
    [
        {"keys": "nope"},
        {"nokeys": []},
        [],
        {"keys": [{"kty": "RSA", "kid": "k1", "n": "!!", "e": "AQAB"}]},
        {"keys": [None, 3, "x"]},
    ],
)
def test_hostile_or_broken_jwks_refuses_without_crashing(jwks: JwksServer, body: object) -> None:
    jwks.doc = body  # type: ignore[assignment]
    r = _refused(_auth(jwks), _token())
    assert (r.status, r.code) in {(503, "jwks_unavailable"), (401, "token_kid_unknown")}
