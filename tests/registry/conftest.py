"""Registry fixtures: a home policy written per test, model folders built on disk, blob
stores on a local folder and on a real S3 API (moto's server, on a loopback port)."""

from __future__ import annotations

import base64
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from aisec.core.identity import os_user

sys.path.insert(0, str(Path(__file__).parent))  # registry_samples, for the test modules

# Principals the tests act as (AISEC_PRINCIPAL, allowed by may_act_as for the OS user).
ROLES = {
    "alice": ["ml-engineer"],  # push, pull; may not promote
    "rita": ["releaser"],  # promote and rollback, no override
    "sam": ["security"],  # everything here, override included
    "deployer": ["service"],  # pull and read only
}


@pytest.fixture(autouse=True)
def master_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISEC_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    monkeypatch.delenv("AISEC_MASTER_PASSPHRASE", raising=False)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real S3 API on loopback (moto's server mode), one per session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(params=["local", "s3"])
def blob_store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The ``registry:`` blob settings: the default folder, or a fresh bucket on moto."""
    if request.param == "local":
        return {}
    import boto3

    endpoint: str = request.getfixturevalue("moto_endpoint")
    for var, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bucket = f"models-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    return {"blob_store": f"s3://{bucket}/registry", "endpoint_url": endpoint}


@pytest.fixture
def write_policy(aisec_home: Path) -> Callable[..., Path]:
    """Write the home policy: the test principals, trusted keys and registry settings."""

    def write(
        registry: dict[str, Any] | None = None,
        trusted: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> Path:
        aisec_home.mkdir(mode=0o700, parents=True, exist_ok=True)
        me = os_user()
        principals = [{"name": me, "roles": ["admin"], "may_act_as": list(ROLES)}]
        principals += [{"name": n, "roles": r} for n, r in ROLES.items()]
        doc: dict[str, Any] = {
            "access": {
                "roles": {
                    "releaser": [
                        "registry.read",
                        "registry.promote",
                        "registry.rollback",
                        "registry.pull",
                        "artifacts.verify",
                        "keys.use",
                    ]
                },
                "principals": principals,
            },
            "registry": registry or {},
            **extra,
        }
        if trusted is not None:
            doc["signing"] = {"trusted_keys": trusted}
        path = aisec_home / "aisec.yaml"
        path.write_text(yaml.safe_dump(doc))
        from aisec.core.authz import forget_principal

        forget_principal()
        return path

    return write
