"""Reading a scanner's ``options`` from the policy: unknown names and bad types are
PolicyErrors that name the scanner, the option and what was expected."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aisec.core.errors import PolicyError

__all__ = ["check_options", "number_option", "strings_option"]


def check_options(scanner: str, options: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """Raise PolicyError for any option ``scanner`` does not know."""
    unknown = sorted(set(options) - allowed)
    if unknown:
        expected = ", ".join(sorted(allowed)) or "none"
        raise PolicyError(
            f"guard scanner {scanner}: unknown option(s) {', '.join(unknown)}; expected {expected}"
        )


def number_option(
    scanner: str, options: Mapping[str, Any], name: str, default: float, low: float, high: float
) -> float:
    """A number in [low, high]; booleans are not numbers here."""
    value = options.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise PolicyError(
            f"guard scanner {scanner}: option {name}: expected a number in [{low:g}, {high:g}], "
            f"got {value!r}"
        )
    return float(value)


def strings_option(scanner: str, options: Mapping[str, Any], name: str) -> tuple[str, ...]:
    """A list of strings (absent: empty)."""
    value = options.get(name, ())
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"guard scanner {scanner}: option {name}: expected a list of strings")
    return tuple(value)
