"""Jupyter notebooks: the source of each code cell (nbformat 4 JSON), nothing executed."""

from __future__ import annotations

import json

__all__ = ["code_cells"]

_MAX_CELLS = 10_000


def code_cells(text: str) -> list[tuple[int, str]] | str:
    """``[(cell index, source)]`` for the code cells, or a reason the file is not a notebook.

    IPython magics and shell escapes (``%pip``, ``!ls``) are blanked, keeping line numbers,
    so the rest of the cell still parses as Python.
    """
    try:
        doc = json.loads(text)
    except ValueError:
        return "not a notebook: the file is not JSON"
    except RecursionError:
        return "not a notebook: JSON nested too deeply"
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        return "not a notebook: no list of cells (nbformat 4)"
    out: list[tuple[int, str]] = []
    for index, cell in enumerate(cells[:_MAX_CELLS]):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            continue
        lines = ["" if ln.lstrip().startswith(("%", "!", "?")) else ln for ln in source.split("\n")]
        out.append((index, "\n".join(lines)))
    return out
