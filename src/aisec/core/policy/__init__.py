"""The ``aisec.yaml`` policy: pydantic model, loading with path-precise errors, JSON Schema.

Each later capability owns one section model in its own private module here
(``_keys.py``, ``_guard.py`` …); this module assembles them into :class:`Policy`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from aisec.core.errors import PolicyError
from aisec.core.policy._gateway_access import (
    AccessRule,
    GatewayAccessPolicy,
    JwtSettings,
)
from aisec.core.policy._guard import Direction, GuardMode, GuardPolicy, ScannerPolicy
from aisec.core.policy._keys import KeysPolicy
from aisec.core.policy._root import Asset, Classification, Policy, StorePolicy

__all__ = [
    "AccessRule",
    "Asset",
    "Classification",
    "Direction",
    "GatewayAccessPolicy",
    "GuardMode",
    "GuardPolicy",
    "JwtSettings",
    "KeysPolicy",
    "Policy",
    "ScannerPolicy",
    "StorePolicy",
    "active_policy",
    "find_policy",
    "load_policy",
    "parse_policy",
    "policy_schema",
]

MAX_POLICY_BYTES = 1 << 20  # a policy is a config file, not a data set
_POLICY_NAMES = ("aisec.yaml", "aisec.yml")


def _path_of(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(root)"


def _describe(err: Mapping[str, Any]) -> str:
    path = _path_of(tuple(err.get("loc", ())))
    kind = str(err.get("type", ""))
    got = err.get("input")
    msg = str(err.get("msg", "invalid"))
    if kind == "extra_forbidden":
        return f"{path}: unknown field"
    if kind == "missing":
        return f"{path}: required field is missing"
    if kind == "enum" and "expected" in err.get("ctx", {}):
        expected = str(err["ctx"]["expected"]).replace("'", "").replace(" or ", ", ")
        return f"{path}: expected one of {expected}, got {got!r}"
    return f"{path}: {msg}, got {got!r}" if not isinstance(got, dict | list) else f"{path}: {msg}"


def parse_policy(data: Any, source: str = "aisec.yaml") -> Policy:
    """Validate a parsed YAML document; raise PolicyError listing every problem with its path."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError(f"policy {source}: the top level must be a mapping")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        errors = [_describe(e) for e in exc.errors()]
        raise PolicyError(
            f"policy {source}: {len(errors)} error(s)", [f"{source}: {e}" for e in errors]
        ) from None


def load_policy(path: Path) -> Policy:
    """Read and validate a policy file; bounded size, safe YAML only."""
    import yaml

    from aisec.core.errors import InputError
    from aisec.core.inputs import read_bounded

    try:
        raw = read_bounded(path, MAX_POLICY_BYTES, "policy")
        text = raw.decode("utf-8")
    except InputError as exc:
        raise PolicyError(exc.message) from None
    except UnicodeDecodeError as exc:
        raise PolicyError(f"policy {path}: not UTF-8 text ({exc.reason})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(f"policy {path}:{where}: invalid YAML: {problem}") from None
    return parse_policy(data, str(path))


def find_policy(start: Path | None = None) -> Path | None:
    """``$AISEC_POLICY``, else ``aisec.yaml`` in the working folder or ``$AISEC_HOME``."""
    import os

    from aisec.core.home import aisec_home

    env = os.environ.get("AISEC_POLICY")
    if env:
        return Path(env)
    for folder in (start or Path.cwd(), aisec_home()):
        for name in _POLICY_NAMES:
            if (folder / name).is_file():
                return folder / name
    return None


_ACTIVE: dict[tuple[str, int, int], Policy] = {}


def active_policy() -> Policy | None:
    """The policy :func:`find_policy` finds, loaded once per process and file version
    (identity, keys and guard all ask for it in one command); None when there is none."""
    path = find_policy()
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return load_policy(path)  # raises the clear "file not found"/"cannot read" error
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    policy = _ACTIVE.get(key)
    if policy is None:
        policy = load_policy(path)
        _ACTIVE.clear()
        _ACTIVE[key] = policy
    return policy


def policy_schema() -> str:
    """JSON Schema of ``aisec.yaml`` (for editors and CI validation)."""
    schema = Policy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "aisec policy (aisec.yaml)"
    return json.dumps(schema, indent=2, sort_keys=True)
