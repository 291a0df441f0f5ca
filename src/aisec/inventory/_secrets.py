"""Secrets in code, configs and notebooks, by the guard's detectors: kind and place only."""

from __future__ import annotations

from aisec.inventory._found import Found, rule_finding

__all__ = ["analyse_secrets"]

_MAX_PER_FILE = 200


def analyse_secrets(text: str, rel: str, found: Found, *, cell: int | None = None) -> None:
    """Add a ``secret`` asset and a finding for each credential in ``text``.

    The value never leaves this function: not in the asset, its details or the evidence.
    """
    from aisec.guard import find_secrets

    matches = find_secrets(text)
    for match in matches[:_MAX_PER_FILE]:
        line = text.count("\n", 0, match.start) + 1
        details: dict[str, object] = {"type": match.kind, "confidence": round(match.score, 2)}
        where = f"line {line}"
        if cell is not None:
            details["cell"] = cell
            where = f"cell {cell} line {line}"
        found.asset("secret", rel, line, match.kind, details)
        found.finding(
            rule_finding(
                "inventory-secret-in-code",
                rel,
                line,
                f"{match.kind} at {where} (value not shown)",
                title=f"Hard-coded secret ({match.kind.replace('_', ' ')})",
            )
        )
