"""Per-type precision / recall / F1 of aisec's PII scanner on presidio-research's data set.

Usage: python benchmarks/guard/pii_eval.py [PATH] [--split dev|test|all] [--show-errors N]

Matching rule: a predicted span is a true positive when it OVERLAPS a gold span of the
same type (each gold span matched at most once); the "exact" columns count only spans
whose start and end equal the gold span's after stripping surrounding whitespace.
Split: records in file order; dev = first 50 %, test = the other 50 %. Detection rules were
tuned looking only at dev errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from aisec.guard._pii import find_pii

DEFAULT = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets" / "pii"
GOLD_TYPES = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CREDIT_CARD",
    "IBAN_CODE": "IBAN",
    "US_SSN": "US_SSN",
    "IP_ADDRESS": "IP_ADDRESS",
}
KINDS = tuple(GOLD_TYPES.values())


def _evaluate(records: list[dict[str, object]], show: int) -> dict[str, dict[str, int]]:
    stats = {k: {"tp": 0, "fp": 0, "fn": 0, "exact": 0} for k in KINDS}
    shown = 0
    for rec in records:
        text = str(rec["full_text"])
        gold = [
            (GOLD_TYPES[s["entity_type"]], s["start_position"], s["end_position"])
            for s in rec["spans"]  # type: ignore[attr-defined]
            if s["entity_type"] in GOLD_TYPES
        ]
        preds = find_pii(text, KINDS)
        used: set[int] = set()
        for m in preds:
            hit = next(
                (
                    i
                    for i, (k, s, e) in enumerate(gold)
                    if i not in used and k == m.kind and m.start < e and s < m.end
                ),
                None,
            )
            if hit is None:
                stats[m.kind]["fp"] += 1
                if shown < show:
                    shown += 1
                    print(f"FP {m.kind}: {text[m.start : m.end]!r} in {text[:120]!r}")
                continue
            used.add(hit)
            stats[m.kind]["tp"] += 1
            _, s, e = gold[hit]
            if text[s:e].strip() == text[m.start : m.end].strip():
                stats[m.kind]["exact"] += 1
        for i, (k, s, e) in enumerate(gold):
            if i not in used:
                stats[k]["fn"] += 1
                if shown < show:
                    shown += 1
                    print(f"FN {k}: {text[s:e]!r} in {text[:120]!r}")
    return stats


def _table(name: str, stats: dict[str, dict[str, int]]) -> None:
    print(f"\n### {name}\n")
    print("| type | gold | tp | fp | fn | precision | recall | F1 | exact-span recall |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, s in stats.items():
        tp, fp, fn = s["tp"], s["fp"], s["fn"]
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        ex = s["exact"] / (tp + fn) if tp + fn else 1.0
        print(
            f"| {kind} | {tp + fn} | {tp} | {fp} | {fn} | {p:.3f} | {r:.3f} | {f1:.3f} | {ex:.3f} |"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", default=str(DEFAULT / "presidio_generated_large.json"))
    ap.add_argument("--split", choices=("dev", "test", "all", "every"), default="every")
    ap.add_argument("--show-errors", type=int, default=0)
    args = ap.parse_args(argv)
    records = json.loads(Path(args.path).read_text("utf-8"))
    half = len(records) // 2
    splits = {"dev": records[:half], "test": records[half:], "all": records}
    names = list(splits) if args.split == "every" else [args.split]
    print(f"data: {args.path} ({len(records)} records; dev = first {half}, test = rest)")
    print("matching: predicted span overlaps a gold span of the same type")
    for name in names:
        _table(f"{name} ({len(splits[name])} records)", _evaluate(splits[name], args.show_errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
