"""Key backends: what encrypts a keyset at rest (the key-encryption key of the keyring).

A named key is a Tink keyset (its versions are the keyset's keys). The backend
provides the AEAD that encrypts that keyset file: the local master key, a HashiCorp
Vault transit key, or an AWS KMS key. With a remote backend the keyset can only be
opened by asking the KMS, so revoking KMS access revokes the key. Backends register
themselves by subclassing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from tink import aead

from aisec.core.policy import KeysPolicy


class KeyBackend(ABC):
    """Gives the AEAD that encrypts keyset files of keys on this backend."""

    name: ClassVar[str]
    registry: ClassVar[dict[str, type[KeyBackend]]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        KeyBackend.registry[cls.name] = cls

    def __init__(self, policy: KeysPolicy, ref: str) -> None:
        self.policy = policy
        self.ref = ref

    @classmethod
    def default_ref(cls, policy: KeysPolicy, key_name: str) -> str:
        """The backend reference (KMS key URI, transit path) a new key gets by default."""
        return ""

    @abstractmethod
    def keyset_aead(self) -> aead.Aead:
        """The AEAD for keyset files; raises ConfigError or UpstreamError when unavailable."""
