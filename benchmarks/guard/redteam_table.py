"""Print the output red-team table (category, attempts, got through) of issue 20.

    PYTHONPATH=src python benchmarks/guard/redteam_table.py

The cases and the judge live in ``tests/guard/redteam/output_cases.py``; point PYTHONPATH
at another checkout's ``src`` to get its table with the same cases (a before/after)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "guard" / "redteam"))

from output_cases import main

if __name__ == "__main__":
    main()
