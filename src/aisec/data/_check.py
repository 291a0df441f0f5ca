"""``aisec data check``: a data set against its contract and a baseline profile, as Findings.

One streaming pass over the data builds its profile and the row-level checks (nulls, range,
categories, pattern, uniqueness, exact duplicates); the detectors that need whole rows
together (near duplicates, label flips, backdoor triggers, PII) read the first
``thresholds.sample_rows`` rows, and a finding says so when the data set is larger. Drift
compares the profile with the baseline's. A finding about rows lists their 0-based indexes
in ``location.rows``; evidence never quotes a cell of the data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from aisec.core.errors import InputError
from aisec.core.findings import Finding, FrameworkRef, Location, Severity
from aisec.core.policy import DataContract, PiiPolicy, Thresholds
from aisec.data import _detectors
from aisec.data._minhash import near_duplicates
from aisec.data._profile import ColumnProfile, Profile
from aisec.data._source import DataSource, open_source
from aisec.data._stats import chi_square_p, js_distance, ks_sketch, psi, shares

if TYPE_CHECKING:
    import polars as pl

__all__ = ["CheckResult", "check_data", "profile_data"]

FRAMEWORKS = (
    FrameworkRef("ATLAS", "AML.T0020"),
    FrameworkRef("ATLAS", "AML.T0059"),
    FrameworkRef("OWASP-LLM", "LLM04:2025"),
)
_HASH_ROWS = 20_000_000
"""Rows whose hashes are kept for the duplicate and uniqueness checks (8 bytes each)."""
_COMPATIBLE = {("float", "int"), ("str", "bool"), ("datetime", "date")}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What ``check`` found in one data set, and how much of it each detector read."""

    location: str
    rows: int
    findings: tuple[Finding, ...]
    profile: Profile
    sampled_rows: int

    def passed(self, fail_on: Severity = Severity.HIGH) -> bool:
        """True when no finding is at or above ``fail_on``."""
        return all(f.severity < fail_on for f in self.findings)


class _Rows:
    """Row indexes of one rule's violations: counted in full, kept up to ``limit``."""

    __slots__ = ("count", "kept", "limit")

    def __init__(self, limit: int) -> None:
        self.count = 0
        self.kept: list[npt.NDArray[np.int64]] = []
        self.limit = limit

    def add(self, rows: npt.NDArray[np.int64]) -> None:
        room = self.limit - sum(len(k) for k in self.kept)
        if room > 0 and len(rows):
            self.kept.append(rows[:room])
        self.count += len(rows)

    def listed(self) -> tuple[int, ...]:
        return tuple(np.concatenate(self.kept).tolist()) if self.kept else ()


@dataclass(slots=True)
class _Pass:
    """State of the streaming pass."""

    source: DataSource
    contract: DataContract
    profile: Profile
    limit: int
    offset: int = 0
    rows: dict[tuple[str, str], _Rows] = field(default_factory=dict)
    row_hashes: list[npt.NDArray[np.uint64]] = field(default_factory=list)
    value_hashes: dict[str, list[npt.NDArray[np.uint64]]] = field(default_factory=dict)
    sample: list[pl.DataFrame] = field(default_factory=list)
    sampled: int = 0
    baseline: Profile | None = None
    schema: dict[str, pl.DataType] = field(default_factory=dict)
    repeated_rows: npt.NDArray[np.int64] | None = None

    def duplicates(self) -> npt.NDArray[np.int64]:
        """Rows that repeat an earlier row exactly (computed once)."""
        if self.repeated_rows is None:
            self.repeated_rows = _repeats(self.row_hashes)
            self.row_hashes.clear()
        return self.repeated_rows

    def baseline_null(self, column: str) -> float | None:
        col = None if self.baseline is None else self.baseline.columns.get(column)
        return None if col is None else col.null_rate

    def sink(self, rule: str, column: str) -> _Rows:
        key = (rule, column)
        if key not in self.rows:
            self.rows[key] = _Rows(self.limit)
        return self.rows[key]


