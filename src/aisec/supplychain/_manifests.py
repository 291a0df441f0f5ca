"""Dependency manifests: requirements files, pyproject (PEP 621 and Poetry), Pipfile,
Pipfile.lock, poetry.lock, uv.lock and setup.cfg, parsed without running anything."""

from __future__ import annotations

import configparser
import json
import posixpath
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from aisec.core.errors import InputError
from aisec.core.findings import Finding, Location
from aisec.core.rules import lookup

__all__ = ["LOCK_FORMATS", "Dependency", "Manifest", "manifest_findings", "parse_manifest"]

LOCK_FORMATS = frozenset({"pipfile.lock", "poetry.lock", "uv.lock"})
_MAX_DEPS = 20_000
_VCS = ("git+", "hg+", "svn+", "bzr+")
_COMMIT = re.compile(r"@[0-9a-f]{40}(?:#|$)")
_PIN_OPS = frozenset({"==", "==="})


@dataclass(frozen=True, slots=True)
class Dependency:
    """One declared dependency; ``version`` is set only when pinned to one exact version."""

    name: str
    specifier: str
    path: str
    line: int | None
    version: str | None = None
    hashes: tuple[str, ...] = ()
    url: str | None = None
    vcs: bool = False
    editable: bool = False

    @property
    def pinned(self) -> bool:
        return self.version is not None or (
            self.vcs and self.url is not None and bool(_COMMIT.search(self.url))
        )


@dataclass(slots=True)
class Manifest:
    """A parsed manifest: its format (``requirements``, ``pyproject``, ``poetry.lock``…)."""

    path: str
    format: str
    dependencies: list[Dependency]


def _finding(rule_id: str, path: str, line: int | None, evidence: str) -> Finding:
    location = Location(path=path, line=line)
    return lookup(rule_id).finding(path, evidence=evidence[:200], location=location)


def _exact(req: Requirement) -> str | None:
    specs = list(req.specifier)
    if len(specs) == 1 and specs[0].operator in _PIN_OPS and "*" not in specs[0].version:
        return specs[0].version
    return None


def _from_requirement(
    text: str, path: str, line: int | None, hashes: tuple[str, ...] = (), editable: bool = False
) -> Dependency:
    """A dependency from one PEP 508 string (or a bare URL / VCS reference)."""
    if text.startswith(_VCS) or "://" in text.split("@", 1)[0] or text.startswith((".", "/")):
        name = _egg_name(text) or text[:80]
        return Dependency(
            name, "", path, line, None, hashes, text[:300], text.startswith(_VCS), editable
        )
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise InputError(f"{path}:{line}: not a valid requirement ({str(exc)[:120]})") from None
    url = req.url
    vcs = bool(url and url.startswith(_VCS))
    return Dependency(
        req.name, str(req.specifier), path, line, _exact(req), hashes, url, vcs, editable
    )


