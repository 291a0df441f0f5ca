"""Remote key backends: Vault transit and AWS KMS wrap the keysets.

Neither service runs here, so both are exercised against stand-ins on loopback:

* AWS KMS: moto's ThreadedMotoServer, a well-known local emulator of the KMS API, reached
  through boto3 and Tink's awskms integration exactly as the real service would be.
* Vault: Vault itself is not pip-installable, so a tiny HTTP server in this file implements
  the two transit endpoints Tink's hcvault integration calls (encrypt and decrypt, with the
  token header). It is a stand-in for the request/response handling, not a Vault.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from aisec.core.crypto import Keyring
from aisec.core.errors import ConfigError, CryptoError
from aisec.core.policy import KeysPolicy
from aisec.core.policy._keys import AwsKmsSettings, VaultSettings

TOKEN = "s.test-token"


class _TransitStandIn(BaseHTTPRequestHandler):
    """POST /v1/<mount>/encrypt/<key> and /v1/<mount>/decrypt/<key>, Vault's JSON shapes."""

    keys: ClassVar[dict[str, bytes]] = {}
    calls: ClassVar[list[str]] = []
    token: ClassVar[str] = TOKEN

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        if self.headers.get("X-Vault-Token") != self.token:
            self._reply(403, {"errors": ["permission denied"]})
            return
        parts = self.path.strip("/").split("/")
        if len(parts) < 4 or parts[0] != "v1" or parts[-2] not in ("encrypt", "decrypt"):
            self._reply(404, {"errors": ["no handler for route"]})
            return
        op, name = parts[-2], parts[-1]
        key = self.keys.get(name)
        if key is None:
            self._reply(400, {"errors": ["encryption key not found"]})
            return
        self.calls.append(f"{op}:{name}")
        if op == "encrypt":
            nonce = os.urandom(12)
            ct = AESGCM(key).encrypt(nonce, base64.b64decode(body["plaintext"]), None)
            text = "vault:v1:" + base64.b64encode(nonce + ct).decode()
            self._reply(200, {"data": {"ciphertext": text}})
            return
        try:
            raw = base64.b64decode(str(body["ciphertext"]).removeprefix("vault:v1:"))
            plain = AESGCM(key).decrypt(raw[:12], raw[12:], None)
        except Exception:
            self._reply(400, {"errors": ["cipher: message authentication failed"]})
            return
        self._reply(200, {"data": {"plaintext": base64.b64encode(plain).decode()}})


@pytest.fixture
def vault(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_TransitStandIn]]:
    _TransitStandIn.keys = {"aisec-kek": AESGCM.generate_key(256)}
    _TransitStandIn.calls = []
    _TransitStandIn.token = TOKEN
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TransitStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("VAULT_ADDR", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("VAULT_TOKEN", TOKEN)
    yield _TransitStandIn
    server.shutdown()
    server.server_close()


def test_vault_backend_wraps_keyset_through_transit(
    vault: type[_TransitStandIn], aisec_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Keyring.open(KeysPolicy(default_backend="vault")) as ring:
        info = ring.create_key("v", "aead", kms_key="transit/keys/aisec-kek")
        assert (info.backend, info.backend_ref) == ("vault", "transit/keys/aisec-kek")
        ct = ring.encrypt_fields([b"hello"], "v", "c")
        ring.rotate("v")
    assert "encrypt:aisec-kek" in vault.calls and "decrypt:aisec-kek" in vault.calls
    # Without Vault's consent (revoked token) the keyset cannot be opened at all, even with
    # the local master key: the master key plays no part for this backend.
    vault.token = "s.revoked"
    with Keyring.open() as ring, pytest.raises(CryptoError, match="vault key"):
        ring.decrypt_fields(ct, "c")
    vault.token = TOKEN
    monkeypatch.delenv("AISEC_MASTER_KEY")
    with Keyring.open() as ring:
        assert ring.decrypt_fields(ct, "c") == [b"hello"]


def test_vault_backend_default_path_and_missing_key(vault: type[_TransitStandIn]) -> None:
    policy = KeysPolicy(vault=VaultSettings(transit_mount="transit"))
    with Keyring.open(policy) as ring, pytest.raises(CryptoError, match="cannot encrypt"):
        ring.create_key("nokey", "aead", backend="vault")  # transit/keys/nokey is not there
    with Keyring.open(policy) as ring:
        assert ring.list_keys() == []  # the failed create left no metadata behind


def test_vault_backend_needs_address_and_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VAULT_ADDR", raising=False)
    monkeypatch.delenv("VAULT_TOKEN", raising=False)
    with Keyring.open() as ring, pytest.raises(ConfigError, match="VAULT_ADDR"):
        ring.create_key("v", backend="vault")
    monkeypatch.setenv("VAULT_ADDR", "http://127.0.0.1:9")
    with Keyring.open() as ring, pytest.raises(ConfigError, match="VAULT_TOKEN"):
        ring.create_key("v", backend="vault")


@pytest.fixture
def kms(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    import boto3
    from moto.server import ThreadedMotoServer

    for var, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client("kms", region_name="us-east-1", endpoint_url=endpoint)
    yield client, endpoint
    server.stop()


def test_aws_kms_backend_against_moto(
    kms: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, endpoint = kms
    meta = client.create_key(Description="aisec test KEK")["KeyMetadata"]
    arn = meta["Arn"]
    uri = f"aws-kms://{arn}"
    policy = KeysPolicy(aws_kms=AwsKmsSettings(key_uri=uri, endpoint_url=endpoint))
    with Keyring.open(policy) as ring:
        info = ring.create_key("cloud", "deterministic", backend="aws-kms")
        assert info.backend_ref == uri
        ct = ring.encrypt_fields([b"joinme"], "cloud", "c")
    monkeypatch.delenv("AISEC_MASTER_KEY")  # the local master key plays no part
    with Keyring.open(policy) as ring:
        assert ring.decrypt_fields(ct, "c") == [b"joinme"]


def test_aws_kms_keyset_under_another_kms_key_is_refused(
    kms: tuple[Any, str], aisec_home: Path
) -> None:
    """A keyset wrapped by KMS key A does not open as a key bound to KMS key B.

    (moto does not enforce DisableKey on Decrypt, so revocation is shown this way: KMS
    itself refuses, and the keyring reports it.)
    """
    import shutil

    client, endpoint = kms
    uri_a, uri_b = (f"aws-kms://{client.create_key()['KeyMetadata']['Arn']}" for _ in range(2))
    policy = KeysPolicy(aws_kms=AwsKmsSettings(endpoint_url=endpoint))
    with Keyring.open(policy) as ring:
        ring.create_key("a", backend="aws-kms", kms_key=uri_a)
        ring.create_key("b", backend="aws-kms", kms_key=uri_b)
    keys = aisec_home / "keys"
    shutil.copy2(keys / "a.tink", keys / "b.tink")
    with Keyring.open(policy) as ring, pytest.raises(CryptoError, match="aws-kms key"):
        ring.encrypt_fields([b"x"], "b", "c")


def test_aws_kms_backend_needs_a_key_uri() -> None:
    with Keyring.open() as ring, pytest.raises(ConfigError, match="--kms-key"):
        ring.create_key("cloud", backend="aws-kms")
    with Keyring.open() as ring, pytest.raises(ConfigError, match="must look like"):
        ring.create_key("cloud", backend="aws-kms", kms_key="arn:aws:kms:nope")