def _finding(
    rule: str,
    where: str,
    evidence: str,
    *,
    rows: Sequence[int] | None = None,
    pointer: str | None = None,
) -> Finding:
    """A finding of ``rule``: title, severity and remediation from the rule catalog."""
    from aisec.core.rules import lookup

    entry = lookup(rule)
    return Finding(
        rule_id=rule,
        title=entry.title,
        severity=entry.severity,
        asset=where,
        location=Location(path=where, pointer=pointer, rows=None if rows is None else tuple(rows)),
        evidence=evidence,
        frameworks=FRAMEWORKS,
        remediation=entry.remediation,
    )


def _listed(sink: _Rows) -> tuple[tuple[int, ...], str]:
    listed = sink.listed()
    note = f"; first {len(listed)} of {sink.count} rows listed" if len(listed) < sink.count else ""
    return listed, note


# -- schema -------------------------------------------------------------------------------


def _schema_findings(
    where: str, types: dict[str, str], contract: DataContract, baseline: Profile | None
) -> list[Finding]:
    out: list[Finding] = []

    def drift(column: str, what: str) -> None:
        out.append(
            _finding(
                "data-schema-drift",
                where,
                f"column {column!r}: {what}",
                pointer=column,
            )
        )

    expected = {n: c.type.value for n, c in contract.columns.items()}
    if baseline is not None:
        for name, col in baseline.columns.items():
            expected.setdefault(name, col.type)
    for name, want in expected.items():
        got = types.get(name)
        where_from = "contract" if name in contract.columns else "baseline"
        if got is None:
            drift(name, f"missing (the {where_from} has it)")
        elif got != want and (want, got) not in _COMPATIBLE and want != "other":
            drift(name, f"type {got}, the {where_from} says {want}")
    if contract.columns and not contract.allow_extra_columns:
        for name in types:
            if name not in expected:
                drift(name, "not in the contract (new column)")
    return out


# -- the streaming pass -------------------------------------------------------------------


def _rule_masks(
    contract: DataContract, columns: dict[str, pl.DataType], null_watch: list[str]
) -> list[tuple[str, str, pl.Expr]]:
    """(rule, column, mask) for every row rule: one Polars expression each, so a batch's
    rules are evaluated in one ``select`` (in parallel, in Rust)."""
    import polars as pl

    out: list[tuple[str, str, pl.Expr]] = []
    for name, rule in contract.columns.items():
        if name not in columns:
            continue
        values = pl.col(name)
        nulls = values.is_null()
        if (not rule.nullable) or rule.max_null_rate is not None:
            out.append(("data-null-spike", name, nulls))
        if (rule.min is not None or rule.max is not None) and columns[name].is_numeric():
            low = rule.min if rule.min is not None else -np.inf
            high = rule.max if rule.max is not None else np.inf
            out.append(("data-out-of-range", name, (values < low) | (values > high)))
        if rule.categories is not None:
            text = values.cast(pl.String)
            out.append(("data-unknown-category", name, ~text.is_in(rule.categories) & ~nulls))
        if rule.pattern is not None:
            try:
                pl.Series([""]).str.contains(rule.pattern)
            except pl.exceptions.PolarsError as exc:
                raise InputError(
                    f"contract: columns.{name}.pattern: not a valid regular expression: "
                    f"{str(exc).splitlines()[0]}"
                ) from None
            ok = values.cast(pl.String).str.contains(rule.pattern)
            out.append(("data-pattern-violation", name, ~ok & ~nulls))
    out.extend(("data-null-spike", name, pl.col(name).is_null()) for name in null_watch)
    return out


