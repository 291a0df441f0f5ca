"""Mergeable column profiles: counts, nulls, min/max, a quantile sketch, top-k categories,
text lengths.

A profile is built a batch at a time and two profiles of parts of a data set merge into the
profile of the whole (``merge``), so a file larger than memory, or a data set in many files,
is profiled in one bounded pass. The quantile sketch is log-linear (the idea of HdrHistogram
and DDSketch): buckets of at most 0.8% relative width with exact counts, so sketches merge by
adding counts and one value always falls in one bucket (which also makes the KS distance
between two sketches exact to within one bucket).
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aisec.core.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import polars as pl

__all__ = [
    "PROFILE_VERSION",
    "ColumnProfile",
    "Profile",
    "Sketch",
    "logical_type",
]

PROFILE_VERSION = 1
TOP_K = 1000
"""Distinct values kept per column; a column with more is high-cardinality (text, ids)."""
_MANTISSA_BITS = 7
_SHIFT = 52 - _MANTISSA_BITS
_MAGNITUDE = (1 << (63 - _SHIFT)) - 1  # a key without its sign bit
_EXP_SPECIAL = 0x7FF  # the exponent of NaN and the infinities
_MAX_PROFILE_BYTES = 256 << 20
_NUMBER_KEYS = ("n", "lo", "hi", "s", "ss")
_PENDING = 64  # batches a sketch keeps unfolded (a few thousand buckets each, at most)


def logical_type(dtype: pl.DataType) -> str:
    """int, float, str, bool, date, datetime or other."""
    import polars as pl

    if dtype.is_integer():
        return "int"
    if dtype.is_float() or dtype.is_decimal():
        return "float"
    if dtype == pl.Boolean:
        return "bool"
    if dtype in (pl.String, pl.Categorical, pl.Enum) or isinstance(dtype, pl.Categorical):
        return "str"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    return "other"


@dataclass(slots=True, eq=False)
class Sketch:
    """A log-linear sketch of numbers: bucket key -> count, positive and negative apart.

    A bucket key is the top bits of the IEEE-754 double of ``|x|`` (exponent and the first
    ``_MANTISSA_BITS`` of the mantissa), so a bucket spans at most 2**-7 of its value, keys
    keep the order of the values, and computing them is a shift (no logarithm). ``add``
    keeps each batch's (key, count) arrays and folds them into the dicts when the sketch is
    read (or every ``_PENDING`` batches): a dict update per bucket per batch was a third of a
    profile's time."""

    pos: dict[int, int] = field(default_factory=dict)
    neg: dict[int, int] = field(default_factory=dict)
    pending: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = field(default_factory=list)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sketch):
            return NotImplemented
        self.fold()
        other.fold()
        return self.pos == other.pos and self.neg == other.neg

    __hash__ = None  # type: ignore[assignment]  # mutable

    @property
    def count(self) -> int:
        self.fold()
        return sum(self.pos.values()) + sum(self.neg.values())

    def add(self, x: npt.NDArray[np.float64]) -> None:
        """Count the finite numbers in ``x`` (NaN and infinities are skipped)."""
        import numpy as np

        # sign bit, exponent and mantissa head in one shift; one bincount for both signs
        keys = (np.ascontiguousarray(x, dtype=np.float64).view(np.uint64) >> _SHIFT).view(np.int64)
        if not len(keys):
            return
        low = int(keys.min())
        counts = np.bincount(keys - low)
        offsets = np.flatnonzero(counts)
        found = offsets + low
        finite = (found & _MAGNITUDE) >> _MANTISSA_BITS != _EXP_SPECIAL  # not NaN nor inf
        self.pending.append((found[finite], counts[offsets[finite]]))
        if len(self.pending) >= _PENDING:
            self.fold()

    def fold(self) -> None:
        """Move the pending batches' counts into the dicts."""
        import numpy as np

        if not self.pending:
            return
        keys = np.concatenate([k for k, _ in self.pending])
        counts = np.concatenate([c for _, c in self.pending])
        self.pending.clear()
        unique, inverse = np.unique(keys, return_inverse=True)
        totals = np.zeros(len(unique), dtype=np.int64)
        np.add.at(totals, inverse, counts)
        for key, n in zip(unique.tolist(), totals.tolist(), strict=True):
            magnitude = key & _MAGNITUDE
            target = self.neg if key > _MAGNITUDE else self.pos
            target[magnitude] = target.get(magnitude, 0) + n

    def merge(self, other: Sketch) -> None:
        self.fold()
        other.fold()
        for mine, theirs in ((self.pos, other.pos), (self.neg, other.neg)):
            for key, n in theirs.items():
                mine[key] = mine.get(key, 0) + n

    def ordered(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(ordinal, count) per bucket, in increasing value order; an ordinal is the key for
        a positive bucket and ``-key - 1`` for a negative one, so ordinals sort as values."""
        import numpy as np

        self.fold()
        neg = sorted(self.neg.items(), reverse=True)
        pos = sorted(self.pos.items())
        ordinals = np.asarray([-k - 1 for k, _ in neg] + [k for k, _ in pos], dtype=np.int64)
        counts = np.asarray([n for _, n in neg] + [n for _, n in pos], dtype=np.int64)
        return ordinals, counts

    def quantiles(self, qs: Iterable[float]) -> list[float]:
        """Values at the quantiles ``qs`` (each in [0, 1]), within 0.4% relative error."""
        import numpy as np

        ordinals, counts = self.ordered()
        wanted = list(qs)
        if not len(counts):
            return [math.nan for _ in wanted]
        cumulative = np.cumsum(counts)
        ranks = np.asarray(wanted, dtype=np.float64) * (cumulative[-1] - 1)
        picked = ordinals[
            np.minimum(np.searchsorted(cumulative, ranks, side="right"), len(ordinals) - 1)
        ]
        return [-_value(-o - 1) if o < 0 else _value(o) for o in picked.tolist()]

    def to_json(self) -> dict[str, Any]:
        self.fold()
        return {
            "pos": {str(k): n for k, n in sorted(self.pos.items())},
            "neg": {str(k): n for k, n in sorted(self.neg.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Sketch:
        return cls(
            {int(k): int(n) for k, n in dict(data.get("pos", {})).items()},
            {int(k): int(n) for k, n in dict(data.get("neg", {})).items()},
        )


def _number_exprs(values: pl.Expr, prefix: str, *, finite: bool = False) -> list[pl.Expr]:
    """Count, min, max, sum and sum of squares of the non-null ``values`` (one Polars
    expression each, so a batch's statistics for every column are one ``select``);
    ``finite``: of the finite values only. That costs a filter per column, and is needed
    only where the sum or the sum of squares is not finite: a NaN or an infinity among the
    values makes one of them NaN or infinite (so does an overflow of the squares, where the
    filtered statistics are the same)."""
    import polars as pl

    x = values.cast(pl.Float64)
    if finite:
        x = x.filter(x.is_finite())
    return [
        x.count().alias(f"{prefix}:n"),
        x.min().alias(f"{prefix}:lo"),
        x.max().alias(f"{prefix}:hi"),
        x.sum().alias(f"{prefix}:s"),
        (x * x).sum().alias(f"{prefix}:ss"),
    ]


def _value(key: int) -> float:
    """The middle of bucket ``key`` (0 for the bucket holding zero)."""
    if key == 0:
        return 0.0
    return struct.unpack("<d", struct.pack("<Q", (key << _SHIFT) | (1 << (_SHIFT - 1))))[0]  # type: ignore[no-any-return]


@dataclass(slots=True)
class Numbers:
    """Moments, extremes and the quantile sketch of a numeric column (or of text lengths)."""

    count: int = 0
    min: float | None = None
    max: float | None = None
    sum: float = 0.0
    sumsq: float = 0.0
    sketch: Sketch = field(default_factory=Sketch)

    @property
    def mean(self) -> float:
        return self.sum / self.count if self.count else math.nan

    @property
    def std(self) -> float:
        if self.count < 2:
            return 0.0
        var = (self.sumsq - self.sum * self.sum / self.count) / (self.count - 1)
        return math.sqrt(max(var, 0.0))

    def add(self, values: pl.Series) -> None:
        """Count the finite numbers in ``values`` (nulls, NaN and infinities are skipped)."""
        import polars as pl

        stats = values.to_frame("x").select(_number_exprs(pl.col("x"), "x")).row(0)
        self.take(stats, values)

    def take(self, stats: Sequence[Any], values: pl.Series) -> None:
        """Add a batch: ``stats`` are the values of ``_number_exprs`` over ``values``."""
        import polars as pl

        n, low, high, total, squares = stats
        if n and not (math.isfinite(total) and math.isfinite(squares)):
            # NaN or infinities: the statistics again, of the finite values only
            frame = values.to_frame("x")
            n, low, high, total, squares = frame.select(
                _number_exprs(pl.col("x"), "x", finite=True)
            ).row(0)
        if not n:
            return
        self.count += int(n)
        self.min = float(low) if self.min is None else min(self.min, float(low))
        self.max = float(high) if self.max is None else max(self.max, float(high))
        self.sum += float(total)
        self.sumsq += float(squares)
        self.sketch.add(values.cast(pl.Float64).to_numpy())

    def merge(self, other: Numbers) -> None:
        self.count += other.count
        for attr, pick in (("min", min), ("max", max)):
            mine, theirs = getattr(self, attr), getattr(other, attr)
            setattr(
                self,
                attr,
                theirs if mine is None else mine if theirs is None else pick(mine, theirs),
            )
        self.sum += other.sum
        self.sumsq += other.sumsq
        self.sketch.merge(other.sketch)

    def to_json(self) -> dict[str, Any]:
        qs = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
        return {
            "count": self.count,
            "min": self.min,
            "max": self.max,
            "mean": None if not self.count else self.mean,
            "std": self.std,
            "sum": self.sum,
            "sumsq": self.sumsq,
            "quantiles": dict(
                zip((f"p{round(q * 100)}" for q in qs), self.sketch.quantiles(qs), strict=True)
            )
            if self.count
            else {},
            "sketch": self.sketch.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Numbers:
        return cls(
            int(data["count"]),
            None if data.get("min") is None else float(data["min"]),
            None if data.get("max") is None else float(data["max"]),
            float(data.get("sum", 0.0)),
            float(data.get("sumsq", 0.0)),
            Sketch.from_json(data.get("sketch", {})),
        )


@dataclass(slots=True)
class ColumnProfile:
    """One column's profile; ``categories`` holds each value's count while the column has at
    most TOP_K distinct values; past that the column is ``high_cardinality``, keeps no values
    (ids, free text, addresses must not end up in a baseline file) and ``other`` counts them."""

    name: str
    type: str
    count: int = 0
    nulls: int = 0
    numbers: Numbers | None = None
    categories: dict[str, int] | None = None
    other: int = 0
    high_cardinality: bool = False
    lengths: Numbers | None = None
    batch_values: set[str] | None = None
    """The distinct values of the last batch added, where they were counted (not saved)."""

    @property
    def null_rate(self) -> float:
        return self.nulls / self.count if self.count else 0.0

    def exprs(self, index: int) -> list[pl.Expr]:
        """The batch statistics this column needs, named ``{index}:…``."""
        import polars as pl

        col = pl.col(self.name)
        out = [col.null_count().alias(f"{index}:nulls")]
        if self.type in ("int", "float"):
            out += _number_exprs(col, f"{index}")
        if self.type == "int":
            out += [col.min().alias(f"{index}:imin"), col.max().alias(f"{index}:imax")]
        if self.type == "str":
            out += _number_exprs(pl.col(_length_column(index)), f"{index}:len")
        return out

    def take(self, index: int, stats: Mapping[str, Any], batch: pl.DataFrame) -> None:
        """Add a batch, given the values of ``exprs(index)`` over it."""
        import polars as pl

        values = batch.get_column(self.name)
        self.batch_values = None
        self.count += len(values)
        self.nulls += int(stats[f"{index}:nulls"])
        present = len(values) - int(stats[f"{index}:nulls"])
        if self.type in ("int", "float"):
            if self.numbers is None:
                self.numbers = Numbers()
            self.numbers.take([stats[f"{index}:{k}"] for k in _NUMBER_KEYS], values)
        if self.type == "str":
            if self.lengths is None:
                self.lengths = Numbers()
            self.lengths.take(
                [stats[f"{index}:len:{k}"] for k in _NUMBER_KEYS],
                batch.get_column(_length_column(index)),
            )
        if self.type not in ("str", "bool", "int") or self.high_cardinality or not present:
            return  # a high-cardinality column keeps the top values it first saw
        if (
            self.type == "int"
            and int(stats[f"{index}:imax"]) - int(stats[f"{index}:imin"]) >= TOP_K
        ):
            self.high_cardinality = True  # an id or a measure, not a category
            self._add_categories(())
            return
        kept = values.drop_nulls() if present < len(values) else values
        if self.type != "int":  # ints are counted as numbers, then named as text
            kept = kept.cast(pl.String)
        # a group-by counts 2-3x faster than Series.value_counts here
        counts = kept.to_frame("v").group_by("v").len()
        pairs = [(str(v), int(n)) for v, n in counts.iter_rows()]
        self.batch_values = {v for v, _ in pairs}
        self._add_categories(pairs)

    def add(self, values: pl.Series) -> None:
        """Add a batch of this column's values."""
        frame = _with_lengths(values.alias(self.name).to_frame(), [self])
        self.take(0, frame.select(self.exprs(0)).row(0, named=True), frame)

    def _add_categories(self, pairs: Iterable[tuple[str, int]]) -> None:
        if self.categories is None:
            self.categories = {}
        cats = self.categories
        for value, n in pairs:
            if value in cats or len(cats) < TOP_K:
                cats[value] = cats.get(value, 0) + n
            else:
                self.other += n
                self.high_cardinality = True
        if self.high_cardinality:
            # ids, free text, e-mail addresses: a profile keeps no values of such a column
            self.other += sum(cats.values())
            cats.clear()

    def merge(self, other: ColumnProfile) -> None:
        if other.type != self.type:
            raise InputError(
                f"profiles disagree on column {self.name!r}: {self.type} and {other.type}"
            )
        self.count += other.count
        self.nulls += other.nulls
        for attr in ("numbers", "lengths"):
            theirs = getattr(other, attr)
            if theirs is not None:
                if getattr(self, attr) is None:
                    setattr(self, attr, Numbers())
                getattr(self, attr).merge(theirs)
        if other.categories is not None:
            self.other += other.other
            self.high_cardinality |= other.high_cardinality
            self._add_categories(other.categories.items())

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type,
            "count": self.count,
            "nulls": self.nulls,
            "null_rate": self.null_rate,
        }
        if self.numbers is not None:
            out["numbers"] = self.numbers.to_json()
        if self.categories is not None:
            top = sorted(self.categories.items(), key=lambda kv: (-kv[1], kv[0]))
            out["categories"] = dict(top)
            out["other"] = self.other
            out["high_cardinality"] = self.high_cardinality
        if self.lengths is not None:
            out["text_lengths"] = self.lengths.to_json()
        return out

    @classmethod
    def from_json(cls, name: str, data: Mapping[str, Any]) -> ColumnProfile:
        return cls(
            name,
            str(data["type"]),
            int(data["count"]),
            int(data["nulls"]),
            Numbers.from_json(data["numbers"]) if "numbers" in data else None,
            {str(k): int(v) for k, v in data["categories"].items()}
            if "categories" in data
            else None,
            int(data.get("other", 0)),
            bool(data.get("high_cardinality", False)),
            Numbers.from_json(data["text_lengths"]) if "text_lengths" in data else None,
        )


def _length_column(index: int) -> str:
    return f"\x00len:{index}"


def _with_lengths(batch: pl.DataFrame, columns: Sequence[ColumnProfile]) -> pl.DataFrame:
    """``batch`` with the text lengths of its string columns added (computed once, for the
    statistics and the sketch), named by ``_length_column``."""
    import polars as pl

    lengths = [
        pl.col(c.name).str.len_chars().alias(_length_column(i))
        for i, c in enumerate(columns)
        if c.type == "str"
    ]
    return batch.with_columns(lengths) if lengths else batch


@dataclass(slots=True)
class Profile:
    """The profile of a data set: its rows and each column's profile, in file order."""

    rows: int = 0
    columns: dict[str, ColumnProfile] = field(default_factory=dict)
    label: str | None = None
    source: str | None = None

    @classmethod
    def start(
        cls, schema: Mapping[str, pl.DataType], label: str | None = None, source: str | None = None
    ) -> Profile:
        return cls(
            0, {n: ColumnProfile(n, logical_type(t)) for n, t in schema.items()}, label, source
        )

    def add(self, batch: pl.DataFrame) -> None:
        """Add a batch: every column's statistics in one ``select`` (Polars computes the
        columns in parallel), then the sketches and category counts per column."""
        self.rows += batch.height
        columns = list(self.columns.values())
        exprs = [e for i, column in enumerate(columns) for e in column.exprs(i)]
        batch = _with_lengths(batch, columns)
        stats = batch.select(exprs).row(0, named=True)
        for i, column in enumerate(columns):
            column.take(i, stats, batch)

    def merge(self, other: Profile) -> Profile:
        """Fold ``other`` (a profile of more rows of the same data set) into this one."""
        if list(other.columns) != list(self.columns):
            raise InputError(
                "profiles of different columns cannot merge: "
                f"{list(self.columns)} and {list(other.columns)}"
            )
        self.rows += other.rows
        for name, column in self.columns.items():
            column.merge(other.columns[name])
        return self

    def label_distribution(self) -> dict[str, int] | None:
        col = self.columns.get(self.label or "")
        return None if col is None or col.categories is None else dict(col.categories)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "profile_version": PROFILE_VERSION,
            "rows": self.rows,
            "label": self.label,
            "source": self.source,
            "columns": {n: c.to_json() for n, c in self.columns.items()},
        }
        dist = self.label_distribution()
        if dist is not None:
            doc["label_distribution"] = dist
        return doc

    @classmethod
    def from_json(cls, data: Any, where: str = "baseline") -> Profile:
        if not isinstance(data, dict) or data.get("profile_version") != PROFILE_VERSION:
            raise InputError(
                f"{where}: not an aisec data profile (version {PROFILE_VERSION}); make one with "
                "`aisec data profile DATA --out baseline.json`"
            )
        try:
            return cls(
                int(data["rows"]),
                {str(n): ColumnProfile.from_json(str(n), c) for n, c in data["columns"].items()},
                data.get("label"),
                data.get("source"),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"{where}: malformed data profile ({exc!r})") from None

    @classmethod
    def load(cls, path: str) -> Profile:
        from pathlib import Path

        from aisec.core.inputs import read_bounded

        raw = read_bounded(Path(path), _MAX_PROFILE_BYTES, "data profile")
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise InputError(f"{path}: not JSON ({exc})") from None
        return cls.from_json(data, path)
