"""Jinja chat templates: server-side template injection judged without rendering.

``_check`` holds the handler and the findings; ``_lexer`` and ``_parser`` build jinja2's
AST quickly; ``_ast`` walks it.
"""

from __future__ import annotations

from aisec.artifacts.templates._check import (
    JSON_START,
    MAX_TEMPLATE_CHARS,
    ChatTemplateHandler,
    looks_like_template,
    read_text,
    template_findings,
)

__all__ = [
    "JSON_START",
    "MAX_TEMPLATE_CHARS",
    "ChatTemplateHandler",
    "looks_like_template",
    "read_text",
    "template_findings",
]
