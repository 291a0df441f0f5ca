"""MCP server configs (Claude Desktop, Cursor, VS Code, Cline…): each server's command and
arguments, and whether the package it runs is pinned to a version."""

from __future__ import annotations

import json
import re
from typing import Any

from aisec.inventory._found import Found, rule_finding

__all__ = ["analyse_mcp", "unpinned_package"]

_MAX_SERVERS = 500
_RUNNERS = frozenset({"npx", "pnpx", "bunx", "uvx", "pipx", "docker", "podman"})
_NPM_VERSION = re.compile(r"^(@[^/@\s]+/)?[^@\s]+@\d[\w.+-]*$")
_PY_VERSION = re.compile(r"^[A-Za-z0-9_.\-\[\],]+(==|@)\d[\w.+-]*$")
_IMAGE_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
# a flag or a name=value whose name says the value is a credential
_SECRET_NAME = re.compile(r"(?i)(token|secret|passw|pwd|api[-_]?key|auth|credential|bearer)")
_HIDDEN = "<redacted>"


def _servers(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict):
        return {}
    for key in ("mcpServers", "servers", "mcp_servers", "context_servers"):
        value = doc.get(key)
        if isinstance(value, dict):
            return value
    nested = doc.get("mcp")
    return _servers(nested) if isinstance(nested, dict) else {}


def unpinned_package(command: str, args: list[str]) -> str | None:
    """The package a runner (npx, uvx, pipx, docker…) fetches unpinned, or None."""
    runner = command.rsplit("/", 1)[-1].lower()
    if runner not in _RUNNERS:
        return None
    positional = [a for a in args if not a.startswith("-")]
    if runner in {"docker", "podman"}:
        if "run" not in positional:
            return None
        after = positional[positional.index("run") + 1 :]
        image = after[0] if after else ""
        if not image:
            return None
        pinned = _IMAGE_DIGEST.search(image) is not None
        return None if pinned else image
    if runner in {"uvx", "pipx"}:
        if "--from" in args:
            i = args.index("--from")
            spec = args[i + 1] if i + 1 < len(args) else ""
            return None if _PY_VERSION.match(spec) else spec or None
        positional = [a for a in positional if a != "run"]
        spec = positional[0] if positional else ""
        return None if not spec or _PY_VERSION.match(spec) else spec
    spec = positional[0] if positional else ""
    return None if not spec or _NPM_VERSION.match(spec) else spec


def _shown(args: list[str]) -> list[str]:
    """``args`` as an inventory may show them: a credential (one the guard's secrets
    scanner knows, the value after a flag named like one, the value of a ``name=value``
    named like one) is replaced; server arguments often carry tokens and database URLs."""
    from aisec.guard import redact_secrets

    shown: list[str] = []
    hide_next = False
    for arg in args:
        if hide_next and not arg.startswith("-"):
            shown.append(_HIDDEN)
            hide_next = False
            continue
        name, eq, value = arg.partition("=")
        if eq and value and _SECRET_NAME.search(name):
            shown.append(f"{name}={_HIDDEN}")
            continue
        hide_next = arg.startswith("-") and not eq and _SECRET_NAME.search(arg) is not None
        shown.append(redact_secrets(arg))
    return shown


def _line_of(text: str, key: str) -> int | None:
    pos = text.find(json.dumps(key))
    return text.count("\n", 0, pos) + 1 if pos >= 0 else None


def analyse_mcp(text: str, rel: str, found: Found) -> None:
    """An ``mcp_server`` asset per server; a finding for each unpinned package run."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        found.skip(rel, "MCP config is not valid JSON")
        return
    for name, server in list(_servers(doc).items())[:_MAX_SERVERS]:
        if not isinstance(server, dict):
            continue
        command = server.get("command")
        raw_args = server.get("args")
        args = [str(a)[:200] for a in raw_args[:100]] if isinstance(raw_args, list) else []
        url = server.get("url") or server.get("serverUrl")
        env = server.get("env")
        details: dict[str, Any] = {
            "transport": "stdio" if isinstance(command, str) else "http",
            "env_keys": sorted(str(k)[:100] for k in env)[:50] if isinstance(env, dict) else [],
        }
        if isinstance(command, str):
            details["command"] = _shown([command[:200]])[0]
            details["args"] = _shown(args)
        if isinstance(url, str):
            details["url"] = _shown([url[:300]])[0]
        line = _line_of(text, str(name))
        pkg = unpinned_package(command, args) if isinstance(command, str) else None
        details["pinned"] = pkg is None
        found.asset("mcp_server", rel, line, str(name)[:200], details)
        if pkg is not None:
            found.finding(
                rule_finding(
                    "inventory-mcp-unpinned",
                    rel,
                    line,
                    f"server {str(name)[:80]!r} runs {command} {pkg[:80]} without a version",
                )
            )