def _run_pass(
    state: _Pass, baseline: Profile | None, needed: list[str], progress: Callable[[int], None]
) -> None:

    contract = state.contract
    null_watch = [
        n
        for n in state.profile.columns
        if baseline is not None and n in baseline.columns and n not in contract.columns
    ]
    schema = {n: state.schema[n] for n in state.profile.columns}
    masks = [
        (rule, column, mask.fill_null(False))
        for rule, column, mask in _rule_masks(contract, schema, null_watch)
    ]
    allowed = {
        n: {str(v) for v in rule.categories}
        for n, rule in contract.columns.items()
        if rule.categories is not None
    }
    unique = [n for n, rule in contract.columns.items() if rule.unique and n in schema]
    cap = contract.thresholds.sample_rows
    for batch in state.source.batches():
        state.profile.add(batch)
        # a rule that cannot fire in this batch is not evaluated: no nulls in the column, or
        # every distinct value (counted by the profile) allowed
        live = [
            (rule, column, mask)
            for rule, column, mask in masks
            if not (rule == "data-null-spike" and not batch.get_column(column).null_count())
            and not (rule == "data-unknown-category" and _all_allowed(state, column, allowed))
        ]
        hit = (
            batch.select([m.any().alias(f"{i}") for i, (_, _, m) in enumerate(live)]).row(0)
            if live
            else ()
        )
        for (rule, column, mask), fired in zip(live, hit, strict=True):
            if fired:  # most batches break no rule: no row indexes to collect
                rows = np.flatnonzero(batch.select(mask).to_series().to_numpy())
                state.sink(rule, column).add(rows.astype(np.int64) + state.offset)
        if state.offset < _HASH_ROWS:
            state.row_hashes.append(batch.hash_rows(seed=0).to_numpy())
            for name in unique:
                hashes = batch.get_column(name).hash(seed=0).to_numpy()
                state.value_hashes.setdefault(name, []).append(hashes)
        if state.sampled < cap and needed:
            part = batch.select(needed).head(cap - state.sampled)
            state.sample.append(part)
            state.sampled += part.height
        state.offset += batch.height
        progress(batch.height)


def _all_allowed(state: _Pass, column: str, allowed: dict[str, set[str]]) -> bool:
    seen = state.profile.columns[column].batch_values
    return seen is not None and seen <= allowed[column]


def _repeats(hashes: list[npt.NDArray[np.uint64]]) -> npt.NDArray[np.int64]:
    """Indexes of entries equal to an earlier entry (64-bit hashes; collisions ~2**-64).

    A sort of the values alone (no index; NumPy's vectorised sort, ~8x faster than a stable
    argsort of 10 M entries) finds the values that repeat; only the entries holding one of
    those are then put in order by a stable argsort, so a clean file costs one sort."""
    if not hashes:
        return np.empty(0, dtype=np.int64)
    ordered = np.concatenate(hashes)
    ordered.sort()  # in place: no second copy of 8 bytes a row
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    del ordered
    if not len(repeated):
        return np.empty(0, dtype=np.int64)
    flat = np.concatenate(hashes)
    candidates = np.flatnonzero(np.isin(flat, np.unique(repeated)))
    order = np.argsort(flat[candidates], kind="stable")
    picked = flat[candidates][order]
    again = np.flatnonzero(picked[1:] == picked[:-1]) + 1
    return np.sort(candidates[order[again]]).astype(np.int64)


# -- rules over the whole pass ------------------------------------------------------------


def _row_rule_findings(state: _Pass, where: str) -> list[Finding]:
    out: list[Finding] = []
    total = max(state.profile.rows, 1)
    t = state.contract.thresholds
    messages = {
        "data-out-of-range": "outside [{lo}, {hi}]",
        "data-unknown-category": "not an allowed category",
        "data-pattern-violation": "not matching the pattern",
    }
    for (rule, column), sink in sorted(state.rows.items()):
        if not sink.count:
            continue
        listed, note = _listed(sink)
        if rule == "data-null-spike":
            finding = _null_finding(state, where, column, sink, t)
            if finding is not None:
                out.append(finding)
            continue
        what = messages[rule]
        spec = state.contract.columns[column]
        what = what.format(lo=spec.min, hi=spec.max)
        out.append(
            _finding(
                rule,
                where,
                f"column {column!r}: {sink.count} of {total} rows {what}{note}",
                rows=listed,
                pointer=column,
            )
        )
    for column, hashes in sorted(state.value_hashes.items()):
        again = _repeats(hashes)
        if len(again):
            rows = _Rows(t.max_rows_listed)
            rows.add(again)
            listed, note = _listed(rows)
            out.append(
                _finding(
                    "data-not-unique",
                    where,
                    f"column {column!r}: {len(again)} rows repeat an earlier value{note}",
                    rows=listed,
                    pointer=column,
                )
            )
    again = state.duplicates()
    if len(again) > t.duplicate_rate * total:
        rows = _Rows(t.max_rows_listed)
        rows.add(again)
        listed, note = _listed(rows)
        out.append(
            _finding(
                "data-duplicate-injection",
                where,
                f"{len(again)} of {total} rows ({len(again) / total:.1%}) repeat an earlier row "
                f"exactly (limit {t.duplicate_rate:.1%}){note}",
                rows=listed,
            )
        )
    return out


