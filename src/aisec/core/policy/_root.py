"""The root of the policy model: project, assets, classifications, store."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from aisec.core.policy._artifacts import ArtifactsPolicy
from aisec.core.policy._data import DataPolicy
from aisec.core.policy._gateway import GatewayPolicy
from aisec.core.policy._gateway_access import GatewayAccessPolicy
from aisec.core.policy._guard import GuardPolicy
from aisec.core.policy._keys import KeysPolicy
from aisec.core.policy._monitor import MonitorPolicy, PlaybookPolicy
from aisec.core.policy._registry import RegistryPolicy
from aisec.core.policy._signing import SigningPolicy


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Classification(StrEnum):
    """Data classification levels, least to most sensitive."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"


class AssetKind(StrEnum):
    MODEL = "model"
    DATASET = "dataset"
    PROMPT = "prompt"
    AGENT = "agent"
    VECTOR_STORE = "vector-store"
    KEY = "key"
    DEPENDENCY = "dependency"
    SERVICE = "service"


class Asset(_Strict):
    """An AI asset the project owns."""

    name: str = Field(min_length=1, max_length=200)
    kind: AssetKind
    owner: str = Field(min_length=1, description="Accountable person or team (e-mail or name).")
    classification: Classification = Classification.INTERNAL
    path: str | None = Field(default=None, description="Where the asset lives (path or URL).")
    description: str = ""


class StorePolicy(_Strict):
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default SQLite in $AISEC_HOME. AISEC_DATABASE_URL wins.",
    )


class PrincipalPolicy(_Strict):
    """A person or service and the roles it holds."""

    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(default="person", pattern="^(person|service)$")
    roles: list[str] = Field(default_factory=list)
    may_act_as: list[str] = Field(
        default_factory=list,
        description="Principals this one (an OS user) may claim with AISEC_PRINCIPAL, e.g. "
        "service accounts; each use is audited as claimed by this OS user.",
    )


class AccessPolicy(_Strict):
    default_role: str | None = Field(
        default=None, description="Role of a principal the policy does not name (none: no role)."
    )
    roles: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Extra roles: name -> permissions (see `aisec access roles`). The built-in "
        "roles cannot be redefined.",
    )
    principals: list[PrincipalPolicy] = Field(default_factory=list)


class Policy(_Strict):
    """The whole ``aisec.yaml``."""

    version: int = Field(default=1, ge=1, le=1)
    project: str = Field(
        default="my-ai-project",
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="Project name: 1-200 characters, no control characters (no newline).",
    )
    assets: list[Asset] = Field(default_factory=list)
    store: StorePolicy = Field(default_factory=StorePolicy)
    access: AccessPolicy = Field(default_factory=AccessPolicy)
    keys: KeysPolicy = Field(default_factory=KeysPolicy)
    signing: SigningPolicy = Field(default_factory=SigningPolicy)
    guard: GuardPolicy = Field(default_factory=GuardPolicy)
    data: DataPolicy = Field(default_factory=DataPolicy)
    artifacts: ArtifactsPolicy = Field(default_factory=ArtifactsPolicy)
    gateway: GatewayPolicy = Field(default_factory=GatewayPolicy)
    gateway_auth: GatewayAccessPolicy = Field(default_factory=GatewayAccessPolicy)
    registry: RegistryPolicy = Field(default_factory=RegistryPolicy)
    monitor: MonitorPolicy = Field(default_factory=MonitorPolicy)
    playbooks: dict[str, PlaybookPolicy] = Field(default_factory=dict)
