"""Every command's --help, rendered at 80 columns, speaks the user's language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer

from aisec.cli.main import app, main

# typer's Python spellings: <bool>, <str>, <int range>, <list[Path]>, {IN} in usage lines
_PYTHON_TYPES = re.compile(r"<(?:bool|str|int|float|path|Path|list\[|[a-z ]+ range)|\{[A-Z_.]+\}")
_BOX = re.compile(r"[│╭╮╰╯─]")


def _commands(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    subs = getattr(cmd, "commands", None)
    if path:
        yield path, cmd
    for name, sub in (subs or {}).items():
        yield from _commands(sub, (*path, name))


COMMANDS = [p for p, _ in _commands(typer.main.get_command(app))]
LEAVES = [p for p, c in _commands(typer.main.get_command(app)) if not getattr(c, "commands", None)]


def _help(args: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> str:
    assert main([*args, "--help"]) == 0
    return capsys.readouterr().out


@pytest.fixture(autouse=True)
def columns_80(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("TERMINAL_WIDTH", raising=False)


@pytest.mark.parametrize("args", [(), *COMMANDS], ids=lambda a: " ".join(a) or "aisec")
def test_help_fits_80_columns_without_python_types(
    args: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    text = _help(args, capsys)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert _PYTHON_TYPES.search(text) is None, _PYTHON_TYPES.search(text)


@pytest.mark.parametrize("args", LEAVES, ids=" ".join)
def test_every_command_has_an_example_and_every_option_a_description(
    args: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    cmd = typer.main.get_command(app)
    for name in args:
        cmd = cmd.commands[name]
    assert re.search(r"Example: .*\baisec ", cmd.help or "")
    undocumented = [p.name for p in cmd.params if not getattr(p, "help", None)]
    assert undocumented == []
    assert "Example: " in _help(args, capsys)


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (("scan",), "info, low, medium, high, critical, or never"),
        (("guard", "scan"), "table (default), json (the versioned envelope) or sarif (2.1.0)"),
        (("guard", "eval"), "aisec guard eval --data benchmarks/guard/data/dev.jsonl"),
    ],
)
def test_choices_are_shown_whole(
    args: tuple[str, ...], phrase: str, capsys: pytest.CaptureFixture[str]
) -> None:
    flat = " ".join(_BOX.sub(" ", _help(args, capsys)).split())
    assert phrase in flat


def test_guard_eval_help_example_names_a_file_that_exists() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    cmd = typer.main.get_command(app).commands["guard"].commands["eval"]
    example = re.search(r"--data (\S+)", cmd.help or "")
    assert example is not None and (root / example.group(1)).is_file()


def test_access_roles_keeps_permission_names_whole_at_80_columns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from aisec.core.identity import PERMISSIONS

    assert main(["access", "roles"]) == 0
    out = capsys.readouterr().out
    cells = {line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│")}
    assert set(PERMISSIONS) <= cells