def _null_finding(
    state: _Pass, where: str, column: str, sink: _Rows, t: Thresholds
) -> Finding | None:
    col = state.profile.columns[column]
    rate = col.null_rate
    spec = state.contract.columns.get(column)
    reasons: list[str] = []
    if spec is not None and not spec.nullable:
        reasons.append("the contract says not nullable")
    if spec is not None and spec.max_null_rate is not None and rate > spec.max_null_rate:
        reasons.append(f"above the contract's {spec.max_null_rate:.1%}")
    base = state.baseline_null(column)
    if base is not None and rate > base + t.null_spike:
        reasons.append(f"the baseline had {base:.1%}")
    if not reasons:
        return None
    listed, note = _listed(sink)
    return _finding(
        "data-null-spike",
        where,
        f"column {column!r}: {sink.count} nulls ({rate:.1%}); {'; '.join(reasons)}{note}",
        rows=listed,
        pointer=column,
    )


# -- drift against the baseline -----------------------------------------------------------


def _category_drift(
    base: dict[str, int], now: dict[str, int]
) -> tuple[float, float, float, list[str]]:
    """PSI, JS distance, chi-square p-value, and the categories whose share rose most."""
    keys = sorted(set(base) | set(now))
    expected = shares({k: float(v) for k, v in base.items()}, keys)
    actual = shares({k: float(v) for k, v in now.items()}, keys)
    observed = [float(now.get(k, 0)) for k in keys]
    rising = sorted(keys, key=lambda k: actual[keys.index(k)] - expected[keys.index(k)])[::-1]
    return (
        psi(expected, actual),
        js_distance(expected, actual),
        chi_square_p(expected, observed),
        rising[:3],
    )


def _drift_findings(state: _Pass, where: str, baseline: Profile | None) -> list[Finding]:
    out: list[Finding] = []
    t = state.contract.thresholds
    label = state.contract.label
    profile = state.profile
    expected_labels: dict[str, float] | None = None
    if label is not None and label in profile.columns:
        if baseline is not None and baseline.label_distribution():
            expected_labels = {
                k: float(v) for k, v in (baseline.label_distribution() or {}).items()
            }
        elif state.contract.label_distribution is not None:
            expected_labels = dict(state.contract.label_distribution)
    now_labels = profile.label_distribution()
    if expected_labels is not None and now_labels:
        keys = sorted(set(expected_labels) | set(now_labels))
        e = shares(expected_labels, keys)
        a = shares({k: float(v) for k, v in now_labels.items()}, keys)
        p_index, js = psi(e, a), js_distance(e, a)
        p_value = chi_square_p(e, [float(now_labels.get(k, 0)) for k in keys])
        if p_value < t.label_p_value and (p_index >= t.label_psi or js >= t.label_js):
            shift = ", ".join(
                f"{k}: {x:.1%} -> {y:.1%}" for k, x, y in zip(keys, e, a, strict=True)
            )
            out.append(
                _finding(
                    "data-label-drift",
                    where,
                    f"label {label!r}: PSI {p_index:.3f}, JS {js:.3f}, "
                    f"chi-square p {p_value:.2g} ({shift})",
                    pointer=label,
                )
            )
    if baseline is None:
        return out
    skip = {label, state.contract.source, *state.contract.text}
    for name, col in profile.columns.items():
        base = baseline.columns.get(name)
        if name in skip or base is None or base.type != col.type:
            continue
        out.extend(_column_drift(where, name, base, col, t))
    out.extend(_source_findings(state, where, baseline))
    return out


