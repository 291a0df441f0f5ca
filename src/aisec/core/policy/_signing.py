"""The ``signing:`` section: keys whose model signatures are trusted (owned by
aisec.artifacts.signing). Only a trusted policy may set it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TrustedKeyPolicy(BaseModel):
    """One trusted signer: exactly one of keyring, public_key or certificate_chain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200, description="A label shown in results.")
    keyring: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$",
        description="A signing key of the aisec keyring (every enabled version is trusted).",
    )
    public_key: str | None = Field(
        default=None,
        min_length=1,
        description="A PEM public key file; a relative path is relative to this policy file.",
    )
    certificate_chain: str | None = Field(
        default=None,
        min_length=1,
        description="A PEM file of CA certificates: signing certificates chaining to one "
        "of them are trusted; a relative path is relative to this policy file.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> TrustedKeyPolicy:
        given = [x for x in (self.keyring, self.public_key, self.certificate_chain) if x]
        if len(given) != 1:
            raise ValueError("give exactly one of keyring, public_key or certificate_chain")
        return self


class SigningPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    trusted_keys: list[TrustedKeyPolicy] = Field(
        default_factory=list,
        description="Signers whose model signatures are trusted (aisec verify --trusted, "
        "registry promotion gates).",
    )
