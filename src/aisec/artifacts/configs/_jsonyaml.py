"""JSON and YAML configs: chat templates, Hydra ``_target_`` callables, Keras model configs.

Hugging Face keeps chat templates in ``tokenizer_config.json`` (``chat_template`` as a
string or a list of ``{"name", "template"}``), ``chat_template.json`` and in YAML/JSON
configs of serving tools; a config may be named anything, so files are recognised by
content. Every string that carries Jinja markers is parsed for SSTI; ``_target_`` values
(NeMo checkpoints, Hydra configs) name callables a loader calls and are judged by
``_hydra``; a document that is a serialized Keras model (``model.to_json()``) gets the
Keras checks. YAML is loaded with ``safe_load`` and walked without re-visiting shared
nodes, so alias bombs stay bounded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any, ClassVar

from aisec.artifacts._base import ArtifactContext, FormatHandler
from aisec.artifacts._format_findings import format_finding
from aisec.artifacts.configs._hydra import (
    TARGET_POINTER_ENDS,
    hydra_target_finding,
    yaml_tag_finding,
)
from aisec.artifacts.keras import (
    analyse_keras_config,
    is_keras_config,
    keras_issue_findings,
    scan_payloads,
)
from aisec.artifacts.templates import (
    JSON_START,
    MAX_TEMPLATE_CHARS,
    looks_like_template,
    read_text,
    template_findings,
)
from aisec.core.errors import ScanError
from aisec.core.findings import Finding, Severity

__all__ = ["JsonConfigHandler", "YamlConfigHandler", "config_findings"]

_MAX_VISITS = 2_000_000
_CONTAINERS = (dict, list)  # a tuple: ``dict | list`` would build a union at every test
_MAX_TEMPLATES = 1_000
_YAML_LIMIT = 16 << 20
# The opening of a YAML document: blank space and whole comment lines, then a directive,
# a document marker, a ``key:`` or a ``- item``. The repeats are possessive (never given
# back): nothing they consume can start what follows them, so they accept the same texts
# as plain repeats, in one pass. Plain ones backtracked through every way of cutting the
# blank lines into ``\s*\n`` pieces (exponential: 22 blank lines before prose took 0.8 s)
# and gave back a long word one byte at a time looking for a colon. Every opening holds a
# ":", "-" or "%": text with none of them is turned away by memchr.
_YAML_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?(?:\s++|#[^\n]*+\n)*+(?:---[ \t]*(?:\n|$)|%YAML|%TAG|"
    rb"[\w.\-\"']++[ \t]*:(?:[ \t]|\n|$)|-[ \t]+\S)"
)


def _pointer_part(key: object) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _strings(root: object) -> Iterator[tuple[str, str]]:
    """(JSON pointer, string) for every string value, each shared container visited once."""
    seen: set[int] = set()
    stack: list[tuple[object, str]] = [(root, "")]
    visits = 0
    while stack:
        node, pointer = stack.pop()
        visits += 1
        if visits > _MAX_VISITS:
            raise ScanError("config has too many values to judge")
        if isinstance(node, str):
            yield pointer, node
        elif isinstance(node, _CONTAINERS):
            if id(node) in seen:
                continue
            seen.add(id(node))
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in items:
                if isinstance(key, str) and looks_like_template(key):
                    yield f"{pointer}/{_pointer_part(key)}", key
                stack.append((value, f"{pointer}/{_pointer_part(key)}"))


def _keras_roots(root: object) -> Iterator[tuple[str, object]]:
    """Keras model configs: the document itself, or one stored under a key."""
    if is_keras_config(root):
        yield "", root
        return
    if isinstance(root, dict):
        for key in ("model_config", "config", "keras_model"):
            inner = root.get(key)
            if isinstance(inner, str) and inner.lstrip().startswith("{"):
                try:
                    inner = json.loads(inner)
                except (json.JSONDecodeError, RecursionError):
                    continue
            if is_keras_config(inner):
                yield f"/{key}", inner


def _unparsed(path: str, why: str) -> Finding:
    # Text that only looked like a config: no loader builds anything from it.
    return format_finding(
        "config-unparsed",
        "File looks like a JSON/YAML config but does not parse; nothing was judged",
        Severity.INFO,
        path,
        why,
        "No action needed unless this file is meant to be a config.",
    )


def _remote_code(root: object, path: str) -> list[Finding]:
    """Hugging Face ``auto_map``: loading with trust_remote_code runs the repo's Python."""
    if not isinstance(root, dict) or not isinstance(root.get("auto_map"), dict):
        return []
    targets = [v for v in root["auto_map"].values() if isinstance(v, str | list)]
    shown = ", ".join(str(t)[:60] for t in targets[:3])
    return [
        format_finding(
            "config-remote-code",
            "Config maps model classes to code shipped with the model (trust_remote_code)",
            Severity.INFO,
            path,
            f"auto_map -> {shown}",
            "Review the referenced Python files before loading with trust_remote_code=True; "
            "they run with your privileges.",
            pointer="/auto_map",
        )
    ]


def config_findings(root: object, path: str, ctx: ArtifactContext | None = None) -> list[Finding]:
    """Findings for a parsed JSON/YAML document found at ``path``."""
    findings: list[Finding] = []
    templates = 0
    for pointer, value in _strings(root):
        if pointer.endswith(TARGET_POINTER_ENDS):
            target = hydra_target_finding(pointer, value, path)
            if target is not None:
                findings.append(target)
        if looks_like_template(value):
            templates += 1
            if templates > _MAX_TEMPLATES:
                raise ScanError(f"{path}: more than {_MAX_TEMPLATES} template strings")
            findings += template_findings(
                value, path, pointer=pointer or "/", incidental="template" not in pointer.lower()
            )
    findings += _remote_code(root, path)
    for prefix, config in _keras_roots(root):
        issues = analyse_keras_config(config)
        scan_payloads(issues, ctx)
        findings += keras_issue_findings(issues, path, prefix)
    return findings