def _column_drift(
    where: str, name: str, base: ColumnProfile, col: ColumnProfile, t: Thresholds
) -> list[Finding]:
    def drift(what: str) -> Finding:
        return _finding(
            "data-feature-drift",
            where,
            f"column {name!r}: {what}",
            pointer=name,
        )

    if (
        base.numbers is not None
        and col.numbers is not None
        and base.numbers.count
        and col.numbers.count
    ):
        ks, p_value = ks_sketch(base.numbers.sketch, col.numbers.sketch)
        if ks >= t.feature_ks and p_value < t.label_p_value:
            qs = [i / 100 for i in range(1, 100)]
            pairs = zip(
                base.numbers.sketch.quantiles(qs), col.numbers.sketch.quantiles(qs), strict=True
            )
            wasserstein = sum(abs(a - b) for a, b in pairs) / len(qs)
            scale = base.numbers.std or 1.0
            return [
                drift(f"KS {ks:.3f} (p {p_value:.2g}), Wasserstein {wasserstein / scale:.3f} std")
            ]
        return []
    if (
        base.categories is not None
        and col.categories is not None
        and not base.high_cardinality
        and not col.high_cardinality
    ):
        p_index, js, p_value, rising = _category_drift(base.categories, col.categories)
        if p_value < t.label_p_value and (p_index >= t.feature_psi or js >= t.feature_js):
            return [
                drift(
                    f"PSI {p_index:.3f}, JS {js:.3f}, chi-square p {p_value:.2g}; "
                    f"{len(rising)} categories rose most"
                )
            ]
    return []


def _source_findings(state: _Pass, where: str, baseline: Profile) -> list[Finding]:
    source = state.contract.source
    t = state.contract.thresholds
    col = state.profile.columns.get(source or "")
    base = baseline.columns.get(source or "")
    if (
        source is None
        or col is None
        or base is None
        or not col.categories
        or base.categories is None
    ):
        return []
    now_total = sum(col.categories.values()) + col.other
    base_total = max(sum(base.categories.values()) + base.other, 1)
    flagged: list[tuple[str, str]] = []
    for value, n in col.categories.items():
        share = n / max(now_total, 1)
        before = base.categories.get(value, 0) / base_total
        if value not in base.categories and share >= t.new_source_share:
            flagged.append((value, f"a new source holds {share:.1%} of rows"))
        elif share - before >= t.source_shift:
            flagged.append((value, f"a source's share rose from {before:.1%} to {share:.1%}"))
    if not flagged:
        return []
    rows = _rows_where(state, source, [v for v, _ in flagged])
    listed, note = _listed(rows)
    return [
        _finding(
            "data-source-shift",
            where,
            f"column {source!r}: {'; '.join(w for _, w in flagged)}{note}",
            rows=listed,
            pointer=source,
        )
    ]


def _rows_where(state: _Pass, column: str, values: list[str]) -> _Rows:
    """Rows whose ``column`` is one of ``values`` (a second pass over that column only)."""
    import polars as pl

    rows = _Rows(state.limit)
    offset = 0
    for batch in state.source.batches([column]):
        mask = batch.get_column(column).cast(pl.String).is_in(values).fill_null(False)
        rows.add(np.flatnonzero(mask.to_numpy()).astype(np.int64) + offset)
        offset += batch.height
    return rows


# -- detectors over the sample --------------------------------------------------------------


def _unavailable(where: str, what: str) -> Finding:
    return _finding(
        "data-check-incomplete",
        where,
        f"{what} is not available in this build of aisec",
    )


