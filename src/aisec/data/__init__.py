"""Data pipeline protection for CSV, JSON Lines and Parquet files: field-level encryption;
data contracts, profiles and the data check (quality, drift and poisoning signals); the
signed provenance ledger and quarantine; label-flip and backdoor-trigger detectors.

The data check is a gate a pipeline can call before training::

    import aisec.data
    result = aisec.data.check("s3://bucket/batch.parquet", "reviews", baseline="baseline.json")
    if not result.passed():
        raise RuntimeError(f"{len(result.findings)} data findings")
"""

from __future__ import annotations

from aisec.data._check import CheckResult
from aisec.data._field_encryption import (
    FORMATS,
    PARQUET_META,
    FieldsResult,
    TableFormat,
    decrypt_fields_file,
    detect_format,
    encrypt_fields_file,
)
from aisec.data._gate import check, contract_yaml, infer_contract, load_contract, profile
from aisec.data._label_flips import LabelSuspect, label_flip_suspects
from aisec.data._ledger import (
    LEDGER_KEY,
    NOT_IN_LEDGER,
    DataRecord,
    LineageNode,
    QuarantineRecord,
    VerifyReport,
    approve,
    dataset_quarantined,
    derived_datasets,
    get_record,
    lineage,
    quarantine,
    quarantine_of,
    record,
    release,
    training_data_quarantines,
    verify,
)
from aisec.data._merkle import Change, Tree, data_size, digest_data
from aisec.data._profile import Profile
from aisec.data._triggers import TriggerCandidate, trigger_candidates

__all__ = [
    "FORMATS",
    "LEDGER_KEY",
    "NOT_IN_LEDGER",
    "PARQUET_META",
    "Change",
    "CheckResult",
    "DataRecord",
    "FieldsResult",
    "LabelSuspect",
    "LineageNode",
    "Profile",
    "QuarantineRecord",
    "TableFormat",
    "Tree",
    "TriggerCandidate",
    "VerifyReport",
    "approve",
    "check",
    "contract_yaml",
    "data_size",
    "dataset_quarantined",
    "decrypt_fields_file",
    "derived_datasets",
    "detect_format",
    "digest_data",
    "encrypt_fields_file",
    "get_record",
    "infer_contract",
    "label_flip_suspects",
    "lineage",
    "load_contract",
    "profile",
    "quarantine",
    "quarantine_of",
    "record",
    "release",
    "training_data_quarantines",
    "trigger_candidates",
    "verify",
]
