"""The model registry: immutable versions, promotion gates, verified pulls, rollback.

``Registry.open()`` is the API (``aisec registry …`` the command). A version is the
bytes of a model file or folder, kept as content-addressed blobs (SHA-256 of the
plaintext) in a folder, S3 or GCS through fsspec, optionally encrypted with a keyring
key; its row in the store holds the file list with each file's SHA-256, the scan verdict
at push, the signature (an OMS bundle, itself a blob) and who pushed it. Stages
(``staging``, ``production``) point at versions; every move is kept, and rollback goes to
the newest earlier version that passed its gate and is not quarantined.
"""

from __future__ import annotations

from aisec.registry._catalog import STAGES, HistoryEntry, ModelVersion, StageState
from aisec.registry._errors import GateRefusedError, IntegrityError, RegistryError
from aisec.registry._files import FileEntry, TreeDiff, hash_tree, manifest_digest
from aisec.registry._registry import (
    DeploymentCheck,
    ModelInfo,
    PromoteResult,
    PullResult,
    PushResult,
    QuarantineResult,
    Registry,
    StageMove,
)

__all__ = [
    "STAGES",
    "DeploymentCheck",
    "FileEntry",
    "GateRefusedError",
    "HistoryEntry",
    "IntegrityError",
    "ModelInfo",
    "ModelVersion",
    "PromoteResult",
    "PullResult",
    "PushResult",
    "QuarantineResult",
    "Registry",
    "RegistryError",
    "StageMove",
    "StageState",
    "TreeDiff",
    "hash_tree",
    "manifest_digest",
]
