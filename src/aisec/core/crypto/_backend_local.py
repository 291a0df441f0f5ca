"""The local backend: keysets encrypted by the master key (env, passphrase or file)."""

from __future__ import annotations

from tink import aead

from aisec.core.crypto._backend import KeyBackend
from aisec.core.crypto._master import load_master_key


class LocalBackend(KeyBackend):
    name = "local"

    def keyset_aead(self) -> aead.Aead:
        return load_master_key().aead
