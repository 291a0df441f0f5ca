"""Help text in the words of a command line, not of Python.

Typer labels parameters with their Python annotations (``<bool>``, ``<str>``,
``<list[Path]>``) and writes required arguments as ``{IN} {OUT}`` in the usage line.
:func:`plain_help` walks the built command tree once and gives every parameter a class
that says ``TEXT``, ``PATH``, ``INTEGER``, ``table|json|sarif``, nothing for a flag, and
``IN OUT`` in the usage line. Behaviour (parsing, defaults, errors) is untouched.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperOption

__all__ = ["plain_help", "plain_type"]

_WORDS = {
    "bool": "",
    "str": "TEXT",
    "int": "INTEGER",
    "int range": "INTEGER",
    "float": "NUMBER",
    "float range": "NUMBER",
    "path": "PATH",
    "Path": "PATH",
    "file": "PATH",
    "directory": "FOLDER",
    "datetime": "DATE",
}


def plain_type(label: str | None) -> str:
    """``<list[Path]>`` → ``PATH...``, ``<bool>`` → ``""``, ``<a|b>`` → ``a|b``."""
    if not label:
        return ""
    inner = label[1:-1] if label.startswith("<") and label.endswith(">") else label
    if inner.startswith("list[") and inner.endswith("]"):
        return plain_type(inner[5:-1]) + "..."
    if "|" in inner:
        return inner
    return _WORDS.get(inner, inner.upper())


class _PlainOption(TyperOption):
    def display_type_rich(self, ctx: Any) -> str | None:
        if self.metavar is not None:
            return self.metavar
        if self.is_flag:
            return ""
        return plain_type(self.display_type(ctx))


class _PlainArgument(TyperArgument):
    def display_type_rich(self, ctx: Any) -> str | None:
        return plain_type(self.display_type(ctx))

    def _usage_display_name(self) -> str:
        name = self.display_name_raw.upper()
        if not self.required:
            name = f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")


def _plain(param: Any) -> Any:
    if type(param) is TyperOption:
        param.__class__ = _PlainOption
    elif type(param) is TyperArgument:
        param.__class__ = _PlainArgument
    return param


def plain_help(command: Any) -> Any:
    """Give every parameter under ``command`` (a click command or group) plain help."""
    for param in getattr(command, "params", ()):
        _plain(param)
    made = getattr(command, "get_help_option", None)
    if made is not None:  # --help is built on demand, per context

        def get_help_option(ctx: Any, made: Any = made) -> Any:
            return _plain(made(ctx))

        command.get_help_option = get_help_option
    for sub in getattr(command, "commands", {}).values():
        plain_help(sub)
    return command