def _egg_name(url: str) -> str | None:
    m = re.search(r"#egg=([A-Za-z0-9_.\-]+)", url)
    return m.group(1) if m else None


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Requirements lines with continuations joined and comments removed, with line numbers."""
    buf: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not buf:
            start = number
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if line.endswith("\\"):
            buf.append(line[:-1])
            continue
        buf.append(line)
        joined = " ".join(part.strip() for part in buf).strip()
        buf = []
        if joined:
            yield start, joined


def _requirements(path: str, text: str) -> Manifest:
    deps: list[Dependency] = []
    for number, line in _logical_lines(text):
        editable = line.startswith(("-e ", "--editable"))
        if editable:
            line = line.split(None, 1)[1] if " " in line else ""
        elif line.startswith("-"):
            continue  # -r, -c, --index-url …: options, not dependencies
        hashes = tuple(re.findall(r"--hash[=\s]+(\S+)", line))
        option = re.search(r"\s--", line)
        spec = (line[: option.start()] if option else line).strip()
        spec = spec.split(" ;", 1)[0] if spec.startswith(_VCS) else spec
        if spec:
            deps.append(_from_requirement(spec, path, number, hashes, editable))
    return Manifest(path, "requirements", deps)


def _line_of(text: str, name: str) -> int | None:
    m = re.search(rf"^[ \t]*[\"']?{re.escape(name)}(?=[\"'\s=<>!~\[@;,]|$)", text, re.M | re.I)
    if m is None:
        m = re.search(rf"[\"']{re.escape(name)}[\"'\s=<>!~\[@;]", text, re.I)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _pep508_list(items: Any, path: str, text: str) -> list[Dependency]:
    deps: list[Dependency] = []
    if not isinstance(items, list):
        return deps
    for item in items:
        if isinstance(item, str):
            name = re.split(r"[\s\[=<>!~;@(]", item, maxsplit=1)[0]
            deps.append(_from_requirement(item, path, _line_of(text, name)))
    return deps


def _poetry_dep(name: str, value: Any, path: str, line: int | None) -> Dependency | None:
    if name.lower() == "python":
        return None
    if isinstance(value, list):  # multiple constraints: take the first
        value = value[0] if value else "*"
    if isinstance(value, str):
        version = value.lstrip("=") if re.fullmatch(r"=?=?\d[\w.+!-]*", value) else None
        return Dependency(name, value, path, line, version)
    if isinstance(value, dict):
        for key in ("git", "hg", "svn"):
            if isinstance(value.get(key), str):
                ref = value.get("rev") or value.get("tag") or value.get("branch") or ""
                url = f"{key}+{value[key]}@{ref}" if ref else f"{key}+{value[key]}"
                return Dependency(name, "", path, line, None, (), url, True)
        for key in ("url", "path", "file"):
            if isinstance(value.get(key), str):
                return Dependency(name, "", path, line, None, (), str(value[key])[:300])
        return _poetry_dep(name, value.get("version", "*"), path, line)
    return None


def _pyproject(path: str, text: str) -> Manifest | None:
    doc = _toml(path, text)
    deps: list[Dependency] = []
    project = doc.get("project")
    if isinstance(project, dict):
        deps += _pep508_list(project.get("dependencies"), path, text)
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            for items in optional.values():
                deps += _pep508_list(items, path, text)
    groups = doc.get("dependency-groups")
    if isinstance(groups, dict):
        for items in groups.values():
            deps += _pep508_list(items, path, text)
    poetry = doc.get("tool", {}).get("poetry", {}) if isinstance(doc.get("tool"), dict) else {}
    if isinstance(poetry, dict):
        tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
        group = poetry.get("group")
        if isinstance(group, dict):
            tables += [g.get("dependencies") for g in group.values() if isinstance(g, dict)]
        for table in tables:
            if isinstance(table, dict):
                for name, value in table.items():
                    dep = _poetry_dep(str(name), value, path, _line_of(text, str(name)))
                    if dep is not None:
                        deps.append(dep)
    if not deps and not isinstance(project, dict):
        return None
    return Manifest(path, "pyproject", deps)


def _toml(path: str, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise InputError(f"not valid TOML ({str(exc)[:120]})") from None


def _pipfile(path: str, text: str) -> Manifest:
    doc = _toml(path, text)
    deps: list[Dependency] = []
    for section in ("packages", "dev-packages"):
        table = doc.get(section)
        if not isinstance(table, dict):
            continue
        for name, value in table.items():
            line = _line_of(text, str(name))
            if isinstance(value, str):
                value = "" if value == "*" else value
                dep = _from_requirement(f"{name}{value}", path, line)
            else:
                dep = _poetry_dep(str(name), value, path, line) or Dependency(name, "", path, line)
                if isinstance(value, dict) and isinstance(value.get("version"), str):
                    version = value["version"]
                    spec = "" if version == "*" else version
                    dep = _from_requirement(f"{name}{spec}", path, line)
            deps.append(dep)
    return Manifest(path, "pipfile", deps)


def _pipfile_lock(path: str, text: str) -> Manifest:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"not valid JSON ({str(exc)[:120]})") from None
    deps: list[Dependency] = []
    for section in ("default", "develop"):
        table = doc.get(section) if isinstance(doc, dict) else None
        if not isinstance(table, dict):
            continue
        for name, value in table.items():
            if not isinstance(value, dict):
                continue
            line = _line_of(text, str(name))
            hashes = tuple(h for h in value.get("hashes", ()) if isinstance(h, str))
            version = value.get("version")
            if isinstance(version, str) and version.startswith("=="):
                deps.append(Dependency(str(name), version, path, line, version[2:], hashes))
            elif isinstance(value.get("git"), str):
                url = f"git+{value['git']}@{value.get('ref', '')}"
                deps.append(Dependency(str(name), "", path, line, None, hashes, url, True))
            else:
                deps.append(Dependency(str(name), str(version or ""), path, line, None, hashes))
    return Manifest(path, "pipfile.lock", deps)


def _lock_packages(path: str, text: str, fmt: str) -> Manifest:
    doc = _toml(path, text)
    packages = doc.get("package")
    deps: list[Dependency] = []
    legacy_files = doc.get("metadata", {}).get("files", {}) if fmt == "poetry.lock" else {}
    if not isinstance(packages, list):
        return Manifest(path, fmt, deps)
    for pkg in packages:
        if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str):
            continue
        name, version = pkg["name"], str(pkg.get("version", ""))
        raw_source = pkg.get("source")
        source: dict[str, Any] = raw_source if isinstance(raw_source, dict) else {}
        if fmt == "uv.lock" and ("editable" in source or "virtual" in source):
            continue  # the project itself
        hashes = tuple(_lock_hashes(pkg, legacy_files, name))
        line = _line_of(text, f'name = "{name}"') or _line_of(text, name)
        url, vcs = _lock_source(source)
        deps.append(Dependency(name, f"=={version}", path, line, version or None, hashes, url, vcs))
    return Manifest(path, fmt, deps)


def _lock_hashes(pkg: dict[str, Any], legacy: Any, name: str) -> Iterable[str]:
    files = pkg.get("files")
    if isinstance(files, list):  # poetry.lock 2.x
        yield from (f["hash"] for f in files if isinstance(f, dict) and "hash" in f)
    sdist = pkg.get("sdist")
    if isinstance(sdist, dict) and "hash" in sdist:  # uv.lock
        yield str(sdist["hash"])
    wheels = pkg.get("wheels")
    if isinstance(wheels, list):
        yield from (str(w["hash"]) for w in wheels if isinstance(w, dict) and "hash" in w)
    if isinstance(legacy, dict) and isinstance(legacy.get(name), list):  # poetry.lock 1.x
        yield from (f["hash"] for f in legacy[name] if isinstance(f, dict) and "hash" in f)


def _lock_source(source: dict[str, Any]) -> tuple[str | None, bool]:
    if isinstance(source.get("git"), str):
        return f"git+{source['git']}", True
    if source.get("type") == "git" and isinstance(source.get("url"), str):
        ref = source.get("resolved_reference") or source.get("reference") or ""
        return f"git+{source['url']}@{ref}", True
    direct = source.get("type") in {None, "url", "file"} and "registry" not in source
    if isinstance(source.get("url"), str) and direct:
        return str(source["url"])[:300], False
    return None, False


def _setup_cfg(path: str, text: str) -> Manifest | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise InputError(f"not a valid setup.cfg ({str(exc)[:120]})") from None
    raw = parser.get("options", "install_requires", fallback="")
    items = [ln.strip() for ln in raw.splitlines() if ln.strip() and not ln.startswith("#")]
    if not items:
        return None
    return Manifest(path, "setup.cfg", _pep508_list(items, path, text))


def parse_manifest(path: str, text: str) -> Manifest | None:
    """Parse one manifest by its file name; None for a pyproject/setup.cfg that declares no
    dependencies. Raises InputError for a malformed file; :func:`manifest_findings` judges it."""
    name = posixpath.basename(path).lower()
    manifest: Manifest | None
    if name == "pyproject.toml":
        manifest = _pyproject(path, text)
    elif name == "pipfile":
        manifest = _pipfile(path, text)
    elif name == "pipfile.lock":
        manifest = _pipfile_lock(path, text)
    elif name in {"poetry.lock", "uv.lock"}:
        manifest = _lock_packages(path, text, name)
    elif name == "setup.cfg":
        manifest = _setup_cfg(path, text)
    else:
        manifest = _requirements(path, text)
    if manifest is None:
        return None
    if len(manifest.dependencies) > _MAX_DEPS:
        raise InputError(f"more than {_MAX_DEPS} dependencies: not parsed")
    return manifest


def manifest_findings(manifest: Manifest, *, locked: bool) -> list[Finding]:
    """Findings for a manifest: direct URLs and VCS references always; unpinned versions
    unless a lock file beside it pins them (``locked``); missing hashes in requirements
    files and lock files (one finding per file, with the count)."""
    out: list[Finding] = []
    path = manifest.path
    for dep in manifest.dependencies:
        if dep.vcs:
            pinned = "pinned to a commit" if dep.pinned else "not pinned to a commit"
            out.append(
                _finding(
                    "supplychain-vcs-dependency",
                    path,
                    dep.line,
                    f"{dep.name} from a VCS ({pinned})",
                )
            )
        elif dep.url is not None:
            out.append(
                _finding(
                    "supplychain-direct-url", path, dep.line, f"{dep.name} from {_host(dep.url)}"
                )
            )
        elif not dep.pinned and not locked and manifest.format not in LOCK_FORMATS:
            spec = dep.specifier or "any version"
            out.append(_finding("supplychain-unpinned", path, dep.line, f"{dep.name} {spec}"))
    if manifest.format == "requirements" or manifest.format in LOCK_FORMATS:
        registry = [d for d in manifest.dependencies if d.url is None and not d.editable]
        unhashed = [d for d in registry if not d.hashes]
        if unhashed:
            line = unhashed[0].line
            out.append(
                _finding(
                    "supplychain-unhashed",
                    path,
                    line,
                    f"{len(unhashed)} of {len(registry)} dependencies have no hash",
                )
            )
    return out


def _host(url: str) -> str:
    """The host of a URL, never its user or password."""
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    return host or url.rsplit("@", 1)[-1][:60]
