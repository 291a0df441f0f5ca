"""Data pipeline protection: field-level encryption of CSV, JSON Lines and Parquet files; the
signed provenance ledger and quarantine; label-flip and backdoor-trigger detectors."""

from __future__ import annotations

from aisec.data._field_encryption import (
    FORMATS,
    PARQUET_META,
    FieldsResult,
    TableFormat,
    decrypt_fields_file,
    detect_format,
    encrypt_fields_file,
)
from aisec.data._label_flips import LabelSuspect, label_flip_suspects
from aisec.data._ledger import (
    LEDGER_KEY,
    DataRecord,
    LineageNode,
    QuarantineRecord,
    VerifyReport,
    approve,
    dataset_quarantined,
    get_record,
    lineage,
    quarantine,
    quarantine_of,
    record,
    release,
    verify,
)
from aisec.data._merkle import Change, Tree, data_size, digest_data
from aisec.data._triggers import TriggerCandidate, trigger_candidates

__all__ = [
    "FORMATS",
    "LEDGER_KEY",
    "PARQUET_META",
    "Change",
    "DataRecord",
    "FieldsResult",
    "LabelSuspect",
    "LineageNode",
    "QuarantineRecord",
    "TableFormat",
    "Tree",
    "TriggerCandidate",
    "VerifyReport",
    "approve",
    "data_size",
    "dataset_quarantined",
    "decrypt_fields_file",
    "detect_format",
    "digest_data",
    "encrypt_fields_file",
    "get_record",
    "label_flip_suspects",
    "lineage",
    "quarantine",
    "quarantine_of",
    "record",
    "release",
    "trigger_candidates",
    "verify",
]
