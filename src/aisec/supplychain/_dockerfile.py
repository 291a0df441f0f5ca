"""Dockerfiles: base images (pinned by digest or not), ``curl | sh``, and running as root."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from aisec.core.findings import Finding
from aisec.supplychain._manifests import _finding

__all__ = ["DockerfileAudit", "Image", "audit_dockerfile"]

_MAX_LINES = 20_000
_PIPE_TO_SHELL = re.compile(
    r"\b(?:curl|wget)\b[^|;&]*\|\s*(?:sudo\s+)?(?:ba|z|da|k)?sh\b"
    r"|\b(?:ba)?sh\s+-c\s+[\"']?\$\((?:curl|wget)\b"
    r"|\b(?:ba)?sh\s+<\(\s*(?:curl|wget)\b",
    re.I,
)
_ROOT_USERS = frozenset({"root", "0", "0:0", "root:root"})


@dataclass(frozen=True, slots=True)
class Image:
    """A base image reference: ``name[:tag][@digest]``."""

    reference: str
    name: str
    tag: str | None
    digest: str | None


@dataclass(slots=True)
class DockerfileAudit:
    """Base images (with their FROM line) and findings for one Dockerfile."""

    images: list[tuple[int, Image]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _image(ref: str) -> Image:
    rest, _, digest = ref.partition("@")
    last = rest.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else None
    name = rest[: len(rest) - len(tag) - 1] if tag else rest
    return Image(ref, name, tag, digest or None)


def _instructions(text: str) -> list[tuple[int, str, str]]:
    """``(line, INSTRUCTION, arguments)`` with continuation lines joined."""
    out: list[tuple[int, str, str]] = []
    buf: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines()[:_MAX_LINES], 1):
        stripped = raw.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue
        if not buf:
            start = number
        if stripped.endswith("\\"):
            buf.append(stripped[:-1])
            continue
        buf.append(stripped)
        joined = " ".join(buf)
        buf = []
        word, _, args = joined.partition(" ")
        out.append((start, word.upper(), args.strip()))
    return out


def audit_dockerfile(path: str, text: str) -> DockerfileAudit:
    """Base images and findings: a base not pinned by digest (``:latest`` or no tag named
    as such), ``curl``/``wget`` piped to a shell, and a final stage that runs as root."""
    audit = DockerfileAudit()
    stages: set[str] = set()
    user: str | None = None
    final_from = 0
    for line, word, args in _instructions(text):
        if word == "FROM":
            parts = [p for p in args.split() if not p.startswith("--")]
            if not parts:
                continue
            ref = parts[0]
            if len(parts) >= 3 and parts[1].lower() == "as":
                stages.add(parts[2].lower())
            final_from, user = line, None
            if ref.lower() in stages or ref.lower() == "scratch" or "$" in ref:
                continue  # an earlier stage, the empty image, or a build argument
            image = _image(ref)
            audit.images.append((line, image))
            if image.digest is None:
                why = (
                    "the moving tag :latest"
                    if image.tag in (None, "latest")
                    else (f"tag :{image.tag} without a digest")
                )
                if image.tag is None:
                    why = "no tag (means :latest)"
                audit.findings.append(
                    _finding("supplychain-docker-unpinned-base", path, line, f"{ref}: {why}")
                )
        elif word == "USER":
            user = args.split()[0] if args else None
        elif word == "RUN" and _PIPE_TO_SHELL.search(args):
            audit.findings.append(
                _finding(
                    "supplychain-docker-pipe-to-shell",
                    path,
                    line,
                    "a script downloaded and run by a shell in one step",
                )
            )
    if final_from and (user is None or user.lower() in _ROOT_USERS):
        evidence = "no USER instruction after the last FROM" if user is None else f"USER {user}"
        audit.findings.append(
            _finding("supplychain-docker-runs-as-root", path, final_from, evidence)
        )
    return audit
