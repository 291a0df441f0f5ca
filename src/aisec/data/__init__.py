"""Data pipeline protection: field-level encryption, data contracts, profiles and the
data check (quality, drift and poisoning signals) for CSV, JSON Lines and Parquet files.

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
from aisec.data._profile import Profile

__all__ = [
    "FORMATS",
    "PARQUET_META",
    "CheckResult",
    "FieldsResult",
    "Profile",
    "TableFormat",
    "check",
    "contract_yaml",
    "decrypt_fields_file",
    "detect_format",
    "encrypt_fields_file",
    "infer_contract",
    "load_contract",
    "profile",
]
