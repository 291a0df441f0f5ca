"""The ``registry:`` section: where model blobs live and what a promotion must pass.

```yaml
registry:
  blob_store: s3://models/aisec      # default: $AISEC_HOME/registry/blobs
  endpoint_url: http://127.0.0.1:9000  # only for a private S3/GCS endpoint
  encrypt_key: registry-blobs        # keyring key (purpose streaming or aead): blobs encrypted
  gate:
    max_verdict: clean               # clean or suspicious; error and malicious never pass
    require_signature: true          # signed, and verified by signing.trusted_keys
```
Only a trusted policy (the home policy, or one named by ``--policy``) may set it: a
project's ``aisec.yaml`` arrives with the code and must not loosen the gate.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class GatePolicy(BaseModel):
    """What a version must pass to be promoted to a stage."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_verdict: Literal["clean", "suspicious"] = Field(
        default="clean",
        description="Worst scan verdict a promoted version may have (error and malicious "
        "never pass).",
    )
    require_signature: bool = Field(
        default=True,
        description="The version must carry a signature that verifies by a key in "
        "signing.trusted_keys.",
    )


class RegistryPolicy(BaseModel):
    """Where the model registry keeps its blobs, and its promotion gate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    blob_store: str | None = Field(
        default=None,
        max_length=2000,
        description="fsspec URL of the content-addressed blob store (a folder, s3://BUCKET/"
        "PREFIX, gs://BUCKET/PREFIX); default $AISEC_HOME/registry/blobs.",
    )
    endpoint_url: str | None = Field(
        default=None,
        max_length=2000,
        description="Endpoint of a private S3 or GCS service (credentials come from the usual "
        "chain, never from the policy).",
    )
    encrypt_key: str | None = Field(
        default=None,
        max_length=64,
        description="Keyring key that encrypts every new blob (streaming AEAD); none: plain.",
    )
    gate: GatePolicy = Field(default_factory=GatePolicy)
