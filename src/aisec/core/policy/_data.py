"""The ``data:`` section: data sets and their primary keys (owned by aisec.data).

```yaml
data:
  datasets:
    - path: "users*.csv"      # glob matched against the file's name or its path
      primary_key: [user_id]  # row identity: field encryption binds cells to it
  contracts:
    - name: reviews           # `aisec data check DATA --contract reviews`
      file: contracts/reviews.yaml   # or the contract inline (see _data_contract.py)
```
"""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from aisec.core.policy._data_contract import DataContract


class DatasetPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1, description="Glob matched against the file name or path.")
    primary_key: list[str] = Field(
        default_factory=list,
        description="Columns that identify a row; encrypted cells are bound to them.",
    )


class DataPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    datasets: list[DatasetPolicy] = Field(default_factory=list)
    contracts: list[DataContract] = Field(
        default_factory=list, description="Data contracts (inline, or `file:` naming one)."
    )

    def primary_key(self, path: Path) -> list[str]:
        """The primary key declared for ``path`` (first matching data set), else []."""
        for ds in self.datasets:
            if fnmatch(path.name, ds.path) or fnmatch(str(path), ds.path):
                return list(ds.primary_key)
        return []