def _sample_findings(state: _Pass, where: str, exact: set[int]) -> list[Finding]:
    import polars as pl

    contract = state.contract
    t = contract.thresholds
    if not state.sample:
        return []
    frame = pl.concat(state.sample, how="vertical_relaxed")
    out: list[Finding] = []
    of = f" (of the first {frame.height} rows)" if frame.height < state.profile.rows else ""
    text = [c for c in contract.text if c in frame.columns]
    for column in text:
        pairs = [
            (r, h)
            for r, h in near_duplicates(
                frame.get_column(column).cast(pl.String).to_list(), t.near_duplicate_jaccard
            )
            if r not in exact
        ]
        if len(pairs) > t.near_duplicate_rate * max(frame.height, 1):
            rows = [r for r, _ in pairs]
            out.append(
                _finding(
                    "data-near-duplicate-injection",
                    where,
                    f"column {column!r}: {len(rows)} rows{of} near-duplicate an earlier row "
                    f"(estimated Jaccard >= {t.near_duplicate_jaccard}); e.g. row {pairs[0][0]} "
                    f"~ row {pairs[0][1]}",
                    rows=rows[: t.max_rows_listed],
                    pointer=column,
                )
            )
    label = contract.label
    if label is not None and label in frame.columns:
        out.extend(_poison_findings(state, where, frame, label, text, of))
    out.extend(_pii_findings(state, where, frame))
    return out


def _features(state: _Pass, frame: pl.DataFrame) -> list[str]:
    """Columns a label-flip model learns from: numbers that are not an id (an int column
    with no repeats spanning its row count) and categories of bounded cardinality."""
    contract = state.contract
    skip = {contract.label, contract.source, *contract.text}
    out: list[str] = []
    for name in frame.columns:
        col = state.profile.columns.get(name)
        spec = contract.columns.get(name)
        if name in skip or col is None or (spec is not None and spec.unique):
            continue
        nums = col.numbers
        id_like = (
            col.type == "int"
            and nums is not None
            and nums.min is not None
            and nums.max is not None
            and nums.max - nums.min + 1 >= col.count
        )
        if (col.type in ("int", "float") and not id_like) or (
            col.type in ("str", "bool") and not col.high_cardinality
        ):
            out.append(name)
    return out


def _poison_findings(
    state: _Pass, where: str, frame: pl.DataFrame, label: str, text: list[str], of: str
) -> list[Finding]:
    t = state.contract.thresholds
    out: list[Finding] = []
    flips = _detectors.label_flips(
        frame,
        label=label,
        features=_features(state, frame),
        text=text,
        threshold=t.label_flip_threshold,
    )
    if flips is None:
        out.append(_unavailable(where, "label-flip detection"))
    elif len(flips) > t.label_flip_min_rate * frame.height:
        flips.sort(key=lambda s: s.row)
        out.append(
            _finding(
                "data-label-flip-suspect",
                where,
                f"label {label!r}: {len(flips)} rows{of} look mislabelled (out-of-fold "
                f"confidence >= {min(s.confidence for s in flips):.2f} in another label)",
                rows=[s.row for s in flips][: t.max_rows_listed],
                pointer=label,
            )
        )
    if not text:
        return out
    found = _detectors.triggers(frame, label=label, text=text, min_support=t.trigger_min_support)
    if found is None:
        out.append(_unavailable(where, "backdoor-trigger detection"))
        return out
    out.extend(
        _finding(
            "data-backdoor-trigger",
            where,
            f"column {trig.column!r}: n-gram {trig.ngram!r} in {trig.support} rows{of}, "
            f"{trig.purity:.0%} labelled {trig.label!r}",
            rows=sorted(trig.rows)[: t.max_rows_listed],
            pointer=trig.column,
        )
        for trig in found
    )
    return out


