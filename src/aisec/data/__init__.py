"""Data pipeline protection. Field-level encryption of CSV, JSON Lines and Parquet files."""

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

__all__ = [
    "FORMATS",
    "PARQUET_META",
    "FieldsResult",
    "TableFormat",
    "decrypt_fields_file",
    "detect_format",
    "encrypt_fields_file",
]
