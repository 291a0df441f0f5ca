"""The ``aisec.yaml`` policy: pydantic model, loading with path-precise errors, JSON Schema.

Where the policy comes from (the trust model): ``AISEC_POLICY`` (or ``aisec --policy``)
names one file that is used alone; otherwise the home policy ``$AISEC_HOME/aisec.yaml`` is
trusted for every section, and an ``aisec.yaml`` in the working folder (a project's, which
arrives with the code being worked on) may add or replace ``project``, ``assets``,
``guard`` and ``data`` only. A project policy that sets ``access``, ``keys`` or ``store``
is refused.

Each later capability owns one section model in its own private module here
(``_keys.py``, ``_guard.py`` …); this module assembles them into :class:`Policy`.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from aisec.core.errors import PolicyError
from aisec.core.home import check_default_home
from aisec.core.policy._artifacts import ArtifactsPolicy
from aisec.core.policy._data import DataPolicy, DatasetPolicy
from aisec.core.policy._data_contract import (
    ColumnContract,
    ColumnType,
    DataContract,
    PiiPolicy,
    Thresholds,
)
from aisec.core.policy._gateway import GatewayPolicy, RoutePolicy
from aisec.core.policy._gateway_access import (
    AccessRule,
    GatewayAccessPolicy,
    JwtSettings,
)
from aisec.core.policy._guard import Direction, GuardMode, GuardPolicy, ScannerPolicy
from aisec.core.policy._keys import KeysPolicy
from aisec.core.policy._monitor import (
    EmailSink,
    MonitorPolicy,
    PipelinePolicy,
    PlaybookPolicy,
    PlaybookStep,
    RespondRule,
    WebhookSink,
)
from aisec.core.policy._registry import GatePolicy, RegistryPolicy
from aisec.core.policy._root import Asset, Classification, Policy, StorePolicy
from aisec.core.policy._signing import SigningPolicy, TrustedKeyPolicy

__all__ = [
    "AccessRule",
    "ArtifactsPolicy",
    "Asset",
    "Classification",
    "ColumnContract",
    "ColumnType",
    "DataContract",
    "DataPolicy",
    "DatasetPolicy",
    "Direction",
    "EmailSink",
    "GatePolicy",
    "GatewayAccessPolicy",
    "GatewayPolicy",
    "GuardMode",
    "GuardPolicy",
    "JwtSettings",
    "KeysPolicy",
    "MonitorPolicy",
    "PiiPolicy",
    "PipelinePolicy",
    "PlaybookPolicy",
    "PlaybookStep",
    "Policy",
    "PolicySource",
    "RegistryPolicy",
    "RespondRule",
    "RoutePolicy",
    "ScannerPolicy",
    "SigningPolicy",
    "StorePolicy",
    "Thresholds",
    "TrustedKeyPolicy",
    "WebhookSink",
    "active_policy",
    "find_policy",
    "load_policy",
    "load_project_policy",
    "parse_policy",
    "policy_schema",
    "policy_sources",
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


# Sections only a trusted policy (the home policy, or one named by --policy/AISEC_POLICY)
# may set: who may do what, where keys and the store live, whose model signatures are
# trusted, where model blobs live and what a promotion must pass. A project's aisec.yaml
# found in the working folder comes with the code being worked on (a cloned repository, a
# scanned project) and may set only the rest (project, assets, guard, data).
TRUSTED_ONLY = ("access", "keys", "store", "signing", "registry", "monitor", "playbooks")


@dataclass(frozen=True, slots=True)
class PolicySource:
    """One policy file aisec loaded, and what it was trusted for."""

    path: Path
    role: str  # "explicit" (AISEC_POLICY/--policy), "home" or "project"

    def describe(self) -> str:
        what = {
            "explicit": "explicit (AISEC_POLICY / --policy): every section",
            "home": "home policy: every section",
            "project": "project policy in the working folder: project, assets, guard, data only",
        }[self.role]
        return f"{self.path} ({what})"


def _in_folder(folder: str) -> tuple[str, os.stat_result] | None:
    for name in _POLICY_NAMES:
        path = os.path.join(folder, name)  # noqa: PTH118 - hot path, see _sources
        try:
            st = os.stat(path)  # noqa: PTH116
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            return path, st
    return None


def _sources(start: Path | None) -> list[tuple[str, str, os.stat_result | None]]:
    """(path, role, stat) of each policy file in use; plain ``os`` calls, as this runs on
    every authorization check (pathlib's resolve() alone cost ~0.2 ms)."""
    env = os.environ.get("AISEC_POLICY")
    if env:
        try:
            st: os.stat_result | None = os.stat(env)  # noqa: PTH116
        except OSError:
            st = None
        return [(env, "explicit", st)]
    out: list[tuple[str, str, os.stat_result | None]] = []
    home = os.path.abspath(os.environ.get("AISEC_HOME") or ".aisec")  # noqa: PTH100
    check_default_home(home)  # a ./.aisec that came with a cloned repository is not trusted
    found = _in_folder(home)
    if found is not None:
        out.append((found[0], "home", found[1]))
    project = _in_folder(str(start) if start is not None else os.getcwd())  # noqa: PTH109
    if project is not None and (
        found is None
        or (project[1].st_dev, project[1].st_ino) != (found[1].st_dev, found[1].st_ino)
    ):
        out.append((project[0], "project", project[1]))
    return out


def policy_sources(start: Path | None = None) -> list[PolicySource]:
    """The policy files that make up the active policy, most trusted first.

    ``$AISEC_POLICY`` alone when set; else the home policy (``$AISEC_HOME/aisec.yaml``) and
    a project policy (``aisec.yaml`` in the working folder) when either exists.
    """
    return [PolicySource(Path(path), role) for path, role, _ in _sources(start)]


def find_policy(start: Path | None = None) -> Path | None:
    """The most trusted policy file in use (see :func:`policy_sources`), or None."""
    sources = policy_sources(start)
    return sources[0].path if sources else None


def load_project_policy(path: Path) -> Policy:
    """Load a project policy; PolicyError if it sets a section only a trusted policy may."""
    policy = load_policy(path)
    bad = [name for name in TRUSTED_ONLY if name in policy.model_fields_set]
    if bad:
        raise PolicyError(
            f"policy {path}: a project policy (aisec.yaml in the working folder) may not set "
            f"{', '.join(bad)}: those come only from the home policy "
            "($AISEC_HOME/aisec.yaml) or a policy named by --policy / AISEC_POLICY. Move "
            "them there, or remove them from this file."
        )
    return policy


def merge_policies(trusted: Policy | None, project: Policy) -> Policy:
    """``trusted`` with the project's own project, assets and guard settings on top."""
    base = trusted if trusted is not None else Policy()
    update = {name: getattr(project, name) for name in project.model_fields_set}
    return base.model_copy(update=update)


_ACTIVE: dict[tuple[tuple[str, str, int, int, int], ...], Policy] = {}


def active_policy() -> Policy | None:
    """The active policy (:func:`policy_sources` merged), loaded once per process and file
    version (identity, keys and guard all ask for it in one command); None when there is
    no policy file at all."""
    sources = _sources(None)
    if not sources:
        return None
    key = tuple(
        (path, role, st.st_ino, st.st_mtime_ns, st.st_size)
        for path, role, st in sources
        if st is not None
    )
    cacheable = len(key) == len(sources)
    policy = _ACTIVE.get(key) if cacheable else None
    if policy is None:
        paths = [(Path(path), role) for path, role, _ in sources]
        trusted = next((load_policy(p) for p, role in paths if role != "project"), None)
        project = next((PolicySource(p, role) for p, role in paths if role == "project"), None)
        if project is None:
            policy = trusted
        else:
            policy = merge_policies(trusted, load_project_policy(project.path))
            _note_project(project, trusted is not None)
        if policy is None:
            return None
        if cacheable:
            _ACTIVE.clear()
            _ACTIVE[key] = policy
    return policy


_NOTED: set[str] = set()


def _note_project(source: PolicySource, over_home: bool) -> None:
    """Say once per process that a project policy is in use (it changes what runs)."""
    import sys

    if str(source.path) in _NOTED:
        return
    _NOTED.add(str(source.path))
    base = "over the home policy" if over_home else "(no home policy)"
    sys.stderr.write(
        f"aisec: policy: project settings from {source.path} {base}; access, keys, store, "
        "signing and registry come only from the home policy\n"
    )


def policy_schema() -> str:
    """JSON Schema of ``aisec.yaml`` (for editors and CI validation)."""
    schema = Policy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "aisec policy (aisec.yaml)"
    return json.dumps(schema, indent=2, sort_keys=True)
