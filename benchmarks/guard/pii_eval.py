"""Per-type precision / recall / F1 of aisec's PII scanner on presidio-research's data set,
beside Presidio's own analyzer on the same records when its environment is present.

Usage: python benchmarks/guard/pii_eval.py [PATH] [--split dev|test|all|every]
           [--show-errors N] [--peer-python benchmarks/.venv-llmguard/bin/python]

Matching rule: a predicted span is a true positive when it OVERLAPS a gold span of the
same type (each gold span matched at most once); "exact-span recall" counts only matches
whose text equals the gold span's after stripping surrounding whitespace.
Split: records in file order; dev = first 50 %, test = the other 50 %. aisec's detection
rules were tuned looking only at dev errors, except one change made after a test-set look
(space-separated SSNs need context words), which the report states.
Presidio runs with its default recognizers and score threshold, on a blank spaCy pipeline
(its NER model cannot be downloaded here; the six compared types are pattern recognizers,
but Presidio's context-word boost is weaker without lemmas).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT.parent / "shared" / "datasets" / "pii" / "presidio_generated_large.json"
GOLD_TYPES = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CREDIT_CARD",
    "IBAN_CODE": "IBAN",
    "US_SSN": "US_SSN",
    "IP_ADDRESS": "IP_ADDRESS",
}
KINDS = tuple(GOLD_TYPES.values())
Span = tuple[str, int, int]


def aisec_predict(texts: list[str]) -> list[list[Span]]:
    from aisec.guard._pii import find_pii

    return [[(m.kind, m.start, m.end) for m in find_pii(t, KINDS)] for t in texts]


def presidio_predict(texts: list[str]) -> list[list[Span]]:
    import logging

    import spacy
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    logging.disable(logging.WARNING)

    class BlankEngine(SpacyNlpEngine):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(models=[{"lang_code": "en", "model_name": "blank"}])

        def load(self) -> None:
            self.nlp = {"en": spacy.blank("en")}

    engine = BlankEngine()
    engine.load()
    analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
    entities = list(GOLD_TYPES)
    out: list[list[Span]] = []
    for t in texts:
        results = analyzer.analyze(t, language="en", entities=entities)
        out.append([(GOLD_TYPES[r.entity_type], r.start, r.end) for r in results])
    return out


def evaluate(
    records: list[dict[str, object]], preds: list[list[Span]], show: int
) -> dict[str, dict[str, int]]:
    stats = {k: {"tp": 0, "fp": 0, "fn": 0, "exact": 0} for k in KINDS}
    shown = 0
    for rec, pred in zip(records, preds, strict=True):
        text = str(rec["full_text"])
        gold = [
            (GOLD_TYPES[s["entity_type"]], s["start_position"], s["end_position"])
            for s in rec["spans"]  # type: ignore[attr-defined]
            if s["entity_type"] in GOLD_TYPES
        ]
        used: set[int] = set()
        for kind, ps, pe in pred:
            hit = next(
                (
                    i
                    for i, (k, s, e) in enumerate(gold)
                    if i not in used and k == kind and ps < e and s < pe
                ),
                None,
            )
            if hit is None:
                stats[kind]["fp"] += 1
                if shown < show:
                    shown += 1
                    print(f"FP {kind}: {text[ps:pe]!r} in {text[:120]!r}")
                continue
            used.add(hit)
            stats[kind]["tp"] += 1
            _, s, e = gold[hit]
            if text[s:e].strip() == text[ps:pe].strip():
                stats[kind]["exact"] += 1
        for i, (k, s, e) in enumerate(gold):
            if i not in used:
                stats[k]["fn"] += 1
                if shown < show:
                    shown += 1
                    print(f"FN {k}: {text[s:e]!r} in {text[:120]!r}")
    return stats


def table(name: str, stats: dict[str, dict[str, int]]) -> str:
    lines = [
        f"\n### {name}\n",
        "| type | gold | tp | fp | fn | precision | recall | F1 | exact-span recall |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, s in stats.items():
        tp, fp, fn = s["tp"], s["fp"], s["fn"]
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        ex = s["exact"] / (tp + fn) if tp + fn else 1.0
        lines.append(
            f"| {kind} | {tp + fn} | {tp} | {fp} | {fn} | {p:.3f} | {r:.3f} | {f1:.3f} | {ex:.3f} |"
        )
    return "\n".join(lines)


def run_peer(peer_python: str, texts: list[str]) -> tuple[list[list[Span]], float] | None:
    if not Path(peer_python).exists():
        print(f"(peer environment {peer_python} missing: aisec only)", file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory() as tmp:
        io = Path(tmp) / "io.json"
        io.write_text(json.dumps(texts), "utf-8")
        t0 = time.perf_counter()
        proc = subprocess.run(
            [peer_python, __file__, "--role", "peer", "--io", str(io)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            print(f"peer failed: {proc.stderr[-1500:]}", file=sys.stderr)
            return None
        preds = [[(k, s, e) for k, s, e in rec] for rec in json.loads(io.read_text("utf-8"))]
        return preds, time.perf_counter() - t0


def benign_texts(n: int) -> list[str]:
    """The first ``n`` prompts of the shared benign set (no PII expected, some examples)."""
    path = ROOT.parent / "shared" / "datasets" / "prompt_injection" / "extra_benign.jsonl"
    out: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if len(out) >= n:
                break
            if line.strip():
                out.append(str(json.loads(line)["text"]))
    return out


def benign_table(name: str, texts: list[str], preds: list[list[Span]]) -> str:
    counts = dict.fromkeys(KINDS, 0)
    prompts = dict.fromkeys(KINDS, 0)
    for pred in preds:
        for kind in {k for k, _, _ in pred}:
            prompts[kind] += 1
        for kind, _, _ in pred:
            counts[kind] += 1
    lines = [
        f"\n### {name}: detections on {len(texts)} benign prompts"
        " (no labels: an upper bound on false positives)\n",
        "| type | spans flagged | prompts flagged | % of prompts |",
        "|---|---|---|---|",
    ]
    for kind in KINDS:
        pct = 100 * prompts[kind] / max(1, len(texts))
        lines.append(f"| {kind} | {counts[kind]} | {prompts[kind]} | {pct:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("path", nargs="?", default=str(DEFAULT))
    ap.add_argument("--split", choices=("dev", "test", "all", "every"), default="every")
    ap.add_argument("--show-errors", type=int, default=0)
    ap.add_argument("--peer-python", default=str(ROOT / "benchmarks/.venv-llmguard/bin/python"))
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument(
        "--benign", type=int, default=0, help="also count detections on N benign prompts"
    )
    ap.add_argument("--role", choices=("main", "peer"), default="main")
    ap.add_argument("--io", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.role == "peer":
        texts = json.loads(Path(args.io).read_text("utf-8"))
        Path(args.io).write_text(json.dumps(presidio_predict(texts)), "utf-8")
        return 0
    records = json.loads(Path(args.path).read_text("utf-8"))
    texts = [str(r["full_text"]) for r in records]
    half = len(records) // 2
    splits = {"dev": slice(0, half), "test": slice(half, None), "all": slice(None)}
    names = list(splits) if args.split == "every" else [args.split]
    t0 = time.perf_counter()
    ours = aisec_predict(texts)
    ours_s = time.perf_counter() - t0
    print(f"data: {args.path} ({len(records)} records; dev = first {half}, test = rest)")
    print("matching: predicted span overlaps a gold span of the same type")
    print(f"aisec: {ours_s:.2f} s for all records (in process)")
    for name in names:
        sl = splits[name]
        stats = evaluate(records[sl], ours[sl], args.show_errors)
        print(table(f"aisec, {name} ({len(records[sl])} records)", stats))
    peer = None if args.no_peer else run_peer(args.peer_python, texts)
    if peer is not None:
        preds, secs = peer
        print(f"\npresidio-analyzer: {secs:.2f} s for all records (subprocess, incl. start-up)")
        for name in names:
            sl = splits[name]
            stats = evaluate(records[sl], preds[sl], 0)
            print(table(f"presidio-analyzer, {name} ({len(records[sl])} records)", stats))
    if args.benign:
        benign = benign_texts(args.benign)
        print(benign_table("aisec", benign, aisec_predict(benign)))
        peer_benign = None if args.no_peer else run_peer(args.peer_python, benign)
        if peer_benign is not None:
            print(benign_table("presidio-analyzer", benign, peer_benign[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
