"""AWS KMS: keysets wrapped through Tink's awskms integration (boto3).

The endpoint comes from ``keys.aws_kms.endpoint_url`` or boto3's own ``AWS_ENDPOINT_URL``;
credentials from the usual AWS chain. Tink's KmsEnvelopeAead keeps KMS calls to one per
keyset open and binds associated data through the encryption context.
"""

from __future__ import annotations

from tink import aead

from aisec.core.crypto._backend import KeyBackend
from aisec.core.errors import ConfigError
from aisec.core.policy import KeysPolicy


class AwsKmsBackend(KeyBackend):
    name = "aws-kms"

    @classmethod
    def default_ref(cls, policy: KeysPolicy, key_name: str) -> str:
        if not policy.aws_kms.key_uri:
            raise ConfigError(
                "aws-kms backend: pass --kms-key aws-kms://arn:aws:kms:REGION:ACCOUNT:key/ID "
                "or set keys.aws_kms.key_uri in the policy"
            )
        return policy.aws_kms.key_uri

    def keyset_aead(self) -> aead.Aead:
        try:
            import boto3
            from tink.integration import awskms
        except ImportError:
            raise ConfigError("the aws-kms backend needs boto3: pip install 'aisec[aws]'") from None
        prefix = "aws-kms://arn:aws:kms:"
        if not self.ref.startswith(prefix):
            raise ConfigError(
                f"aws-kms backend: key URI {self.ref!r} must look like "
                "aws-kms://arn:aws:kms:REGION:ACCOUNT:key/ID"
            )
        region = self.ref[len(prefix) :].split(":", 1)[0]
        client = boto3.client(
            "kms", region_name=region, endpoint_url=self.policy.aws_kms.endpoint_url
        )
        remote = awskms.new_client(boto3_client=client, key_uri=self.ref).get_aead(self.ref)
        return aead.KmsEnvelopeAead(aead.aead_key_templates.AES256_GCM, remote)
