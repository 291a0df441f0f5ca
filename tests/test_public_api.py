"""Every package's public face holds: each name in ``__all__`` resolves.

A name listed in ``__all__`` but not bound in the package makes ``from pkg import *`` raise
(as ``aisec.guard`` once did with ``TransformerInjectionScanner``). The packages are found
by walking ``src/aisec``, so a new package is checked without editing this file.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import aisec

SRC = Path(aisec.__file__).resolve().parent


def _packages() -> list[str]:
    found = []
    for init in sorted(SRC.rglob("__init__.py")):
        parts = init.parent.relative_to(SRC.parent).parts
        if "__pycache__" not in parts:
            found.append(".".join(parts))
    return found


def test_packages_are_found() -> None:
    packages = _packages()
    assert {"aisec", "aisec.core", "aisec.guard", "aisec.artifacts"} <= set(packages)


@pytest.mark.parametrize("package", _packages())
def test_every_name_in_all_resolves(package: str) -> None:
    module = importlib.import_module(package)
    names = getattr(module, "__all__", None)
    if names is None:
        pytest.skip(f"{package} has no __all__")
    assert isinstance(names, list | tuple), f"{package}.__all__ is {type(names).__name__}"
    assert len(set(names)) == len(names), f"{package}.__all__ lists a name twice"
    missing = [name for name in names if not hasattr(module, name)]
    assert missing == [], f"{package}.__all__ names what it does not define: {missing}"
    namespace: dict[str, object] = {}
    exec(f"from {package} import *", namespace)  # noqa: S102  (the statement under test)
    assert set(names) <= set(namespace)
