"""Choose the cascade's band and per-direction cuts on the per-family dev suite.

Runs the default pipeline once over every suite row (recording the prompt-injection
scanner's first-tier score, the text it saw, and whether another scanner blocked), scores
that text once with a second-tier model, then replays the cascade for a grid of bands
[low, high) and cuts on the model's probability (one for the input direction, one for the
``@document`` rows), and prints the settings that put the most families at the issue-17
floor with none that met it falling below (ties: least total shortfall).

Usage:
    PYTHONPATH=src python benchmarks/guard/cascade_band.py [--model src/aisec/guard/models/tier2]
        [--show LOW HIGH CUT_INPUT CUT_DOCUMENT]

The shipped ``tier2/config.json`` band [0.3, 0.6) and cuts 0.95 / 0.95 came from this
script (the replay agrees with ``aisec guard eval --suite ... --policy cascade.yaml``).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "benchmarks/guard/devsuite"
LOWS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
HIGHS = (0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)
CUTS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99)

Row = tuple[str, str, bool, float, float]  # family, kind, other scanner blocked, s1, p2


def collect(model: Path) -> list[Row]:
    from aisec.guard import Engine, _injection
    from aisec.guard._transformer import TransformerInjectionScanner
    from aisec.guard.training import load_suite

    seen: list[str] = []
    original = _injection.PromptInjectionScanner.scan

    def recording(self: Any, text: str, ctx: Any) -> Any:
        seen.append(text)
        return original(self, text, ctx)

    _injection.PromptInjectionScanner.scan = recording  # type: ignore[method-assign]
    try:
        engine = Engine()
        tier2 = TransformerInjectionScanner(model_path=str(model))
        rows: list[Row] = []
        for family in load_suite(SUITE):
            for text, _ in family.rows:
                seen.clear()
                decision = engine.scan(text, family.direction)
                other = any(
                    (o.fired and o.mode == "block") or o.error
                    for o in decision.outcomes
                    if o.scanner != "prompt_injection"
                )
                s1 = next(
                    (o.score for o in decision.outcomes if o.scanner == "prompt_injection"), 0.0
                )
                p2 = tier2.probability(seen[-1] if seen else text)
                rows.append((family.name, family.kind, bool(other), s1, p2))
    finally:
        _injection.PromptInjectionScanner.scan = original  # type: ignore[method-assign]
    return rows


def replay(rows: list[Row], lo: float, hi: float, cut_in: float, cut_doc: float) -> dict[str, Any]:
    flagged: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for name, kind, other, s1, p2 in rows:
        cut = cut_doc if "@document" in name else cut_in
        blocked = other or (p2 >= cut if lo <= s1 < hi else s1 >= 0.5)
        flagged[(name, kind)].append(blocked)
    return {name: (kind, sum(v) / len(v)) for (name, kind), v in flagged.items()}


def meets(kind: str, value: float) -> bool:
    return value >= 0.85 if kind == "attack" else value <= 0.05


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--model", type=Path, default=ROOT / "src/aisec/guard/models/tier2")
    ap.add_argument("--show", type=float, nargs=4, metavar=("LOW", "HIGH", "CUT_IN", "CUT_DOC"))
    args = ap.parse_args()
    rows = collect(args.model)
    base = replay(rows, 0.0, 0.0, 0.5, 0.5)  # an empty band: the first tier alone
    if args.show:
        table = replay(rows, *args.show)
        for name in sorted(table, key=lambda n: (table[n][0] != "attack", n)):
            kind, value = table[name]
            floor = "ok" if meets(kind, value) else "BELOW"
            print(f"{name:<36} {kind:<6} {base[name][1]:.3f} -> {value:.3f}  {floor}")
        return
    ranked = []
    for lo in LOWS:
        for hi in HIGHS:
            for cut_in in CUTS:
                for cut_doc in CUTS:
                    table = replay(rows, lo, hi, cut_in, cut_doc)
                    met = sum(meets(*v) for v in table.values())
                    fell = [n for n in table if meets(*base[n]) and not meets(*table[n])]
                    short = sum(
                        max(0.0, 0.85 - v) if k == "attack" else max(0.0, v - 0.05)
                        for k, v in table.values()
                    )
                    ranked.append((not fell, met, -short, lo, hi, cut_in, cut_doc))
    ranked.sort(key=lambda r: r[:3], reverse=True)
    print(f"first tier alone: {sum(meets(*v) for v in base.values())}/{len(base)} at the floor")
    print("none fell | families at floor | -shortfall | low | high | cut input | cut document")
    for r in ranked[:10]:
        print(" | ".join(str(round(x, 4)) if isinstance(x, float) else str(x) for x in r))


if __name__ == "__main__":
    main()
