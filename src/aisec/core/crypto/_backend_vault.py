"""HashiCorp Vault transit: keysets wrapped through Tink's hcvault integration (hvac).

Tink's Vault AEAD takes no associated data, so it wraps a per-keyset data key
(KmsEnvelopeAead) and that local AEAD binds the associated data.
"""

from __future__ import annotations

import os

from tink import aead

from aisec.core.crypto._backend import KeyBackend
from aisec.core.errors import ConfigError
from aisec.core.policy import KeysPolicy


class VaultBackend(KeyBackend):
    name = "vault"

    @classmethod
    def default_ref(cls, policy: KeysPolicy, key_name: str) -> str:
        return f"{policy.vault.transit_mount.strip('/')}/keys/{key_name}"

    def keyset_aead(self) -> aead.Aead:
        try:
            import hvac
            from tink.integration import hcvault
        except ImportError:
            raise ConfigError("the vault backend needs hvac: pip install 'aisec[vault]'") from None
        settings = self.policy.vault
        url = settings.url or os.environ.get("VAULT_ADDR")
        token = os.environ.get("VAULT_TOKEN")
        if not url:
            raise ConfigError("vault backend: set VAULT_ADDR or keys.vault.url in the policy")
        if not token:
            raise ConfigError("vault backend: set VAULT_TOKEN (a token allowed to use transit)")
        client = hvac.Client(
            url=url, token=token, namespace=settings.namespace, verify=settings.verify_tls
        )
        remote = hcvault.new_aead(self.ref, client)
        return aead.KmsEnvelopeAead(aead.aead_key_templates.AES256_GCM, remote)
