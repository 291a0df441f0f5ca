"""The ``artifacts:`` section: per-project judgement of the names a model pickle imports.

```yaml
artifacts:
  allow_globals:            # your own code: reported at info, no longer "unknown"
    - mypackage.models      # a module: every name under it
    - mylib.layers.Swish    # one name
  deny_globals:             # names this project never loads, even if generally safe
    - sklearn.neighbors
```
Deny beats allow. Neither can make a dangerous name (``os.system``, ``builtins.exec`` …)
acceptable: the scanner's dangerous-name policy is applied first, always.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# A dotted Python name: a module, or a module and an attribute (``pkg.mod.Class``).
GLOBAL_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"
_MAX_PATTERNS = 10_000
GlobalPattern = Annotated[str, StringConstraints(pattern=GLOBAL_PATTERN, max_length=500)]


class ArtifactsPolicy(BaseModel):
    """What the model scanner may accept beyond its own allowlist, and what it must refuse."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    allow_globals: list[GlobalPattern] = Field(
        default_factory=list,
        max_length=_MAX_PATTERNS,
        description="Modules (every name under them) or exact module.name globals a model "
        "pickle may import: reported at info as allowed by policy. Never un-flags a "
        "dangerous name.",
    )
    deny_globals: list[GlobalPattern] = Field(
        default_factory=list,
        max_length=_MAX_PATTERNS,
        description="Modules or exact module.name globals a model pickle must not import "
        "(high severity); deny beats allow and the scanner's own allowlist.",
    )
