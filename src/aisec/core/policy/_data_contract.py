"""Data contracts: what a data set must look like, and how far it may drift from a baseline.

A contract sits in the policy under ``data.contracts`` (inline, or ``file:`` naming a YAML
file that holds it) or stands alone in a YAML/JSON file given to ``aisec data check``::

    name: reviews
    path: "reviews*.parquet"
    columns:
      id:      {type: int, nullable: false, unique: true}
      age:     {type: int, min: 0, max: 120, max_null_rate: 0.01}
      country: {type: str, categories: [US, DE, FR]}
      email:   {type: str, pii: forbid}
      text:    {type: str}
    label: sentiment
    label_distribution: {pos: 0.5, neg: 0.5}
    text: [text]
    source: origin
    thresholds: {feature_ks: 0.1}

Every threshold has a default chosen so that two clean samples of one distribution (a few
thousand rows each) are silent; see docs/data.md.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnType(StrEnum):
    """Logical column types (a Parquet int32 and a CSV integer are both ``int``)."""

    INT = "int"
    FLOAT = "float"
    STR = "str"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"
    OTHER = "other"


class PiiPolicy(StrEnum):
    ALLOW = "allow"
    FORBID = "forbid"


class ColumnContract(_Strict):
    """One column: its type and the values it may hold."""

    type: ColumnType
    nullable: bool = Field(default=True, description="False: any null is a violation.")
    max_null_rate: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Largest share of nulls allowed."
    )
    min: float | None = Field(default=None, description="Smallest value allowed (numbers).")
    max: float | None = Field(default=None, description="Largest value allowed (numbers).")
    categories: list[str] | None = Field(
        default=None, max_length=10_000, description="The only values allowed (as text)."
    )
    pattern: str | None = Field(
        default=None,
        max_length=1000,
        description="Regular expression (Rust regex syntax, linear time) every value matches.",
    )
    unique: bool = Field(default=False, description="No value appears twice.")
    pii: PiiPolicy = Field(
        default=PiiPolicy.ALLOW, description="forbid: PII found by the guard's detectors fails."
    )

    @model_validator(mode="after")
    def _range(self) -> ColumnContract:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class Thresholds(_Strict):
    """Limits of each drift and poisoning rule (defaults keep clean-vs-clean silent)."""

    null_spike: float = Field(
        default=0.05, ge=0, le=1, description="Null rate above the baseline's by more than this."
    )
    label_psi: float = Field(default=0.1, ge=0, description="Label distribution PSI.")
    label_js: float = Field(default=0.1, ge=0, le=1, description="Label Jensen-Shannon distance.")
    label_p_value: float = Field(
        default=1e-3, gt=0, le=1, description="Chi-square p-value below which a shift counts."
    )
    feature_ks: float = Field(default=0.1, ge=0, le=1, description="KS statistic of a number.")
    feature_wasserstein: float = Field(
        default=0.25, ge=0, description="Wasserstein distance in baseline standard deviations."
    )
    feature_psi: float = Field(default=0.2, ge=0, description="PSI of a category column.")
    feature_js: float = Field(default=0.15, ge=0, le=1, description="JS distance of categories.")
    duplicate_rate: float = Field(
        default=0.02, ge=0, le=1, description="Share of rows that repeat an earlier row exactly."
    )
    near_duplicate_rate: float = Field(
        default=0.02, ge=0, le=1, description="Share of text rows near-duplicating another."
    )
    near_duplicate_jaccard: float = Field(
        default=0.7,
        gt=0,
        le=1,
        description="Estimated Jaccard similarity (word bigrams) of a pair.",
    )
    source_shift: float = Field(
        default=0.15, ge=0, le=1, description="Rise of one source's share over the baseline."
    )
    new_source_share: float = Field(
        default=0.05, ge=0, le=1, description="Share of rows from a source the baseline lacks."
    )
    label_flip_threshold: float | None = Field(
        default=None, ge=0, le=1, description="Confidence for a label-flip suspect (None: default)."
    )
    label_flip_min_rate: float = Field(
        default=0.005, ge=0, le=1, description="Share of suspects below which nothing is reported."
    )
    trigger_min_support: int | None = Field(
        default=None, ge=2, description="Rows an n-gram needs to be a trigger candidate."
    )
    sample_rows: int = Field(
        default=200_000,
        ge=1000,
        description="Rows the model-based and text detectors read (the first N; said so).",
    )
    pii_sample_rows: int = Field(
        default=50_000, ge=100, description="Values per forbidden column the PII detectors read."
    )
    max_rows_listed: int = Field(
        default=1_000_000, ge=1, description="Row ids listed per finding at most (said so)."
    )


class DataContract(_Strict):
    """A data set's contract (see the module docstring for an example)."""

    name: str = Field(default="contract", min_length=1, max_length=200)
    path: str | None = Field(default=None, description="Glob of the data files it governs.")
    file: str | None = Field(
        default=None, description="A YAML/JSON file holding the contract (then nothing else)."
    )
    columns: dict[str, ColumnContract] = Field(default_factory=dict, max_length=10_000)
    allow_extra_columns: bool = Field(
        default=False, description="True: columns the contract does not name are not drift."
    )
    label: str | None = Field(default=None, description="The label column.")
    label_distribution: dict[str, float] | None = Field(
        default=None, description="Expected share of each label (sums to 1)."
    )
    text: list[str] = Field(default_factory=list, description="Free-text columns.")
    source: str | None = Field(default=None, description="Column naming each row's origin.")
    thresholds: Thresholds = Field(default_factory=Thresholds)

    @model_validator(mode="after")
    def _consistent(self) -> DataContract:
        if self.file is not None:
            if self.columns or self.label or self.text or self.source:
                raise ValueError("a contract with `file:` holds nothing else but name and path")
            return self
        named = set(self.columns)
        for role, col in (("label", self.label), ("source", self.source)):
            if col is not None and named and col not in named:
                raise ValueError(f"{role} column {col!r} is not among the columns")
        missing = [c for c in self.text if named and c not in named]
        if missing:
            raise ValueError(f"text columns {missing} are not among the columns")
        if self.label_distribution is not None:
            total = sum(self.label_distribution.values())
            if any(v < 0 for v in self.label_distribution.values()) or abs(total - 1) > 0.01:
                raise ValueError(f"label_distribution must be shares summing to 1, got {total}")
        return self
