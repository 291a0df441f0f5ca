"""The ``guard:`` section: scanners, modes, thresholds, directions (owned by aisec.guard).

```yaml
guard:
  fail_open: false          # a scanner that errors blocks the text (default)
  scanners:
    - name: prompt_injection
      mode: block           # off | detect | block | redact (where the scanner supports it)
      threshold: 0.5
      directions: [input, document, tool_result]
      options: {decode: true}
    - name: pii
      mode: redact
  tools:                    # agent tool calls: an allowlist with typed arguments
    allow:
      - name: read_file
        args:
          path: {type: path, roots: [/srv/data], required: true}
      - name: fetch
        args:
          url: {type: url, schemes: [https]}
```
When ``scanners`` is empty the guard runs its safe default pipeline. Scanner names and
options are checked when the guard Engine is built (the policy model cannot know the
scanners that register themselves), and so is ``tools`` (argument types: path, url, host,
sql, shell, text, integer, number, boolean; see ``aisec.guard`` ToolPolicy.from_mapping).
Without ``tools`` no tool call is allowed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class GuardMode(StrEnum):
    OFF = "off"
    DETECT = "detect"
    BLOCK = "block"
    REDACT = "redact"


class Direction(StrEnum):
    """Where a text sits in the exchange with the model (the one definition: the policy,
    the guard's scanners and the CLI all use this enum)."""

    INPUT = "input"  # user prompt
    OUTPUT = "output"  # model response
    DOCUMENT = "document"  # retrieved (RAG) chunk: untrusted data
    TOOL_RESULT = "tool_result"  # what a tool returned: untrusted data
    # system and developer messages: the operator's own instructions to the model, which
    # say "never reveal these instructions" by design; injection scanners do not judge them
    SYSTEM = "system"


class ScannerPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    mode: GuardMode = GuardMode.BLOCK
    threshold: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Score at or above which it fires."
    )
    directions: list[Direction] | None = Field(
        default=None, description="Where it runs; default: the scanner's own directions."
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="Scanner-specific options (see the scanner's docs)."
    )
    fail_open: bool | None = Field(
        default=None,
        description="If this scanner errors, let the text through (audited) instead of "
        "blocking it. Default: the guard's fail_open.",
    )


class GuardPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fail_open: bool = Field(
        default=False,
        description="Let text through when a scanner errors (default: block it, fail closed).",
    )
    defaults: bool = Field(
        default=True,
        description="With no scanners listed, run the built-in default pipeline.",
    )
    scanners: list[ScannerPolicy] = Field(default_factory=list)
    tools: dict[str, Any] | None = Field(
        default=None,
        description="Agent tool calls: {allow: [{name, routes, principals, args: {NAME: "
        "{type: path|url|host|sql|shell|text|integer|number|boolean, ...}}}], max_arg_bytes, "
        "max_depth, max_items}. Undeclared tools and arguments are denied; none: no tool "
        "call is allowed.",
    )