class JsonConfigHandler(FormatHandler):
    """JSON documents (``tokenizer_config.json``, ``chat_template.json``, any name)."""

    name: ClassVar[str] = "json"
    priority: ClassVar[int] = -10

    @classmethod
    def sniff(cls, head: bytes, ctx: ArtifactContext) -> bool:
        return b"\x00" not in head and bool(JSON_START.match(head))

    def scan(self, ctx: ArtifactContext) -> list[Finding]:
        text = read_text(ctx, ctx.limits.max_json_bytes)
        try:
            root = json.loads(text)
        except RecursionError:
            raise ScanError(f"{ctx.display_path}: JSON nested too deeply to judge") from None
        except json.JSONDecodeError as exc:
            lines = _json_lines(text) if exc.msg == "Extra data" else None
            if lines is not None:
                return config_findings(lines, ctx.display_path, ctx=ctx)
            if looks_like_template(text):
                # text that only resembles a config: judged for sandbox escapes only
                return template_findings(text, ctx.display_path, incidental=True)
            return [_unparsed(ctx.display_path, f"not valid JSON: {exc}")]
        return config_findings(root, ctx.display_path, ctx=ctx)


def _json_lines(text: str) -> list[object] | None:
    """JSON Lines (one document per line), or None when any line is not JSON."""
    docs: list[object] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            docs.append(json.loads(line))
        except (json.JSONDecodeError, RecursionError):
            return None
    return docs


def _load_all(text: str, tags: list[tuple[str, int]]) -> list[object]:
    """``yaml.safe_load_all``, except that a node with an application tag (``!new:...``,
    HyperPyYAML's) is built as the plain data it holds; ``tags`` gets each such tag and its
    line. Nothing but plain data is ever constructed."""

    loader = _tolerant_loader()(text)
    loader.aisec_tags = tags
    try:
        docs: list[object] = []
        while loader.check_data():
            docs.append(loader.get_data())
        return docs
    finally:
        loader.dispose()


@cache
def _tolerant_loader() -> type:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def plain(loader: Any, _suffix: str, node: Any) -> object:
        loader.aisec_tags.append((str(node.tag), node.start_mark.line + 1))
        if isinstance(node, yaml.MappingNode):
            return loader.construct_mapping(node, deep=True)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_scalar(node)

    Loader.add_multi_constructor("!", plain)  # application tags (HyperPyYAML's)
    Loader.add_multi_constructor("tag:yaml.org,2002:python/", plain)  # PyYAML's unsafe ones
    return Loader


def _scanned_tags(text: str) -> list[tuple[str, int]]:
    """The tags of ``text`` as YAML's scanner reads them, up to its first error."""
    import yaml

    handles: dict[str | None, str] = {"!": "!", "!!": "tag:yaml.org,2002:", None: ""}
    out: list[tuple[str, int]] = []
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, yaml.TagToken) and token.value[0] in handles:
                handle, suffix = token.value
                out.append((handles[handle] + suffix, token.start_mark.line + 1))
    except yaml.YAMLError:
        pass
    return out


def _tag_findings(tags: list[tuple[str, int]], path: str) -> list[Finding]:
    out: list[Finding] = []
    for tag, line in tags[:10_000]:
        finding = yaml_tag_finding(tag, line, path)
        if finding is not None:
            out.append(finding)
    return out


class YamlConfigHandler(FormatHandler):
    """YAML documents that may carry a ``chat_template`` (serving configs, model cards)."""

    name: ClassVar[str] = "yaml"
    priority: ClassVar[int] = -15

    @classmethod
    def sniff(cls, head: bytes, ctx: ArtifactContext) -> bool:
        return (
            (b":" in head or b"-" in head or b"%" in head)
            and b"\x00" not in head
            and bool(_YAML_START.match(head))
        )

    def scan(self, ctx: ArtifactContext) -> list[Finding]:
        import yaml  # on the first YAML file, not when the package loads

        text = read_text(ctx, _YAML_LIMIT)
        tags: list[tuple[str, int]] = []
        try:
            docs = _load_all(text, tags)
        except RecursionError:
            raise ScanError(f"{ctx.display_path}: YAML nested too deeply to judge") from None
        except yaml.YAMLError as exc:
            if looks_like_template(text):
                # text that only resembles a config: judged for sandbox escapes only
                return template_findings(text, ctx.display_path, incidental=True)
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            # a document that does not parse is never built: its tags come from the tokens
            tagged = _tag_findings(_scanned_tags(text), ctx.display_path)
            return [*tagged, _unparsed(ctx.display_path, f"not valid YAML{where}")]
        findings = _tag_findings(tags, ctx.display_path)
        for doc in docs[:1000]:
            findings += config_findings(doc, ctx.display_path, ctx=ctx)
        if looks_like_template(text):
            # a raw template can also parse as YAML (and be cut into pieces by it): judge
            # the text as one template too, keeping what the pieces did not already show
            seen = {(f.rule_id, f.evidence) for f in findings}
            for finding in template_findings(text[: MAX_TEMPLATE_CHARS * 2], ctx.display_path):
                kind = finding.rule_id.removeprefix("template-")
                if kind == "ssti" and (finding.rule_id, finding.evidence) not in seen:
                    findings.append(finding)
        return findings
