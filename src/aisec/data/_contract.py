"""Find, load and draft data contracts (the model lives in ``aisec.core.policy``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aisec.core.errors import InputError, PolicyError
from aisec.core.policy import ColumnContract, ColumnType, DataContract, PiiPolicy

__all__ = ["contract_yaml", "infer_contract", "load_contract"]

_MAX_CONTRACT_BYTES = 4 << 20
_MAX_CATEGORIES = 50
_TEXT_MEAN_LENGTH = 40


def _parse(path: Path) -> DataContract:
    import yaml
    from pydantic import ValidationError

    from aisec.core.inputs import read_bounded

    raw = read_bounded(path, _MAX_CONTRACT_BYTES, "data contract")
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise PolicyError(f"data contract {path}: not YAML/JSON text ({exc})") from None
    if not isinstance(data, dict):
        raise PolicyError(f"data contract {path}: the top level must be a mapping")
    try:
        contract = DataContract.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{path}: {'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
            for e in exc.errors()
        ]
        raise PolicyError(f"data contract {path}: {len(problems)} error(s)", problems) from None
    if contract.file is not None:
        raise PolicyError(f"data contract {path}: a contract file cannot name another (file:)")
    return contract


def load_contract(ref: str | Path, data: str | None = None) -> DataContract:
    """The contract ``ref`` names: a YAML/JSON file, or a name under the policy's
    ``data.contracts`` (whose ``file:`` is read relative to the working folder).

    With ``ref`` empty, the policy contract whose ``path`` glob matches ``data``.
    """
    from fnmatch import fnmatch

    from aisec.core.policy import active_policy

    text = str(ref)
    if text and Path(text).is_file():
        return _parse(Path(text))
    policy = active_policy()
    contracts = [] if policy is None else policy.data.contracts
    for contract in contracts:
        name_matches = text and contract.name == text
        glob_matches = (
            not text
            and data is not None
            and contract.path is not None
            and (fnmatch(data, contract.path) or fnmatch(Path(data).name, contract.path))
        )
        if name_matches or glob_matches:
            return _parse(Path(contract.file)) if contract.file else contract
    names = ", ".join(c.name for c in contracts) or "none"
    raise InputError(
        f"no data contract {text!r}: not a file, and not a name under data.contracts in the "
        f"policy (contracts there: {names}); draft one with `aisec data contract infer DATA`"
    )


def _column(col: Any, unique: bool, pii_seen: bool) -> ColumnContract:
    """A column contract drafted from a clean sample's profile."""
    fields: dict[str, Any] = {"type": ColumnType(col.type), "nullable": col.nulls > 0}
    if col.nulls:
        fields["max_null_rate"] = round(min(1.0, col.null_rate + 0.05), 3)
    nums = col.numbers
    if nums is not None and nums.count and nums.min is not None and nums.max is not None:
        pad = 0.1 * (nums.max - nums.min) or abs(nums.max) * 0.1 or 1.0
        low, high = nums.min - pad, nums.max + pad
        if nums.min >= 0:
            low = max(low, 0.0)
        if col.type == "int":
            low, high = float(int(low)), float(int(high) + 1)
        fields["min"], fields["max"] = round(low, 6), round(high, 6)
    cats = col.categories
    if (
        col.type in ("str", "bool")
        and cats
        and not col.high_cardinality
        and len(cats) <= _MAX_CATEGORIES
        and col.count >= 20 * len(cats)
    ):
        fields["categories"] = sorted(cats)
    if unique:
        fields["unique"] = True
    if col.type == "str":
        fields["pii"] = PiiPolicy.ALLOW if pii_seen else PiiPolicy.FORBID
    return ColumnContract(**fields)


def infer_contract(
    location: str | Path,
    *,
    name: str | None = None,
    label: str | None = None,
    text: list[str] | None = None,
    source: str | None = None,
    fmt: str | None = None,
    delimiter: str | None = None,
    max_rows: int = 1_000_000,
) -> DataContract:
    """A contract drafted from a clean sample (its first ``max_rows`` rows): types,
    nullability, padded ranges, small category sets, unique columns, PII policy (forbid
    where the sample has none), and text columns (long, high-cardinality strings)."""
    import polars as pl

    from aisec.data._profile import Profile
    from aisec.data._source import open_source
    from aisec.guard import SCANNERS, Direction, ScanContext

    src = open_source(location, fmt=fmt, delimiter=delimiter)
    schema = src.schema()
    for role, given in (("label", label), ("source", source), *(("text", t) for t in text or [])):
        if given is not None and given not in schema:
            raise InputError(f"{location}: no column {given!r} (given as the {role} column)")
    profile = Profile.start(schema, label, source)
    distinct: dict[str, set[int]] = {n: set() for n in schema}
    scanner = SCANNERS["pii"]()
    ctx = ScanContext(direction=Direction.DOCUMENT)
    pii: set[str] = set()
    for batch in src.batches():
        batch = batch.head(max_rows - profile.rows)
        profile.add(batch)
        for column in batch.columns:
            values = batch.get_column(column)
            if column in distinct and len(distinct[column]) <= max_rows:
                hashes = values.hash(seed=0).to_list()
                distinct[column].update(hashes)
            if (
                values.dtype == pl.String
                and column not in pii
                and any(scanner.scan(v, ctx).findings for v in values.head(2000).drop_nulls())
            ):
                pii.add(column)
        if profile.rows >= max_rows:
            break
    texts = list(text or [])
    columns: dict[str, ColumnContract] = {}
    for col_name, col in profile.columns.items():
        unique = (
            col.type in ("int", "str")
            and col.nulls == 0
            and len(distinct[col_name]) == col.count
            and col.high_cardinality
            and col_name not in texts
        )
        lengths = col.lengths
        if (
            text is None
            and col.type == "str"
            and col.high_cardinality
            and lengths is not None
            and lengths.mean >= _TEXT_MEAN_LENGTH
        ):
            texts.append(col_name)
            unique = False
        columns[col_name] = _column(col, unique, col_name in pii)
    return DataContract(
        name=name or Path(str(location)).stem,
        columns=columns,
        label=label,
        text=texts,
        source=source,
    )


def contract_yaml(contract: DataContract) -> str:
    """The contract as YAML (defaults left out, so the file stays short)."""
    import yaml

    doc = json.loads(contract.model_dump_json(exclude_defaults=True))
    for col in doc.get("columns", {}).values():
        col.setdefault("type", "str")
    return str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=False))
