"""One judge for every callable or module name a model file makes a loader import or call.

Pickle GLOBALs, Keras config references, Hydra targets, YAML tags, TorchScript code and
Jinja templates all name Python callables; each format asks the pickle policy
(``aisec.artifacts.pickle.classify_global``) through these helpers instead of keeping a
list of its own, so a name added to the policy is caught in every format at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from aisec.artifacts.pickle import GlobalClass, classify_global
from aisec.artifacts.pickle import is_dangerous_module as _policy_module

__all__ = ["dangerous_builtin", "dangerous_path", "is_dangerous_module"]


@lru_cache(maxsize=8192)
def is_dangerous_module(module: str) -> bool:
    """The policy's judgement of a module name (cached: templates ask for every name)."""
    return _policy_module(module)


@lru_cache(maxsize=8192)
def dangerous_builtin(name: str) -> bool:
    """True for a bare name that resolves to a dangerous builtin (``eval``, ``open``…)."""
    return classify_global("builtins", name) is GlobalClass.DANGEROUS


def dangerous_path(parts: Sequence[str]) -> str | None:
    """The shortest leading part of a dotted name (``("logging", "config", "dictConfig")``)
    that the policy calls dangerous, as text, or None: a module (``os``), a callable
    (``numpy.load``) or a path that walks into one (``pathlib.os.system``)."""
    for end in range(1, len(parts) + 1):
        head = ".".join(parts[:end])
        if is_dangerous_module(head):
            return head
        if end > 1 and classify_global(".".join(parts[: end - 1]), parts[end - 1]) is (
            GlobalClass.DANGEROUS
        ):
            return head
    return None