def _pii_findings(state: _Pass, where: str, frame: pl.DataFrame) -> list[Finding]:
    import polars as pl

    from aisec.guard import SCANNERS, Direction, ScanContext

    forbidden = [
        n
        for n, c in state.contract.columns.items()
        if c.pii is PiiPolicy.FORBID and n in frame.columns
    ]
    if not forbidden:
        return []
    scanner = SCANNERS["pii"]()
    ctx = ScanContext(direction=Direction.DOCUMENT)
    cap = state.contract.thresholds.pii_sample_rows
    out: list[Finding] = []
    for column in forbidden:
        values = frame.get_column(column).head(cap).cast(pl.String).to_list()
        rows: list[int] = []
        kinds: dict[str, int] = {}
        for i, value in enumerate(values):
            if not value:
                continue
            result = scanner.scan(value, ctx)
            if result.findings:
                rows.append(i)
                for f in result.findings:
                    kind = f.rule_id.removeprefix("guard-pii-")
                    kinds[kind] = kinds.get(kind, 0) + 1
        if rows:
            seen = ", ".join(f"{k} x{n}" for k, n in sorted(kinds.items()))
            of = f" (of the first {len(values)} values)" if len(values) < state.profile.rows else ""
            out.append(
                _finding(
                    "data-pii-forbidden",
                    where,
                    f"column {column!r}: {len(rows)} rows{of} hold PII ({seen})",
                    rows=rows,
                    pointer=column,
                )
            )
    return out


# -- the entry points -----------------------------------------------------------------------


def _needed(state: _Pass) -> list[str]:
    contract = state.contract
    cols = list(state.profile.columns)
    if (
        contract.label is None
        and not contract.text
        and not any(c.pii is PiiPolicy.FORBID for c in contract.columns.values())
    ):
        return []
    return cols


def check_data(
    location: str | Path,
    contract: DataContract,
    *,
    baseline: Profile | None = None,
    fmt: str | None = None,
    delimiter: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CheckResult:
    """Check one data set; ``progress(done, total)`` is called as rows are read."""
    where = str(location)
    source = open_source(location, fmt=fmt, delimiter=delimiter)
    total = source.rows or 0
    quarantine = _detectors.quarantine_reason(where)
    findings: list[Finding] = []
    if quarantine is None:
        findings.append(_unavailable(where, "the quarantine list"))
    elif quarantine[0]:
        findings.append(
            _finding(
                "data-quarantined",
                where,
                quarantine[1],
            )
        )
    schema = source.schema()
    profile = Profile.start(schema, contract.label, contract.source)
    types = {n: c.type for n, c in profile.columns.items()}
    findings.extend(_schema_findings(where, types, contract, baseline))
    state = _Pass(
        source,
        contract,
        profile,
        contract.thresholds.max_rows_listed,
        baseline=baseline,
        schema=schema,
    )
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    _run_pass(state, baseline, _needed(state), advance)
    findings.extend(_row_rule_findings(state, where))
    exact = set(state.duplicates()[: contract.thresholds.sample_rows].tolist())
    findings.extend(_drift_findings(state, where, baseline))
    findings.extend(_sample_findings(state, where, exact))
    if state.sampled and state.sampled < profile.rows:
        findings.append(
            _finding(
                "data-check-sampled",
                where,
                f"near-duplicate, label-flip, trigger and PII detectors read the first "
                f"{state.sampled} of {profile.rows} rows (thresholds.sample_rows)",
            )
        )
    if profile.rows > _HASH_ROWS:
        findings.append(
            _finding(
                "data-check-sampled",
                where,
                f"duplicate and uniqueness checks read the first {_HASH_ROWS} of "
                f"{profile.rows} rows",
            )
        )
    return CheckResult(where, profile.rows, tuple(findings), profile, state.sampled)


def profile_data(
    location: str | Path,
    *,
    label: str | None = None,
    source_column: str | None = None,
    fmt: str | None = None,
    delimiter: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Profile:
    """The profile of one data set, built in one streaming pass."""
    source = open_source(location, fmt=fmt, delimiter=delimiter)
    schema = source.schema()
    for role, col in (("label", label), ("source", source_column)):
        if col is not None and col not in schema:
            raise InputError(f"{location}: no column {col!r} (given as the {role} column)")
    profile = Profile.start(schema, label, source_column)
    total = source.rows or 0
    for batch in source.batches():
        profile.add(batch)
        if progress is not None:
            progress(profile.rows, total)
    return profile


def iter_findings(results: Iterable[CheckResult]) -> list[Finding]:
    """All findings of several results, in order."""
    return [f for r in results for f in r.findings]
